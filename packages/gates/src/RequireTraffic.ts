/**
 * Not enough traffic is not a failure. A canary at 5% of a quiet service may see a
 * handful of requests in a minute; judging it on those (or on none) fails healthy
 * releases — the most reported complaint about Argo Rollouts and Flagger. This gate says
 * Inconclusive until the candidate has served enough requests, and never says Fail.
 */
import {
  type DurationInput,
  formatDuration,
  type Gate,
  type GateContext,
  type MetricName,
  type MetricSource,
  Verdict,
} from "@slipway/core"
import { Effect, Result } from "effect"
import { readMetric } from "./internal/metrics.ts"
import { countOption, positiveDurationOption } from "./internal/options.ts"
import { guard, sameKind } from "./internal/verdicts.ts"

/**
 * Options of {@link requireTraffic}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.requireTraffic(500, { metric: "requests", window: "5m", name: "enough traffic" })
 */
export interface RequireTrafficOptions {
  /** What is counted (default `requests`); the source's sample count for that metric is compared. */
  readonly metric?: MetricName
  /** Look-back window (default `"1m"`). */
  readonly window?: DurationInput
  /** Gate name (default `traffic ≥ 100`). */
  readonly name?: string
}

/**
 * A gate that passes once the candidate has at least `minSamples` samples, and is also
 * a function that guards another gate with that requirement.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const enough = Gate.requireTraffic(100) // a TrafficGate
 * const asGate = Gate.all(enough, Gate.http("/healthz"))
 * const asWrapper = enough(Gate.latency({ max: 300, window: "1m" }))
 */
export interface TrafficGate extends Gate<MetricSource> {
  /**
   * Runs `gate` only once the candidate has enough traffic; until then the result is
   * Inconclusive (never Fail) and `gate` is not evaluated.
   */
  <R>(gate: Gate<R>): Gate<R | MetricSource>
}

/**
 * Inconclusive (never Fail) while the candidate has fewer than `minSamples` requests in
 * the window; Pass once it has enough. Use it alone, next to other gates, or as a
 * wrapper: `requireTraffic(100)(errorRate(...))` judges the error rate only on enough
 * traffic.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const enough = Gate.requireTraffic(100, { window: "2m" })
 * const errors = Gate.requireTraffic(100)(Gate.errorRate({ max: 0.01, window: "1m" }))
 */
export const requireTraffic = (minSamples: number, options: RequireTrafficOptions = {}): TrafficGate => {
  const metric = options.metric ?? "requests"
  const name = options.name ?? `traffic ≥ ${minSamples}`
  countOption(name, "minSamples", minSamples, 0)
  const windowMs = positiveDurationOption(name, "window", options.window ?? "1m")
  const threshold = `≥ ${minSamples} ${metric}`
  const what = metric === "requests" ? "requests" : `${metric} samples`

  // Pass when there is enough traffic, Inconclusive otherwise (including when it cannot be read).
  const traffic = (context: GateContext) =>
    Effect.gen(function* () {
      const read = yield* readMetric({
        app: context.app,
        revision: context.candidate.id,
        metric,
        window: windowMs,
      })
      if (Result.isFailure(read)) {
        return Verdict.Inconclusive({
          reason: `could not count the candidate's ${what}: ${read.failure.message}`,
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
      const count = read.success.count
      const evidence = [
        { gate: name, query: read.success.query, observed: count, threshold, sampleSize: count },
      ]
      const window = formatDuration(windowMs)
      return count < minSamples
        ? Verdict.Inconclusive({
            reason: `only ${count} ${what} to the candidate over ${window} (need ≥ ${minSamples}); not judging yet`,
            evidence,
          })
        : Verdict.Pass({
            reason: `${count} ${what} to the candidate over ${window} (≥ ${minSamples})`,
            evidence,
          })
    })

  const wrap = <R>(gate: Gate<R>): Gate<R | MetricSource> => ({
    ...gate,
    name: gate.name,
    timing: { ...gate.timing, period: Math.max(gate.timing?.period ?? 0, windowMs) },
    check: (context) =>
      guard(
        gate.name,
        Effect.gen(function* () {
          const enough = yield* traffic(context)
          if (enough._tag !== "Pass") {
            return Verdict.Inconclusive({
              reason: `${gate.name} not evaluated: ${enough.reason}`,
              evidence: enough.evidence,
            })
          }
          const verdict = yield* gate.check(context)
          return sameKind(verdict, verdict.reason, [...enough.evidence, ...verdict.evidence])
        }),
      ),
  })

  // A function that is also a gate: callable as a wrapper, usable as a plain gate.
  const gate = (<R>(inner: Gate<R>) => wrap(inner)) as TrafficGate
  Object.defineProperties(gate, {
    name: { value: name, enumerable: true },
    check: { value: (context: GateContext) => guard(name, traffic(context)), enumerable: true },
    timing: { value: { period: windowMs }, enumerable: true },
  })
  return gate
}
