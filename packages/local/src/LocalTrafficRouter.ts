/**
 * core `TrafficRouter` on this machine: weights are the proxy's routing table, so
 * `setWeights` is in effect for the very next request when it returns.
 */
import { TrafficRouter } from "@slipway/core"
import { Effect, Layer } from "effect"
import { WeightedProxy } from "./WeightedProxy.ts"

/**
 * `TrafficRouter` over the `WeightedProxy`.
 *
 * @example
 * import { TrafficRouter } from "@slipway/core"
 * import { LocalTrafficRouter, WeightedProxy } from "@slipway/local"
 * import { Effect, Layer } from "effect"
 * const program = Effect.gen(function* () {
 *   const router = yield* TrafficRouter
 *   yield* router.setWeights("hello", { "hello-a": 80, "hello-b": 20 })
 * }).pipe(Effect.provide(LocalTrafficRouter.layer.pipe(Layer.provideMerge(WeightedProxy.layer()))))
 */
export const layer: Layer.Layer<TrafficRouter, never, WeightedProxy> = Layer.effect(
  TrafficRouter,
  Effect.gen(function* () {
    const proxy = yield* WeightedProxy
    return TrafficRouter.of({
      setWeights: (app, weights) => proxy.setWeights(app, weights),
      weights: (app) => proxy.weights(app),
    })
  }),
)
