/**
 * core `MetricSource` on this machine: answers from the proxy's per-revision sliding
 * window (per-second buckets over the last 5 minutes, recent latency samples), so a
 * gate's "error rate over the last 30 s" counts exactly the requests the proxy finished.
 */
import { MetricError, MetricSource } from "@slipway/core"
import { Effect, Layer } from "effect"
import { PROXY_METRIC_NAMES } from "./ProxyMetrics.ts"
import { WeightedProxy } from "./WeightedProxy.ts"

/**
 * `MetricSource` over the `WeightedProxy`'s metrics. Metrics: `requests`, `errors`
 * (5xx, including the proxy's 502s), `error_rate`, `latency_p50|p90|p95|p99`,
 * `latency_mean` (ms), `latency` (samples, ms) and `rps`.
 *
 * @example
 * import { MetricSource } from "@slipway/core"
 * import { LocalMetricSource, WeightedProxy } from "@slipway/local"
 * import { Effect, Layer } from "effect"
 * const program = Effect.gen(function* () {
 *   const source = yield* MetricSource
 *   const r = yield* source.query({ app: "hello", revision: "hello-3f9c2a7b1d0e", metric: "error_rate", window: 30_000 })
 *   // r.value: 0.012, r.count: 250, r.query: 'error_rate{app="hello",revision="hello-3f9c2a7b1d0e"}[30s]'
 * }).pipe(Effect.provide(LocalMetricSource.layer.pipe(Layer.provideMerge(WeightedProxy.layer()))))
 */
export const layer: Layer.Layer<MetricSource, never, WeightedProxy> = Layer.effect(
  MetricSource,
  Effect.gen(function* () {
    const proxy = yield* WeightedProxy
    return MetricSource.of({
      query: (query) =>
        Effect.suspend(() => {
          const result = proxy.metrics.query(query)
          if (result !== undefined) return Effect.succeed(result)
          return Effect.fail(
            new MetricError({
              query: `${query.metric}{revision="${query.revision}"}`,
              message: `the local proxy has no metric "${query.metric}"; use one of: ${PROXY_METRIC_NAMES.join(", ")}`,
            }),
          )
        }),
    })
  }),
)
