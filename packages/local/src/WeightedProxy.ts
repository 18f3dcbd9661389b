/**
 * The weighted HTTP/1.1 reverse proxy in front of an app's revisions, on 127.0.0.1. It
 * serves every app on one port and routes by `Host` (`<app>.localhost:<port>`; any host
 * works while a single app is deployed). Per request it picks a revision by weight and a
 * ready replica of it, then streams the request and answer (keep-alive on both sides,
 * WebSocket upgrades tunnelled).
 *
 * Two inputs shape the routing: the weights (from `TrafficRouter.setWeights`) and each
 * revision's ready replicas (from the supervisor). Each change builds a new immutable
 * routing table and swaps it in at once; requests already in flight finish on the
 * replica they started on, and a replica leaving the table is drained before its
 * connections close.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import type { Duplex } from "node:stream"
import { RouterError, type Weights } from "@slipway/core"
import { Context, Data, Effect, Layer } from "effect"
import { type ForwardTarget, forwardRequest } from "./HttpForwarder.ts"
import { ProxyMetrics, prometheusLabel } from "./ProxyMetrics.ts"
import { RoutingTable } from "./RoutingTable.ts"
import { tunnelUpgrade } from "./UpgradeTunnel.ts"
import { Upstream } from "./Upstream.ts"

/**
 * The proxy (or its admin listener) could not listen.
 *
 * @example
 * import { WeightedProxy } from "@slipway/local"
 * import { Effect } from "effect"
 * program.pipe(Effect.provide(WeightedProxy.layer({ port: 80 })), Effect.catchTag("ProxyListenError", (e) => Effect.logError(e.message)))
 */
export class ProxyListenError extends Data.TaggedError("ProxyListenError")<{
  readonly port: number
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Options of the weighted proxy.
 *
 * @example
 * import { WeightedProxy } from "@slipway/local"
 * WeightedProxy.layer({ port: 4780, revisionHeader: false })
 */
export interface WeightedProxyOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number
  /** Add an `x-slipway-revision` header to every proxied response (default true). */
  readonly revisionHeader?: boolean
  /** How long shutdown waits for in-flight requests before cutting them (ms, default 5000). */
  readonly shutdownGrace?: number
  /** Metrics store (tests inject one with a fake clock). */
  readonly metrics?: ProxyMetrics
  /** How long a replica may take to start its answer before the client gets a 504 (ms, default 300 000). */
  readonly responseHeadTimeout?: number
}

/** One revision's routing state, for status displays. */
export interface RevisionRoute {
  readonly revision: string
  readonly weight: number
  readonly replicas: ReadonlyArray<string>
  readonly inflight: number
}

/** One app's routing state. */
export interface AppRoute {
  readonly app: string
  /** Weights as last set, or `null` when never set (revisions with replicas then share equally). */
  readonly weights: Weights | null
  readonly revisions: ReadonlyArray<RevisionRoute>
}

/** The proxy's operations: routing inputs, drain, and what it knows. */
export interface WeightedProxyShape {
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly metrics: ProxyMetrics
  /** Sets an app's weights (whole percents summing to 100); in effect for the next request. */
  readonly setWeights: (app: string, weights: Weights) => Effect.Effect<void, RouterError>
  /** The app's weights as last set (`{}` if never). */
  readonly weights: (app: string) => Effect.Effect<Weights>
  /** Replaces the ready replicas (`host:port`) of a revision; replicas no longer listed are drained. */
  readonly setReplicas: (
    app: string,
    revision: string,
    addresses: ReadonlyArray<string>,
  ) => Effect.Effect<void>
  /** Forgets a revision (weight and replicas); its replicas are drained. */
  readonly removeRevision: (app: string, revision: string) => Effect.Effect<void>
  /** Waits until no drained replica at `address` has work in flight. */
  readonly awaitDrained: (address: string) => Effect.Effect<void>
  /** A base URL of a ready replica of `revision` (round robin), bypassing the weights — for probes. */
  readonly revisionAddress: (revision: string) => string | undefined
  /** Routing state of every app. */
  readonly routes: Effect.Effect<ReadonlyArray<AppRoute>>
  /** Prometheus text: request metrics plus weights and in-flight gauges. */
  readonly prometheus: Effect.Effect<string>
}

interface AppState {
  weights: Weights | null
  readonly replicas: Map<string, ReadonlyArray<Upstream>>
  table: RoutingTable<Upstream>
}

/**
 * Validates weights: whole percents 0..100 over non-empty revision ids, summing to 100.
 * Returns the problem as text, or `undefined` when they are valid.
 *
 * @example
 * import { weightsProblem } from "@slipway/local"
 * weightsProblem({ "hello-a": 90, "hello-b": 20 }) // "weights sum to 110, not 100: …"
 */
export const weightsProblem = (weights: Weights): string | undefined => {
  const entries = Object.entries(weights)
  if (entries.length === 0) return "no weights given; give the revision that should serve traffic 100"
  for (const [revision, weight] of entries) {
    if (revision.length === 0) return "a weight is keyed by an empty revision id"
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
      return `weight of ${revision} is ${weight}; use a whole percent 0..100`
    }
  }
  const sum = entries.reduce((s, [, w]) => s + w, 0)
  if (sum !== 100) {
    return `weights sum to ${sum}, not 100: ${entries.map(([r, w]) => `${r}=${w}`).join(", ")}`
  }
  return undefined
}

const appFromHost = (host: string | undefined): string | undefined => {
  if (host === undefined) return undefined
  const name = host.replace(/:\d+$/, "").replace(/\.$/, "").toLowerCase()
  if (!name.endsWith(".localhost")) return undefined
  const labels = name.slice(0, -".localhost".length).split(".")
  return labels[labels.length - 1]
}

const sendPlain = (res: ServerResponse, status: number, text: string): void => {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" })
  res.end(`slipway: ${text}\n`)
}

const make = (options: WeightedProxyOptions) =>
  Effect.gen(function* () {
    const metrics = options.metrics ?? new ProxyMetrics()
    const revisionHeader = options.revisionHeader ?? true
    const shutdownGrace = options.shutdownGrace ?? 5_000
    const apps = new Map<string, AppState>()
    const retired = new Set<Upstream>()
    const addressCursor = new Map<string, number>()
    const forwardOptions = { metrics, revisionHeader, responseHeadTimeout: options.responseHeadTimeout }

    const rebuild = (app: string, state: AppState): void => {
      const revisions = new Set<string>([...Object.keys(state.weights ?? {}), ...state.replicas.keys()])
      const entries = [...revisions].sort().map((revision) => ({
        revision,
        weight: state.weights?.[revision] ?? 0,
        upstreams: state.replicas.get(revision) ?? [],
      }))
      // The swap: one assignment, so a request sees either the old table or the new one.
      state.table = new RoutingTable(app, entries, state.weights !== null)
    }

    const appState = (app: string): AppState => {
      let state = apps.get(app)
      if (state === undefined) {
        state = { weights: null, replicas: new Map(), table: new RoutingTable(app, [], false) }
        apps.set(app, state)
      }
      return state
    }

    const retire = (upstream: Upstream): void => {
      retired.add(upstream)
      upstream.retire()
      void upstream.drained().then(() => retired.delete(upstream))
    }

    const resolveApp = (host: string | undefined): AppState | undefined => {
      const named = appFromHost(host)
      if (named !== undefined && apps.has(named)) return apps.get(named)
      // Any Host reaches the app while there is only one (curl 127.0.0.1:port just works).
      if (apps.size === 1) return apps.values().next().value
      return undefined
    }

    const targetFor = (state: AppState, revision: string): ForwardTarget => ({
      app: state.table.app,
      revision,
      // Read the table at each attempt: a retry sees replicas added since the first try.
      next: (tried) => state.table.upstream(revision, tried),
    })

    const route = (
      req: IncomingMessage,
    ): ForwardTarget | { readonly status: number; readonly text: string } => {
      const state = resolveApp(req.headers.host)
      if (state === undefined) {
        const known = [...apps.keys()].sort()
        return {
          status: 404,
          text:
            known.length === 0
              ? "no app is deployed yet"
              : `no app for host ${JSON.stringify(req.headers.host ?? "")}; use http://<app>.localhost:<port> with one of: ${known.join(", ")}`,
        }
      }
      const entry = state.table.pick()
      if (entry === undefined) {
        return {
          status: 503,
          text: `app ${state.table.app} has no ready replica in a revision with traffic weight (weights: ${JSON.stringify(state.weights)})`,
        }
      }
      return targetFor(state, entry.revision)
    }

    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const routed = route(req)
      if ("status" in routed) sendPlain(res, routed.status, routed.text)
      else forwardRequest(req, res, routed, forwardOptions)
    }

    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const routed = route(req)
      if ("status" in routed) {
        socket.end(
          `HTTP/1.1 ${routed.status} ${routed.status === 404 ? "Not Found" : "Service Unavailable"}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
        )
        return
      }
      tunnelUpgrade(req, socket, head, routed, { metrics })
    }

    const server: Server = createServer(
      {
        requestTimeout: 0,
        keepAliveTimeout: 5_000,
        // A request without Content-Length or Transfer-Encoding has no body to forward:
        // Node then skips its stream events (a measured ~15% of the proxy's CPU per request).
        optimizeEmptyRequests: true,
      },
      onRequest,
    )
    server.on("clientError", (_err, socket: Duplex) => {
      if (socket.writable)
        socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
      else socket.destroy()
    })
    const upgraded = new Set<Socket>()
    // Upgraded sockets leave the server's bookkeeping, so shutdown tracks them itself.
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      upgraded.add(socket)
      socket.on("close", () => upgraded.delete(socket))
      onUpgrade(req, socket, head)
    })

    const port = yield* Effect.callback<number, ProxyListenError>((resume) => {
      const onError = (cause: Error & { code?: string }) =>
        resume(
          Effect.fail(
            new ProxyListenError({
              port: options.port ?? 0,
              message:
                cause.code === "EADDRINUSE"
                  ? `port ${options.port} on 127.0.0.1 is in use; set another proxyPort (or 0 for a free one)`
                  : `the proxy could not listen on 127.0.0.1:${options.port ?? 0}: ${cause.message}`,
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
      Effect.promise(async () => {
        server.close()
        server.closeIdleConnections()
        const all = [...apps.values()].flatMap((s) => [...s.replicas.values()].flat()).concat([...retired])
        for (const u of all) u.retire()
        const drained = Promise.all(all.map((u) => u.drained()))
        const grace = new Promise<void>((resolve) => setTimeout(resolve, shutdownGrace).unref())
        await Promise.race([drained, grace])
        server.closeAllConnections()
        for (const socket of upgraded) socket.destroy()
        await Promise.all(all.map((u) => u.destroy()))
      }),
    )

    const setReplicas = (app: string, revision: string, addresses: ReadonlyArray<string>): void => {
      const state = appState(app)
      const current = state.replicas.get(revision) ?? []
      const keep = new Set(addresses)
      const next = addresses.map((a) => current.find((u) => u.address === a) ?? new Upstream(a))
      for (const u of current) if (!keep.has(u.address)) retire(u)
      if (next.length === 0) state.replicas.delete(revision)
      else state.replicas.set(revision, next)
      rebuild(app, state)
    }

    const routesSnapshot = (): ReadonlyArray<AppRoute> =>
      [...apps.entries()].map(([app, state]) => ({
        app,
        weights: state.weights,
        revisions: state.table.entries.map((e) => ({
          revision: e.revision,
          weight: e.weight,
          replicas: e.upstreams.map((u) => u.address),
          inflight: e.upstreams.reduce((n, u) => n + u.busy, 0),
        })),
      }))

    const gauges = (): string => {
      const lines = [
        "# HELP slipway_route_weight Traffic weight (percent) of a revision.",
        "# TYPE slipway_route_weight gauge",
      ]
      const inflight = [
        "# HELP slipway_upstream_inflight Requests and tunnels in flight to a revision's replicas.",
        "# TYPE slipway_upstream_inflight gauge",
      ]
      for (const app of routesSnapshot()) {
        for (const r of app.revisions) {
          const revision = prometheusLabel(r.revision)
          lines.push(
            `slipway_route_weight{app="${prometheusLabel(app.app)}",revision="${revision}"} ${r.weight}`,
          )
          inflight.push(
            `slipway_upstream_inflight{app="${prometheusLabel(app.app)}",revision="${revision}"} ${r.inflight}`,
          )
        }
      }
      return `${[...lines, ...inflight].join("\n")}\n`
    }

    return WeightedProxy.of({
      port,
      url: `http://127.0.0.1:${port}`,
      metrics,
      setWeights: (app, weights) =>
        Effect.suspend(() => {
          const problem = weightsProblem(weights)
          if (problem !== undefined) return Effect.fail(new RouterError({ message: `${app}: ${problem}` }))
          const state = appState(app)
          state.weights = { ...weights }
          rebuild(app, state)
          return Effect.void
        }),
      weights: (app) => Effect.sync(() => ({ ...(apps.get(app)?.weights ?? {}) })),
      setReplicas: (app, revision, addresses) => Effect.sync(() => setReplicas(app, revision, addresses)),
      removeRevision: (app, revision) =>
        Effect.sync(() => {
          const state = apps.get(app)
          if (state === undefined) return
          for (const u of state.replicas.get(revision) ?? []) retire(u)
          state.replicas.delete(revision)
          if (state.weights !== null && revision in state.weights) {
            const { [revision]: _removed, ...rest } = state.weights
            state.weights = rest
          }
          rebuild(app, state)
        }),
      awaitDrained: (address) =>
        Effect.promise(() =>
          Promise.all([...retired].filter((u) => u.address === address).map((u) => u.drained())),
        ),
      revisionAddress: (revision) => {
        for (const state of apps.values()) {
          const upstreams = state.replicas.get(revision)
          if (upstreams === undefined || upstreams.length === 0) continue
          const i = (addressCursor.get(revision) ?? 0) % upstreams.length
          addressCursor.set(revision, i + 1)
          return `http://${upstreams[i]!.address}`
        }
        return undefined
      },
      routes: Effect.sync(routesSnapshot),
      prometheus: Effect.sync(() => metrics.toPrometheus() + gauges()),
    })
  })

/**
 * The weighted reverse proxy as a service. `WeightedProxy.layer` listens while its scope
 * is open and on close stops accepting, lets in-flight requests finish (up to
 * `shutdownGrace`), then closes every upstream pool.
 *
 * @example
 * import { WeightedProxy } from "@slipway/local"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const proxy = yield* WeightedProxy
 *   yield* proxy.setReplicas("hello", "hello-a", ["127.0.0.1:4001"])
 *   yield* proxy.setWeights("hello", { "hello-a": 100 })
 *   console.log(`curl http://hello.localhost:${proxy.port}/`)
 * }).pipe(Effect.provide(WeightedProxy.layer({ port: 0 })))
 */
export class WeightedProxy extends Context.Service<WeightedProxy, WeightedProxyShape>()(
  "@slipway/local/WeightedProxy",
) {
  static readonly layer = (
    options: WeightedProxyOptions = {},
  ): Layer.Layer<WeightedProxy, ProxyListenError> => Layer.effect(WeightedProxy, make(options))
}
