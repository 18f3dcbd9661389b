/**
 * Threshold gates: read one metric of the candidate over a window and compare it with a
 * limit. "p95 412 ms ≥ 300 ms over 1m (n=318)" is a Fail; no data is Inconclusive, never
 * a Fail, so a quiet candidate is not rolled back for being quiet.
 */
import {
  type DurationInput,
  type Evidence,
  type Gate,
  type MetricName,
  type MetricSource,
  Verdict,
} from "@slipway/core"
import { Effect, Result } from "effect"
import { GateConfigError } from "./GateConfigError.ts"
import { formatValue, metricLabel, overWindow, shortValues } from "./internal/format.ts"
import { readMetric, unusableReason, usable } from "./internal/metrics.ts"
import { numberOption, positiveDurationOption } from "./internal/options.ts"
import { guard } from "./internal/verdicts.ts"

/**
 * Options of {@link threshold}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const options: Gate.ThresholdOptions = { metric: "error_rate", window: "2m", below: 0.005 }
 * const gate = Gate.threshold(options)
 */
export interface ThresholdOptions {
  readonly metric: MetricName
  /** Look-back window each check reads, e.g. `"1m"`. */
  readonly window: DurationInput
  /** Passes only while the value is strictly below this. */
  readonly below?: number
  /** Passes only while the value is strictly above this. */
  readonly above?: number
  /** Gate name (default e.g. `latency_p95 < 300`). */
  readonly name?: string
}

type Operator = "<" | "≤" | ">" | "≥"

interface Bound {
  readonly op: Operator
  readonly limit: number
}

const NEGATION: Record<Operator, Operator> = { "<": "≥", "≤": ">", ">": "≤", "≥": "<" }

const holds = (value: number, { op, limit }: Bound): boolean =>
  op === "<" ? value < limit : op === "≤" ? value <= limit : op === ">" ? value > limit : value >= limit

// One implementation behind threshold, errorRate and latency: the candidate's metric over
// the window must satisfy every bound.
const boundGate = (
  name: string,
  metric: MetricName,
  windowMs: number,
  bounds: ReadonlyArray<Bound>,
): Gate<MetricSource> => {
  const label = metricLabel(metric)
  const threshold = bounds.map((b) => `${b.op} ${b.limit}`).join(" and ")
  return {
    name,
    timing: { period: windowMs },
    check: (context) =>
      guard(
        name,
        Effect.gen(function* () {
          const read = yield* readMetric({
            app: context.app,
            revision: context.candidate.id,
            metric,
            window: windowMs,
          })
          if (Result.isFailure(read)) {
            return Verdict.Inconclusive({
              reason: `could not read ${label}: ${read.failure.message}`,
              evidence: [
                {
                  gate: name,
                  query: read.failure.query,
                  observed: null,
                  threshold,
                  detail: read.failure.message,
                },
              ],
            })
          }
          const result = read.success
          const evidence = (observed: number | null): Evidence => {
            const values = shortValues(result.samples)
            return {
              gate: name,
              query: result.query,
              observed,
              threshold,
              sampleSize: result.count,
              ...(values === undefined ? {} : { values }),
            }
          }
          if (!usable(result)) {
            return Verdict.Inconclusive({
              reason: `${unusableReason(label, result)}${overWindow(windowMs, result.count)}`,
              evidence: [evidence(null)],
            })
          }
          const value = result.value
          const broken = bounds.filter((bound) => !holds(value, bound))
          const shown = formatValue(metric, value)
          if (broken.length > 0) {
            const failed = broken
              .map((b) => `${NEGATION[b.op]} ${formatValue(metric, b.limit)}`)
              .join(" and ")
            return Verdict.Fail({
              reason: `${label} ${shown} ${failed}${overWindow(windowMs, result.count)}`,
              evidence: [evidence(value)],
            })
          }
          const kept = bounds.map((b) => `${b.op} ${formatValue(metric, b.limit)}`).join(" and ")
          return Verdict.Pass({
            reason: `${label} ${shown} ${kept}${overWindow(windowMs, result.count)}`,
            evidence: [evidence(value)],
          })
        }),
      ),
  }
}

/**
 * Passes while the candidate's `metric` over `window` stays strictly `below` and/or
 * `above` the given limits. No data is Inconclusive.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const p95 = Gate.threshold({ metric: "latency_p95", window: "1m", below: 300 })
 * const busy = Gate.threshold({ metric: "requests", window: "5m", above: 0, name: "has traffic" })
 */
export const threshold = (options: ThresholdOptions): Gate<MetricSource> => {
  const describe = [
    options.below === undefined ? undefined : `< ${options.below}`,
    options.above === undefined ? undefined : `> ${options.above}`,
  ]
    .filter((part) => part !== undefined)
    .join(" ")
  const name = options.name ?? `${options.metric} ${describe}`.trim()
  const windowMs = positiveDurationOption(name, "window", options.window)
  const bounds: Array<Bound> = []
  if (options.below !== undefined) bounds.push({ op: "<", limit: numberOption(name, "below", options.below) })
  if (options.above !== undefined) bounds.push({ op: ">", limit: numberOption(name, "above", options.above) })
  if (bounds.length === 0) {
    throw new GateConfigError({
      gate: name,
      field: "below/above",
      problem: "are both missing; give at least one limit",
    })
  }
  return boundGate(name, options.metric, windowMs, bounds)
}

/**
 * Options of {@link errorRate}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.errorRate({ max: 0.001, window: "5m", name: "errors below 0.1%" })
 */
export interface ErrorRateOptions {
  /** Highest acceptable share of 5xx responses, as a ratio: `0.01` is 1%. */
  readonly max: number
  readonly window: DurationInput
  /** Gate name (default `error-rate`). */
  readonly name?: string
}

/**
 * Passes while the candidate's error rate (5xx responses ÷ requests) over `window` is at
 * most `max`. "error rate 4.2% > 1% over 1m (n=318)".
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const errors = Gate.errorRate({ max: 0.01, window: "1m" })
 */
export const errorRate = (options: ErrorRateOptions): Gate<MetricSource> => {
  const name = options.name ?? "error-rate"
  const max = numberOption(name, "max", options.max)
  if (max < 0 || max > 1) {
    throw new GateConfigError({
      gate: name,
      field: "max",
      problem: `${max} is not a ratio between 0 and 1; an error rate of 1% is written 0.01`,
    })
  }
  return boundGate(name, "error_rate", positiveDurationOption(name, "window", options.window), [
    { op: "≤", limit: max },
  ])
}

/**
 * Options of {@link latency}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.latency({ percentile: 99, max: "1s", window: "5m" })
 */
export interface LatencyOptions {
  /** Which percentile (default 95). */
  readonly percentile?: 50 | 95 | 99
  /** Slowest acceptable value of that percentile: `300` (ms) or `"300ms"`. */
  readonly max: DurationInput
  readonly window: DurationInput
  /** Gate name (default `latency-p95`). */
  readonly name?: string
}

/**
 * Passes while the candidate's latency percentile over `window` is at most `max`.
 * "p95 412 ms > 300 ms over 1m (n=318)".
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const p99 = Gate.latency({ percentile: 99, max: "800ms", window: "5m" })
 */
export const latency = (options: LatencyOptions): Gate<MetricSource> => {
  const percentile = options.percentile ?? 95
  const name = options.name ?? `latency-p${percentile}`
  if (![50, 95, 99].includes(percentile)) {
    throw new GateConfigError({
      gate: name,
      field: "percentile",
      problem: `${percentile} is not one of 50, 95, 99`,
    })
  }
  const max = positiveDurationOption(name, "max", options.max)
  return boundGate(name, `latency_p${percentile}`, positiveDurationOption(name, "window", options.window), [
    { op: "≤", limit: max },
  ])
}
