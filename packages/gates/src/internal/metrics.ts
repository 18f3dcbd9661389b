/** Reading a metric for a gate: errors become text for an Inconclusive reason. Internal. */
import { type MetricName, type MetricQuery, type MetricResult, MetricSource } from "@slipway/core"
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
