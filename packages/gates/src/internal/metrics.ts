/** Reading a metric for a gate: errors become text for an Inconclusive reason. Internal. */
import {
  type GateContext,
  type MetricName,
  type MetricQuery,
  type MetricResult,
  MetricSource,
  Verdict,
} from "@slipway/core"
import { Effect, Result } from "effect"

/** A failed read: the query as the source would have run it, and why it failed. */
export interface ReadFailure {
  readonly query: string
  readonly message: string
}

/** Queries the metric source; a `MetricError` comes back as a value, never as a failure. */
export const readMetric = (
  query: MetricQuery,
): Effect.Effect<Result.Result<MetricResult, ReadFailure>, never, MetricSource> =>
  Effect.gen(function* () {
    const source = yield* MetricSource
    const result = yield* Effect.result(source.query(query))
    return Result.isSuccess(result)
      ? Result.succeed(result.success)
      : Result.fail({ query: result.failure.query, message: result.failure.message })
  })

/** A value a gate can compare: present and a number. */
export const usable = (result: MetricResult): result is MetricResult & { readonly value: number } =>
  result.value !== null && !Number.isNaN(result.value)

/** Why a value cannot be used, for an Inconclusive reason. */
export const unusableReason = (metric: MetricName, result: MetricResult): string =>
  result.value === null ? `no data for ${metric}` : `${metric} is not a number (NaN)`

/**
 * Reads one metric for the candidate and for stable, for gates that compare the two.
 * Succeeds with both results, or with the Inconclusive verdict that explains why there is
 * nothing to compare (a first deployment, or a read that failed).
 */
export const readCandidateAndStable = (options: {
  readonly gate: string
  readonly label: string
  readonly threshold: string
  readonly metric: MetricName
  readonly windowMs: number
  readonly context: GateContext
}): Effect.Effect<
  Result.Result<{ readonly candidate: MetricResult; readonly stable: MetricResult }, Verdict>,
  never,
  MetricSource
> =>
  Effect.gen(function* () {
    const { gate, label, threshold, metric, windowMs, context } = options
    const stable = context.stable
    if (stable === null) {
      return Result.fail(
        Verdict.Inconclusive({
          reason: `no stable revision to compare ${label} against (first deployment)`,
          evidence: [{ gate, threshold, observed: null, detail: "no stable revision" }],
        }),
      )
    }
    const [candidateRead, stableRead] = yield* Effect.all(
      [
        readMetric({ app: context.app, revision: context.candidate.id, metric, window: windowMs }),
        readMetric({ app: context.app, revision: stable.id, metric, window: windowMs }),
      ],
      { concurrency: 2 },
    )
    const failures = [candidateRead, stableRead].filter(Result.isFailure)
    if (failures.length > 0) {
      return Result.fail(
        Verdict.Inconclusive({
          reason: `could not read ${label}: ${failures.map((f) => f.failure.message).join("; ")}`,
          evidence: failures.map((f) => ({
            gate,
            query: f.failure.query,
            observed: null,
            threshold,
            detail: f.failure.message,
          })),
        }),
      )
    }
    return Result.succeed({
      candidate: Result.getOrThrow(candidateRead),
      stable: Result.getOrThrow(stableRead),
    })
  })
