/**
 * The rollout journal: where the engine writes down what it is about to do and what it
 * has done, so that a rollout interrupted by a crash resumes (or rolls back) to a
 * consistent state on the next run, and so that finished rollouts can be reported on.
 * It also holds the per-app lock that keeps two rollouts of one app from interleaving.
 */
import { hostname } from "node:os"
import { Clock, Context, Effect, Layer, Option, type Scope } from "effect"
import { type JournalError, RolloutLocked } from "./JournalError.ts"
import { HISTORY_LIMIT, makeFileJournal } from "./JournalFile.ts"
import { isFinished, type RolloutRecord } from "./RolloutRecord.ts"

/**
 * What a journal can do. Implement it to keep rollouts somewhere else (a database, S3).
 *
 * @example
 * import { Journal, type JournalShape } from "@slipway/core"
 * import { Effect, Layer } from "effect"
 * // a journal that logs every save, around another one
 * const logging = (inner: JournalShape): JournalShape => ({
 *   ...inner,
 *   save: (r) => Effect.tap(inner.save(r), () => Effect.log(`${r.app}: step ${r.stepIndex} ${r.stepPhase}`)),
 * })
 */
export interface JournalShape {
  /** The app's current rollout, or its last one when none is running. */
  readonly load: (app: string) => Effect.Effect<Option.Option<RolloutRecord>, JournalError>
  /** Replaces the app's current record, atomically; a finished record also enters the history. */
  readonly save: (record: RolloutRecord) => Effect.Effect<void, JournalError>
  /** Finished rollouts of the app, newest first (the last 50). */
  readonly history: (app: string) => Effect.Effect<ReadonlyArray<RolloutRecord>, JournalError>
  /** Holds the app's rollout lock until the scope closes; refuses while another holder is alive. */
  readonly lock: (
    app: string,
    owner: string,
  ) => Effect.Effect<void, RolloutLocked | JournalError, Scope.Scope>
}

/**
 * An in-memory journal: the same contract as the file journal, forgotten when the process ends.
 * Build one with `Journal.makeMemory` to share it between runs (to test crash and resume).
 */
const makeMemory: Effect.Effect<JournalShape> = Effect.sync(() => {
  const current = new Map<string, RolloutRecord>()
  const finished = new Map<string, Map<string, RolloutRecord>>()
  const locks = new Map<string, { readonly owner: string; readonly since: number }>()
  return {
    load: (app) => Effect.sync(() => Option.fromNullishOr(current.get(app))),
    save: (record) =>
      Effect.sync(() => {
        current.set(record.app, record)
        if (!isFinished(record)) return
        const byId = finished.get(record.app) ?? new Map<string, RolloutRecord>()
        byId.set(record.rolloutId, record)
        finished.set(record.app, byId)
      }),
    history: (app) =>
      Effect.sync(() =>
        [...(finished.get(app)?.values() ?? [])]
          .sort((a, b) => b.startedAt - a.startedAt)
          .slice(0, HISTORY_LIMIT),
      ),
    lock: (app, owner) =>
      Effect.gen(function* () {
        const since = yield* Clock.currentTimeMillis
        yield* Effect.acquireRelease(
          Effect.suspend(() => {
            const holder = locks.get(app)
            if (holder !== undefined) {
              return Effect.fail(
                new RolloutLocked({
                  app,
                  owner: holder.owner,
                  pid: process.pid,
                  host: hostname(),
                  since: holder.since,
                }),
              )
            }
            const mine = { owner, since }
            locks.set(app, mine)
            return Effect.succeed(mine)
          }),
          (mine) =>
            Effect.sync(() => {
              if (locks.get(app) === mine) locks.delete(app)
            }),
        )
      }),
  }
})

/**
 * The rollout journal service.
 *
 * @example
 * import { Journal } from "@slipway/core"
 * import { Effect, Option } from "effect"
 *
 * const lastStatus = (app: string) =>
 *   Effect.gen(function* () {
 *     const journal = yield* Journal
 *     const record = yield* journal.load(app)
 *     return Option.match(record, { onNone: () => "never deployed", onSome: (r) => r.status })
 *   }).pipe(Effect.provide(Journal.layerFile(".slipway")))
 */
export class Journal extends Context.Service<Journal, JournalShape>()("@slipway/core/Journal") {
  /**
   * A journal in `directory`: `<app>/current.json`, `<app>/history/`, `<app>/lock`.
   *
   * @example
   * import { Journal } from "@slipway/core"
   * const layer = Journal.layerFile(".slipway")
   */
  static readonly layerFile = (directory: string): Layer.Layer<Journal> =>
    Layer.sync(Journal, () => makeFileJournal(directory))

  /**
   * A fresh in-memory journal per layer build.
   *
   * @example
   * import { Journal } from "@slipway/core"
   * const layer = Journal.layerMemory
   */
  static readonly layerMemory: Layer.Layer<Journal> = Layer.effect(Journal, makeMemory)

  /**
   * Makes an in-memory journal to provide by hand, e.g. the same one to two runs.
   *
   * @example
   * import { Journal } from "@slipway/core"
   * import { Effect } from "effect"
   * const program = Effect.gen(function* () {
   *   const journal = yield* Journal.makeMemory
   *   // yield* first.pipe(Effect.provideService(Journal, journal)) … then second, same journal
   * })
   */
  static readonly makeMemory: Effect.Effect<JournalShape> = makeMemory
}
