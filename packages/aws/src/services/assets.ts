/**
 * A service's `assets`: a folder uploaded to its own private bucket (`StaticAssets`), read
 * access for the app's role, and where to find the files passed to the app as
 * `ASSETS_BUCKET` / `ASSETS_PREFIX`.
 *
 * `ASSETS_PREFIX` is the revision's own content-addressed prefix (`<prefix><digest>/`),
 * and the services put it where each revision keeps its own copy — the task definition,
 * the launch template's user data, the published Lambda version — so while a rollout runs
 * the stable revision reads its files and the candidate the new ones. The read grant
 * covers every revision under `prefix`: the role is shared by both.
 */
import * as aws from "@pulumi/aws"
import type * as pulumi from "@pulumi/pulumi"
import type { ArgProblems, Tags } from "../component.ts"
import { StaticAssets, type StaticAssetsArgs, staticAssetsProblems } from "../packaging/StaticAssets.ts"

/** The variables a service with `assets` passes to its app. */
const ASSET_VARIABLES = ["ASSETS_BUCKET", "ASSETS_PREFIX"] as const

/**
 * Static files a service's app serves or hands out. `retainOldRevisions` defaults to
 * `true` for a native rollout (ECS, the instance refresh or CodeDeploy go on — and may roll
 * back — after `pulumi up` returns, so the old revision's files must outlive the update)
 * and to `false` with `rollout: { mode: "driven" }` (the rollout ends within the update).
 *
 * @example
 * const assets: ServiceAssets = { directory: "web/dist", prefix: "static/" }
 */
export type ServiceAssets = Pick<
  StaticAssetsArgs,
  "directory" | "prefix" | "cacheControl" | "retainOldRevisions"
>

/** Checks `assets` and that the app's environment leaves its variables to it. */
export const checkAssets = (
  check: ArgProblems,
  assets: ServiceAssets | undefined,
  environment: Readonly<Record<string, unknown>> | undefined,
  secrets: Readonly<Record<string, unknown>> | undefined,
): void => {
  if (assets === undefined) return
  check.problems.push(...staticAssetsProblems(assets, "assets."))
  for (const variable of ASSET_VARIABLES) {
    for (const [arg, given] of [
      ["environment", environment],
      ["secrets", secrets],
    ] as const) {
      if (given !== undefined && variable in given) {
        check.add(
          `${arg}.${variable}`,
          "is set by `assets` (the bucket holding the uploaded files)",
          "drop it, or give the variable another name",
        )
      }
    }
  }
}

/** What `createServiceAssets` made, for wiring. */
export interface CreatedAssets {
  readonly assets: StaticAssets
  /** The role's read grant, for `dependsOn` where the app may run before it exists. */
  readonly readPolicy: aws.iam.RolePolicy
  /** `ASSETS_BUCKET` and `ASSETS_PREFIX`, to merge into the app's (per-revision) environment. */
  readonly environment: Readonly<Record<string, pulumi.Input<string>>>
}

/**
 * With `assets`: uploads the folder as `<name>-assets` and lets `role` read exactly its
 * objects through an inline role policy `<name>-assets`.
 */
export const createServiceAssets = (
  name: string,
  args: {
    readonly assets?: ServiceAssets | undefined
    readonly tags?: Tags | undefined
    readonly transform?: { readonly assets?: StaticAssetsArgs["transform"] } | undefined
  },
  role: aws.iam.Role,
  options: {
    readonly parent: pulumi.Resource
    /** `rollout: { mode: "driven" }`: the rollout is over when the update is. */
    readonly driven: boolean
  },
): CreatedAssets | undefined => {
  const { assets, tags } = args
  if (assets === undefined) return undefined
  const transform = args.transform?.assets
  const parent = { parent: options.parent }
  const created = new StaticAssets(
    `${name}-assets`,
    {
      ...assets,
      retainOldRevisions: assets.retainOldRevisions ?? !options.driven,
      ...(tags !== undefined ? { tags } : {}),
      ...(transform !== undefined ? { transform } : {}),
    },
    parent,
  )
  const readPolicy = new aws.iam.RolePolicy(
    `${name}-assets`,
    { role: role.id, policy: created.readPolicyJson },
    parent,
  )
  return {
    assets: created,
    readPolicy,
    environment: { ASSETS_BUCKET: created.bucketName, ASSETS_PREFIX: created.prefix },
  }
}
