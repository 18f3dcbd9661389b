/**
 * The two ways the journal can refuse: it cannot read or write its storage, or another
 * rollout of the same app holds the lock.
 */
import { Data } from "effect"

/**
 * The journal could not read or write its storage. `path` names the file (or `memory`),
 * `operation` what was being done.
 *
 * @example
 * import { JournalError } from "@slipway/core"
 * new JournalError({ app: "hello", operation: "save", path: ".slipway/hello/current.json", message: "disk full" })
 */
export class JournalError extends Data.TaggedError("JournalError")<{
  readonly app: string
  readonly operation: "load" | "save" | "history" | "lock" | "unlock"
  readonly path: string
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Another rollout of the app is running: it holds the journal's lock.
 *
 * @example
 * import { RolloutLocked } from "@slipway/core"
 * const e = new RolloutLocked({ app: "hello", owner: "ci", pid: 123, host: "build-1", since: 0 })
 * e.message // "another rollout of hello is running (pid 123 since 1970-01-01T00:00:00.000Z, by ci on build-1); wait for it, or run `slipway abort`"
 */
export class RolloutLocked extends Data.TaggedError("RolloutLocked")<{
  readonly app: string
  /** Who holds the lock (as given to `Journal.lock`). */
  readonly owner: string
  readonly pid: number
  readonly host: string
  /** When the holder took the lock (epoch ms). */
  readonly since: number
}> {
  override get message(): string {
    return `another rollout of ${this.app} is running (pid ${this.pid} since ${new Date(this.since).toISOString()}, by ${this.owner} on ${this.host}); wait for it, or run \`slipway abort\``
  }
}
