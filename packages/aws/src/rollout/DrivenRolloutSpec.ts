/**
 * What a `DrivenRollout` is given and what it keeps: its inputs as schemas (they arrive in
 * the dynamic provider as JSON, so they are decoded at that edge, every problem named by
 * its path), the backend shapes (ALB with ECS services or Auto Scaling groups, or a Lambda
 * alias), and where each revision runs (its placement).
 *
 * Blue/green slots: an ALB backend has two slots, each a target group with its own ECS
 * service or Auto Scaling group. The revision serving the app holds one slot; a candidate
 * is placed in the other (its task definition or launch template version is set there),
 * traffic shifts between the two target groups, and the old slot is scaled to zero once
 * the candidate has all traffic. Which revision holds which slot is recorded in the
 * journal itself — each revision the engine sees carries its placement in its config — so
 * a resumed rollout, the CLI, and the next `pulumi up` all agree on it.
 */
import {
  canonicalJson,
  isFinished,
  type Revision,
  RevisionData,
  type RolloutRecord,
  type Strategy,
  strategyIssues,
} from "@slipway/core"
import { Schema } from "effect"
import { DrivenGates, type InputIssue, usesMetrics } from "./GatesSpec.ts"
import { appNameProblem } from "./JournalKeys.ts"

/**
 * What runs a revision: an ECS task definition, a launch template version, or a published
 * Lambda version. It must match the backend's kind.
 *
 * @example
 * import type { DrivenRelease } from "@slipway/aws"
 * const task: DrivenRelease = { kind: "ecs", taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42" }
 * const version: DrivenRelease = { kind: "lambda", version: "7" }
 */
export const DrivenRelease = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("ecs"), taskDefinitionArn: Schema.String }),
  Schema.Struct({
    kind: Schema.Literal("asg"),
    launchTemplateId: Schema.String,
    launchTemplateVersion: Schema.String,
  }),
  Schema.Struct({ kind: Schema.Literal("lambda"), version: Schema.String }),
])
export type DrivenRelease = typeof DrivenRelease.Type

const TargetGroupSlot = {
  /** Slot name, e.g. `blue`. */
  name: Schema.String,
  targetGroupArn: Schema.String,
  /** `targetgroup/<name>/<id>`: the CloudWatch dimension, needed by metric gates. */
  targetGroupArnSuffix: Schema.optionalKey(Schema.String),
}
const AlbFront = {
  /** The listener whose default forward action is weighted (or `ruleArn`). */
  listenerArn: Schema.optionalKey(Schema.String),
  /** The listener rule whose forward action is weighted (or `listenerArn`). */
  ruleArn: Schema.optionalKey(Schema.String),
  /** `app/<name>/<id>`: the CloudWatch dimension, needed by metric gates. */
  loadBalancerArnSuffix: Schema.optionalKey(Schema.String),
}

/**
 * Where traffic shifts and what runs revisions.
 *
 * @example
 * import type { DrivenBackend } from "@slipway/aws"
 * const fargate: DrivenBackend = {
 *   kind: "ecs",
 *   cluster: "web",
 *   ruleArn: "arn:aws:elasticloadbalancing:…:listener-rule/app/web/…",
 *   slots: [
 *     { name: "blue", targetGroupArn: blueArn, service: "web-blue" },
 *     { name: "green", targetGroupArn: greenArn, service: "web-green" },
 *   ],
 * }
 * const lambda: DrivenBackend = { kind: "lambda", functionName: "api", alias: "live" }
 */
export const DrivenBackend = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("ecs"),
    cluster: Schema.String,
    ...AlbFront,
    slots: Schema.Array(Schema.Struct({ ...TargetGroupSlot, service: Schema.String })),
  }),
  Schema.Struct({
    kind: Schema.Literal("asg"),
    ...AlbFront,
    slots: Schema.Array(Schema.Struct({ ...TargetGroupSlot, autoScalingGroup: Schema.String })),
  }),
  Schema.Struct({ kind: Schema.Literal("lambda"), functionName: Schema.String, alias: Schema.String }),
])
export type DrivenBackend = typeof DrivenBackend.Type
/**
 * The backends that shift traffic on an ALB (ECS services or Auto Scaling groups in two slots).
 *
 * @example
 * import type { DrivenAlbBackend, DrivenBackend } from "@slipway/aws"
 * const isAlb = (b: DrivenBackend): b is DrivenAlbBackend => b.kind !== "lambda"
 */
export type DrivenAlbBackend = Extract<DrivenBackend, { readonly kind: "ecs" | "asg" }>

/** The revision to roll out: its content-derived id, artifact and configuration. */
export const RevisionInput = Schema.Struct({
  id: Schema.String,
  artifact: Schema.Struct({ digest: Schema.String, uri: Schema.String }),
  config: Schema.Record(Schema.String, Schema.Unknown),
})

/**
 * Everything a `DrivenRollout` takes, as the provider receives it.
 *
 * @example
 * import type { DrivenRolloutInputs } from "@slipway/aws"
 * const inputs: DrivenRolloutInputs = {
 *   app: "web-prod",
 *   revision: { id: "web-3f9c2a7b1d0e", artifact: { digest: "sha256:…", uri: "…/web@sha256:…" }, config: { port: 8080 } },
 *   release: { kind: "ecs", taskDefinitionArn: "arn:aws:ecs:…:task-definition/web:42" },
 *   strategy: canary({ steps: [10, 50, 100], pause: "5m" }),
 *   gates: { alarms: ["web-5xx"] },
 *   replicas: 2,
 *   backend: fargate,
 *   journal: { bucket: "web-prod-slipway-journal" },
 *   region: "eu-west-1",
 * }
 */
export const DrivenRolloutInputs = Schema.Struct({
  /** Names the journal folder: unique per stack and service. */
  app: Schema.String,
  revision: RevisionInput,
  release: DrivenRelease,
  /** A strategy from `@slipway/strategies` (checked by core's rules). */
  strategy: Schema.Unknown,
  gates: Schema.optionalKey(DrivenGates),
  /** Replicas (tasks or instances) the candidate runs at when fully promoted. */
  replicas: Schema.Number,
  backend: DrivenBackend,
  journal: Schema.Struct({ bucket: Schema.String, prefix: Schema.optionalKey(Schema.String) }),
  region: Schema.String,
  /** A named AWS profile, when `aws:profile` is set for the stack. */
  profile: Schema.optionalKey(Schema.String),
})
export type DrivenRolloutInputs = Omit<typeof DrivenRolloutInputs.Type, "strategy"> & {
  readonly strategy: Strategy
}

/**
 * How the last rollout this resource drove ended.
 *
 * @example
 * import type { LastRollout } from "@slipway/aws"
 * const last: LastRollout = { rolloutId: "web-3f9c2a7b1d0e-m1abc", candidate: "web-3f9c2a7b1d0e", status: "rolled-back", reason: "alarm web-5xx is ALARM", at: 1767225600000 }
 */
export const LastRollout = Schema.Struct({
  rolloutId: Schema.String,
  candidate: Schema.String,
  status: Schema.Literals(["succeeded", "rolled-back"]),
  reason: Schema.optionalKey(Schema.String),
  at: Schema.Number,
})
export type LastRollout = typeof LastRollout.Type

/**
 * What the resource keeps in Pulumi state: its inputs, the revision serving the app (with
 * its placement), and how the last rollout ended.
 *
 * @example
 * import type { DrivenRolloutState } from "@slipway/aws"
 * const serving = (state: DrivenRolloutState) => state.serving?.id ?? "nothing"
 */
export interface DrivenRolloutState extends DrivenRolloutInputs {
  readonly serving: Revision | null
  readonly lastRollout?: LastRollout
}

// What is read back from old state: only what the logic needs, leniently.
const PreviousState = Schema.Struct({
  revision: Schema.optionalKey(Schema.Struct({ id: Schema.String })),
  serving: Schema.optionalKey(Schema.NullOr(RevisionData)),
  lastRollout: Schema.optionalKey(LastRollout),
})
export type PreviousState = typeof PreviousState.Type
const decodePrevious = Schema.decodeUnknownResult(PreviousState)

/** Reads what matters of an earlier state (anything unreadable counts as absent). */
export const previousState = (olds: unknown): PreviousState => {
  const decoded = decodePrevious(olds)
  return decoded._tag === "Success" ? decoded.success : {}
}

// ---------------------------------------------------------------- validation

// Schema messages read `Expected string, got undefined\n  at ["backend"]["cluster"]`: say `backend.cluster`.
const readablePath = (raw: string): string =>
  raw
    .replace(/\["([^"]+)"\]/g, ".$1")
    .replace(/^\./, "")
    .replace(/\.?\[(\d+)\]/g, "[$1]")

const schemaIssues = (message: string): Array<InputIssue> => {
  const issues: Array<InputIssue> = []
  const lines = message.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.startsWith("  at ")) continue
    const at = lines[i + 1]?.startsWith("  at ") ? readablePath(lines[i + 1]!.slice(5).trim()) : "(inputs)"
    issues.push({ path: at || "(inputs)", message: line.trim() })
  }
  return issues
}

const decodeInputs = Schema.decodeUnknownResult(DrivenRolloutInputs)

const albIssues = (backend: DrivenAlbBackend, metrics: boolean): Array<InputIssue> => {
  const issues: Array<InputIssue> = []
  if ((backend.listenerArn === undefined) === (backend.ruleArn === undefined)) {
    issues.push({
      path: "backend",
      message: "give exactly one of `listenerArn` (weights its default action) or `ruleArn` (weights a rule)",
    })
  }
  const names = backend.slots.map((s) => s.name)
  if (backend.slots.length !== 2 || new Set(names).size !== 2) {
    issues.push({
      path: "backend.slots",
      message: `needs exactly two slots with different names (blue and green), got ${JSON.stringify(names)}`,
    })
  }
  if (metrics) {
    if (backend.loadBalancerArnSuffix === undefined) {
      issues.push({
        path: "backend.loadBalancerArnSuffix",
        message: "is needed by the error-rate and latency gates (the LoadBalancer CloudWatch dimension)",
      })
    }
    backend.slots.forEach((s, i) => {
      if (s.targetGroupArnSuffix === undefined) {
        issues.push({
          path: `backend.slots[${i}].targetGroupArnSuffix`,
          message: "is needed by the error-rate and latency gates (the TargetGroup CloudWatch dimension)",
        })
      }
    })
  }
  return issues
}

/**
 * Decodes and checks a `DrivenRollout`'s inputs: their shapes, the strategy (core's rules),
 * that the release fits the backend, that the backend is complete for the gates asked for.
 * Gate specs themselves are checked when they are built (`gatesFromSpec`).
 *
 * @example
 * import { decodeRolloutInputs } from "@slipway/aws"
 * const decoded = decodeRolloutInputs(news)
 * if (decoded._tag === "Issues") for (const i of decoded.issues) console.error(`${i.path}: ${i.message}`)
 */
export const decodeRolloutInputs = (
  input: unknown,
):
  | { readonly _tag: "Inputs"; readonly inputs: DrivenRolloutInputs }
  | { readonly _tag: "Issues"; readonly issues: ReadonlyArray<InputIssue> } => {
  const decoded = decodeInputs(input, { errors: "all" })
  if (decoded._tag === "Failure") return { _tag: "Issues", issues: schemaIssues(decoded.failure.message) }
  const raw = decoded.success
  const issues: Array<InputIssue> = []
  const appProblem = appNameProblem(raw.app)
  if (appProblem !== undefined) issues.push({ path: "app", message: appProblem })
  if (raw.revision.id.trim() === "") issues.push({ path: "revision.id", message: "is empty" })
  for (const issue of strategyIssues(raw.strategy)) {
    issues.push({ path: `strategy.${issue.path}`, message: issue.message })
  }
  if (!Number.isInteger(raw.replicas) || raw.replicas < 1) {
    issues.push({ path: "replicas", message: `${raw.replicas} is not a whole number ≥ 1` })
  }
  if (raw.release.kind !== raw.backend.kind) {
    issues.push({
      path: "release.kind",
      message: `is ${raw.release.kind} but the backend is ${raw.backend.kind}; pass a ${raw.backend.kind === "ecs" ? "task definition" : raw.backend.kind === "asg" ? "launch template version" : "Lambda version"}`,
    })
  }
  if (raw.journal.bucket.trim() === "") issues.push({ path: "journal.bucket", message: "is empty" })
  if (raw.backend.kind !== "lambda") issues.push(...albIssues(raw.backend, usesMetrics(raw.gates)))
  if (issues.length > 0) return { _tag: "Issues", issues }
  return { _tag: "Inputs", inputs: raw as DrivenRolloutInputs }
}

// ---------------------------------------------------------------- placement

/**
 * The key under which a revision's config records where it runs.
 *
 * @example
 * import { PLACEMENT_KEY } from "@slipway/aws"
 * const slot = (record.candidate.config[PLACEMENT_KEY] as { slot?: string } | undefined)?.slot
 */
export const PLACEMENT_KEY = "slipway.aws.placement"

/**
 * Where a revision runs: its slot (ALB backends) and what runs it.
 *
 * @example
 * import type { Placement } from "@slipway/aws"
 * const green: Placement = { slot: "green", release: { kind: "ecs", taskDefinitionArn: "arn:aws:ecs:…:task-definition/web:43" } }
 */
export const Placement = Schema.Struct({ slot: Schema.optionalKey(Schema.String), release: DrivenRelease })
export type Placement = typeof Placement.Type
const decodePlacement = Schema.decodeUnknownResult(Placement)

/**
 * Where a revision runs, as recorded in its config; `undefined` for a revision that never
 * went through a `DrivenRollout`.
 *
 * @example
 * import { placementOf } from "@slipway/aws"
 * const slot = placementOf(record.candidate)?.slot // "green"
 */
export const placementOf = (revision: Revision | null | undefined): Placement | undefined => {
  if (revision === null || revision === undefined) return undefined
  const decoded = decodePlacement(revision.config[PLACEMENT_KEY])
  return decoded._tag === "Success" ? decoded.success : undefined
}

/** The revision as the engine sees it: the input revision with its placement recorded. */
export const placed = (app: string, revision: typeof RevisionInput.Type, placement: Placement): Revision => ({
  id: revision.id,
  app,
  artifact: { digest: revision.artifact.digest, uri: revision.artifact.uri },
  config: { ...revision.config, [PLACEMENT_KEY]: placement },
})

/**
 * The revision that serves the app once `record` is settled: a finished rollout's winner;
 * for an unfinished one, the candidate if it was already promoted past its last step, the
 * stable otherwise. A first deployment that took traffic keeps serving even when rolled
 * back (there was nothing to return to).
 */
export const servingAfter = (record: RolloutRecord): Revision | null => {
  const promoted =
    record.status === "succeeded" ||
    (!isFinished(record) &&
      record.status !== "rolling-back" &&
      record.stepIndex >= record.strategy.steps.length)
  if (promoted) return record.candidate
  if (record.stable !== null) return record.stable
  return (record.weights[record.candidate.id] ?? 0) > 0 ? record.candidate : null
}

/** Compares two values as canonical JSON (key order never matters). */
export const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b)
