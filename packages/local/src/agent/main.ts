/**
 * The agent process: `node main.ts --state-dir DIR --proxy-port N --admin-port N`.
 * Started detached by `startAgent`; runs until `POST /shutdown`, SIGTERM or SIGINT, then
 * stops every replica gracefully. On start it restores what it was last asked to serve.
 */
import { parseArgs } from "node:util"
import { Compute, type Revision, TrafficRouter } from "@slipway/core"
import { Effect, Layer, Ref } from "effect"
import { AdminServer } from "../AdminServer.ts"
import * as LocalTarget from "../LocalTarget.ts"
import { Supervisor } from "../Supervisor.ts"
import { WeightedProxy } from "../WeightedProxy.ts"
import { serveAgent } from "./AgentServer.ts"
import { readDesired, withReplicas, withRevision, withWeights, writeDesired } from "./DesiredState.ts"
import { socketPathOf } from "./Protocol.ts"

const { values } = parseArgs({
  options: {
    "state-dir": { type: "string" },
    "proxy-port": { type: "string", default: "8080" },
    "admin-port": { type: "string", default: "0" },
  },
})
const stateDir = values["state-dir"]
if (!stateDir) {
  console.error("agent: --state-dir is required")
  process.exit(2)
}
const VERSION = "0.1.0"
const log = (message: string) => console.log(`${new Date().toISOString()} ${message}`)

const program = Effect.gen(function* () {
  const compute = yield* Compute
  const router = yield* TrafficRouter
  const proxy = yield* WeightedProxy
  const admin = yield* AdminServer
  const supervisor = yield* Supervisor
  const desired = yield* Ref.make(readDesired(stateDir))
  const save = (f: (s: ReturnType<typeof readDesired>) => ReturnType<typeof readDesired>) =>
    Ref.updateAndGet(desired, f).pipe(Effect.flatMap((s) => Effect.sync(() => writeDesired(stateDir, s))))

  // Restore: start what ran before, then route as before.
  const saved = yield* Ref.get(desired)
  const toStart = Object.values(saved.revisions).filter((r) => r.replicas > 0)
  if (toStart.length > 0)
    log(`restoring ${toStart.length} revision(s) and ${Object.keys(saved.weights).length} route(s)`)
  yield* Effect.forEach(
    toStart,
    ({ revision, replicas }: { revision: Revision; replicas: number }) =>
      compute.ensure(revision, replicas).pipe(
        Effect.tap(() => Effect.sync(() => log(`restored ${revision.id} × ${replicas}`))),
        Effect.catch((e) => Effect.sync(() => log(`could not restore ${revision.id}: ${e.message}`))),
      ),
    { concurrency: "unbounded" },
  )
  for (const [app, weights] of Object.entries(saved.weights)) {
    yield* router
      .setWeights(app, weights)
      .pipe(Effect.catch((e) => Effect.sync(() => log(`could not restore routes of ${app}: ${e.message}`))))
  }

  // The served capabilities record every change before answering.
  const persisted = Layer.mergeAll(
    Layer.succeed(
      Compute,
      Compute.of({
        ensure: (revision, replicas) =>
          compute
            .ensure(revision, replicas)
            .pipe(Effect.tap(() => save((s) => withRevision(s, revision, replicas)))),
        scale: (revision, replicas) =>
          compute
            .scale(revision, replicas)
            .pipe(Effect.tap(() => save((s) => withReplicas(s, revision, replicas)))),
        health: compute.health,
      }),
    ),
    Layer.succeed(
      TrafficRouter,
      TrafficRouter.of({
        setWeights: (app, weights) =>
          router.setWeights(app, weights).pipe(Effect.tap(() => save((s) => withWeights(s, app, weights)))),
        weights: router.weights,
      }),
    ),
  )

  let stop: () => void = () => undefined
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  const socketPath = socketPathOf(stateDir)
  const startedAt = Date.now()
  yield* serveAgent(socketPath, {
    info: () =>
      Effect.gen(function* () {
        const revisions = yield* supervisor.status
        const routes = yield* proxy.routes
        return {
          pid: process.pid,
          version: VERSION,
          stateDir,
          proxyUrl: proxy.url,
          adminUrl: admin.url,
          startedAt,
          revisions: revisions.map((r) => ({
            revision: r.revision,
            app: r.app,
            desired: r.desired,
            ready: r.ready,
            restarts: r.restarts,
          })),
          routes: Object.fromEntries(routes.map((r) => [r.app, r.weights ?? {}])),
        }
      }),
    address: (revision) => Effect.sync(() => proxy.revisionAddress(revision) ?? null),
    shutdown: () => stop(),
  }).pipe(Effect.provide(persisted))
  log(
    `agent ${VERSION} pid ${process.pid} serving apps on ${proxy.url}, metrics on ${admin.url}, control on ${socketPath}`,
  )
  process.once("SIGTERM", () => stop())
  process.once("SIGINT", () => stop())
  yield* Effect.promise(() => stopped)
  log("stopping: draining and stopping replicas")
})

Effect.runPromise(
  Effect.scoped(program).pipe(
    Effect.provide(
      LocalTarget.layer({
        stateDir,
        proxyPort: Number(values["proxy-port"]),
        adminPort: Number(values["admin-port"]),
      }),
    ),
  ),
).then(
  () => {
    log("stopped")
    process.exit(0)
  },
  (e: unknown) => {
    log(`agent failed: ${(e as Error).message ?? String(e)}`)
    process.exit(1)
  },
)
