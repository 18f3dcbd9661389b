/**
 * The agent's socket server: exposes the run, network and observe capabilities of this
 * machine (Compute, TrafficRouter, MetricSource) to CLIs and libraries in other
 * processes. The agent owns the app processes and the proxy; the rollout engine runs in
 * whichever process drives the rollout and talks to the agent through this API.
 */
import { chmodSync, rmSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { Compute, type ComputeError, MetricSource, TrafficRouter } from "@slipway/core"
import { Context, Effect, Schema, type Scope } from "effect"
import { EnsureRequest, MetricRequest, ScaleRequest, WeightsRequest } from "./Protocol.ts"

/** What the agent knows beyond the capabilities: its own description and replica addresses. */
export interface AgentExtras {
  readonly info: () => Effect.Effect<unknown>
  /** Base URL of one ready replica of a revision, for probes (`null` if none is ready). */
  readonly address: (revision: string) => Effect.Effect<string | null>
  /** Stops the agent (the server answers first). */
  readonly shutdown: () => void
}

class BadRequest extends Error {}

const readJson = (req: IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      // Control messages are small; refuse anything that is not.
      if (size > 1_000_000) reject(new BadRequest("request body over 1 MB"))
      else chunks.push(c)
    })
    req.on("end", () => {
      if (chunks.length === 0) return resolve({})
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")))
      } catch {
        reject(new BadRequest("request body is not JSON"))
      }
    })
    req.on("error", reject)
  })

const send = (res: ServerResponse, status: number, body: unknown) => {
  if (res.destroyed) return
  const text = JSON.stringify(body ?? null)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

const decode = <S extends Schema.Top>(schema: S, input: unknown): S["Type"] => {
  try {
    return Schema.decodeUnknownSync(schema as never)(input) as S["Type"]
  } catch (e) {
    throw new BadRequest(String((e as Error).message))
  }
}

/**
 * Serves the agent API on a unix socket for as long as the scope is open.
 *
 * @example
 * import { serveAgent } from "@slipway/local"
 * import { Effect, Layer } from "effect"
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     yield* serveAgent("/tmp/demo/agent.sock", extras)
 *     yield* Effect.never
 *   }),
 * ).pipe(Effect.provide(LocalTarget.layer({ stateDir: "/tmp/demo" })))
 */
export const serveAgent = (
  socketPath: string,
  extras: AgentExtras,
): Effect.Effect<void, Error, Compute | TrafficRouter | MetricSource | Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<Compute | TrafficRouter | MetricSource>()
    const runWith = Effect.runPromiseWith(context)
    const compute = Context.get(context, Compute)
    const router = Context.get(context, TrafficRouter)
    const metrics = Context.get(context, MetricSource)

    const route = async (
      req: IncomingMessage,
      signal: AbortSignal,
    ): Promise<{ status: number; body: unknown }> => {
      // A caller that gives up (a rollout past its progress deadline) disconnects; what it
      // asked for is interrupted rather than left waiting for nobody.
      const run = <A, E>(effect: Effect.Effect<A, E, Compute | TrafficRouter | MetricSource>) =>
        runWith(effect, { signal })
      const url = new URL(req.url ?? "/", "http://agent")
      const key = `${req.method} ${url.pathname}`
      const ok = (body: unknown) => ({ status: 200, body })
      switch (key) {
        case "GET /agent":
          return ok(await run(extras.info()))
        case "POST /ensure": {
          const r = decode(EnsureRequest, await readJson(req))
          return ok(await run(compute.ensure(r.revision, r.replicas)))
        }
        case "POST /scale": {
          const r = decode(ScaleRequest, await readJson(req))
          return ok(await run(compute.scale(r.revision, r.replicas)))
        }
        case "GET /health":
          return ok(await run(compute.health(url.searchParams.get("revision") ?? "")))
        case "POST /weights": {
          const r = decode(WeightsRequest, await readJson(req))
          return ok(await run(router.setWeights(r.app, r.weights)))
        }
        case "GET /weights":
          return ok(await run(router.weights(url.searchParams.get("app") ?? "")))
        case "POST /metric": {
          const r = decode(MetricRequest, await readJson(req))
          return ok(await run(metrics.query(r)))
        }
        case "GET /address":
          return ok({ url: await run(extras.address(url.searchParams.get("revision") ?? "")) })
        case "POST /shutdown":
          setImmediate(extras.shutdown)
          return ok({ stopping: true })
        default:
          return { status: 404, body: { error: { tag: "NotFound", message: `no agent route ${key}` } } }
      }
    }

    const server = createServer((req, res) => {
      const abort = new AbortController()
      res.once("close", () => {
        if (!res.writableFinished) abort.abort()
      })
      route(req, abort.signal).then(
        ({ status, body }) => send(res, status, body),
        (error: unknown) => {
          // effect 4 rejects with the failure itself, so tagged errors keep their tag.
          const tagged = error as Partial<ComputeError> & { _tag?: string; message?: string }
          const status = error instanceof BadRequest ? 400 : 500
          send(res, status, {
            error: { tag: tagged._tag ?? "AgentError", message: tagged.message ?? String(error) },
          })
        },
      )
    })
    // Long rollouts hold requests open (ensure waits for readiness); never time them out here.
    server.requestTimeout = 0
    server.headersTimeout = 60_000

    yield* Effect.acquireRelease(
      Effect.callback<void, Error>((resume) => {
        rmSync(socketPath, { force: true })
        server.once("error", (e) => resume(Effect.fail(e)))
        server.listen(socketPath, () => {
          chmodSync(socketPath, 0o600)
          resume(Effect.void)
        })
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
          rmSync(socketPath, { force: true })
        }),
    )
  })
