/**
 * Requests sent to the app, so that there is something to observe. On this machine they
 * are real HTTP requests through the local proxy; in memory there is no process to answer,
 * so the memory world's router stands in for the proxy and every request succeeds.
 */
import { Agent, request } from "node:http"
import { MemoryWorld } from "@slipway/core"
import { Context, Data, Effect, Layer } from "effect"

/** What came back: answers per revision (from the proxy's `x-slipway-revision`) and per status. */
export interface TrafficReport {
  readonly sent: number
  readonly byRevision: Readonly<Record<string, number>>
  readonly byStatus: Readonly<Record<string, number>>
}

/** A request that got no HTTP answer at all (refused, reset). */
export class TrafficError extends Data.TaggedError("TrafficError")<{
  readonly url: string
  readonly message: string
}> {}

/**
 * Sends requests to an app's public address.
 *
 * @example
 * const report = yield* (yield* Traffic).send("hello", "http://hello.localhost:4780", 100)
 */
export class Traffic extends Context.Service<
  Traffic,
  {
    readonly send: (app: string, url: string, requests: number) => Effect.Effect<TrafficReport, TrafficError>
  }
>()("six-verbs/Traffic") {}

const tally = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1
}

/**
 * Real requests, one after another, over one keep-alive agent (closed with the scope).
 * `http://<app>.localhost:<port>` resolves to loopback (RFC 6761), but not every resolver
 * knows that, so `.localhost` names are dialled on 127.0.0.1 with the name in `Host`.
 */
export const layerHttp: Layer.Layer<Traffic> = Layer.effect(
  Traffic,
  Effect.gen(function* () {
    const agent = yield* Effect.acquireRelease(
      Effect.sync(() => new Agent({ keepAlive: true, maxSockets: 1 })),
      (a) => Effect.sync(() => a.destroy()),
    )
    const once = (url: URL) =>
      Effect.callback<{ status: number; revision: string }, TrafficError>((resume) => {
        const req = request(
          {
            agent,
            host: url.hostname.endsWith(".localhost") ? "127.0.0.1" : url.hostname,
            port: url.port,
            path: "/",
            headers: { host: url.host },
          },
          (res) => {
            res.resume()
            res.on("end", () =>
              resume(
                Effect.succeed({
                  status: res.statusCode ?? 0,
                  revision: String(res.headers["x-slipway-revision"] ?? "(none)"),
                }),
              ),
            )
          },
        )
        req.on("error", (e) => resume(Effect.fail(new TrafficError({ url: url.href, message: e.message }))))
        req.end()
      })
    return Traffic.of({
      send: (_app, url, requests) =>
        Effect.gen(function* () {
          const target = new URL(url)
          const byRevision: Record<string, number> = {}
          const byStatus: Record<string, number> = {}
          for (let i = 0; i < requests; i++) {
            const answer = yield* once(target)
            tally(byRevision, answer.revision)
            tally(byStatus, `${Math.floor(answer.status / 100)}xx`)
          }
          return { sent: requests, byRevision, byStatus }
        }),
    })
  }),
)

/**
 * Requests split by the memory router's weights, all answered 2xx, recorded as the
 * `requests` and `error_rate` metrics the memory `MetricSource` serves.
 */
export const layerMemory: Layer.Layer<Traffic, never, MemoryWorld> = Layer.effect(
  Traffic,
  Effect.gen(function* () {
    const world = yield* MemoryWorld
    return Traffic.of({
      send: (app, _url, requests) =>
        Effect.gen(function* () {
          const weights = yield* world.weights(app)
          const byRevision: Record<string, number> = {}
          for (const [revision, weight] of Object.entries(weights)) {
            const share = Math.round((requests * weight) / 100)
            if (share === 0) continue
            byRevision[revision] = share
            yield* world.setMetric(revision, "requests", share)
            yield* world.setMetric(revision, "error_rate", 0)
          }
          return { sent: requests, byRevision, byStatus: { "2xx": requests } }
        }),
    })
  }),
)
