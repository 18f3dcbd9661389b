/**
 * One HTTP health probe against a replica: `GET http://127.0.0.1:<port><path>` on a fresh
 * connection (no keep-alive, so probes never hold a replica open while it shuts down).
 */
import { request } from "node:http"
import { Effect } from "effect"

/** The outcome of a probe: a status code, or why there was none. */
export type ProbeResult = { readonly status: number } | { readonly error: string }

/**
 * Probes `path` on `127.0.0.1:port`, giving up after `timeoutMs`.
 *
 * @example
 * import { probeHttp } from "@slipway/local"
 * import { Effect } from "effect"
 * const result = await Effect.runPromise(probeHttp(4001, "/healthz", 2_000)) // { status: 200 }
 */
export const probeHttp = (port: number, path: string, timeoutMs: number): Effect.Effect<ProbeResult> =>
  Effect.callback<ProbeResult>((resume) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "GET",
        agent: false,
        headers: { "user-agent": "slipway-health/1" },
      },
      (res) => {
        res.resume()
        res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0 })))
        res.on("error", (err) => resume(Effect.succeed({ error: err.message })))
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs}ms`)))
    req.on("error", (err: Error & { code?: string }) =>
      resume(Effect.succeed({ error: err.code ?? err.message })),
    )
    req.end()
    return Effect.sync(() => req.destroy())
  })
