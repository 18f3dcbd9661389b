/**
 * core `Compute` on this machine: the `Supervisor`'s replica processes.
 */
import { Compute } from "@slipway/core"
import { Effect, Layer } from "effect"
import { Supervisor } from "./Supervisor.ts"

/**
 * `Compute` over the `Supervisor`: `ensure` starts or scales a revision and waits for its
 * replicas' health checks (failing with the replicas' state and last log lines),
 * `scale(id, 0)` stops replicas gracefully, `health` reports ready replicas and restarts.
 *
 * @example
 * import { Compute } from "@slipway/core"
 * import { LocalCompute, Supervisor, WeightedProxy } from "@slipway/local"
 * import { Effect, Layer } from "effect"
 * const layer = LocalCompute.layer.pipe(
 *   Layer.provideMerge(Supervisor.layer({ stateDir: ".slipway" })),
 *   Layer.provideMerge(WeightedProxy.layer()),
 * )
 * const program = Effect.gen(function* () {
 *   const health = yield* (yield* Compute).ensure(revision, 2)
 * }).pipe(Effect.provide(layer))
 */
export const layer: Layer.Layer<Compute, never, Supervisor> = Layer.effect(
  Compute,
  Effect.gen(function* () {
    const supervisor = yield* Supervisor
    return Compute.of({
      ensure: supervisor.ensure,
      scale: supervisor.scale,
      health: supervisor.health,
    })
  }),
)
