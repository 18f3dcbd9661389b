/**
 * The proxy's admin listener: metrics and routing state for gates, the agent and people,
 * on its own port bound to 127.0.0.1 — never on the public app port, so an app's users
 * cannot read (or be confused by) Slipway's endpoints.
 *
 * - `GET /__slipway/metrics` — Prometheus text (`slipway_requests_total`,
 *   `slipway_request_duration_seconds`, weights, in-flight)
 * - `GET /__slipway/routes` — JSON routing state of every app
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { Context, Effect, Layer } from "effect"
import { ProxyListenError, WeightedProxy } from "./WeightedProxy.ts"

/** What the admin listener tells its users: where it listens. */
export interface AdminServerShape {
  readonly port: number
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
}

const make = (options: { readonly port?: number }) =>
  Effect.gen(function* () {
    const proxy = yield* WeightedProxy
    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      const path = (req.url ?? "/").split("?")[0]
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n")
        return
      }
      if (path === "/__slipway/metrics") {
        const text = Effect.runSync(proxy.prometheus)
        res.writeHead(200, {
          "content-type": "text/plain; version=0.0.4; charset=utf-8",
          "cache-control": "no-store",
        })
        res.end(req.method === "HEAD" ? undefined : text)
        return
      }
      if (path === "/__slipway/routes") {
        const body = JSON.stringify(Effect.runSync(proxy.routes), null, 2)
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
        res.end(req.method === "HEAD" ? undefined : body)
        return
      }
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end("not found; try /__slipway/metrics or /__slipway/routes\n")
    }
    const server = createServer(handle)
    const port = yield* Effect.callback<number, ProxyListenError>((resume) => {
      const onError = (cause: Error) =>
        resume(
          Effect.fail(
            new ProxyListenError({
              port: options.port ?? 0,
              message: `the admin listener could not listen on 127.0.0.1:${options.port ?? 0}: ${cause.message}; set another adminPort (or 0)`,
              cause,
            }),
          ),
        )
      server.once("error", onError)
      server.listen(options.port ?? 0, "127.0.0.1", () => {
        server.off("error", onError)
        const address = server.address()
        resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
      })
    })
    yield* Effect.addFinalizer(() =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      }),
    )
    return AdminServer.of({ port, url: `http://127.0.0.1:${port}` })
  })

/**
 * The admin listener over a `WeightedProxy`.
 *
 * @example
 * import { AdminServer, WeightedProxy } from "@slipway/local"
 * import { Effect, Layer } from "effect"
 * const layer = AdminServer.layer({ port: 0 }).pipe(Layer.provideMerge(WeightedProxy.layer()))
 * const program = Effect.gen(function* () {
 *   const admin = yield* AdminServer
 *   return yield* Effect.promise(() => fetch(`${admin.url}/__slipway/metrics`).then((r) => r.text()))
 * })
 */
export class AdminServer extends Context.Service<AdminServer, AdminServerShape>()(
  "@slipway/local/AdminServer",
) {
  static readonly layer = (
    options: { readonly port?: number } = {},
  ): Layer.Layer<AdminServer, ProxyListenError, WeightedProxy> => Layer.effect(AdminServer, make(options))
}
