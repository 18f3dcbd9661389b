/**
 * The strategy step model: plain, JSON-serialisable data the engine interprets (driven
 * mode) or that a native AWS mechanism is compiled from. `@slipway/strategies` is what
 * users call to build one; this module defines the shape and the rules every strategy
 * must satisfy, checked before anything changes.
 */
import { Data, Effect, Result, Schema } from "effect"

const Percent = Schema.Number.check(Schema.isFinite(), Schema.isBetween({ minimum: 0, maximum: 100 }))
const PositiveMs = Schema.Number.check(Schema.isFinite(), Schema.isGreaterThan(0))
const NonNegativeMs = Schema.Number.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0))
const Count = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))

/** Send `weight`% of traffic to the candidate (the rest to stable). */
export const SetWeightStep = Schema.TaggedStruct("SetWeight", { weight: Percent })
/** Wait `duration` ms (gates keep sampling meanwhile), or until promoted when `duration` is absent. */
export const PauseStep = Schema.TaggedStruct("Pause", { duration: Schema.optionalKey(PositiveMs) })
/** Evaluate the named gates (all of the rollout's gates when `gates` is absent) and stop on Fail. */
export const GateStep = Schema.TaggedStruct("Gate", {
  gates: Schema.optionalKey(Schema.Array(Schema.String)),
})
/** Scale the candidate to `replicas`, or to `percent`% of the stable replica count. */
export const ScaleStep = Schema.TaggedStruct("Scale", {
  replicas: Schema.optionalKey(Count),
  percent: Schema.optionalKey(Percent),
})

/** One step of a strategy. */
export const Step = Schema.Union([SetWeightStep, PauseStep, GateStep, ScaleStep])
export type Step = typeof Step.Type

/** How gates are evaluated in the background while a step pauses, and what Inconclusive means. */
export const Analysis = Schema.Struct({
  /** Time between background gate evaluations during a pause (ms). */
  interval: PositiveMs,
  /** Fail verdicts tolerated before rolling back (Argo's `failureLimit`, default 0). */
  failureLimit: Count,
  /** Consecutive Inconclusive verdicts tolerated before `onInconclusiveLimit` applies. */
  inconclusiveLimit: Count,
  /** What to do past the limit: pause for a person to decide, or fail and roll back. */
  onInconclusiveLimit: Schema.Literals(["pause", "fail"]),
})
export type Analysis = typeof Analysis.Type

/** A complete strategy: steps plus the policies that govern them. */
export const Strategy = Schema.Struct({
  /** What built it (`canary`, `linear`, `blueGreen`, `rolling`, `allAtOnce`, `custom`). */
  kind: Schema.String.check(Schema.isMinLength(1)),
  steps: Schema.Array(Step),
  analysis: Analysis,
  /** After promotion or rollback, how long the old side keeps running before it is scaled down (ms). */
  scaleDownDelay: NonNegativeMs,
  /** Longest a step may wait for the candidate to become ready before the rollout fails (ms). */
  progressDeadline: PositiveMs,
})
export type Strategy = typeof Strategy.Type

/** Defaults shared by every strategy builder (Argo Rollouts' where they exist). */
export const defaultAnalysis: Analysis = {
  interval: 10_000,
  failureLimit: 0,
  inconclusiveLimit: 3,
  onInconclusiveLimit: "pause",
}
export const defaultScaleDownDelay = 30_000
export const defaultProgressDeadline = 600_000

/** One thing wrong with a strategy: where, and what would be valid. */
export interface StrategyIssue {
  /** Path to the field, e.g. `steps[2].weight`. */
  readonly path: string
  readonly message: string
}

/** A strategy that cannot run. Raised before anything changes. */
export class StrategyInvalid extends Data.TaggedError("StrategyInvalid")<{
  readonly issues: ReadonlyArray<StrategyIssue>
}> {
  override get message(): string {
    return `invalid strategy:\n${this.issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`
  }
}

const MAX_STEPS = 100

// Schema reports paths as ["steps"][0]["weight"]; people read steps[0].weight.
const readablePath = (raw: string): string =>
  raw
    .replace(/\["([^"]+)"\]/g, ".$1")
    .replace(/^\./, "")
    .replace(/\.?\[(\d+)\]/g, "[$1]")

const schemaIssues = (message: string): Array<StrategyIssue> => {
  const issues: Array<StrategyIssue> = []
  const lines = message.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.startsWith("  at ")) continue
    const at = lines[i + 1]?.startsWith("  at ") ? readablePath(lines[i + 1]!.slice(5).trim()) : "(strategy)"
    issues.push({ path: at || "(strategy)", message: line.trim() })
  }
  return issues
}

// Rules a schema cannot express: they relate steps to each other.
const semanticIssues = (s: Strategy): Array<StrategyIssue> => {
  const issues: Array<StrategyIssue> = []
  if (s.steps.length === 0) {
    issues.push({ path: "steps", message: "at least one step is required; the plan must end at weight 100" })
    return issues
  }
  if (s.steps.length > MAX_STEPS) {
    issues.push({ path: "steps", message: `${s.steps.length} steps is more than the ${MAX_STEPS} allowed` })
  }
  let weight = 0
  let reached = false
  s.steps.forEach((step, i) => {
    switch (step._tag) {
      case "SetWeight":
        if (!Number.isInteger(step.weight)) {
          issues.push({
            path: `steps[${i}].weight`,
            message: `${step.weight} is not a whole percent; use an integer 0..100`,
          })
        }
        if (step.weight < weight) {
          issues.push({
            path: `steps[${i}].weight`,
            message: `${step.weight} is lower than the previous weight ${weight}; weights must not decrease (abort or roll back instead)`,
          })
        }
        weight = step.weight
        if (weight === 100) reached = true
        break
      case "Scale":
        if ((step.replicas === undefined) === (step.percent === undefined)) {
          issues.push({
            path: `steps[${i}]`,
            message: "a Scale step needs exactly one of `replicas` or `percent`",
          })
        }
        break
      case "Gate":
        if (step.gates !== undefined && step.gates.length === 0) {
          issues.push({
            path: `steps[${i}].gates`,
            message: "an empty gate list checks nothing; omit `gates` to run every gate",
          })
        }
        break
      case "Pause":
        break
    }
  })
  if (!reached) {
    issues.push({
      path: "steps",
      message: `the plan never sends 100% of traffic to the candidate (last weight ${weight}); end with a SetWeight of 100`,
    })
  }
  return issues
}

const decodeStrategy = Schema.decodeUnknownResult(Strategy)

const STEP_TAGS = ["SetWeight", "Pause", "Gate", "Scale"] as const

// A union mismatch reads "Expected { _tag: SetWeight … } | …"; say which tag was wrong instead.
const stepShapeMessage = (step: unknown): string | undefined => {
  const expected = `expected one of ${STEP_TAGS.join(", ")}`
  if (step === null || typeof step !== "object" || Array.isArray(step)) {
    return `a step must be an object with a \`_tag\`; ${expected}`
  }
  const tag = (step as { readonly _tag?: unknown })._tag
  if (tag === undefined) return `a step needs a \`_tag\`; ${expected}`
  if (typeof tag !== "string" || !(STEP_TAGS as ReadonlyArray<string>).includes(tag)) {
    return `unknown step type ${JSON.stringify(tag)}; ${expected}`
  }
  return undefined
}

const clarifyStepIssues = (input: unknown, issues: Array<StrategyIssue>): Array<StrategyIssue> => {
  const steps = (input as { readonly steps?: unknown } | null)?.steps
  if (!Array.isArray(steps)) return issues
  return issues.map((issue) => {
    const match = /^steps\[(\d+)\]$/.exec(issue.path)
    if (match === null) return issue
    const message = stepShapeMessage(steps[Number(match[1])])
    return message === undefined ? issue : { path: issue.path, message }
  })
}

/**
 * Checks a strategy, structurally and step against step, and returns every issue found
 * (an empty array means it is valid).
 *
 * @example
 * import { strategyIssues } from "@slipway/core"
 * strategyIssues({ kind: "canary", steps: [{ _tag: "SetWeight", weight: 50 }], ... })
 * // [{ path: "steps", message: "the plan never sends 100% of traffic to the candidate (last weight 50); …" }]
 */
export const strategyIssues = (input: unknown): ReadonlyArray<StrategyIssue> => {
  const decoded = decodeStrategy(input, { errors: "all", onExcessProperty: "error" })
  if (Result.isFailure(decoded)) return clarifyStepIssues(input, schemaIssues(decoded.failure.message))
  return semanticIssues(decoded.success)
}

/**
 * Validates unknown input as a strategy: succeeds with the typed strategy or fails with
 * `StrategyInvalid` naming each bad field and what would be valid.
 *
 * @example
 * import { validateStrategy } from "@slipway/core"
 * import { Effect } from "effect"
 * const program = validateStrategy(JSON.parse(text)).pipe(
 *   Effect.catchTag("StrategyInvalid", (e) => Effect.logError(e.message)),
 * )
 */
export const validateStrategy = (input: unknown): Effect.Effect<Strategy, StrategyInvalid> =>
  Effect.suspend(() => {
    const issues = strategyIssues(input)
    return issues.length > 0
      ? Effect.fail(new StrategyInvalid({ issues }))
      : Effect.succeed(Schema.decodeUnknownSync(Strategy)(input))
  })
