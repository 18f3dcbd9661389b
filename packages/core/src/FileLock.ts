/**
 * A lock file that says "a rollout of this app is running here": created with O_EXCL so
 * exactly one process wins, holding `{pid, host, owner, since}` so a refused caller can be
 * told who holds it. A holder that died without releasing it (kill -9, a crash, a power
 * cut) leaves a stale file; a lock whose pid is no longer alive on this host is taken over.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs/promises"
import { hostname } from "node:os"
import { Clock, Effect, type Scope } from "effect"
import { JournalError, RolloutLocked } from "./JournalError.ts"

interface LockContent {
  readonly pid: number
  readonly host: string
  readonly owner: string
  readonly since: number
  /** Identifies this acquisition, so release never removes a lock someone else took over. */
  readonly token: string
}

// A lock file with no parsable content is one being written right now, or the remains of
// a holder that died between creating and writing it; after this long it is the latter.
const UNREADABLE_GRACE_MS = 10_000
const MAX_ATTEMPTS = 4

const errnoOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : undefined

/**
 * Whether a process with this pid exists on this machine. `kill(pid, 0)` sends nothing;
 * ESRCH means there is no such process, EPERM that it exists but belongs to someone else.
 *
 * @example
 * import { isProcessAlive } from "@slipway/core"
 * isProcessAlive(process.pid) // true
 */
export const isProcessAlive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return errnoOf(e) !== "ESRCH"
  }
}

const parseContent = (text: string): LockContent | undefined => {
  try {
    const v = JSON.parse(text) as Partial<LockContent>
    if (typeof v.pid !== "number" || typeof v.host !== "string" || typeof v.since !== "number")
      return undefined
    return {
      pid: v.pid,
      host: v.host,
      owner: typeof v.owner === "string" ? v.owner : "unknown",
      since: v.since,
      token: typeof v.token === "string" ? v.token : "",
    }
  } catch {
    return undefined
  }
}

type Attempt =
  | { readonly _tag: "Acquired" }
  | { readonly _tag: "Held"; readonly holder: LockContent }
  | { readonly _tag: "Retry" }

const attempt = async (path: string, mine: LockContent): Promise<Attempt> => {
  try {
    const handle = await fs.open(path, "wx", 0o644)
    try {
      await handle.writeFile(JSON.stringify(mine))
      await handle.sync()
    } finally {
      await handle.close()
    }
    return { _tag: "Acquired" }
  } catch (e) {
    if (errnoOf(e) !== "EEXIST") throw e
  }
  let text: string
  let modified: number
  try {
    text = await fs.readFile(path, "utf8")
    modified = (await fs.stat(path)).mtimeMs
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return { _tag: "Retry" } // released meanwhile
    throw e
  }
  const holder = parseContent(text)
  const stale =
    holder === undefined
      ? Date.now() - modified > UNREADABLE_GRACE_MS
      : holder.host === mine.host && !isProcessAlive(holder.pid)
  if (!stale) {
    return {
      _tag: "Held",
      holder: holder ?? {
        pid: 0,
        host: mine.host,
        owner: "a process still writing the lock",
        since: modified,
        token: "",
      },
    }
  }
  // Take over by moving the stale file aside, then checking that what was moved is the
  // file judged stale: if another process took it over in between, put theirs back.
  const aside = `${path}.stale-${process.pid}-${randomUUID()}`
  try {
    await fs.rename(path, aside)
  } catch (e) {
    if (errnoOf(e) === "ENOENT") return { _tag: "Retry" }
    throw e
  }
  const moved = await fs.readFile(aside, "utf8").catch(() => "")
  if (moved !== text) await fs.link(aside, path).catch(() => undefined)
  await fs.rm(aside, { force: true })
  return { _tag: "Retry" }
}

const release = async (path: string, token: string): Promise<void> => {
  const text = await fs.readFile(path, "utf8").catch(() => undefined)
  if (text !== undefined && parseContent(text)?.token === token) await fs.rm(path, { force: true })
}

/**
 * Takes the lock file at `path` for the life of the scope, or fails with `RolloutLocked`
 * naming the live holder. A stale lock (its pid is dead on this host) is taken over.
 *
 * @example
 * import { acquireFileLock } from "@slipway/core"
 * import { Effect } from "effect"
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     yield* acquireFileLock({ app: "hello", path: ".slipway/hello/lock", owner: "deploy" })
 *     // … only one process gets here at a time
 *   }),
 * )
 */
export const acquireFileLock = (options: {
  readonly app: string
  readonly path: string
  readonly owner: string
}): Effect.Effect<void, RolloutLocked | JournalError, Scope.Scope> =>
  Effect.gen(function* () {
    const since = yield* Clock.currentTimeMillis
    const mine: LockContent = {
      pid: process.pid,
      host: hostname(),
      owner: options.owner,
      since,
      token: randomUUID(),
    }
    const failed = (message: string, cause: unknown) =>
      new JournalError({ app: options.app, operation: "lock", path: options.path, message, cause })
    yield* Effect.acquireRelease(
      Effect.gen(function* () {
        for (let i = 0; i < MAX_ATTEMPTS; i++) {
          const result = yield* Effect.tryPromise({
            try: () => attempt(options.path, mine),
            catch: (e) => failed(`cannot take the lock: ${String(e)}`, e),
          })
          if (result._tag === "Acquired") return
          if (result._tag === "Held") {
            return yield* Effect.fail(
              new RolloutLocked({
                app: options.app,
                owner: result.holder.owner,
                pid: result.holder.pid,
                host: result.holder.host,
                since: result.holder.since,
              }),
            )
          }
        }
        return yield* Effect.fail(
          failed(`the lock kept changing hands over ${MAX_ATTEMPTS} attempts; try again`, undefined),
        )
      }),
      () => Effect.promise(() => release(options.path, mine.token).catch(() => undefined)),
    )
  })
