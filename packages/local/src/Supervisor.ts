/**
 * Runs each revision as N supervised replica processes on this machine.
 *
 * A replica's life: pick a free port → spawn the revision's command in its release
 * directory with `PORT` set → probe the health path until it answers 2xx → join the
 * proxy's routing table → keep probing (a replica that fails `unhealthyThreshold` probes
 * in a row leaves the table until it recovers). When the process exits it leaves the
 * table at once and is restarted with exponential backoff (capped; the backoff resets
 * after a run longer than `resetAfter`).
 *
 * Stopping a replica is graceful: it leaves the table, the proxy drains what is in
 * flight on it, then SIGTERM, a grace period, and SIGKILL if it is still there. Each
 * replica runs in its own process group so the signal reaches whatever it spawned.
 * Output goes to `<stateDir>/logs/<revision>/replica-<n>.log`; the last lines are kept
 * for error messages.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, statSync } from "node:fs"
import { isAbsolute, join } from "node:path"
import { fileURLToPath } from "node:url"
import { ComputeError, type Revision, type RevisionHealth } from "@slipway/core"
import {
  Context,
  Data,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Schedule,
  Scope,
  Semaphore,
} from "effect"
import { probeHttp } from "./HealthCheck.ts"
import { freePort } from "./Ports.ts"
import { ReplicaLog } from "./ReplicaLog.ts"
import { type ResolvedRevisionConfig, resolveRevisionConfig } from "./RevisionConfig.ts"
import { WeightedProxy } from "./WeightedProxy.ts"

/**
 * Supervisor tuning; every duration is in milliseconds.
 *
 * @example
 * import { Supervisor } from "@slipway/local"
 * Supervisor.layer({ stateDir: ".slipway", readyTimeout: 60_000, gracePeriod: 30_000, backoff: { max: 30_000 } })
 */
export interface SupervisorOptions {
  /** Root of the local state; logs go to `<stateDir>/logs`. */
  readonly stateDir: string
  /** How long `ensure` waits for replicas to become ready (ms, default 30000). */
  readonly readyTimeout?: number
  /** Time between SIGTERM and SIGKILL, and the longest drain wait (ms, default 10000). */
  readonly gracePeriod?: number
  /** Time between liveness probes of a ready replica (ms, default 1000). */
  readonly healthInterval?: number
  /** Time between readiness probes of a starting replica (ms, default 100). */
  readonly readinessInterval?: number
  /** A probe without an answer after this long fails (ms, default 2000). */
  readonly healthTimeout?: number
  /** Failed liveness probes in a row before a replica leaves the routing table (default 3). */
  readonly unhealthyThreshold?: number
  /** Crashes before first readiness after which `ensure` gives up early (default 3). */
  readonly crashLoopLimit?: number
  /** Restart backoff: first delay, cap, and the run length after which it starts over (ms). */
  readonly backoff?: { readonly initial?: number; readonly max?: number; readonly resetAfter?: number }
  /** Lines of output kept in memory per replica (default 50). */
  readonly logLines?: number
  /** Environment added to every replica's (after the supervisor's own, before the revision's). */
  readonly env?: Readonly<Record<string, string>>
}

/** Where a replica is in its life. */
export type ReplicaState = "starting" | "ready" | "unhealthy" | "backoff" | "stopping"

/** One replica, for status displays and error messages. */
export interface ReplicaStatus {
  /** 1-based. */
  readonly index: number
  readonly state: ReplicaState
  readonly pid: number | undefined
  readonly port: number | undefined
  readonly restarts: number
  readonly lastError: string | undefined
  readonly logFile: string
}

/** A revision's health plus its replicas. */
export interface RevisionStatus extends RevisionHealth {
  readonly app: string
  readonly replicas: ReadonlyArray<ReplicaStatus>
}

/** The supervisor's operations (a superset of core `Compute`). */
export interface SupervisorShape {
  /** Runs `replicas` replicas of the revision and waits until they are ready (see `Compute.ensure`). */
  readonly ensure: (revision: Revision, replicas: number) => Effect.Effect<RevisionHealth, ComputeError>
  /** Sets the replica count of a known revision; scaling down waits for the graceful stops. */
  readonly scale: (revision: string, replicas: number) => Effect.Effect<void, ComputeError>
  readonly health: (revision: string) => Effect.Effect<RevisionHealth, ComputeError>
  /** Stops every replica of the revision and forgets it (and removes it from the proxy). */
  readonly stop: (revision: string) => Effect.Effect<void>
  /** Every known revision with its replicas. */
  readonly status: Effect.Effect<ReadonlyArray<RevisionStatus>>
  /** The last lines of a replica's output (replica 1 by default). */
  readonly logTail: (revision: string, replica?: number) => Effect.Effect<ReadonlyArray<string>, ComputeError>
}

/** A replica's process ended (or never started). */
class ReplicaExited extends Data.TaggedError("ReplicaExited")<{
  readonly message: string
  /** It had not become ready in this life. */
  readonly beforeReady: boolean
  /** It failed to bind its port: a race with another process, not a broken app. */
  readonly portRace: boolean
}> {}

interface ExitInfo {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

interface Child {
  readonly pid: number
  readonly process: ChildProcess
  readonly exited: Promise<ExitInfo>
  exit: ExitInfo | undefined
}

interface Replica {
  readonly index: number
  readonly log: ReplicaLog
  state: ReplicaState
  pid: number | undefined
  port: number | undefined
  restarts: number
  /** Lives in a row that ended before becoming ready (crash loop detection). */
  crashesBeforeReady: number
  lastError: string | undefined
  /** Why the replica is not ready yet (last readiness probe), while starting. */
  probeProblem: string | undefined
  fiber: Fiber.Fiber<never, never> | undefined
}

interface RevisionRecord {
  readonly revision: Revision
  readonly config: ResolvedRevisionConfig
  readonly cwd: string
  desired: number
  readonly replicas: Map<number, Replica>
  restarts: number
  /** Replicas in the proxy's routing table as last published. */
  routed: number
  lastError: string | undefined
  readonly lock: Semaphore.Semaphore
}

const signalGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group is gone already.
  }
}

const describeExit = (info: ExitInfo): string =>
  info.signal !== null ? `was killed by ${info.signal}` : `exited with code ${info.code}`

/**
 * The delays between restarts within a crash streak: `initial`, doubling, capped at `max` (ms).
 *
 * @example
 * import { restartBackoff } from "@slipway/local"
 * restartBackoff(200, 10_000) // 200ms, 400ms, 800ms, … 10s, 10s, …
 */
export const restartBackoff = (initial: number, max: number): Schedule.Schedule<Duration.Duration> =>
  Schedule.exponential(Duration.millis(initial), 2).pipe(
    Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.millis(max)))),
  )

const artifactDirectory = (revision: Revision): string | undefined => {
  const uri = revision.artifact.uri
  if (uri.startsWith("file:")) return fileURLToPath(uri)
  return isAbsolute(uri) ? uri : undefined
}

const make = (options: SupervisorOptions) =>
  Effect.gen(function* () {
    const proxy = yield* WeightedProxy
    const readyTimeout = options.readyTimeout ?? 30_000
    const gracePeriod = options.gracePeriod ?? 10_000
    const healthInterval = options.healthInterval ?? 1_000
    const readinessInterval = options.readinessInterval ?? 100
    const healthTimeout = options.healthTimeout ?? 2_000
    const unhealthyThreshold = options.unhealthyThreshold ?? 3
    const crashLoopLimit = options.crashLoopLimit ?? 3
    const backoffInitial = options.backoff?.initial ?? 200
    const backoffMax = options.backoff?.max ?? 10_000
    const resetAfter = options.backoff?.resetAfter ?? 30_000
    const logLines = options.logLines ?? 50

    const revisions = new Map<string, RevisionRecord>()
    const usedPorts = new Set<number>()
    const scope = yield* Scope.make()

    const backoff = restartBackoff(backoffInitial, backoffMax)

    /** Pushes the revision's ready replicas to the proxy; "ready" means "in the routing table". */
    const publish = (rec: RevisionRecord) =>
      Effect.suspend(() => {
        const addresses = [...rec.replicas.values()]
          .filter((r) => r.state === "ready" && r.port !== undefined)
          .sort((a, b) => a.index - b.index)
          .map((r) => `127.0.0.1:${r.port}`)
        return proxy.setReplicas(rec.revision.app, rec.revision.id, addresses).pipe(
          Effect.tap(() =>
            Effect.sync(() => {
              rec.routed = addresses.length
            }),
          ),
        )
      })

    const spawnChild = (rec: RevisionRecord, replica: Replica, port: number) =>
      Effect.callback<Child, ReplicaExited>((resume) => {
        const [command, ...args] = rec.config.argv
        const env = {
          ...process.env,
          ...options.env,
          ...rec.config.env,
          PORT: String(port),
          SLIPWAY_APP: rec.revision.app,
          SLIPWAY_REVISION: rec.revision.id,
          SLIPWAY_REPLICA: String(replica.index),
        }
        let proc: ChildProcess
        try {
          proc = spawn(command!, args, {
            cwd: rec.cwd,
            env,
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
          })
        } catch (cause) {
          resume(
            Effect.fail(
              new ReplicaExited({
                message: `replica ${replica.index} of ${rec.revision.id} could not start ${JSON.stringify(command)}: ${String(cause)}; check config.command`,
                beforeReady: true,
                portRace: false,
              }),
            ),
          )
          return
        }
        replica.log.capture(proc.stdout!)
        replica.log.capture(proc.stderr!)
        const exited = new Promise<ExitInfo>((resolve) => {
          proc.once("exit", (code, signal) => {
            // Give stdout/stderr a moment to flush the last lines (often the error) into the log.
            const timer = setTimeout(() => resolve({ code, signal }), 300)
            proc.once("close", () => {
              clearTimeout(timer)
              resolve({ code, signal })
            })
          })
        })
        proc.once("spawn", () => {
          const child: Child = { pid: proc.pid!, process: proc, exited, exit: undefined }
          void exited.then((info) => {
            child.exit = info
          })
          resume(Effect.succeed(child))
        })
        proc.once("error", (cause: Error & { code?: string }) => {
          if (proc.pid !== undefined) return
          resume(
            Effect.fail(
              new ReplicaExited({
                message: `replica ${replica.index} of ${rec.revision.id} could not start ${JSON.stringify(command)}: ${cause.code ?? cause.message}; check config.command (is it installed and on PATH?)`,
                beforeReady: true,
                portRace: false,
              }),
            ),
          )
        })
      })

    /** SIGTERM, grace period, SIGKILL; then sweeps up anything left in the process group. */
    const terminate = (replica: Replica, child: Child) =>
      Effect.gen(function* () {
        if (child.exit === undefined) {
          replica.log.note(`stopping pid ${child.pid}: SIGTERM`)
          signalGroup(child.pid, "SIGTERM")
          const exited = yield* Effect.promise(() => child.exited).pipe(Effect.timeoutOption(gracePeriod))
          if (Option.isNone(exited)) {
            replica.log.note(`still running ${gracePeriod}ms after SIGTERM: SIGKILL`)
            signalGroup(child.pid, "SIGKILL")
            yield* Effect.promise(() => child.exited).pipe(Effect.timeoutOption(5_000))
          }
          if (child.exit !== undefined) replica.log.note(`stopped: ${describeExit(child.exit)}`)
        }
        signalGroup(child.pid, "SIGKILL")
      })

    const waitReady = (rec: RevisionRecord, replica: Replica, port: number) =>
      Effect.gen(function* () {
        const path = rec.config.healthPath
        while (true) {
          const result = yield* probeHttp(port, path, healthTimeout)
          if ("status" in result && result.status >= 200 && result.status < 300) return
          replica.probeProblem =
            "status" in result
              ? `GET ${path} on port ${port} returned ${result.status} (expected 2xx)`
              : `GET ${path} on port ${port} failed: ${result.error}`
          yield* Effect.sleep(readinessInterval)
        }
      })

    const monitor = (rec: RevisionRecord, replica: Replica, port: number) =>
      Effect.gen(function* () {
        const path = rec.config.healthPath
        let failures = 0
        while (true) {
          yield* Effect.sleep(healthInterval)
          const result = yield* probeHttp(port, path, healthTimeout)
          if ("status" in result && result.status >= 200 && result.status < 300) {
            failures = 0
            if (replica.state === "unhealthy") {
              replica.state = "ready"
              replica.log.note(`healthy again (GET ${path} → ${result.status}); back in the routing table`)
              yield* publish(rec)
            }
            continue
          }
          failures += 1
          const problem =
            "status" in result
              ? `GET ${path} returned ${result.status}`
              : `GET ${path} failed: ${result.error}`
          replica.lastError = `replica ${replica.index} of ${rec.revision.id} is unhealthy: ${problem}`
          rec.lastError = replica.lastError
          if (failures >= unhealthyThreshold && replica.state === "ready") {
            replica.state = "unhealthy"
            replica.log.note(`${problem} ${failures} times in a row; out of the routing table until healthy`)
            yield* publish(rec)
          }
        }
      })

    /** One process, from spawn to exit. Fails with `ReplicaExited`; never succeeds. */
    const life = (rec: RevisionRecord, replica: Replica) =>
      Effect.gen(function* () {
        replica.state = "starting"
        replica.probeProblem = undefined
        const port =
          rec.config.port ??
          (yield* freePort({ exclude: usedPorts }).pipe(
            Effect.mapError(
              (e) => new ReplicaExited({ message: e.message, beforeReady: true, portRace: true }),
            ),
          ))
        usedPorts.add(port)
        yield* Effect.addFinalizer(() => Effect.sync(() => usedPorts.delete(port)))
        replica.port = port
        replica.log.startLife(`starting ${rec.config.argv.join(" ")} in ${rec.cwd} with PORT=${port}`)

        const child = yield* Effect.acquireRelease(spawnChild(rec, replica, port), (c) =>
          terminate(replica, c),
        )
        replica.pid = child.pid
        const exited = Effect.promise(() => child.exited).pipe(
          // The crash is reported only once its last lines are in the log file too, so
          // whoever reads the file on hearing of it finds them there.
          Effect.tap(() => Effect.promise(() => replica.log.flushed())),
          Effect.flatMap((info) => {
            const ready = replica.state === "ready" || replica.state === "unhealthy"
            // A crash explains itself in its last error line; a kill by signal usually does not.
            const detail =
              replica.log.lastError() ?? (info.signal === null ? replica.log.lastLine() : undefined)
            const message = `replica ${replica.index} of ${rec.revision.id} ${describeExit(info)}${detail ? `: ${detail}` : ""}`
            return Effect.fail(
              new ReplicaExited({
                message,
                beforeReady: !ready,
                portRace: !ready && /EADDRINUSE/.test(detail ?? ""),
              }),
            )
          }),
        )

        yield* Effect.raceFirst(exited, waitReady(rec, replica, port))

        const address = `127.0.0.1:${port}`
        yield* Effect.acquireRelease(
          Effect.gen(function* () {
            replica.state = "ready"
            replica.crashesBeforeReady = 0
            replica.probeProblem = undefined
            replica.log.note(`ready (GET ${rec.config.healthPath} → 2xx); serving at ${address}`)
            yield* publish(rec)
          }),
          () =>
            Effect.gen(function* () {
              // Out of the table first, then let what is in flight finish before the process is signalled.
              if (replica.state !== "stopping") replica.state = "backoff"
              yield* publish(rec)
              yield* proxy.awaitDrained(address).pipe(Effect.timeoutOption(gracePeriod))
            }),
        )
        return yield* Effect.raceFirst(exited, monitor(rec, replica, port))
      })

    /** Restarts a replica for ever: backoff within a crash streak, reset after a long healthy run. */
    const supervise = (rec: RevisionRecord, replica: Replica) => {
      const run = Effect.gen(function* () {
        const startedAt = Date.now()
        const crash = yield* Effect.flip(Effect.scoped(life(rec, replica)))
        replica.state = "backoff"
        replica.pid = undefined
        replica.restarts += 1
        rec.restarts += 1
        replica.lastError = crash.message
        rec.lastError = crash.message
        if (crash.beforeReady && !crash.portRace) replica.crashesBeforeReady += 1
        replica.log.note(`${crash.message}; restarting`)
        // A short life continues the crash streak (fail → the backoff schedule retries it).
        if (Date.now() - startedAt < resetAfter) return yield* Effect.fail(crash)
      })
      return run.pipe(
        Effect.retry(backoff),
        Effect.andThen(Effect.sleep(Duration.millis(backoffInitial))),
        Effect.forever,
      ) as Effect.Effect<never>
    }

    const stopReplica = (rec: RevisionRecord, replica: Replica) =>
      Effect.gen(function* () {
        replica.state = "stopping"
        yield* publish(rec)
        if (replica.fiber !== undefined) yield* Fiber.interrupt(replica.fiber)
        replica.log.note("replica stopped by the supervisor")
        // Stopped means the whole log, down to the stop itself, is on disk.
        yield* Effect.promise(() => replica.log.close())
        rec.replicas.delete(replica.index)
      })

    const reconcile = (rec: RevisionRecord) =>
      Effect.gen(function* () {
        for (let index = 1; index <= rec.desired; index++) {
          if (rec.replicas.has(index)) continue
          const replica: Replica = {
            index,
            log: new ReplicaLog(
              join(options.stateDir, "logs", rec.revision.id, `replica-${index}.log`),
              logLines,
            ),
            state: "starting",
            pid: undefined,
            port: undefined,
            restarts: 0,
            crashesBeforeReady: 0,
            lastError: undefined,
            probeProblem: undefined,
            fiber: undefined,
          }
          rec.replicas.set(index, replica)
          replica.fiber = yield* supervise(rec, replica).pipe(Effect.forkIn(scope))
        }
        const extra = [...rec.replicas.values()].filter((r) => r.index > rec.desired)
        yield* Effect.forEach(extra, (r) => stopReplica(rec, r), { concurrency: "unbounded", discard: true })
      })

    // Counted from what the proxy has, so `ensure` never returns before traffic can flow.
    const readyCount = (rec: RevisionRecord): number => rec.routed

    const healthOf = (rec: RevisionRecord): RevisionHealth => {
      const waiting = [...rec.replicas.values()].find(
        (r) => r.state !== "ready" && r.probeProblem !== undefined,
      )
      const lastError =
        rec.lastError ??
        (waiting
          ? `replica ${waiting.index} of ${rec.revision.id} is not ready: ${waiting.probeProblem}`
          : undefined)
      return {
        revision: rec.revision.id,
        desired: rec.desired,
        ready: readyCount(rec),
        restarts: rec.restarts,
        ...(lastError === undefined ? {} : { lastError }),
      }
    }

    const describeReplica = (r: Replica): string => {
      const where = r.pid === undefined ? "" : ` (pid ${r.pid}, port ${r.port})`
      switch (r.state) {
        case "ready":
          return `replica ${r.index}: ready${where}`
        case "starting":
          return `replica ${r.index}: running${where} but not ready — ${r.probeProblem ?? "no answer to the health probe yet"}; ${r.restarts} restart(s)${r.lastError ? `; last exit: ${r.lastError}` : ""}`
        default:
          return `replica ${r.index}: ${r.state}; ${r.restarts} restart(s)${r.lastError ? ` — ${r.lastError}` : ""}`
      }
    }

    const notReady = (rec: RevisionRecord, wanted: number, why: string): ComputeError => {
      const replicas = [...rec.replicas.values()].sort((a, b) => a.index - b.index)
      const worst = replicas.find((r) => r.state !== "ready") ?? replicas[0]
      const tail = worst?.log.tail(20) ?? []
      const message = [
        `revision ${rec.revision.id} is not ready: ${readyCount(rec)} of ${wanted} replica(s) ready — ${why}.`,
        ...replicas.map((r) => `  ${describeReplica(r)}`),
        ...(worst === undefined
          ? []
          : [
              `last ${tail.length} log line(s) of replica ${worst.index} (${worst.log.file}):`,
              ...tail.map((l) => `  | ${l}`),
            ]),
        `Fix the app, or its config (command ${JSON.stringify(rec.config.argv)}, healthPath ${rec.config.healthPath}, env), and deploy again.`,
      ].join("\n")
      return new ComputeError({ revision: rec.revision.id, message })
    }

    const awaitReady = (rec: RevisionRecord, wanted: number) =>
      Effect.gen(function* () {
        while (true) {
          const target = Math.min(wanted, rec.desired)
          if (readyCount(rec) >= target) return
          const looping = [...rec.replicas.values()].find((r) => r.crashesBeforeReady >= crashLoopLimit)
          if (looping !== undefined) {
            return yield* Effect.fail(
              notReady(
                rec,
                wanted,
                `replica ${looping.index} crashed ${looping.crashesBeforeReady} times before becoming ready`,
              ),
            )
          }
          yield* Effect.sleep(50)
        }
      }).pipe(
        Effect.timeoutOrElse({
          duration: Duration.millis(readyTimeout),
          orElse: () => Effect.fail(notReady(rec, wanted, `not ready within ${readyTimeout / 1000}s`)),
        }),
      )

    const register = (revision: Revision): Effect.Effect<RevisionRecord, ComputeError> =>
      Effect.gen(function* () {
        const known = revisions.get(revision.id)
        if (known !== undefined) return known
        const resolved = resolveRevisionConfig(revision)
        if (!resolved.ok)
          return yield* Effect.fail(new ComputeError({ revision: revision.id, message: resolved.problem }))
        const cwd = artifactDirectory(revision)
        if (cwd === undefined || !existsSync(cwd) || !statSync(cwd).isDirectory()) {
          return yield* Effect.fail(
            new ComputeError({
              revision: revision.id,
              message: `revision ${revision.id}: its artifact ${revision.artifact.uri} is not a directory on this machine; put it in the local ArtifactStore (file://…) before ensure`,
            }),
          )
        }
        const rec: RevisionRecord = {
          revision,
          config: resolved.config,
          cwd,
          desired: 0,
          replicas: new Map(),
          restarts: 0,
          routed: 0,
          lastError: undefined,
          lock: yield* Semaphore.make(1),
        }
        revisions.set(revision.id, rec)
        return rec
      })

    const known = (revision: string): Effect.Effect<RevisionRecord, ComputeError> => {
      const rec = revisions.get(revision)
      return rec === undefined
        ? Effect.fail(
            new ComputeError({
              revision,
              message: `revision ${revision} is not running on this machine; call ensure(revision, replicas) first`,
            }),
          )
        : Effect.succeed(rec)
    }

    const checkCount = (revision: string, replicas: number): Effect.Effect<void, ComputeError> =>
      Number.isInteger(replicas) && replicas >= 0
        ? Effect.void
        : Effect.fail(
            new ComputeError({ revision, message: `replicas must be a whole number ≥ 0, got ${replicas}` }),
          )

    const setDesired = (rec: RevisionRecord, replicas: number) =>
      rec.lock.withPermit(
        Effect.suspend(() => {
          if (rec.config.port !== undefined && replicas > 1) {
            return Effect.fail(
              new ComputeError({
                revision: rec.revision.id,
                message: `revision ${rec.revision.id} pins config.port ${rec.config.port}, so only one replica can run; remove config.port to let the supervisor assign a port per replica`,
              }),
            )
          }
          rec.desired = replicas
          return reconcile(rec)
        }),
      )

    const stopAll = Effect.suspend(() =>
      Effect.forEach(
        [...revisions.values()],
        (rec) =>
          Effect.forEach([...rec.replicas.values()], (r) => stopReplica(rec, r), {
            concurrency: "unbounded",
            discard: true,
          }),
        { concurrency: "unbounded", discard: true },
      ),
    )
    yield* Effect.addFinalizer(() => stopAll.pipe(Effect.andThen(Scope.close(scope, Exit.void))))

    return Supervisor.of({
      ensure: (revision, replicas) =>
        Effect.gen(function* () {
          yield* checkCount(revision.id, replicas)
          const rec = yield* register(revision)
          yield* setDesired(rec, replicas)
          yield* awaitReady(rec, replicas)
          return healthOf(rec)
        }),
      scale: (revision, replicas) =>
        Effect.gen(function* () {
          yield* checkCount(revision, replicas)
          const rec = yield* known(revision)
          yield* setDesired(rec, replicas)
        }),
      health: (revision) => Effect.map(known(revision), healthOf),
      stop: (revision) =>
        Effect.gen(function* () {
          const rec = revisions.get(revision)
          if (rec === undefined) return
          yield* rec.lock.withPermit(
            Effect.suspend(() => {
              rec.desired = 0
              return reconcile(rec)
            }),
          )
          revisions.delete(revision)
          yield* proxy.removeRevision(rec.revision.app, revision)
        }),
      status: Effect.sync(() =>
        [...revisions.values()].map((rec) => ({
          ...healthOf(rec),
          app: rec.revision.app,
          replicas: [...rec.replicas.values()]
            .sort((a, b) => a.index - b.index)
            .map((r) => ({
              index: r.index,
              state: r.state,
              pid: r.pid,
              port: r.port,
              restarts: r.restarts,
              lastError: r.lastError,
              logFile: r.log.file,
            })),
        })),
      ),
      logTail: (revision, replica = 1) =>
        Effect.flatMap(known(revision), (rec) => {
          const r = rec.replicas.get(replica)
          return r === undefined
            ? Effect.fail(
                new ComputeError({
                  revision,
                  message: `revision ${revision} has no replica ${replica} running`,
                }),
              )
            : Effect.succeed(r.log.tail())
        }),
    })
  })

/**
 * The replica supervisor. Needs the `WeightedProxy` (replicas join its routing table when
 * ready and are drained through it when stopped). Closing the layer's scope stops every
 * replica gracefully, in parallel.
 *
 * @example
 * import { makeRevision } from "@slipway/core"
 * import { Supervisor, WeightedProxy } from "@slipway/local"
 * import { Effect, Layer } from "effect"
 * const revision = makeRevision({
 *   app: "hello",
 *   artifact: { digest: "sha256:…", uri: "file:///srv/slipway/artifacts/sha256-…/" },
 *   config: { command: ["node", "server.js"], healthPath: "/healthz" },
 * })
 * const program = Effect.gen(function* () {
 *   const supervisor = yield* Supervisor
 *   const health = yield* supervisor.ensure(revision, 2) // { desired: 2, ready: 2, restarts: 0, … }
 * }).pipe(
 *   Effect.provide(Supervisor.layer({ stateDir: "/srv/slipway" }).pipe(Layer.provideMerge(WeightedProxy.layer()))),
 * )
 */
export class Supervisor extends Context.Service<Supervisor, SupervisorShape>()("@slipway/local/Supervisor") {
  static readonly layer = (options: SupervisorOptions): Layer.Layer<Supervisor, never, WeightedProxy> =>
    Layer.effect(Supervisor, make(options))
}
