import { spawnSync } from "node:child_process"
import * as fs from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Scope } from "effect"
import { isProcessAlive } from "../src/FileLock.ts"
import { Journal, type JournalShape } from "../src/Journal.ts"
import { HISTORY_LIMIT } from "../src/JournalFile.ts"
import * as Memory from "../src/Memory.ts"
import * as Rollout from "../src/Rollout.ts"
import { RolloutEvents } from "../src/RolloutEvents.ts"
import type { RolloutRecord } from "../src/RolloutRecord.ts"
import { A, APP, B, C, MINUTE, makeEnv, pause, settle, setWeight, strategy } from "./rollout-fixtures.ts"

/** A temporary journal folder, removed with the test's scope. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(tmpdir(), "slipway-journal-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true })),
)

/** The journal `Journal.layerFile(dir)` provides. */
const fileJournal = (dir: string) => Effect.provide(Journal.use(Effect.succeed), Journal.layerFile(dir))

const record = (overrides: Partial<RolloutRecord> = {}): RolloutRecord => ({
  rolloutId: "shop-b-1",
  app: APP,
  stable: A,
  candidate: B,
  strategy: strategy([setWeight(10), pause(MINUTE), setWeight(100)]),
  replicas: 3,
  stepIndex: 1,
  stepPhase: "before",
  status: "progressing",
  pause: { reason: "step", startedAt: 1_000, until: 61_000 },
  weights: { [A.id]: 90, [B.id]: 10 },
  failures: 0,
  inconclusives: 0,
  events: [
    {
      _tag: "WeightSet",
      rolloutId: "shop-b-1",
      app: APP,
      at: 1_000,
      weights: { [A.id]: 90, [B.id]: 10 },
      candidateWeight: 10,
    },
  ],
  startedAt: 1_000,
  updatedAt: 1_000,
  ...overrides,
})

const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", ""])
  assert.isFalse(isProcessAlive(child.pid))
  return child.pid
}

/** The same contract, whichever journal. */
const contract = (name: string, make: Effect.Effect<JournalShape, never, Scope.Scope>) =>
  describe(`${name} journal`, () => {
    it.effect("loads nothing for an app it has never seen", () =>
      Effect.gen(function* () {
        const journal = yield* make
        assert.isTrue(Option.isNone(yield* journal.load(APP)))
        assert.deepStrictEqual(yield* journal.history(APP), [])
      }),
    )

    it.effect("round-trips a record exactly", () =>
      Effect.gen(function* () {
        const journal = yield* make
        const r = record()
        yield* journal.save(r)
        assert.deepStrictEqual(Option.getOrThrow(yield* journal.load(APP)), r)
      }),
    )

    it.effect("keeps finished rollouts in the history, newest first, bounded", () =>
      Effect.gen(function* () {
        const journal = yield* make
        for (let i = 0; i < HISTORY_LIMIT + 3; i++) {
          yield* journal.save(record({ rolloutId: `r-${i}`, startedAt: i, status: "progressing" }))
          yield* journal.save(
            record({ rolloutId: `r-${i}`, startedAt: i, status: i % 2 ? "succeeded" : "rolled-back" }),
          )
        }
        const history = yield* journal.history(APP)
        assert.strictEqual(history.length, HISTORY_LIMIT)
        assert.strictEqual(history[0]?.rolloutId, `r-${HISTORY_LIMIT + 2}`)
        assert.strictEqual(history.at(-1)?.rolloutId, "r-3")
        assert.strictEqual(Option.getOrThrow(yield* journal.load(APP)).rolloutId, `r-${HISTORY_LIMIT + 2}`)
      }),
    )

    it.effect("refuses a second lock holder until the first releases", () =>
      Effect.gen(function* () {
        const journal = yield* make
        const first = yield* Scope.make()
        yield* Scope.provide(journal.lock(APP, "first deploy"), first)
        const refused = yield* Effect.flip(Effect.scoped(journal.lock(APP, "second deploy")))
        assert.strictEqual(refused._tag, "RolloutLocked")
        if (refused._tag === "RolloutLocked") {
          assert.strictEqual(refused.owner, "first deploy")
          assert.strictEqual(refused.pid, process.pid)
          assert.match(
            refused.message,
            /^another rollout of shop is running \(pid \d+ since .*\); wait for it, or run `slipway abort`$/,
          )
        }
        // other apps are independent
        yield* Effect.scoped(journal.lock("cart", "cart deploy"))
        yield* Scope.close(first, Exit.void)
        yield* Effect.scoped(journal.lock(APP, "second deploy"))
      }),
    )
  })

contract("memory", Journal.makeMemory)
contract(
  "file",
  Effect.flatMap(tempDir, (dir) => fileJournal(dir)),
)

describe("file journal on disk", () => {
  it.effect("writes <dir>/<app>/current.json and history/ as readable JSON", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const journal = yield* fileJournal(dir)
      yield* journal.save(record({ status: "succeeded" }))
      const text = yield* Effect.promise(() => fs.readFile(path.join(dir, APP, "current.json"), "utf8"))
      assert.strictEqual(JSON.parse(text).candidate.id, B.id)
      const history = yield* Effect.promise(() => fs.readdir(path.join(dir, APP, "history")))
      assert.deepStrictEqual(history, ["000000000001000-shop-b-1.json"])
    }),
  )

  it.effect("a torn temporary file from a crashed write changes nothing", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const journal = yield* fileJournal(dir)
      const good = record()
      yield* journal.save(good)
      // a writer killed half-way through leaves its temporary file behind
      const torn = path.join(dir, APP, "current.json.4242.deadbeef.tmp")
      const half = JSON.stringify(record({ stepIndex: 2 })).slice(0, 200)
      yield* Effect.promise(() => fs.writeFile(torn, half))
      assert.deepStrictEqual(Option.getOrThrow(yield* journal.load(APP)), good)
      const next = record({ stepIndex: 2, stepPhase: "after" })
      yield* journal.save(next)
      assert.deepStrictEqual(Option.getOrThrow(yield* journal.load(APP)), next)
      // the next lock holder sweeps it up
      yield* Effect.scoped(journal.lock(APP, "deploy"))
      const left = yield* Effect.promise(() => fs.readdir(path.join(dir, APP)))
      assert.deepStrictEqual(left.sort(), ["current.json"])
    }),
  )

  it.effect("a damaged current.json is an error that names the file and the fix", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const journal = yield* fileJournal(dir)
      yield* journal.save(record())
      const file = path.join(dir, APP, "current.json")
      yield* Effect.promise(() => fs.writeFile(file, '{"rolloutId": "x"'))
      const notJson = yield* Effect.flip(journal.load(APP))
      assert.strictEqual(notJson.operation, "load")
      assert.include(notJson.message, `${file} is not valid JSON`)
      assert.include(notJson.message, "move it aside")
      yield* Effect.promise(() => fs.writeFile(file, '{"rolloutId": "x"}'))
      const notRecord = yield* Effect.flip(journal.load(APP))
      assert.include(notRecord.message, `${file} is not a rollout record`)
    }),
  )

  it.effect("refuses app names that would leave the journal folder", () =>
    Effect.gen(function* () {
      const journal = yield* fileJournal(yield* tempDir)
      const error = yield* Effect.flip(journal.load("../etc"))
      assert.include(error.message, 'app name "../etc" cannot name a journal folder')
    }),
  )

  it.effect("the lock file holds pid, host, owner and since", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const journal = yield* fileJournal(dir)
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* journal.lock(APP, "alice")
          const lock = JSON.parse(
            yield* Effect.promise(() => fs.readFile(path.join(dir, APP, "lock"), "utf8")),
          )
          assert.deepInclude(lock, { pid: process.pid, host: hostname(), owner: "alice", since: 0 })
        }),
      )
      const left = yield* Effect.promise(() => fs.readdir(path.join(dir, APP)))
      assert.notInclude(left, "lock", "released with the scope")
    }),
  )

  it.effect("a lock left by a dead process is taken over", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const journal = yield* fileJournal(dir)
      const lockFile = path.join(dir, APP, "lock")
      yield* Effect.promise(async () => {
        await fs.mkdir(path.join(dir, APP), { recursive: true })
        await fs.writeFile(
          lockFile,
          JSON.stringify({ pid: deadPid(), host: hostname(), owner: "crashed", since: 5, token: "t" }),
        )
      })
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* journal.lock(APP, "bob")
          const lock = JSON.parse(yield* Effect.promise(() => fs.readFile(lockFile, "utf8")))
          assert.strictEqual(lock.owner, "bob")
          assert.strictEqual(lock.pid, process.pid)
        }),
      )
      const left = yield* Effect.promise(() => fs.readdir(path.join(dir, APP)))
      assert.deepStrictEqual(left, [], "no stale leftovers")
    }),
  )

  it.effect("a lock held by a live process, or on another host, is respected", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const journal = yield* fileJournal(dir)
      const lockFile = path.join(dir, APP, "lock")
      yield* Effect.promise(() => fs.mkdir(path.join(dir, APP), { recursive: true }))
      for (const holder of [
        { pid: process.ppid, host: hostname(), owner: "parent", since: 7, token: "p" },
        { pid: deadPid(), host: "build-box-2", owner: "ci", since: 8, token: "c" },
      ]) {
        yield* Effect.promise(() => fs.writeFile(lockFile, JSON.stringify(holder)))
        const refused = yield* Effect.flip(Effect.scoped(journal.lock(APP, "me")))
        assert.strictEqual(refused._tag, "RolloutLocked")
        if (refused._tag === "RolloutLocked") {
          assert.deepStrictEqual(
            [refused.pid, refused.host, refused.owner],
            [holder.pid, holder.host, holder.owner],
          )
        }
        const still = JSON.parse(yield* Effect.promise(() => fs.readFile(lockFile, "utf8")))
        assert.strictEqual(still.owner, holder.owner, "a refused caller leaves the lock alone")
      }
    }),
  )
})

describe("one rollout per app at a time", () => {
  const blocking = strategy([setWeight(10), pause(), setWeight(100)])

  it.effect("a second concurrent rollout of the same app is refused with RolloutLocked", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      const first = yield* Effect.forkChild(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: B,
          strategy: blocking,
          replicas: 3,
          owner: "alice",
        }).pipe(Effect.provide(layer)),
      )
      yield* settle
      const callsBefore = yield* world.calls
      const second = yield* Effect.flip(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: C,
          strategy: blocking,
          replicas: 3,
          owner: "bob",
        }).pipe(Effect.provide(layer)),
      )
      assert.strictEqual(second._tag, "RolloutLocked")
      assert.include(second.message, "another rollout of shop is running")
      assert.include(second.message, "by alice")
      assert.deepStrictEqual(yield* world.calls, callsBefore, "the refused rollout changed nothing")
      yield* Fiber.interrupt(first)
    }),
  )

  it.effect("the same holds with the file journal", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const world = yield* Memory.makeWorld
      const layer = Layer.mergeAll(
        Memory.layerWorld(world),
        Journal.layerFile(dir),
        RolloutEvents.layerDiscard,
      )
      const first = yield* Effect.forkChild(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: blocking, replicas: 3 }).pipe(
          Effect.provide(layer),
        ),
      )
      // file I/O is real, so wait (boundedly) for the first rollout to reach its pause
      const load = Effect.provide(
        Journal.use((j) => j.load(APP)),
        layer,
      )
      const pausing = (r: Option.Option<RolloutRecord>) =>
        Option.isSome(r) && r.value.pause?.reason === "step"
      for (let i = 0; i < 400 && !pausing(yield* load); i++) {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
      }
      assert.isTrue(pausing(yield* load))
      const second = yield* Effect.flip(
        Rollout.run({ app: APP, stable: A, candidate: C, strategy: blocking, replicas: 3 }).pipe(
          Effect.provide(layer),
        ),
      )
      assert.strictEqual(second._tag, "RolloutLocked")
      yield* Fiber.interrupt(first)
      const record = Option.getOrThrow(yield* load)
      assert.strictEqual(record.candidate.id, B.id)
      assert.strictEqual(record.stepIndex, 1, "the interrupted rollout left its place in the journal")
    }),
  )
})
