/**
 * Where a revision can be reached. Probes written with a path (`http("/healthz")`) are
 * resolved against the candidate's (or stable's) own address, not the shared entry point,
 * so they judge that revision alone. The provider knows the addresses: `@slipway/local`
 * (the port its supervisor assigned) and `@slipway/aws` (a task or target address).
 */
import type { Revision } from "@slipway/core"
import { Context, Data, Effect, Layer } from "effect"

/**
 * A revision's address could not be found (not running, unknown to the provider).
 *
 * @example
 * import { ProbeTargetError } from "@slipway/gates"
 * new ProbeTargetError({ revision: "api-3f9c2a7b1d0e", message: "no replica is listening yet" })
 */
export class ProbeTargetError extends Data.TaggedError("ProbeTargetError")<{
  readonly revision: string
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Resolves a revision to the base URL of one of its replicas (`http://127.0.0.1:41234`).
 *
 * @example
 * import { ProbeTarget, http } from "@slipway/gates"
 * import { Effect } from "effect"
 * const resolveByPort = ProbeTarget.of({
 *   resolve: (revision) => Effect.succeed(`http://127.0.0.1:${revision.config.port}`),
 * })
 * const health = http("/healthz") // needs ProbeTarget
 */
export class ProbeTarget extends Context.Service<
  ProbeTarget,
  { readonly resolve: (revision: Revision) => Effect.Effect<string, ProbeTargetError> }
>()("@slipway/gates/ProbeTarget") {
  /**
   * Fixed addresses by revision id — for tests, or for revisions whose address is known.
   *
   * @example
   * import { ProbeTarget } from "@slipway/gates"
   * const layer = ProbeTarget.layerMemory({ "api-3f9c2a7b1d0e": "http://127.0.0.1:4001" })
   */
  static layerMemory(addresses: Readonly<Record<string, string>>): Layer.Layer<ProbeTarget> {
    return Layer.succeed(
      ProbeTarget,
      ProbeTarget.of({
        resolve: (revision) => {
          const address = addresses[revision.id]
          return address === undefined
            ? Effect.fail(
                new ProbeTargetError({
                  revision: revision.id,
                  message: `no address for revision ${revision.id}; known: ${Object.keys(addresses).join(", ") || "none"}`,
                }),
              )
            : Effect.succeed(address)
        },
      }),
    )
  }
}
