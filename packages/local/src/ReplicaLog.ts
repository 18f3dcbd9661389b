/**
 * A replica's output: appended to a file in the state directory (the whole history, for
 * people) and kept as a ring of the last lines in memory (for error messages such as
 * "replica 1 of hello-3f9c exited with code 1: Error: listen EADDRINUSE …").
 *
 * The ring is fed synchronously from the child's `data` events, so error messages never
 * wait for the disk. The file is written through an async stream (the app is never held up
 * by our I/O); whoever reads the file must first await `flushed()` (or `close()`).
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs"
import { dirname } from "node:path"
import type { Readable } from "node:stream"
import { finished } from "node:stream/promises"

/**
 * A log file plus an in-memory tail.
 *
 * @example
 * import { ReplicaLog } from "@slipway/local"
 * const log = new ReplicaLog("/tmp/state/logs/hello-3f9c/replica-1.log", 50)
 * log.note("starting")
 * log.tail() // ["[slipway] starting"] — at once, from memory
 * await log.flushed() // now the file holds "[slipway] starting\n" too
 * await log.close()
 */
export class ReplicaLog {
  readonly file: string
  private readonly capacity: number
  private readonly lines: Array<string> = []
  private readonly out: WriteStream
  private readonly partial = new Map<Readable, string>()
  // Lines ever pushed, and the count when the current process started: error lines of an
  // earlier life must not explain this one's exit.
  private total = 0
  private lifeStart = 0
  private closing: Promise<void> | undefined

  constructor(file: string, capacity = 50) {
    this.file = file
    this.capacity = capacity
    mkdirSync(dirname(file), { recursive: true })
    this.out = createWriteStream(file, { flags: "a" })
    // A log that cannot be written must not take the replica down; the ring still works.
    this.out.on("error", () => undefined)
  }

  /** Copies a child's stdout or stderr into the log, line by line. */
  capture(stream: Readable): void {
    stream.setEncoding("utf8")
    stream.on("data", (chunk: string) => {
      this.write(chunk)
      const text = (this.partial.get(stream) ?? "") + chunk
      const parts = text.split(/\r?\n/)
      this.partial.set(stream, parts.pop() ?? "")
      for (const line of parts) this.push(line)
    })
    stream.on("end", () => {
      const rest = this.partial.get(stream)
      if (rest) this.push(rest)
      this.partial.delete(stream)
    })
  }

  /** Adds a line of the supervisor's own (marked `[slipway]`). */
  note(text: string): void {
    const line = `[slipway] ${text}`
    this.write(`${line}\n`)
    this.push(line)
  }

  /** Marks the start of a new process: `lastError`/`lastLine` only look after this point. */
  startLife(text: string): void {
    this.lifeStart = this.total
    this.note(text)
  }

  /** The last `n` lines (default: all kept). */
  tail(n: number = this.capacity): ReadonlyArray<string> {
    return this.lines.slice(-n)
  }

  /** The last line of the current process's output that looks like an error (`Error: listen EADDRINUSE …`). */
  lastError(): string | undefined {
    return [...this.appLines()]
      .reverse()
      .find((l) => /error|exception|fatal|panic|EADDRINUSE|ENOENT/i.test(l))
  }

  /** The last non-empty line of the current process's own output. */
  lastLine(): string | undefined {
    return this.appLines().at(-1)
  }

  private appLines(): Array<string> {
    const first = Math.max(0, this.lifeStart - (this.total - this.lines.length))
    return this.lines.slice(first).filter((l) => !l.startsWith("[slipway]") && l.trim().length > 0)
  }

  /**
   * Resolves once everything received so far is in the file (or the file has failed, in
   * which case it never will be). Later output is not waited for.
   */
  flushed(): Promise<void> {
    if (this.closing !== undefined) return this.closing
    // A stream completes its writes in order, so an empty one completes after everything
    // before it; on a failed file its callback gets the error at once.
    return new Promise((resolve) => this.out.write("", () => resolve()))
  }

  /** Ends the file; resolves once all of it is on disk and the file is closed. Idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.out.end()
      this.closing = finished(this.out).then(
        () => undefined,
        () => undefined,
      )
    }
    return this.closing
  }

  private write(text: string): void {
    // After close the line still reaches the ring; the file is done.
    if (this.closing === undefined) this.out.write(text)
  }

  private push(line: string): void {
    this.total += 1
    this.lines.push(line)
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity)
  }
}
