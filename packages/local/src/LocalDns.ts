/**
 * core `Dns` on this machine: `http://<app>.localhost:<proxyPort>`. Names under
 * `.localhost` resolve to the loopback address (RFC 6761) in browsers and curl without any
 * setup, and the proxy routes by that name, so the address is stable whatever revision
 * serves it.
 */
import { Dns, DnsError } from "@slipway/core"
import { Effect, Layer } from "effect"
import { WeightedProxy } from "./WeightedProxy.ts"

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * The local `Dns` over the `WeightedProxy`.
 *
 * @example
 * import { Dns } from "@slipway/core"
 * import { LocalDns, WeightedProxy } from "@slipway/local"
 * import { Effect, Layer } from "effect"
 * const program = Effect.gen(function* () {
 *   const url = yield* (yield* Dns).ensure("hello") // "http://hello.localhost:4780"
 * }).pipe(Effect.provide(LocalDns.layer.pipe(Layer.provideMerge(WeightedProxy.layer({ port: 4780 })))))
 */
export const layer: Layer.Layer<Dns, never, WeightedProxy> = Layer.effect(
  Dns,
  Effect.gen(function* () {
    const proxy = yield* WeightedProxy
    return Dns.of({
      ensure: (app) =>
        LABEL.test(app)
          ? Effect.succeed(`http://${app}.localhost:${proxy.port}`)
          : Effect.fail(
              new DnsError({
                name: app,
                message: `app name "${app}" cannot be a DNS label; use 1–63 lowercase letters, digits and hyphens, not starting or ending with a hyphen`,
              }),
            ),
    })
  }),
)
