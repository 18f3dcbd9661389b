/**
 * Driven mode for the service components (`rollout: { mode: "driven" }`): what the three
 * share — argument checks, the journal bucket, the app name the journal is kept under, the
 * revision (content-derived id), the gates as data, and the `DrivenRollout` itself.
 *
 * A driven service has two slots behind weighted target groups (or the Lambda `live`
 * alias), both created by Pulumi and then left to the rollout: Pulumi ignores the slots'
 * task definition / launch template and counts (`ignoreChanges`), so a later `pulumi up`
 * never snaps traffic or capacity back to what the program first said. What changes a
 * deployment is the revision: its id is derived from everything the release depends on,
 * and a new id makes the `DrivenRollout` roll the new release out step by step.
 */
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import { type ArtifactRef, makeRevision, type Revision, type Strategy, sha256 } from "@slipway/core"
import { type ArgProblems, knownValue as known, physicalName, type Tags } from "../component.ts"
import { type DeepInput, DrivenRollout } from "../rollout/DrivenRollout.ts"
import type { DrivenBackend, DrivenRelease } from "../rollout/DrivenRolloutSpec.ts"
import { type DrivenGates, gatesFromSpec } from "../rollout/GatesSpec.ts"
import { RolloutJournalBucket } from "../rollout/RolloutJournalBucket.ts"
import type { RolloutArgs } from "./types.ts"

/**
 * What a service in driven mode exposes: where its journal is and the command that shows
 * its rollouts.
 *
 * @example
 * import { FargateService } from "@slipway/aws"
 * const web = new FargateService("web", { ...args, rollout: { mode: "driven" } })
 * export const status = web.driven?.statusCommand // "slipway status --target aws --bucket … --app …"
 */
export interface DrivenServiceRollout {
  /** The name the journal keeps this service's rollouts under (`--app` of the CLI). */
  readonly app: string
  /** The S3 bucket holding the journal (`--bucket`). */
  readonly journalBucket: pulumi.Output<string>
  /** The key prefix inside the bucket (`--prefix`), if any. */
  readonly journalPrefix: string | undefined
  /** The bucket the service created, unless `rollout.journal` named an existing one. */
  readonly journal: RolloutJournalBucket | undefined
  /** The revision this program describes: a new id is what makes `pulumi up` roll out. */
  readonly revision: pulumi.Output<Revision>
  /** The resource that performs the rollout on `pulumi up`. */
  readonly rollout: DrivenRollout
  /** `slipway status --target aws …` for this service. */
  readonly statusCommand: pulumi.Output<string>
}

/** Whether the arguments ask for a driven rollout. */
export const isDriven = (args: RolloutArgs): boolean => args.rollout?.mode === "driven"

const show = (value: unknown): string => JSON.stringify(value) ?? String(value)

// Relative HTTP gate URLs are checked against a stand-in for the service's own URL.
const PLACEHOLDER_URL = "https://service.invalid"

/** A native-only option that was given: its argument name and what it is for. */
export interface NativeOnlyOption {
  readonly arg: string
  readonly given: boolean
  readonly what: string
}

/** Alarm names known now (plain strings), and whether some are known only later. */
const knownAlarms = (
  alarmNames: ReadonlyArray<pulumi.Input<string>> | undefined,
  observe: unknown,
): { readonly names: ReadonlyArray<string>; readonly complete: boolean } => {
  const names: Array<string> = []
  let complete = observe === undefined
  for (const input of alarmNames ?? []) {
    const name = known(input)
    if (name === undefined) complete = false
    else names.push(name)
  }
  return { names, complete }
}

/** The spec's alarms plus `extra` alarm names, each alarm once. */
const withAlarms = (spec: DrivenGates | undefined, extra: ReadonlyArray<string>): DrivenGates | undefined => {
  const alarms = [...(spec?.alarms ?? [])]
  const present = new Set(alarms.map((a) => (typeof a === "string" ? a : a.alarm)))
  for (const name of extra) {
    if (!present.has(name)) {
      alarms.push(name)
      present.add(name)
    }
  }
  if (spec === undefined && alarms.length === 0) return undefined
  const { alarms: _, ...rest } = spec ?? {}
  return alarms.length === 0 ? rest : { ...rest, alarms }
}

/** HTTP gates whose `url` is a path, resolved against `base` (the service's own URL). */
const withBase = (spec: DrivenGates | undefined, base: string): DrivenGates | undefined => {
  if (spec?.http === undefined) return spec
  const root = base.replace(/\/+$/, "")
  return {
    ...spec,
    http: spec.http.map((h) => (h.url.startsWith("/") ? { ...h, url: `${root}${h.url}` } : h)),
  }
}

/**
 * Checks `rollout` and how the other arguments fit the mode: driven mode needs a strategy,
 * takes gates as data (checked here, with every Gate step's gate names), and has no use for
 * the native mechanism's own options; native mode has no use for driven gates.
 */
export const checkRolloutMode = (
  check: ArgProblems,
  args: RolloutArgs & {
    readonly alarmNames?: ReadonlyArray<pulumi.Input<string>>
    readonly observe?: unknown
  },
  nativeOnly: ReadonlyArray<NativeOnlyOption>,
): void => {
  const rollout = args.rollout
  if (rollout === undefined) return
  if (rollout.mode !== "native" && rollout.mode !== "driven") {
    check.add(
      "rollout.mode",
      `${show(rollout.mode)} is not a rollout mode`,
      'use "native" (AWS runs the strategy) or "driven" (`pulumi up` runs it)',
    )
    return
  }
  if (rollout.mode === "native") {
    for (const key of ["gates", "journal"] as const) {
      if (rollout[key] !== undefined) {
        check.add(
          `rollout.${key}`,
          "is only used in driven mode",
          'set rollout.mode to "driven", or drop it (a native rollout is judged by `alarmNames` and `observe`)',
        )
      }
    }
    return
  }

  if (args.strategy === undefined) {
    check.add(
      "strategy",
      "is missing: driven mode runs a strategy",
      'pass one, e.g. strategy: canary({ steps: [{ weight: 10, bake: "5m" }, { weight: 50, bake: "5m" }] })',
    )
  }
  if ((args.gates?.length ?? 0) > 0) {
    check.add(
      "gates",
      "are gate objects, which cannot reach the DrivenRollout (Pulumi hands its provider plain JSON)",
      'give them as data in rollout.gates, e.g. { errorRate: { max: 0.01, window: "1m" }, http: [{ url: "/healthz" }] }',
    )
  }
  for (const option of nativeOnly) {
    if (option.given) {
      check.add(
        option.arg,
        `is for native mode (${option.what}), which driven mode does not use`,
        'drop it, or use rollout: { mode: "native" }',
      )
    }
  }
  const journalBucket = known(rollout.journal?.bucket)
  if (rollout.journal !== undefined && journalBucket !== undefined && journalBucket.trim() === "") {
    check.add("rollout.journal.bucket", "is empty", "name an S3 bucket, or drop `journal` to get one")
  }

  const alarms = knownAlarms(args.alarmNames, args.observe)
  const spec = withAlarms(withBase(rollout.gates, PLACEHOLDER_URL), alarms.names)
  const built = gatesFromSpec(spec)
  if (built._tag === "Issues") {
    for (const issue of built.issues) {
      check.add(
        `rollout.${issue.path}`,
        issue.message,
        issue.path.endsWith(".url")
          ? 'use a path such as "/healthz" (resolved against the service\'s url) or an absolute http(s) URL'
          : "correct the gate spec (see DrivenGates)",
      )
    }
    return
  }
  // Gate steps name the gates they check: each name must be one the rollout will have.
  const names = new Set(built.gates.map((g) => g.name))
  args.strategy?.steps.forEach((step, i) => {
    if (step._tag !== "Gate") return
    for (const name of step.gates ?? []) {
      // Alarm gates from `observe` or from alarm names known only later are named then.
      if (names.has(name) || (!alarms.complete && name.startsWith("alarm "))) continue
      check.add(
        `strategy.steps[${i}].gates`,
        `names gate "${name}", which driven mode will not have (its gates: ${[...names].join(", ") || "none"})`,
        `add it to rollout.gates, or remove it from the step`,
      )
    }
  })
}

/**
 * The name a service's rollouts are journaled under: `<project>-<stack>-<name>`, in the
 * alphabet core allows for app names (lowercase, digits, `-`, at most 63).
 */
export const drivenAppName = (name: string): string =>
  physicalName(`${pulumi.getProject()}-${pulumi.getStack()}-${name}`.toLowerCase(), 63)

/**
 * An artifact's digest: the `sha256:…` an image reference is pinned to, or else the
 * digest of the reference text (a tag, which was warned about: moving it is not noticed).
 */
export const imageArtifact = (image: string): ArtifactRef => {
  const pinned = /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1]
  return { digest: pinned ?? sha256(image), uri: image }
}

/** `Record` without its `undefined` members (they would not survive to the provider anyway). */
export const definedOnly = (record: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined))

/** Builds the revision a program describes, once its inputs are known. */
export const drivenRevision = (
  app: string,
  artifact: pulumi.Input<ArtifactRef>,
  config: pulumi.Input<Readonly<Record<string, unknown>>>,
): pulumi.Output<Revision> =>
  pulumi
    .all([artifact, config])
    .apply(([a, c]) =>
      makeRevision({ app, artifact: { digest: a.digest, uri: a.uri }, config: definedOnly(c) }),
    )

/** What a service hands over to create its `DrivenRollout`. */
export interface DrivenWiring {
  readonly name: string
  readonly parent: pulumi.Resource
  readonly rollout: NonNullable<RolloutArgs["rollout"]>
  readonly strategy: Strategy
  /** What the revision runs: its digest and where it is. */
  readonly artifact: pulumi.Input<ArtifactRef>
  /** Everything else the release depends on (it goes into the revision id). */
  readonly config: pulumi.Input<Readonly<Record<string, unknown>>>
  readonly release: DeepInput<DrivenRelease>
  readonly backend: DeepInput<DrivenBackend>
  readonly replicas: pulumi.Input<number>
  /** The service's URL, against which HTTP gates given as paths are resolved. */
  readonly url: pulumi.Output<string>
  /** Alarm names to add as alarm gates (`alarmNames`, then `observe`'s). */
  readonly alarms: ReadonlyArray<pulumi.Input<string>>
  readonly dependsOn: ReadonlyArray<pulumi.Resource>
  readonly tags: Tags
}

/**
 * The journal bucket (the given one, or a new `RolloutJournalBucket`) and the
 * `DrivenRollout`, parented to the service and created after its slots and traffic wiring.
 */
export const createDrivenRollout = (w: DrivenWiring): DrivenServiceRollout => {
  const app = drivenAppName(w.name)
  const revision = drivenRevision(app, w.artifact, w.config)
  const given = w.rollout.journal
  const journal =
    given === undefined
      ? new RolloutJournalBucket(`${w.name}-journal`, { tags: w.tags }, { parent: w.parent })
      : undefined
  const bucket = pulumi.output(given?.bucket ?? journal!.bucket)
  const prefix = given?.prefix
  const region = aws.getRegionOutput({}, { parent: w.parent }).region
  const profile = new pulumi.Config("aws").get("profile")
  const gates =
    w.rollout.gates === undefined && w.alarms.length === 0
      ? undefined
      : pulumi
          .all([w.url, pulumi.all([...w.alarms])])
          .apply(([url, alarms]): DrivenGates => withAlarms(withBase(w.rollout.gates, url), alarms) ?? {})
  const rollout = new DrivenRollout(
    `${w.name}-rollout`,
    {
      app,
      revision: revision.apply((r) => ({ id: r.id, artifact: r.artifact, config: r.config })),
      release: w.release,
      strategy: w.strategy,
      ...(gates === undefined ? {} : { gates }),
      replicas: w.replicas,
      backend: w.backend,
      journal: { bucket, ...(prefix === undefined ? {} : { prefix }) },
      region,
      ...(profile === undefined ? {} : { profile }),
    },
    { parent: w.parent, dependsOn: [...w.dependsOn, ...(journal === undefined ? [] : [journal])] },
  )
  const statusCommand = pulumi.interpolate`slipway status --target aws --bucket ${bucket}${prefix === undefined ? "" : ` --prefix ${prefix}`} --region ${region} --app ${app}`
  return {
    app,
    journalBucket: bucket,
    journalPrefix: prefix,
    journal,
    revision,
    rollout,
    statusCommand,
  }
}

/**
 * The stack outputs a service adds in driven mode: the journal's app name and bucket and
 * the revision id (none without a driven rollout).
 */
export const drivenOutputs = (driven: DrivenServiceRollout | undefined): Readonly<Record<string, unknown>> =>
  driven === undefined
    ? {}
    : {
        rolloutApp: driven.app,
        journalBucket: driven.journalBucket,
        revision: driven.revision.apply((r) => r.id),
      }
