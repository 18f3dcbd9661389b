/**
 * A container image built from a Dockerfile and pushed to a private ECR repository
 * (scanned on push, encrypted, old images expired), referred to BY DIGEST — so a task
 * definition changes exactly when the image's bytes change, and a rollback runs the
 * very bytes that ran before.
 *
 * Artifacts first: the image is built and pushed by its own resource, and whatever
 * runs it (a task definition, a launch template) takes `imageRef` — an output of that
 * resource — as an input. Pulumi therefore finishes the build and push before it
 * touches the service; a failed or timed-out build stops the update with the service
 * untouched.
 */
import { existsSync, statSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"
import * as aws from "@pulumi/aws"
import * as dockerBuild from "@pulumi/docker-build"
import * as pulumi from "@pulumi/pulumi"
import { Data } from "effect"
import { ArgProblems, componentTags, createChild, type Tags, type Transform } from "../component.ts"

const TYPE = "slipway:aws:ContainerImage"

/** An image reference pinned by digest: `<registry>/<repository>@sha256:<64 hex>`. */
const DIGEST_REF =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?@sha256:[a-f0-9]{64}$/

/**
 * No Docker engine could be found to build with.
 *
 * @example
 * try {
 *   new ContainerImage("web", { context: "./app" })
 * } catch (e) {
 *   if (e instanceof DockerEngineUnreachable) console.error(e.tried) // ["unix:///var/run/docker.sock", …]
 * }
 */
export class DockerEngineUnreachable extends Data.TaggedError("DockerEngineUnreachable")<{
  /** Where an engine was looked for. */
  readonly tried: ReadonlyArray<string>
}> {
  override get message(): string {
    return `no Docker engine reachable at ${this.tried.join(", ")}; start Docker (or set DOCKER_HOST) or pass \`image: "<uri>@sha256:…"\` to use a prebuilt image`
  }
}

/**
 * Where a Docker engine would answer: `DOCKER_HOST` when set, else the usual sockets
 * (system, rootless, Docker Desktop). Returns the first found, or the places tried.
 *
 * @example
 * import { findDockerEngine } from "@slipway/aws"
 * findDockerEngine() // { found: "unix:///var/run/docker.sock", tried: [...] }
 */
export const findDockerEngine = (
  env: NodeJS.ProcessEnv = process.env,
): { readonly found: string | undefined; readonly tried: ReadonlyArray<string> } => {
  const host = env.DOCKER_HOST
  if (host !== undefined && host !== "") {
    // tcp:// and ssh:// engines cannot be probed without connecting; trust the setting.
    if (!host.startsWith("unix://")) return { found: host, tried: [host] }
    const path = host.slice("unix://".length)
    return { found: isSocket(path) ? host : undefined, tried: [host] }
  }
  const candidates = [
    "/var/run/docker.sock",
    ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, "docker.sock")] : []),
    join(homedir(), ".docker", "run", "docker.sock"),
    join(homedir(), ".colima", "default", "docker.sock"),
  ]
  const found = candidates.find(isSocket)
  return {
    found: found === undefined ? undefined : `unix://${found}`,
    tried: candidates.map((c) => `unix://${c}`),
  }
}

const isSocket = (path: string): boolean => {
  try {
    return existsSync(path) && statSync(path).isSocket()
  } catch {
    return false
  }
}

// Under `pulumi.runtime.setMocks` nothing is built, so no engine is needed.
const runningUnderMocks = (): boolean => {
  const monitor = pulumi.runtime.hasMonitor() ? (pulumi.runtime.getMonitor() as unknown) : undefined
  return typeof monitor === "object" && monitor !== null && "mocks" in monitor
}

/**
 * Per-child transforms of a `ContainerImage`.
 *
 * @example
 * const transform: ContainerImageTransforms = { repository: { forceDelete: true } }
 */
export interface ContainerImageTransforms {
  /** @example { repository: { forceDelete: true } } */
  readonly repository?: Transform<aws.ecr.RepositoryArgs>
  /** @example { lifecyclePolicy: (args, opts) => { opts.protect = true } } */
  readonly lifecyclePolicy?: Transform<aws.ecr.LifecyclePolicyArgs>
  /** @example { image: { noCache: true } } */
  readonly image?: Transform<dockerBuild.ImageArgs>
}

/**
 * Arguments of a `ContainerImage`: a build context, or a prebuilt image by digest.
 *
 * @example
 * const args: ContainerImageArgs = { context: "./app", platform: "linux/arm64" }
 */
export interface ContainerImageArgs {
  /**
   * The build context folder (default `"."`).
   *
   * @example
   * { context: "./app" }
   */
  readonly context?: string
  /**
   * The Dockerfile (default `<context>/Dockerfile`).
   *
   * @example
   * { dockerfile: "./app/Dockerfile.prod" }
   */
  readonly dockerfile?: string
  /**
   * The platform to build for; it must match the task's CPU architecture
   * (default `"linux/amd64"`).
   *
   * @example
   * { platform: "linux/arm64" }
   */
  readonly platform?: "linux/amd64" | "linux/arm64"
  /**
   * Build arguments (`--build-arg`). Not for secrets: they end up in the image history.
   *
   * @example
   * { buildArgs: { NODE_VERSION: "22" } }
   */
  readonly buildArgs?: Readonly<Record<string, pulumi.Input<string>>>
  /**
   * The Dockerfile stage to build (`--target`).
   *
   * @example
   * { target: "runtime" }
   */
  readonly target?: string
  /**
   * A prebuilt image pinned by digest: nothing is built, no repository is created.
   *
   * @example
   * { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:3f1c…" }
   */
  readonly image?: string
  /**
   * Images the repository keeps (default 20). Older ones expire — keep enough for
   * every revision you may roll back to.
   *
   * @example
   * { keepImages: 50 }
   */
  readonly keepImages?: number
  /**
   * A KMS key for the repository (default: AES-256 managed by ECR).
   *
   * @example
   * { kmsKeyArn: key.arn }
   */
  readonly kmsKeyArn?: pulumi.Input<string>
  /**
   * Reuse layers from earlier builds through a `cache` tag in the repository (default true).
   *
   * @example
   * { cache: false }
   */
  readonly cache?: boolean
  /**
   * Longest a build and push may take before the update fails (default `"20m"`).
   *
   * @example
   * { buildTimeout: "45m" }
   */
  readonly buildTimeout?: string
  /**
   * Build during `pulumi preview` too, catching build errors before `up`
   * (default true; false makes previews fast but shows the digest as unknown on change).
   *
   * @example
   * { buildOnPreview: false }
   */
  readonly buildOnPreview?: boolean
  /**
   * Tags for the repository.
   *
   * @example
   * { tags: { team: "payments" } }
   */
  readonly tags?: Tags
  /**
   * Adjust any child before it is created.
   *
   * @example
   * { transform: { repository: { forceDelete: true } } }
   */
  readonly transform?: ContainerImageTransforms
}

/**
 * A container image in ECR, by digest.
 *
 * Children (when building): an `aws:ecr/repository:Repository` (scan on push, AES-256
 * or KMS encryption), an `aws:ecr/lifecyclePolicy:LifecyclePolicy` keeping the last
 * `keepImages` images, and a `docker-build:index:Image` pushed to it. Before registering
 * them, the constructor checks that a Docker engine is reachable (skipped under mocks)
 * so a missing engine fails at once, with what to do, instead of mid-update.
 *
 * @example
 * import { ContainerImage, FargateService } from "@slipway/aws"
 *
 * const image = new ContainerImage("web", { context: "./app", platform: "linux/arm64" })
 * new FargateService("web", { network, image: image.imageRef, domain })
 * export const imageRef = image.imageRef // "…/web-…@sha256:…"
 */
export class ContainerImage extends pulumi.ComponentResource {
  /** `<repositoryUrl>@sha256:<digest>`: what a task definition should run. */
  readonly imageRef: pulumi.Output<string>
  /** `sha256:<hex>`. */
  readonly digest: pulumi.Output<string>
  readonly repository: aws.ecr.Repository | undefined
  readonly repositoryUrl: pulumi.Output<string>
  readonly image: dockerBuild.Image | undefined

  constructor(name: string, args: ContainerImageArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const problems = new ArgProblems(TYPE, name)
    if (args.image !== undefined) {
      if (!DIGEST_REF.test(args.image)) {
        problems.add(
          "image",
          `"${args.image}" is not pinned by digest`,
          'give "<registry>/<repository>@sha256:<64 hex>" (a tag can move; a digest cannot)',
        )
      }
      const building = (["context", "dockerfile", "buildArgs", "target"] as const).filter(
        (k) => args[k] !== undefined,
      )
      if (building.length > 0) {
        problems.add(building[0]!, "is given together with a prebuilt `image`", "give one or the other")
      }
    } else {
      const context = args.context ?? "."
      if (!existsSync(context) || !statSync(context).isDirectory()) {
        problems.add(
          "context",
          `${context} is not a folder`,
          "point it at the folder holding the Dockerfile and sources",
        )
      } else if (!existsSync(args.dockerfile ?? join(context, "Dockerfile"))) {
        problems.add(
          "dockerfile",
          `${args.dockerfile ?? join(context, "Dockerfile")} does not exist`,
          "write one, or set `dockerfile`",
        )
      }
    }
    const keep = args.keepImages ?? 20
    if (!Number.isInteger(keep) || keep < 1) {
      problems.add(
        "keepImages",
        `${keep} is not a positive count`,
        "keep at least the images you may roll back to, e.g. 20",
      )
    }
    problems.throwIfAny()
    if (args.image === undefined && !runningUnderMocks()) {
      const engine = findDockerEngine()
      if (engine.found === undefined) throw new DockerEngineUnreachable({ tried: engine.tried })
    }

    super(TYPE, name, {}, opts)
    const parent = { parent: this }
    const t = args.transform ?? {}

    if (args.image !== undefined) {
      const at = args.image.lastIndexOf("@")
      this.imageRef = pulumi.output(args.image)
      this.digest = pulumi.output(args.image.slice(at + 1))
      this.repositoryUrl = pulumi.output(args.image.slice(0, at).replace(/:[\w][\w.-]*$/, ""))
      this.repository = undefined
      this.image = undefined
    } else {
      const repository = createChild(
        aws.ecr.Repository,
        `${name}-repository`,
        {
          imageScanningConfiguration: { scanOnPush: true },
          // Services run images by digest, so a moving tag cannot change what runs.
          imageTagMutability: "MUTABLE",
          encryptionConfigurations: [
            args.kmsKeyArn !== undefined
              ? { encryptionType: "KMS", kmsKey: args.kmsKeyArn }
              : { encryptionType: "AES256" },
          ],
          tags: componentTags(TYPE, name, args.tags),
        },
        parent,
        t.repository,
      )
      createChild(
        aws.ecr.LifecyclePolicy,
        `${name}-lifecycle`,
        {
          repository: repository.name,
          policy: JSON.stringify({
            rules: [
              {
                rulePriority: 1,
                description: `keep the last ${keep} images (the revisions a rollback can return to)`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
                action: { type: "expire" },
              },
            ],
          }),
        },
        parent,
        t.lifecyclePolicy,
      )
      const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, parent)
      const context = args.context ?? "."
      const cacheRef = pulumi.interpolate`${repository.repositoryUrl}:cache`
      const image = createChild(
        dockerBuild.Image,
        `${name}-image`,
        {
          context: { location: context },
          ...(args.dockerfile !== undefined ? { dockerfile: { location: args.dockerfile } } : {}),
          platforms: [args.platform ?? "linux/amd64"],
          ...(args.buildArgs !== undefined ? { buildArgs: { ...args.buildArgs } } : {}),
          ...(args.target !== undefined ? { target: args.target } : {}),
          push: true,
          buildOnPreview: args.buildOnPreview ?? true,
          tags: [pulumi.interpolate`${repository.repositoryUrl}:${pulumi.getStack()}`],
          registries: [
            {
              address: repository.repositoryUrl,
              username: token.userName,
              password: pulumi.secret(token.password),
            },
          ],
          ...(args.cache !== false
            ? {
                cacheFrom: [{ registry: { ref: cacheRef } }],
                cacheTo: [
                  { registry: { ref: cacheRef, mode: "max", imageManifest: true, ociMediaTypes: true } },
                ],
              }
            : {}),
        },
        {
          ...parent,
          customTimeouts: { create: args.buildTimeout ?? "20m", update: args.buildTimeout ?? "20m" },
        },
        t.image,
      )
      this.repository = repository
      this.image = image
      this.repositoryUrl = repository.repositoryUrl
      this.digest = image.digest
      this.imageRef = pulumi.interpolate`${repository.repositoryUrl}@${image.digest}`
    }
    this.registerOutputs({ imageRef: this.imageRef, digest: this.digest, repositoryUrl: this.repositoryUrl })
  }
}
