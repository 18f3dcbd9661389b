/**
 * Options every strategy constructor accepts: how gates are evaluated while a step bakes,
 * how long the old side is kept after promotion or rollback, and how long a step may wait
 * for the candidate to become ready. Durations are written the way people write them.
 */
import {
  type DurationInput,
  defaultAnalysis,
  defaultProgressDeadline,
  defaultScaleDownDelay,
  type Strategy,
} from "@slipway/core"
import type { Policies } from "./internal/Build.ts"
import type { Checker } from "./internal/Check.ts"

/**
 * Background analysis while a step bakes (all optional; defaults from `@slipway/core`:
 * every 10s, failureLimit 0, inconclusiveLimit 3, then pause).
 *
 * @example
 * import { canary } from "@slipway/strategies"
 * canary({ steps: [{ weight: 10, bake: "5m" }], analysis: { interval: "1m", failureLimit: 2 } })
 */
export interface AnalysisOptions {
  /** Time between background gate evaluations during a bake. Default `"10s"`. */
  readonly interval?: DurationInput
  /** Failing verdicts tolerated before rolling back. Default 0 (the first Fail rolls back). */
  readonly failureLimit?: number
  /** Consecutive Inconclusive verdicts tolerated before `onInconclusiveLimit` applies. Default 3. */
  readonly inconclusiveLimit?: number
  /** Past the limit: `"pause"` for a person to decide (default) or `"fail"` and roll back. */
  readonly onInconclusiveLimit?: "pause" | "fail"
}

/**
 * Policies shared by every constructor.
 *
 * @example
 * import { linear } from "@slipway/strategies"
 * linear({ stepPercent: 20, interval: "2m", scaleDownDelay: "5m", progressDeadline: "15m" })
 */
export interface CommonOptions {
  readonly analysis?: AnalysisOptions
  /** How long the old side keeps running after promotion or rollback, for a fast way back. Default `"30s"`. */
  readonly scaleDownDelay?: DurationInput
  /** Longest a step may wait for the candidate to become ready. Default `"10m"`. */
  readonly progressDeadline?: DurationInput
}

/** Option keys every constructor accepts. */
export const commonKeys = ["analysis", "scaleDownDelay", "progressDeadline"] as const

const analysisKeys = ["interval", "failureLimit", "inconclusiveLimit", "onInconclusiveLimit"] as const

const readAnalysis = (c: Checker, value: unknown): Strategy["analysis"] | undefined => {
  if (value === undefined) return defaultAnalysis
  const a = c.record("analysis", value, '{ interval: "1m", failureLimit: 1 }')
  if (a === undefined) return undefined
  c.knownKeys("analysis", a, analysisKeys)
  const interval =
    a.interval === undefined ? defaultAnalysis.interval : c.duration("analysis.interval", a.interval, true)
  const failureLimit =
    a.failureLimit === undefined
      ? defaultAnalysis.failureLimit
      : c.wholeNumber("analysis.failureLimit", a.failureLimit, 0, "failures")
  const inconclusiveLimit =
    a.inconclusiveLimit === undefined
      ? defaultAnalysis.inconclusiveLimit
      : c.wholeNumber("analysis.inconclusiveLimit", a.inconclusiveLimit, 0, "verdicts")
  const onInconclusiveLimit =
    a.onInconclusiveLimit === undefined
      ? defaultAnalysis.onInconclusiveLimit
      : c.oneOf("analysis.onInconclusiveLimit", a.onInconclusiveLimit, ["pause", "fail"])
  if (
    interval === undefined ||
    failureLimit === undefined ||
    inconclusiveLimit === undefined ||
    onInconclusiveLimit === undefined
  ) {
    return undefined
  }
  return { interval, failureLimit, inconclusiveLimit, onInconclusiveLimit }
}

/** Reads the shared policies, recording an issue per bad field; `undefined` if any was bad. */
export const readPolicies = (c: Checker, options: Record<string, unknown>): Policies | undefined => {
  const analysis = readAnalysis(c, options.analysis)
  const scaleDownDelay =
    options.scaleDownDelay === undefined
      ? defaultScaleDownDelay
      : c.duration("scaleDownDelay", options.scaleDownDelay, false)
  const progressDeadline =
    options.progressDeadline === undefined
      ? defaultProgressDeadline
      : c.duration("progressDeadline", options.progressDeadline, true)
  if (analysis === undefined || scaleDownDelay === undefined || progressDeadline === undefined)
    return undefined
  return { analysis, scaleDownDelay, progressDeadline }
}
