import { assert, describe, it } from "@effect/vitest"
import {
  Journal,
  type JournalShape,
  Memory,
  type MemoryWorld,
  makeRevision,
  Rollout,
  RolloutEvents,
  type RolloutRecord,
} from "@slipway/core"
import { canary } from "@slipway/strategies"
import { Clock, type Duration, Effect, Exit, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { awsJournalLayer } from "../src/rollout/AwsJournal.ts"
import { S3Journal } from "../src/rollout/S3Journal.ts"
import { advanceUntil, awsError, fakeS3, runWithClock } from "./rolloutFakes.ts"

const BUCKET = "web-prod-slipway-journal"
const LOCK = "rollouts/web/lock.json"

const v1 = makeRevision({ app: "web", artifact: { digest: "sha256:a1", uri: "ecr://web@sha256:a1" } })
const v2 = makeRevision({ app: "web", artifact: { digest: "sha256:b2", uri: "ecr://web@sha256:b2" } })

const record = (over: Partial<RolloutRecord> = {}): RolloutRecord => ({
  rolloutId: `${v2.id}-r1`,
  app: "web",
  stable: v1,
  candidate: v2,
  strategy: canary({ steps: [{ weight: 50, bake: "1m" }] }),
  replicas: 2,
  stepIndex: 0,
  stepPhase: "before",
  status: "progressing",
  weights: { [v1.id]: 100 },
  failures: 0,
  inconclusives: 0,
  events: [],
  startedAt: 1_000,
  updatedAt: 1_000,
  ...over,
})

const journalOn = (s3: ReturnType<typeof fakeS3>, options: { waitForLock?: Duration.Input } = {}) =>
  S3Journal.make({ client: s3.client, bucket: BUCKET, prefix: "rollouts/", ...options })

const lockContent = (s3: ReturnType<typeof fakeS3>) => s3.json(LOCK) as { owner: string; expiresAt: number }

describe("S3Journal lock", () => {
  it.effect(
    "takes the lock with a conditional create, refreshes the lease with IfMatch, deletes it on release",
    () =>
      Effect.gen(function* () {
        const s3 = fakeS3()
        const journal = journalOn(s3)
        const fiber = yield* Effect.scoped(
          Effect.gen(function* () {
            yield* journal.lock("web", "ci job 42")
            yield* Effect.sleep("20 seconds")
          }),
        ).pipe(Effect.forkChild)
        yield* Effect.yieldNow
        assert.deepStrictEqual(lockContent(s3).owner, "ci job 42")
        assert.strictEqual(lockContent(s3).expiresAt, 45_000)
        yield* TestClock.adjust("20 seconds")
        yield* Fiber.join(fiber)

        const calls = s3.log.map((c) => [c.name, c.input.Key, c.input.IfNoneMatch ?? c.input.IfMatch])
        assert.deepStrictEqual(calls, [
          ["PutObject", LOCK, "*"],
          ["PutObject", LOCK, '"v1"'], // refreshed after 15 s, conditional on our own version
          ["DeleteObject", LOCK, '"v2"'], // released: only the version we wrote
        ])
        assert.isFalse(s3.objects.has(LOCK))
      }),
  )

  it.effect("refuses while another holder's lease is live, naming the holder", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const first = journalOn(s3)
      const second = journalOn(s3)
      const holder = yield* Effect.scoped(
        Effect.andThen(first.lock("web", "pulumi up on laptop"), Effect.never),
      ).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      const refused = yield* Effect.scoped(second.lock("web", "ci")).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "RolloutLocked")
      if (refused._tag === "RolloutLocked") {
        assert.strictEqual(refused.owner, "pulumi up on laptop")
        assert.match(refused.message, /another rollout of web is running .* by pulumi up on laptop/)
      }
      yield* Fiber.interrupt(holder)
    }),
  )

  it.effect("takes over a lease that ran out (its holder died) with IfMatch on the stale version", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      s3.objects.set(LOCK, {
        text: JSON.stringify({ owner: "killed", host: "h", pid: 1, since: 0, expiresAt: 5_000, token: "t" }),
        etag: '"stale"',
      })
      yield* TestClock.adjust("10 seconds")
      yield* Effect.scoped(journalOn(s3).lock("web", "next run"))
      const puts = s3.log
        .filter((c) => c.name === "PutObject")
        .map((c) => c.input.IfNoneMatch ?? c.input.IfMatch)
      assert.deepStrictEqual(puts, ["*", '"stale"'])
      assert.deepStrictEqual(
        s3.log.map((c) => c.name),
        ["PutObject", "GetObject", "PutObject", "DeleteObject"],
      )
    }),
  )

  it.effect("waits out a live lease when allowed to, then takes it once it runs out", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      s3.objects.set(LOCK, {
        text: JSON.stringify({ owner: "killed", host: "h", pid: 1, since: 0, expiresAt: 30_000, token: "t" }),
        etag: '"old"',
      })
      const startedAt = yield* Clock.currentTimeMillis
      const exit = yield* runWithClock(
        Effect.scoped(
          Effect.andThen(
            journalOn(s3, { waitForLock: "1 minute" }).lock("web", "next run"),
            Clock.currentTimeMillis,
          ),
        ),
        120,
      )
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) assert.isAtLeast(exit.value - startedAt, 30_000)
      assert.deepStrictEqual(
        s3.log.map((c) => [c.name, c.input.IfNoneMatch ?? c.input.IfMatch]),
        [
          ["PutObject", "*"],
          ["GetObject", undefined],
          ["PutObject", "*"], // after waiting until the lease ran out
          ["GetObject", undefined],
          ["PutObject", '"old"'],
          ["DeleteObject", '"v1"'],
        ],
      )
    }),
  )

  it.effect("does not wait for a lease that outlasts the wait", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      s3.objects.set(LOCK, {
        text: JSON.stringify({ owner: "alive", host: "h", pid: 1, since: 0, expiresAt: 45_000, token: "t" }),
        etag: '"live"',
      })
      const refused = yield* Effect.flip(
        Effect.scoped(journalOn(s3, { waitForLock: "10 seconds" }).lock("web", "x")),
      )
      assert.strictEqual(refused._tag, "RolloutLocked")
    }),
  )

  it.effect("exactly one of two racers wins the conditional create", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const a = journalOn(s3)
      const b = journalOn(s3)
      const results = yield* Effect.all(
        [
          Effect.scoped(Effect.andThen(a.lock("web", "a"), Effect.sleep("1 second"))),
          Effect.scoped(Effect.andThen(b.lock("web", "b"), Effect.sleep("1 second"))),
        ].map((e) => Effect.exit(e)),
        { concurrency: "unbounded" },
      ).pipe(Effect.forkChild)
      yield* TestClock.adjust("2 seconds")
      const exits = yield* Fiber.join(results)
      assert.strictEqual(exits.filter(Exit.isSuccess).length, 1)
    }),
  )

  it.effect("a lease taken over while its holder stalled makes the holder's next save fail", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const journal = journalOn(s3)
      const fiber = yield* Effect.scoped(
        Effect.gen(function* () {
          yield* journal.lock("web", "stalled")
          // Someone else takes the lock over (as if ours had expired).
          const taken = s3.objects.get(LOCK)!
          s3.objects.set(LOCK, { text: taken.text.replace("stalled", "thief"), etag: '"thief"' })
          yield* Effect.sleep("16 seconds") // the refresh finds out
          return yield* Effect.flip(journal.save(record()))
        }),
      ).pipe(Effect.forkChild)
      yield* advanceUntil(() => fiber.pollUnsafe() !== undefined, 30)
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "JournalError")
      assert.match(error.message, /taken over after its lease ran out/)
      assert.isFalse(s3.objects.has("rollouts/web/current.json"))
      // The thief's lock was not deleted by the loser's release.
      assert.match(s3.objects.get(LOCK)!.text, /thief/)
    }),
  )
})

describe("S3Journal records", () => {
  it.effect("saves current.json, files finished rollouts in history newest first, keeps 50", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const journal = journalOn(s3)
      yield* journal.save(record())
      assert.deepStrictEqual([...s3.objects.keys()], ["rollouts/web/current.json"])
      for (let i = 0; i < 52; i++) {
        yield* journal.save(
          record({ rolloutId: `r${i}`, startedAt: 10_000 + i, status: "succeeded", stepPhase: "after" }),
        )
      }
      const loaded = yield* journal.load("web")
      assert.strictEqual(Option.getOrThrow(loaded).rolloutId, "r51")
      const history = yield* journal.history("web")
      assert.strictEqual(history.length, 50)
      assert.deepStrictEqual(
        history.slice(0, 3).map((r) => r.rolloutId),
        ["r51", "r50", "r49"],
      )
      assert.strictEqual(history.at(-1)?.rolloutId, "r2")
      assert.strictEqual([...s3.objects.keys()].filter((k) => k.includes("/history/")).length, 50)
    }),
  )

  it.effect("a damaged current.json is a JournalError naming the object and the fix", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      s3.objects.set("rollouts/web/current.json", { text: "{ not json", etag: '"x"' })
      const error = yield* Effect.flip(journalOn(s3).load("web"))
      assert.strictEqual(error._tag, "JournalError")
      assert.include(error.message, `s3://${BUCKET}/rollouts/web/current.json is not valid JSON`)
      assert.include(error.message, "aws s3 mv")
    }),
  )

  it.effect("refuses app names that would escape the app's folder", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(journalOn(fakeS3()).load("../other"))
      assert.match(error.message, /cannot name a journal folder/)
    }),
  )

  it.effect("retries a throttled write (SlowDown) through callAws", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      s3.failNext("PutObject", awsError("SlowDown", 503, "Please reduce your request rate."), 2)
      const exit = yield* runWithClock(journalOn(s3).save(record()), 10)
      assert.isTrue(Exit.isSuccess(exit))
      // Two throttled attempts, then the one that landed.
      assert.strictEqual(s3.log.filter((c) => c.name === "PutObject").length, 3)
      assert.isTrue(s3.objects.has("rollouts/web/current.json"))
    }),
  )

  it.effect("awsJournalLayer reads the same journal for `slipway status`", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      yield* journalOn(s3).save(record({ status: "paused" }))
      const status = yield* Effect.gen(function* () {
        const journal = yield* Journal
        return Option.map(yield* journal.load("web"), (r) => r.status)
      }).pipe(Effect.provide(awsJournalLayer({ bucket: BUCKET, prefix: "rollouts", client: s3.client })))
      assert.deepStrictEqual(status, Option.some("paused"))
    }),
  )
})

const setWeights = (weights: Record<string, number>) =>
  `setWeights web {${Object.keys(weights)
    .sort()
    .map((k) => `${k}:${weights[k]}`)
    .join(",")}}`

describe("core Rollout.run on the S3 journal", () => {
  const strategy = canary({
    steps: [
      { weight: 10, bake: "1m" },
      { weight: 50, bake: "1m" },
    ],
  })

  const runOn = (journal: JournalShape, world: MemoryWorld["Service"]) =>
    Rollout.run({ app: "web", stable: v1, candidate: v2, strategy, replicas: 2 }).pipe(
      Effect.provide(
        Layer.mergeAll(Memory.layerWorld(world), Layer.succeed(Journal, journal), RolloutEvents.layerDiscard),
      ),
    )

  it.effect("a canary runs to success with its record in S3 and the lock gone", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const world = yield* Memory.makeWorld
      yield* world.seed({ weights: { web: { [v1.id]: 100 } }, replicas: { [v1.id]: 2 } })
      const exit = yield* runWithClock(runOn(journalOn(s3), world))
      assert.isTrue(Exit.isSuccess(exit))
      const current = s3.json("rollouts/web/current.json")
      assert.strictEqual(current.status, "succeeded")
      assert.strictEqual(current.candidate.id, v2.id)
      assert.deepStrictEqual(yield* world.weights("web"), { [v1.id]: 0, [v2.id]: 100 })
      assert.isFalse(s3.objects.has(LOCK))
      assert.strictEqual((yield* journalOn(s3).history("web")).length, 1)
    }),
  )

  it.effect(
    "a run killed mid-pause (its lock left behind) is resumed by the next run once the lease runs out",
    () =>
      Effect.gen(function* () {
        const s3 = fakeS3()
        const world = yield* Memory.makeWorld
        yield* world.seed({ weights: { web: { [v1.id]: 100 } }, replicas: { [v1.id]: 2 } })

        const first = yield* Effect.forkChild(runOn(journalOn(s3), world))
        yield* advanceUntil(() => s3.json("rollouts/web/current.json")?.pause !== undefined)
        const paused = s3.json("rollouts/web/current.json")
        assert.strictEqual(paused.stepIndex, 2) // the 10% bake
        // The process dies: nothing it does from now on reaches S3.
        s3.freeze()
        const killed = yield* Effect.forkChild(Fiber.interrupt(first))
        yield* advanceUntil(() => killed.pollUnsafe() !== undefined, 120)
        s3.revive()
        assert.isTrue(s3.objects.has(LOCK), "the dead run's lock is still there")
        const callsBefore = (yield* world.calls).length

        const second = yield* runWithClock(
          runOn(
            S3Journal.make({
              client: s3.client,
              bucket: BUCKET,
              prefix: "rollouts",
              waitForLock: "2 minutes",
            }),
            world,
          ),
        )
        assert.isTrue(Exit.isSuccess(second))
        const after = (yield* world.calls).slice(callsBefore)
        // Resumed at the 10% bake: no second 10%, straight on to 50% and then 100%.
        assert.deepStrictEqual(
          after.filter((c) => c.startsWith("setWeights")),
          [setWeights({ [v1.id]: 50, [v2.id]: 50 }), setWeights({ [v1.id]: 0, [v2.id]: 100 })],
        )
        const done = s3.json("rollouts/web/current.json")
        assert.strictEqual(done.status, "succeeded")
        assert.isTrue(
          done.events.some(
            (e: { _tag: string; resumed?: boolean }) => e._tag === "RolloutStarted" && e.resumed,
          ),
        )
        assert.isFalse(s3.objects.has(LOCK))
      }),
  )
})
