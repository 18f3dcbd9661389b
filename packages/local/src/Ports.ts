/**
 * Free TCP ports on the loopback interface, for replicas the supervisor starts. The
 * kernel picks an ephemeral port (bind to 0), which is released at once so the app can
 * bind it. Another process may take it in between; the supervisor restarts a replica
 * that fails with EADDRINUSE on a fresh port, and `exclude` keeps ports we handed out
 * (and whose app has not bound them yet) from being handed out twice.
 */
import { createServer } from "node:net"
import { Data, Effect, Schedule } from "effect"

/**
 * No free loopback port could be found.
 *
 * @example
 * import { freePort } from "@slipway/local"
 * import { Effect } from "effect"
 * freePort().pipe(Effect.catchTag("PortUnavailable", (e) => Effect.logError(e.message)))
 */
export class PortUnavailable extends Data.TaggedError("PortUnavailable")<{
  readonly message: string
  readonly cause?: unknown
}> {}

const bindEphemeral = (host: string): Effect.Effect<number, PortUnavailable> =>
  Effect.callback<number, PortUnavailable>((resume) => {
    const server = createServer()
    server.unref()
    server.once("error", (cause) =>
      resume(Effect.fail(new PortUnavailable({ message: `cannot bind ${host}:0: ${String(cause)}`, cause }))),
    )
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resume(Effect.succeed(port)))
    })
    return Effect.sync(() => server.close())
  })

/**
 * A port that was free on `host` (default 127.0.0.1) a moment ago and is not in `exclude`.
 *
 * @example
 * import { freePort } from "@slipway/local"
 * import { Effect } from "effect"
 * const port = await Effect.runPromise(freePort())
 */
export const freePort = (
  options: { readonly host?: string; readonly exclude?: ReadonlySet<number> } = {},
): Effect.Effect<number, PortUnavailable> => {
  const host = options.host ?? "127.0.0.1"
  const exclude = options.exclude ?? new Set<number>()
  return bindEphemeral(host).pipe(
    Effect.flatMap((port) =>
      exclude.has(port) || port === 0
        ? Effect.fail(new PortUnavailable({ message: `port ${port} is already assigned; picking another` }))
        : Effect.succeed(port),
    ),
    Effect.retry(Schedule.recurs(20)),
  )
}
