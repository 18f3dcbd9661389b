/**
 * The agent process: `node main.ts --state-dir DIR --proxy-port N --admin-port N`.
 * Started detached by `startAgent`; runs until `POST /shutdown`, SIGTERM or SIGINT, then
 * stops every replica gracefully. On start it restores what it was last asked to serve.
 */
import { parseArgs } from "node:util"
import { Compute, type Revision, type RevisionHealth, TrafficRouter } from "@slipway/core"
import { Cause, Effect, Exit, Layer, Ref } from "effect"
import { AdminServer } from "../AdminServer.ts"
import * as LocalTarget from "../LocalTarget.ts"
import { Supervisor } from "../Supervisor.ts"
import { WeightedProxy } from "../WeightedProxy.ts"
import { serveAgent } from "./AgentServer.ts"
import { readDesired, withReplicas, withRevision, withWeights, writeDesired } from "./DesiredState.ts"
import { reapOrphanReplicas } from "./Orphans.ts"
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
const RESTORE_WAIT_MS = 8_000
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

  // Replicas of an agent that was killed outright are still running: stop them first, so
  // the restored replicas do not run next to them.
  const orphans = yield* reapOrphanReplicas(stateDir, 5_000)
  if (orphans.length > 0)
    log(
      `stopped ${orphans.length} replica process(es) left by a previous agent: ${orphans.map((o) => `${o.revision} pid ${o.pid}`).join(", ")}`,
    )

  // Restore: start what ran before, then route as before.
  const saved = yield* Ref.get(desired)
  const toStart = Object.values(saved.revisions).filter((r) => r.replicas > 0)
  if (toStart.length > 0)
    log(`restoring ${toStart.length} revision(s) and ${Object.keys(saved.weights).length} route(s)`)
  yield* Effect.forEach(
    toStart,
    ({ revision, replicas }: { revision: Revision; replicas: number }) =>
      compute.ensure(revision, replicas).pipe(
        // Serve the socket soon whatever happens (`agent start` waits 15s for an answer): a
        // revision still not ready keeps starting under supervision after this.
        Effect.timeoutOption(RESTORE_WAIT_MS),
        Effect.tap((ready) =>
          Effect.sync(() =>
            log(
              ready._tag === "Some"
                ? `restored ${revision.id} × ${replicas}`
                : `${revision.id} is not ready after ${RESTORE_WAIT_MS / 1000}s; it keeps starting in the background`,
            ),
          ),
        ),
        Effect.catch((e) => Effect.sync(() => log(`could not restore ${revision.id}: ${e.message}`))),
      ),
    { concurrency: "unbounded" },
  )
  for (const [app, weights] of Object.entries(saved.weights)) {
    yield* router
      .setWeights(app, weights)
      .pipe(Effect.catch((e) => Effect.sync(() => log(`could not restore routes of ${app}: ${e.message}`))))
  }

  /**
   * A revision short of ready replicas: its health says which replicas are stuck and ends
   * with the worst one's last log lines, because this is what a rollout reports when the
   * candidate misses its progress deadline.
   */
  const explainNotReady = (health: RevisionHealth) =>
    Effect.gen(function* () {
      if (health.ready >= health.desired) return health
      const status = (yield* supervisor.status).find((r) => r.revision === health.revision)
      if (status === undefined) return health
      const replicas = status.replicas.filter((r) => r.state !== "ready")
      const worst = replicas[0]
      if (worst === undefined) return health
      const tail = yield* supervisor.logTail(health.revision, worst.index).pipe(
        Effect.map((lines) => lines.slice(-15)),
        Effect.orElseSucceed((): ReadonlyArray<string> => []),
      )
      const lines = [
        health.lastError ?? `${health.ready} of ${health.desired} replicas ready`,
        ...replicas.map(
          (r) =>
            `  replica ${r.index}: ${r.state}${r.pid === undefined ? "" : ` (pid ${r.pid}, port ${r.port})`}, ${r.restarts} restart(s)`,
        ),
        ...(tail.length === 0
          ? []
          : [`last ${tail.length} log line(s) of replica ${worst.index} (${worst.logFile}):`]),
        ...tail.map((l) => `  | ${l}`),
      ]
      return { ...health, lastError: lines.join("\n") } satisfies RevisionHealth
    })

  // The served capabilities record every change before answering.
  const persisted = Layer.mergeAll(
    Layer.succeed(
      Compute,
      Compute.of({
        ensure: (revision, replicas) =>
          compute.ensure(revision, replicas).pipe(
            // Also when the caller stopped waiting: the replicas run (and are supervised) anyway.
            Effect.onExit((exit) =>
              Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)
                ? save((s) => withRevision(s, revision, replicas))
                : Effect.void,
            ),
          ),
        scale: (revision, replicas) =>
          compute
            .scale(revision, replicas)
            .pipe(Effect.tap(() => save((s) => withReplicas(s, revision, replicas)))),
        health: (revision) => compute.health(revision).pipe(Effect.flatMap(explainNotReady)),
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
            replicas: r.replicas.map((x) => ({
              index: x.index,
              state: x.state,
              pid: x.pid ?? null,
              port: x.port ?? null,
              restarts: x.restarts,
            })),
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
        // How long a revision may take to become ready is the caller's decision (a rollout's
        // progressDeadline), not a fixed limit here: a slow-starting app must be deployable
        // with a longer deadline. Crash loops still fail at once; a caller that gives up
        // disconnects, which ends the wait (see AgentServer).
        supervisor: { readyTimeout: 24 * 60 * 60 * 1000 },
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
