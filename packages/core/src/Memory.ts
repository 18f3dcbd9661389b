/**
 * In-memory implementations of all six capabilities, sharing one inspectable world, for
 * tests of anything built on them (the engine's own tests, strategies, gates, the CLI).
 *
 * The world records every state-changing call in order (`ensure rev-b 2`,
 * `setWeights app {rev-a:80,rev-b:20}`, `scale rev-b 0`, …; reads such as `health` and
 * `weights` are not logged), lets a test inject failures (a call fails N times, a
 * revision never becomes ready), and serves metrics the test sets per revision.
 */
import { Context, Effect, Layer } from "effect"
import {
  type Artifact,
  ArtifactStore,
  Compute,
  ComputeError,
  Dns,
  DnsError,
  MetricError,
  type MetricQuery,
  type MetricResult,
  MetricSource,
  PackageError,
  Packager,
  type RevisionHealth,
  RouterError,
  TrafficRouter,
  UploadError,
  type Weights,
} from "./Capabilities.ts"
import { canonicalJson, sha256 } from "./Revision.ts"

/**
 * Calls a fault can target.
 *
 * @example
 * import type { MemoryOperation } from "@slipway/core"
 * const op: MemoryOperation = "setWeights"
 */
export type MemoryOperation =
  | "ensure"
  | "scale"
  | "health"
  | "setWeights"
  | "package"
  | "put"
  | "dns"
  | "query"

/**
 * A failure to inject: the next `times` calls of `operation` (on `target`, if given) fail.
 *
 * @example
 * import type { Fault } from "@slipway/core"
 * const flakyRouter: Fault = { operation: "setWeights", times: 1, message: "throttled" }
 * const brokenImage: Fault = { operation: "ensure", target: "shop-b", message: "image not found" }
 */
export interface Fault {
  readonly operation: MemoryOperation
  /** Revision id (ensure, scale, health, query), app (setWeights, package, dns) or digest (put). */
  readonly target?: string
  /** How many calls fail; default: every call from now on. */
  readonly times?: number
  readonly message?: string
}

/**
 * A metric value, a full result, or a function of the query.
 *
 * @example
 * import type { MetricValue } from "@slipway/core"
 * const errorRate: MetricValue = 0.002
 * const latency: MetricValue = (q) => ({ query: q.metric, value: 120, count: 3, samples: [100, 120, 140] })
 */
export type MetricValue = number | null | MetricResult | ((query: MetricQuery) => MetricResult)

interface RevisionState {
  desired: number
  ready: number
  restarts: number
  lastError?: string
}

/**
 * The state behind the memory layers, for a test to read and steer.
 *
 * @example
 * import { Memory, MemoryWorld } from "@slipway/core"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const world = yield* MemoryWorld
 *   yield* world.fail({ operation: "setWeights", times: 1 }) // the next setWeights fails once
 *   // … run a rollout …
 *   const calls = yield* world.calls // ["ensure hello-b 2", "setWeights hello {hello-a:90,hello-b:10}", …]
 * }).pipe(Effect.provide(Memory.layer))
 */
export class MemoryWorld extends Context.Service<
  MemoryWorld,
  {
    /** Every state-changing call so far, in order; a failed call ends with ` -> failed: <message>`. */
    readonly calls: Effect.Effect<ReadonlyArray<string>>
    readonly clearCalls: Effect.Effect<void>
    /** Current weights of an app (empty when never set). */
    readonly weights: (app: string) => Effect.Effect<Weights>
    /** Desired replicas of a revision (0 when unknown). */
    readonly replicas: (revision: string) => Effect.Effect<number>
    /** Ready replicas of a revision (0 when unknown). */
    readonly ready: (revision: string) => Effect.Effect<number>
    /** Sets state without logging a call: what already runs before the test starts. */
    readonly seed: (state: {
      readonly weights?: Readonly<Record<string, Weights>>
      readonly replicas?: Readonly<Record<string, number>>
    }) => Effect.Effect<void>
    /** Injects a failure. */
    readonly fail: (fault: Fault) => Effect.Effect<void>
    /** `ensure` of this revision never completes, and its health reports `lastError`. */
    readonly neverReady: (revision: string, lastError?: string) => Effect.Effect<void>
    /** What `MetricSource.query` returns for this revision and metric. */
    readonly setMetric: (revision: string, metric: string, value: MetricValue) => Effect.Effect<void>
    /** The six capabilities over this world. */
    readonly services: {
      readonly compute: Compute["Service"]
      readonly router: TrafficRouter["Service"]
      readonly metrics: MetricSource["Service"]
      readonly packager: Packager["Service"]
      readonly store: ArtifactStore["Service"]
      readonly dns: Dns["Service"]
    }
  }
>()("@slipway/core/MemoryWorld") {}

const formatWeights = (weights: Weights): string =>
  `{${Object.keys(weights)
    .sort()
    .map((k) => `${k}:${weights[k]}`)
    .join(",")}}`

/**
 * Makes a fresh world; `layerWorld(world)` turns it into layers. Building the world
 * yourself lets several runs (a crash, then a resume) share it.
 *
 * @example
 * import { Memory } from "@slipway/core"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const world = yield* Memory.makeWorld
 *   // yield* first.pipe(Effect.provide(Memory.layerWorld(world))); then second, same world
 * })
 */
export const makeWorld: Effect.Effect<MemoryWorld["Service"]> = Effect.sync(() => {
  const log: Array<string> = []
  const revisions = new Map<string, RevisionState>()
  const routes = new Map<string, Weights>()
  const faults: Array<{ fault: Fault; left: number }> = []
  const stuck = new Map<string, string>()
  const metrics = new Map<string, MetricValue>()
  const artifacts = new Map<string, Artifact>()
  const stored = new Set<string>()

  const stateOf = (revision: string): RevisionState => {
    let state = revisions.get(revision)
    if (state === undefined) {
      state = { desired: 0, ready: 0, restarts: 0 }
      revisions.set(revision, state)
    }
    return state
  }

  /** The injected failure message for this call, if one applies (consuming it). */
  const injected = (operation: MemoryOperation, target: string): string | undefined => {
    const i = faults.findIndex(
      (f) => f.fault.operation === operation && (f.fault.target === undefined || f.fault.target === target),
    )
    if (i < 0) return undefined
    const f = faults[i]!
    f.left -= 1
    if (f.left <= 0) faults.splice(i, 1)
    return f.fault.message ?? `injected ${operation} failure`
  }

  /** Logs the call and fails it with `error` when a fault applies. */
  const call = <E>(
    entry: string | undefined,
    operation: MemoryOperation,
    target: string,
    error: (message: string) => E,
  ): Effect.Effect<void, E> =>
    Effect.suspend(() => {
      const message = injected(operation, target)
      if (entry !== undefined) log.push(message === undefined ? entry : `${entry} -> failed: ${message}`)
      return message === undefined ? Effect.void : Effect.fail(error(message))
    })

  const health = (revision: string): RevisionHealth => {
    const s = stateOf(revision)
    return {
      revision,
      desired: s.desired,
      ready: s.ready,
      restarts: s.restarts,
      ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
    }
  }

  const compute = Compute.of({
    ensure: (revision, replicas) =>
      call(
        `ensure ${revision.id} ${replicas}`,
        "ensure",
        revision.id,
        (message) => new ComputeError({ revision: revision.id, message }),
      ).pipe(
        Effect.flatMap(() => {
          const s = stateOf(revision.id)
          s.desired = replicas
          const problem = stuck.get(revision.id)
          if (problem !== undefined) {
            s.ready = 0
            s.lastError = problem
            return Effect.never
          }
          s.ready = replicas
          return Effect.succeed(health(revision.id))
        }),
      ),
    scale: (revision, replicas) =>
      call(
        `scale ${revision} ${replicas}`,
        "scale",
        revision,
        (message) => new ComputeError({ revision, message }),
      ).pipe(
        Effect.andThen(
          Effect.sync(() => {
            const s = stateOf(revision)
            s.desired = replicas
            s.ready = stuck.has(revision) ? 0 : replicas
          }),
        ),
      ),
    health: (revision) =>
      call(undefined, "health", revision, (message) => new ComputeError({ revision, message })).pipe(
        Effect.map(() => health(revision)),
      ),
  })

  const router = TrafficRouter.of({
    setWeights: (app, weights) =>
      call(
        `setWeights ${app} ${formatWeights(weights)}`,
        "setWeights",
        app,
        (message) => new RouterError({ message }),
      ).pipe(
        Effect.flatMap(() => {
          const values = Object.values(weights)
          const total = values.reduce((a, b) => a + b, 0)
          if (values.some((v) => !Number.isInteger(v) || v < 0 || v > 100) || total !== 100) {
            return Effect.fail(
              new RouterError({
                message: `weights ${formatWeights(weights)} must be whole percents summing to 100`,
              }),
            )
          }
          routes.set(app, { ...weights })
          return Effect.void
        }),
      ),
    weights: (app) => Effect.sync(() => ({ ...(routes.get(app) ?? {}) })),
  })

  const metricSource = MetricSource.of({
    query: (query) => {
      const text = `memory:${query.metric}{app="${query.app}",revision="${query.revision}"}[${query.window}ms]`
      return call(
        undefined,
        "query",
        query.revision,
        (message) => new MetricError({ query: text, message }),
      ).pipe(
        Effect.map((): MetricResult => {
          const value = metrics.get(`${query.revision}\u0000${query.metric}`)
          if (value === undefined || value === null) return { query: text, value: null, count: 0 }
          if (typeof value === "number") return { query: text, value, count: 1 }
          if (typeof value === "function") return value(query)
          return value
        }),
      )
    },
  })

  const packager = Packager.of({
    package: (source) =>
      call(
        `package ${source.app}`,
        "package",
        source.app,
        (message) => new PackageError({ app: source.app, message }),
      ).pipe(
        Effect.map(() => {
          const digest = sha256(canonicalJson(source))
          const known = artifacts.get(digest)
          if (known !== undefined) return { ...known, reused: true }
          const artifact: Artifact = {
            digest,
            path: `memory://packages/${digest.slice(7, 19)}`,
            bytes: 1024,
            reused: false,
          }
          artifacts.set(digest, artifact)
          return artifact
        }),
      ),
  })

  const store = ArtifactStore.of({
    put: (artifact) =>
      call(
        `put ${artifact.digest}`,
        "put",
        artifact.digest,
        (message) => new UploadError({ digest: artifact.digest, message }),
      ).pipe(
        Effect.map(() => {
          stored.add(artifact.digest)
          return { digest: artifact.digest, uri: `memory://artifacts/${artifact.digest.slice(7)}` }
        }),
      ),
    has: (digest) => Effect.sync(() => stored.has(digest)),
  })

  const dns = Dns.of({
    ensure: (app) =>
      call(`dns ${app}`, "dns", app, (message) => new DnsError({ name: app, message })).pipe(
        Effect.as(`http://${app}.memory.test`),
      ),
  })

  return MemoryWorld.of({
    calls: Effect.sync(() => [...log]),
    clearCalls: Effect.sync(() => {
      log.length = 0
    }),
    weights: (app) => Effect.sync(() => ({ ...(routes.get(app) ?? {}) })),
    replicas: (revision) => Effect.sync(() => revisions.get(revision)?.desired ?? 0),
    ready: (revision) => Effect.sync(() => revisions.get(revision)?.ready ?? 0),
    seed: (state) =>
      Effect.sync(() => {
        for (const [app, weights] of Object.entries(state.weights ?? {})) routes.set(app, { ...weights })
        for (const [revision, n] of Object.entries(state.replicas ?? {})) {
          const s = stateOf(revision)
          s.desired = n
          s.ready = n
        }
      }),
    fail: (fault) =>
      Effect.sync(() => {
        faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY })
      }),
    neverReady: (revision, lastError = "readiness probe failed") =>
      Effect.sync(() => {
        stuck.set(revision, lastError)
      }),
    setMetric: (revision, metric, value) =>
      Effect.sync(() => {
        metrics.set(`${revision}\u0000${metric}`, value)
      }),
    services: { compute, router, metrics: metricSource, packager, store, dns },
  })
})

/**
 * Layers for all six capabilities over `world`, plus `MemoryWorld` itself.
 *
 * @example
 * import { Memory } from "@slipway/core"
 * const layer = Memory.layerWorld(world)
 */
export const layerWorld = (
  world: MemoryWorld["Service"],
): Layer.Layer<Compute | TrafficRouter | MetricSource | Packager | ArtifactStore | Dns | MemoryWorld> =>
  Layer.mergeAll(
    Layer.succeed(MemoryWorld, world),
    Layer.succeed(Compute, world.services.compute),
    Layer.succeed(TrafficRouter, world.services.router),
    Layer.succeed(MetricSource, world.services.metrics),
    Layer.succeed(Packager, world.services.packager),
    Layer.succeed(ArtifactStore, world.services.store),
    Layer.succeed(Dns, world.services.dns),
  )

/**
 * All six capabilities in memory over a fresh world (read it through `MemoryWorld`).
 *
 * @example
 * import { Memory, MemoryWorld } from "@slipway/core"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const world = yield* MemoryWorld
 *   yield* world.setMetric("hello-b", "error_rate", 0.002)
 * }).pipe(Effect.provide(Memory.layer))
 */
export const layer: Layer.Layer<
  Compute | TrafficRouter | MetricSource | Packager | ArtifactStore | Dns | MemoryWorld
> = Layer.unwrap(Effect.map(makeWorld, layerWorld))
