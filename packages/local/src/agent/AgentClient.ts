/**
 * Talks to a running agent over its unix socket and offers what it serves as the core
 * capabilities, so a rollout engine in another process (the CLI, a library user's
 * program) drives this machine exactly as it would drive AWS.
 */
import {
  Compute,
  ComputeError,
  MetricError,
  type MetricResult,
  MetricSource,
  type RevisionHealth,
  RouterError,
  TrafficRouter,
  type Weights,
} from "@slipway/core"
import { Context, Data, Effect, Layer } from "effect"
import { Client } from "undici"
import type { AgentInfo } from "./Protocol.ts"

/** The agent did not answer, or answered with an error it could not map to a capability's. */
export class AgentUnavailable extends Data.TaggedError("AgentUnavailable")<{
  readonly socketPath: string
  readonly message: string
}> {}

interface Failure {
  readonly tag: string
  readonly message: string
}

/** A low-level call; capability methods below map failures to their own tagged errors. */
const call = (
  client: Client,
  socketPath: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Effect.Effect<unknown, Failure> =>
  Effect.tryPromise({
    try: async (signal) => {
      const res = await client.request({
        method,
        path,
        signal,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.body.text()
      const json: unknown = text ? JSON.parse(text) : null
      if (res.statusCode >= 400) {
        const err = (json as { error?: Failure } | null)?.error
        throw { tag: err?.tag ?? "AgentError", message: err?.message ?? `agent answered ${res.statusCode}` }
      }
      return json
    },
    catch: (e): Failure =>
      typeof e === "object" && e !== null && "tag" in e
        ? (e as Failure)
        : {
            tag: "AgentUnavailable",
            message: `no agent answering on ${socketPath} (${(e as Error).message}); start it with \`slipway agent start\``,
          },
  })

/** Agent-specific calls beyond the capabilities. */
export class Agent extends Context.Service<
  Agent,
  {
    readonly socketPath: string
    readonly info: Effect.Effect<AgentInfo, AgentUnavailable>
    /** Base URL of a ready replica of the revision, or null. */
    readonly address: (revision: string) => Effect.Effect<string | null, AgentUnavailable>
    readonly shutdown: Effect.Effect<void, AgentUnavailable>
  }
>()("@slipway/local/Agent") {}

/**
 * Capabilities backed by the agent at `socketPath`: Compute, TrafficRouter, MetricSource
 * and the Agent service itself.
 *
 * @example
 * import { AgentClient, socketPathOf } from "@slipway/local"
 * import { TrafficRouter } from "@slipway/core"
 * import { Effect } from "effect"
 * const weights = Effect.flatMap(TrafficRouter.asEffect(), (r) => r.weights("hello")).pipe(
 *   Effect.provide(AgentClient.layer(socketPathOf(".slipway"))),
 * )
 */
export const layer = (socketPath: string): Layer.Layer<Compute | TrafficRouter | MetricSource | Agent> =>
  Layer.effectContext(
    Effect.acquireRelease(
      Effect.sync(
        () =>
          new Client("http://agent.localhost", {
            socketPath,
            // `ensure` legitimately waits for replicas to become ready.
            headersTimeout: 0,
            bodyTimeout: 0,
            pipelining: 0,
          }),
      ),
      (client) => Effect.promise(() => client.close()),
    ).pipe(
      Effect.map((client) => {
        const c = (method: "GET" | "POST", path: string, body?: unknown) =>
          call(client, socketPath, method, path, body)
        const unavailable = (f: Failure) => new AgentUnavailable({ socketPath, message: f.message })
        const compute = Compute.of({
          ensure: (revision, replicas) =>
            c("POST", "/ensure", { revision, replicas }).pipe(
              Effect.map((h) => h as RevisionHealth),
              Effect.mapError((f) => new ComputeError({ revision: revision.id, message: f.message })),
            ),
          scale: (revision, replicas) =>
            c("POST", "/scale", { revision, replicas }).pipe(
              Effect.asVoid,
              Effect.mapError((f) => new ComputeError({ revision, message: f.message })),
            ),
          health: (revision) =>
            c("GET", `/health?revision=${encodeURIComponent(revision)}`).pipe(
              Effect.map((h) => h as RevisionHealth),
              Effect.mapError((f) => new ComputeError({ revision, message: f.message })),
            ),
        })
        const router = TrafficRouter.of({
          setWeights: (app, weights) =>
            c("POST", "/weights", { app, weights }).pipe(
              Effect.asVoid,
              Effect.mapError((f) => new RouterError({ message: f.message })),
            ),
          weights: (app) =>
            c("GET", `/weights?app=${encodeURIComponent(app)}`).pipe(
              Effect.map((w) => w as Weights),
              Effect.mapError((f) => new RouterError({ message: f.message })),
            ),
        })
        const metrics = MetricSource.of({
          query: (q) =>
            c("POST", "/metric", q).pipe(
              Effect.map((r) => r as MetricResult),
              Effect.mapError(
                (f) =>
                  new MetricError({ query: `${q.metric}{revision="${q.revision}"}`, message: f.message }),
              ),
            ),
        })
        const agent = Agent.of({
          socketPath,
          info: c("GET", "/agent").pipe(
            Effect.map((i) => i as AgentInfo),
            Effect.mapError(unavailable),
          ),
          address: (revision) =>
            c("GET", `/address?revision=${encodeURIComponent(revision)}`).pipe(
              Effect.map((r) => (r as { url: string | null }).url),
              Effect.mapError(unavailable),
            ),
          shutdown: c("POST", "/shutdown").pipe(Effect.asVoid, Effect.mapError(unavailable)),
        })
        return Context.make(Compute, compute)
          .pipe(Context.add(TrafficRouter, router))
          .pipe(Context.add(MetricSource, metrics))
          .pipe(Context.add(Agent, agent))
      }),
    ),
  )
