import { spawn } from "node:child_process"
import { existsSync, writeFileSync } from "node:fs"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { RolloutControl } from "@slipway/core"
import { Effect } from "effect"
import { controlSocketPath, RolloutDriven, sendControl, serveControl } from "../src/ControlSocket.ts"
import { tempFolder } from "./support.ts"

const folder = tempFolder()
afterAll(() => folder.remove())

/** A RolloutControl that records what it is told. */
const recording = () => {
  const calls: Array<string> = []
  const control = {
    pause: Effect.sync(() => void calls.push("pause")),
    resume: Effect.sync(() => void calls.push("resume")),
    promote: (o?: { full?: boolean }) =>
      Effect.sync(() => void calls.push(o?.full ? "promote full" : "promote")),
    abort: (reason?: string) => Effect.sync(() => void calls.push(`abort: ${reason}`)),
  } as unknown as RolloutControl
  return { calls, control }
}

describe("control socket", () => {
  it.effect("delivers operator commands to the driving process, and is gone when it stops", () =>
    Effect.gen(function* () {
      const path = controlSocketPath(folder.dir, "deliver")
      const { calls, control } = recording()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* serveControl(path, control)
          assert.isTrue(yield* sendControl(path, { command: "promote", full: true }))
          assert.isTrue(yield* sendControl(path, { command: "pause" }))
          assert.isTrue(yield* sendControl(path, { command: "abort", reason: "p99 up" }))
        }),
      )
      assert.deepStrictEqual(calls, ["promote full", "pause", "abort: p99 up"])
      assert.isFalse(existsSync(path))
    }),
  )

  it.effect("answers false when no process drives the rollout, even with a socket file left behind", () =>
    Effect.gen(function* () {
      assert.isFalse(yield* sendControl(controlSocketPath(folder.dir, "nobody"), { command: "resume" }))
      const stale = controlSocketPath(folder.dir, "killed")
      writeFileSync(stale, "")
      assert.isFalse(yield* sendControl(stale, { command: "resume" }))
    }),
  )

  it.effect("takes over the socket file of a driver that was killed", () =>
    Effect.gen(function* () {
      const path = controlSocketPath(folder.dir, "takeover")
      // What `kill -9` leaves: a socket file nobody listens on any more.
      yield* Effect.promise(async () => {
        const child = spawn(process.execPath, [
          "-e",
          `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`,
        ])
        await new Promise((resolve) => child.stdout.once("data", resolve))
        child.kill("SIGKILL")
        await new Promise((resolve) => child.once("exit", resolve))
      })
      assert.isTrue(existsSync(path))
      const { calls, control } = recording()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* serveControl(path, control)
          assert.isTrue(yield* sendControl(path, { command: "resume" }))
        }),
      )
      assert.deepStrictEqual(calls, ["resume"])
    }),
  )

  it.effect("refuses to take the socket from a live driver, which keeps receiving commands", () =>
    Effect.gen(function* () {
      const path = controlSocketPath(folder.dir, "busy")
      const first = recording()
      const second = recording()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* serveControl(path, first.control)
          const refused = yield* Effect.flip(Effect.scoped(serveControl(path, second.control)))
          assert.instanceOf(refused, RolloutDriven)
          assert.match(refused.message, /another slipway process is driving this app's rollout/)
          assert.isTrue(yield* sendControl(path, { command: "promote", full: false }))
        }),
      )
      assert.deepStrictEqual(first.calls, ["promote"])
      assert.deepStrictEqual(second.calls, [])
    }),
  )
})
