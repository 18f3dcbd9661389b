import { once } from "node:events"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PassThrough } from "node:stream"
import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import { ReplicaLog } from "../src/ReplicaLog.ts"

let work: string
let counter = 0
const fresh = (capacity?: number) => new ReplicaLog(join(work, "logs", `replica-${++counter}.log`), capacity)
const contents = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "")

/** Feeds `chunks` through a stream the log captures; resolves once every chunk was delivered. */
const feed = async (log: ReplicaLog, chunks: ReadonlyArray<string>) => {
  const stream = new PassThrough()
  log.capture(stream)
  const ended = once(stream, "end")
  for (const chunk of chunks) stream.write(chunk)
  stream.end()
  await ended
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "slipway-replica-log-"))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe("ReplicaLog", () => {
  it("never makes the writer wait for the disk: the file catches up later", async () => {
    const log = fresh()
    log.note("starting")
    // The file is opened and written asynchronously; nothing can have landed yet.
    assert.strictEqual(contents(log.file), "")
    assert.deepStrictEqual(log.tail(), ["[slipway] starting"])
    await log.close()
  })

  it("keeps the last lines in memory as soon as the child's output arrives, split into lines", async () => {
    const log = fresh(3)
    await feed(log, ["one\ntw", "o\r\nthree\n", "four\nfive (no newline)"])
    assert.deepStrictEqual(log.tail(), ["three", "four", "five (no newline)"])
    assert.deepStrictEqual(log.tail(1), ["five (no newline)"])
    await log.close()
  })

  it("flushed() resolves once everything received so far is in the file", async () => {
    const log = fresh()
    log.note("starting node server.js")
    // Big enough that the stream must queue it behind the first write.
    const big = `${"x".repeat(1 << 20)}\n`
    await feed(log, ["Error: listen EADDRINUSE :::3000\n", big, "last words\n"])
    await log.flushed()
    assert.strictEqual(
      contents(log.file),
      `[slipway] starting node server.js\nError: listen EADDRINUSE :::3000\n${big}last words\n`,
    )
    // Nothing pending: resolves at once, and more than once.
    await log.flushed()
    await log.close()
  })

  it("close() resolves once the whole log, down to the last note, is on disk", async () => {
    const log = fresh()
    await feed(log, ["SIGTERM received: draining 1 in-flight request(s)\n"])
    log.note("stopped: exited with code 0")
    await log.close()
    assert.strictEqual(
      contents(log.file),
      "SIGTERM received: draining 1 in-flight request(s)\n[slipway] stopped: exited with code 0\n",
    )
    // After close, notes reach the memory ring but not the closed file, and nothing hangs.
    log.note("replica stopped by the supervisor")
    await log.flushed()
    await log.close()
    assert.strictEqual(log.tail().at(-1), "[slipway] replica stopped by the supervisor")
    assert.notInclude(contents(log.file), "replica stopped by the supervisor")
  })

  it("appends to an existing log: a restarted agent keeps the history", async () => {
    const first = fresh()
    first.note("first life")
    await first.close()
    const second = new ReplicaLog(first.file)
    second.note("second life")
    await second.close()
    assert.strictEqual(contents(first.file), "[slipway] first life\n[slipway] second life\n")
  })

  it("flushed() does not hang when the file cannot be written", async () => {
    // A directory where the file should be: opening it fails.
    const log = new ReplicaLog(join(work, "logs"))
    log.note("nowhere to go")
    await log.flushed()
    await log.close()
    assert.deepStrictEqual(log.tail(), ["[slipway] nowhere to go"])
  })

  it("explains an exit with the current process's error line, not an earlier one's", async () => {
    const log = fresh()
    log.startLife("starting (1)")
    await feed(log, ["Error: listen EADDRINUSE :::3000\n"])
    log.startLife("starting (2)")
    await feed(log, ["listening on 3001\n", "shutting down\n"])
    assert.isUndefined(log.lastError())
    assert.strictEqual(log.lastLine(), "shutting down")
    log.startLife("starting (3)")
    await feed(log, ["TypeError: x is not a function\n", "    at main (server.js:3:1)\n"])
    assert.strictEqual(log.lastError(), "TypeError: x is not a function")
    assert.strictEqual(log.lastLine(), "    at main (server.js:3:1)")
    await log.close()
  })
})
