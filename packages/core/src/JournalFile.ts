/**
 * The journal on disk, one folder per app:
 *
 *   <directory>/<app>/current.json         the current (or last) rollout
 *   <directory>/<app>/history/<start>-<id>.json   finished rollouts, the newest 50 kept
 *   <directory>/<app>/lock                 held while a rollout runs
 *
 * Every write is atomic — a temporary file is written, fsynced and renamed over the old
 * one, then the folder is fsynced — so a process killed mid-write leaves either the old
 * record or the new one, never half of one. Leftover temporary files are ignored when
 * reading and swept up by the next lock holder.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs/promises"
import * as nodePath from "node:path"
import { Effect, Option } from "effect"
import { acquireFileLock } from "./FileLock.ts"
import type { JournalShape } from "./Journal.ts"
import { JournalError } from "./JournalError.ts"
import { decodeRolloutRecord, isFinished, type RolloutRecord } from "./RolloutRecord.ts"

/**
 * Finished rollouts kept per app; older ones are deleted.
 *
 * @example
 * import { HISTORY_LIMIT } from "@slipway/core"
 * console.log(`history keeps the last ${HISTORY_LIMIT} rollouts`)
 */
export const HISTORY_LIMIT = 50

const TMP_SUFFIX = ".tmp"

const errnoOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : undefined

// App names become folder names: refuse anything that could climb out of the journal.
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

const fileSafe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, "_")

/** Writes `data` to `path` so that readers see the old content or the new, never a mix. */
const writeAtomic = async (path: string, data: string): Promise<void> => {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}${TMP_SUFFIX}`
  try {
    const handle = await fs.open(tmp, "w", 0o644)
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(tmp, path)
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined)
    throw e
  }
  // The rename is durable only once the folder's entry is on disk.
  const dir = await fs.open(nodePath.dirname(path), "r")
  try {
    await dir.sync().catch(() => undefined)
  } finally {
    await dir.close()
  }
}

/**
 * The file journal's implementation (use `Journal.layerFile(directory)`).
 *
 * @example
 * import { Journal, makeFileJournal } from "@slipway/core"
 * import { Layer } from "effect"
 * const layer = Layer.succeed(Journal, makeFileJournal(".slipway"))
 */
export const makeFileJournal = (directory: string): JournalShape => {
  const root = nodePath.resolve(directory)

  const folder = (app: string, operation: JournalError["operation"]) =>
    SAFE_SEGMENT.test(app)
      ? Effect.succeed(nodePath.join(root, app))
      : Effect.fail(
          new JournalError({
            app,
            operation,
            path: root,
            message: `app name ${JSON.stringify(app)} cannot name a journal folder; use letters, digits, '.', '_' and '-'`,
          }),
        )

  const attempt = <A>(
    app: string,
    operation: JournalError["operation"],
    path: string,
    run: () => Promise<A>,
  ): Effect.Effect<A, JournalError> =>
    Effect.tryPromise({
      try: run,
      catch: (cause) => new JournalError({ app, operation, path, message: String(cause), cause }),
    })

  const readRecord = (app: string, operation: JournalError["operation"], path: string) =>
    Effect.gen(function* () {
      const text = yield* attempt(app, operation, path, () =>
        fs.readFile(path, "utf8").catch((e: unknown) => {
          if (errnoOf(e) === "ENOENT") return undefined
          throw e
        }),
      )
      if (text === undefined) return Option.none<RolloutRecord>()
      const parsed = yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (cause) =>
          new JournalError({
            app,
            operation,
            path,
            message: `${path} is not valid JSON (${String(cause)}); move it aside to let Slipway start afresh`,
            cause,
          }),
      })
      const record = yield* decodeRolloutRecord(parsed).pipe(
        Effect.mapError(
          (cause) =>
            new JournalError({
              app,
              operation,
              path,
              message: `${path} is not a rollout record (${cause.message}); move it aside to let Slipway start afresh`,
              cause,
            }),
        ),
      )
      return Option.some<RolloutRecord>(record)
    })

  const pruneHistory = async (dir: string): Promise<void> => {
    const names = (await fs.readdir(dir)).filter((n) => n.endsWith(".json")).sort()
    for (const name of names.slice(0, Math.max(0, names.length - HISTORY_LIMIT))) {
      await fs.rm(nodePath.join(dir, name), { force: true })
    }
  }

  return {
    load: (app) =>
      Effect.flatMap(folder(app, "load"), (dir) =>
        readRecord(app, "load", nodePath.join(dir, "current.json")),
      ),

    save: (record) =>
      Effect.flatMap(folder(record.app, "save"), (dir) => {
        const current = nodePath.join(dir, "current.json")
        return attempt(record.app, "save", current, async () => {
          await fs.mkdir(dir, { recursive: true })
          const text = `${JSON.stringify(record, null, 2)}\n`
          await writeAtomic(current, text)
          if (isFinished(record)) {
            const historyDir = nodePath.join(dir, "history")
            await fs.mkdir(historyDir, { recursive: true })
            const name = `${String(record.startedAt).padStart(15, "0")}-${fileSafe(record.rolloutId)}.json`
            await writeAtomic(nodePath.join(historyDir, name), text)
            await pruneHistory(historyDir)
          }
        })
      }),

    history: (app) =>
      Effect.gen(function* () {
        const dir = nodePath.join(yield* folder(app, "history"), "history")
        const names = yield* attempt(app, "history", dir, () =>
          fs.readdir(dir).catch((e: unknown) => {
            if (errnoOf(e) === "ENOENT") return [] as Array<string>
            throw e
          }),
        )
        const newest = names
          .filter((n) => n.endsWith(".json"))
          .sort()
          .reverse()
          .slice(0, HISTORY_LIMIT)
        const records: Array<RolloutRecord> = []
        for (const name of newest) {
          const record = yield* readRecord(app, "history", nodePath.join(dir, name))
          if (Option.isSome(record)) records.push(record.value)
        }
        return records
      }),

    lock: (app, owner) =>
      Effect.gen(function* () {
        const dir = yield* folder(app, "lock")
        yield* attempt(app, "lock", dir, () => fs.mkdir(dir, { recursive: true }))
        yield* acquireFileLock({ app, path: nodePath.join(dir, "lock"), owner })
        // Only the lock holder writes, so temporary files left now are a dead writer's.
        yield* attempt(app, "lock", dir, async () => {
          for (const name of await fs.readdir(dir)) {
            if (name.endsWith(TMP_SUFFIX)) await fs.rm(nodePath.join(dir, name), { force: true })
          }
        })
      }),
  }
}
