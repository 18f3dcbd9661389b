/**
 * Candidate against stable: the same metric, the same window, read for both revisions
 * at the same moment, so that a slow day does not fail a good release and a bad release
 * is not hidden by a good day. Without a stable revision there is nothing to compare
 * with, and the verdict says so (Inconclusive).
 */
import {
  type DurationInput,
  type Evidence,
  formatDuration,
  type Gate,
  type MetricName,
  type MetricSource,
  Verdict,
} from "@slipway/core"
import { Effect, Result } from "effect"
import { GateConfigError } from "./GateConfigError.ts"
import { formatDelta, formatNumber, formatValue, metricLabel, overWindow } from "./internal/format.ts"
import { readCandidateAndStable, unusableReason, usable } from "./internal/metrics.ts"
import { numberOption, positiveDurationOption } from "./internal/options.ts"
import { guard } from "./internal/verdicts.ts"

/**
 * Which way a metric gets worse.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const throughput = Gate.compare({ metric: "orders", window: "5m", maxRelativeIncrease: 0.1, direction: "lower-is-worse" })
 */
export type Direction = "higher-is-worse" | "lower-is-worse"

/**
 * Options of {@link compare}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const options: Gate.CompareOptions = { metric: "latency_p99", window: "5m", maxRelativeIncrease: 0.25 }
 * const gate = Gate.compare(options)
 */
export interface CompareOptions {
  readonly metric: MetricName
  readonly window: DurationInput
  /** Largest tolerated worsening relative to stable: `0.2` is +20%. */
  readonly maxRelativeIncrease?: number
  /** Largest tolerated worsening in the metric's unit: `50` (ms), `0.005` (error rate). */
  readonly maxAbsoluteIncrease?: number
  /** Default `higher-is-worse` (latency, errors); `lower-is-worse` for throughput or conversions. */
  readonly direction?: Direction
  /** Gate name (default `compare error_rate`). */
  readonly name?: string
}

/**
 * Compares the candidate's `metric` with the stable revision's over the same window.
 * With one limit, the candidate fails when it is worse by more than that limit. With
 * both, it fails only when it is worse by more than both — the absolute limit is then a
 * noise floor, so an error rate going from 0.01% to 0.03% (+200%, but +0.02 points) does
 * not roll back a release.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const noSlower = Gate.compare({ metric: "latency_p95", window: "5m", maxRelativeIncrease: 0.2, maxAbsoluteIncrease: 25 })
 * const noWorseErrors = Gate.compare({ metric: "error_rate", window: "5m", maxAbsoluteIncrease: 0.005 })
 */
export const compare = (options: CompareOptions): Gate<MetricSource> => {
  const { metric } = options
  const name = options.name ?? `compare ${metric}`
  const windowMs = positiveDurationOption(name, "window", options.window)
  const direction = options.direction ?? "higher-is-worse"
  const relative =
    options.maxRelativeIncrease === undefined
      ? undefined
      : numberOption(name, "maxRelativeIncrease", options.maxRelativeIncrease)
  const absolute =
    options.maxAbsoluteIncrease === undefined
      ? undefined
      : numberOption(name, "maxAbsoluteIncrease", options.maxAbsoluteIncrease)
  if (relative === undefined && absolute === undefined) {
    throw new GateConfigError({
      gate: name,
      field: "maxRelativeIncrease/maxAbsoluteIncrease",
      problem: "are both missing; give at least one (e.g. maxRelativeIncrease: 0.2 for +20%)",
    })
  }
  if ((relative ?? 0) < 0 || (absolute ?? 0) < 0) {
    throw new GateConfigError({
      gate: name,
      field: "maxRelativeIncrease/maxAbsoluteIncrease",
      problem: "must be ≥ 0",
    })
  }
  const label = metricLabel(metric)
  const worse = direction === "higher-is-worse" ? "higher" : "lower"
  const threshold = [
    relative === undefined ? undefined : `${worse} by ≤ ${formatNumber(relative * 100)}%`,
    absolute === undefined ? undefined : `${worse} by ≤ ${absolute}`,
  ]
    .filter((part) => part !== undefined)
    .join(" or ")
    .concat(" vs stable")

  return {
    name,
    timing: { period: windowMs },
    check: (context) =>
      guard(
        name,
        Effect.gen(function* () {
          const read = yield* readCandidateAndStable({
            gate: name,
            label,
            threshold,
            metric,
            windowMs,
            context,
          })
          if (Result.isFailure(read)) return read.failure
          const { candidate, stable: baseline } = read.success
          const side = (which: string, result: typeof candidate, detail?: string): Evidence => ({
            gate: name,
            query: result.query,
            observed: usable(result) ? result.value : null,
            threshold,
            sampleSize: result.count,
            detail: detail === undefined ? which : `${which}; ${detail}`,
          })
          if (!usable(candidate) || !usable(baseline)) {
            const missing = !usable(candidate)
              ? `${unusableReason(label, candidate)} on the candidate`
              : `${unusableReason(label, baseline)} on stable`
            return Verdict.Inconclusive({
              reason: `${missing}${overWindow(windowMs, usable(candidate) ? baseline.count : candidate.count)}`,
              evidence: [side("candidate", candidate), side("stable", baseline)],
            })
          }
          // Positive `worsening` means the candidate is worse, whichever direction that is.
          const worsening =
            direction === "higher-is-worse"
              ? candidate.value - baseline.value
              : baseline.value - candidate.value
          const relativeWorsening =
            baseline.value === 0
              ? worsening > 0
                ? Number.POSITIVE_INFINITY
                : 0
              : worsening / Math.abs(baseline.value)
          const exceeded = [
            relative === undefined ? undefined : relativeWorsening > relative,
            absolute === undefined ? undefined : worsening > absolute,
          ].filter((e) => e !== undefined)
          const fails = exceeded.every(Boolean)
          const delta = candidate.value - baseline.value
          const change = `${formatDelta(metric, delta)}${
            baseline.value === 0
              ? ""
              : `, ${delta >= 0 ? "+" : "-"}${formatNumber(Math.abs(delta / baseline.value) * 100)}%`
          }`
          const summary =
            `${label} ${formatValue(metric, candidate.value)} vs stable ${formatValue(metric, baseline.value)} ` +
            `(${change})`
          const limits = [
            relative === undefined ? undefined : `${formatNumber(relative * 100)}%`,
            absolute === undefined ? undefined : formatDelta(metric, absolute).slice(1),
          ]
            .filter((part) => part !== undefined)
            .join(" and ")
          const window = ` over ${formatDuration(windowMs)} (n=${candidate.count}/${baseline.count})`
          const evidence = [side("candidate", candidate, `change ${change}`), side("stable", baseline)]
          return fails
            ? Verdict.Fail({ reason: `${summary}: ${worse} by more than ${limits}${window}`, evidence })
            : Verdict.Pass({ reason: `${summary}: within ${limits}${window}`, evidence })
        }),
      ),
  }
}
