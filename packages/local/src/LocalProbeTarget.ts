/**
 * `@slipway/gates`' `ProbeTarget` on this machine: a probe written with a path
 * (`Gate.http("/healthz")`) goes straight to a ready replica of the revision it judges,
 * bypassing the proxy's weights — so a candidate at 0% traffic can be probed.
 */
import { ProbeTarget, ProbeTargetError } from "@slipway/gates"
import { Effect, Layer } from "effect"
import { WeightedProxy } from "./WeightedProxy.ts"

/**
 * `ProbeTarget` over the `WeightedProxy`'s table of ready replicas (round robin).
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * import { LocalProbeTarget, WeightedProxy } from "@slipway/local"
 * import { Layer } from "effect"
 * const health = Gate.http("/healthz") // Gate<ProbeTarget>
 * const layer = LocalProbeTarget.layer.pipe(Layer.provideMerge(WeightedProxy.layer()))
 */
export const layer: Layer.Layer<ProbeTarget, never, WeightedProxy> = Layer.effect(
  ProbeTarget,
  Effect.gen(function* () {
    const proxy = yield* WeightedProxy
    return ProbeTarget.of({
      resolve: (revision) => {
        const url = proxy.revisionAddress(revision.id)
        return url === undefined
          ? Effect.fail(
              new ProbeTargetError({
                revision: revision.id,
                message: `revision ${revision.id} has no ready replica on this machine; ensure it (Compute.ensure) first`,
              }),
            )
          : Effect.succeed(url)
      },
    })
  }),
)
