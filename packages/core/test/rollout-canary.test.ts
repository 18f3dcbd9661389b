import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import * as Rollout from "../src/Rollout.ts"
import {
  A,
  APP,
  B,
  C,
  callsOn,
  candidateWeights,
  gateStep,
  MINUTE,
  makeEnv,
  ofTag,
  passing,
  pause,
  runFor,
  scale,
  scriptedGate,
  settle,
  setWeight,
  strategy,
  tags,
} from "./rollout-fixtures.ts"

const thirtyMinuteCanary = strategy([
  setWeight(10),
  pause(5 * MINUTE),
  setWeight(25),
  pause(5 * MINUTE),
  setWeight(50),
  pause(10 * MINUTE),
  gateStep(),
  setWeight(75),
  pause(10 * MINUTE),
  setWeight(100),
])

describe("canary", () => {
  it.effect("a 30-minute 5-step canary completes under TestClock, weights in order", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      const health = passing()
      const outcome = yield* runFor(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: B,
          strategy: thirtyMinuteCanary,
          gates: [health],
          replicas: 3,
        }).pipe(Effect.provide(layer)),
      )
      assert.strictEqual(outcome.status, "succeeded")
      const calls = yield* world.calls
      assert.deepStrictEqual(calls, [
        "ensure shop-b 3",
        "setWeights shop {shop-a:90,shop-b:10}",
        "setWeights shop {shop-a:75,shop-b:25}",
        "setWeights shop {shop-a:50,shop-b:50}",
        "setWeights shop {shop-a:25,shop-b:75}",
        "setWeights shop {shop-a:0,shop-b:100}",
        "scale shop-a 0",
      ])
      // virtual time: 30 minutes of bakes, then the 30 s scale-down delay
      const succeeded = ofTag(outcome.record.events, "Succeeded")[0]!
      assert.strictEqual(succeeded.at, 30 * MINUTE + 30_000)
      // background analysis every minute of every bake, plus the Gate step
      assert.strictEqual(health.calls(), 30 + 1)
      assert.deepStrictEqual(yield* world.weights(APP), { [A.id]: 0, [B.id]: 100 })
      assert.strictEqual(yield* world.replicas(A.id), 0)
      assert.strictEqual(yield* world.replicas(B.id), 3)
      const events = outcome.record.events
      assert.strictEqual(events[0]?._tag, "RolloutStarted")
      assert.strictEqual(events.at(-1)?._tag, "Succeeded")
      assert.deepStrictEqual(
        ofTag(events, "StepCompleted").map((e) => e.index),
        thirtyMinuteCanary.steps.map((_, i) => i),
      )
      assert.strictEqual(outcome.record.status, "succeeded")
    }),
  )

  it.effect("keeps the old stable running for scaleDownDelay after promotion", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      const s = strategy([setWeight(50), setWeight(100)], { scaleDownDelay: 2 * MINUTE })
      const fiber = yield* Effect.forkChild(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: s, replicas: 3 }).pipe(
          Effect.provide(layer),
        ),
      )
      yield* settle
      yield* TestClock.adjust(2 * MINUTE - 1)
      assert.strictEqual(yield* world.replicas(A.id), 3, "stable still runs during the delay")
      assert.deepStrictEqual(yield* world.weights(APP), { [A.id]: 0, [B.id]: 100 })
      yield* TestClock.adjust(1)
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome.status, "succeeded")
      assert.strictEqual(yield* world.replicas(A.id), 0)
    }),
  )

  it.effect("starts the candidate at the first Scale step's size and scales by percent of replicas", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      const s = strategy([
        scale({ replicas: 1 }),
        setWeight(20),
        scale({ percent: 50 }),
        setWeight(50),
        scale({ percent: 100 }),
        setWeight(100),
      ])
      const outcome = yield* runFor(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: s, replicas: 5 }).pipe(
          Effect.provide(layer),
        ),
      )
      assert.strictEqual(outcome.status, "succeeded")
      assert.deepStrictEqual(callsOn(yield* world.calls, B), [
        "ensure shop-b 1",
        "scale shop-b 1",
        "scale shop-b 3", // ceil(50% of 5)
        "scale shop-b 5",
      ])
      assert.deepStrictEqual(
        ofTag(outcome.record.events, "Scaled").map((e) => [e.revision, e.replicas]),
        [
          [B.id, 1],
          [B.id, 3],
          [B.id, 5],
          [A.id, 0],
        ],
      )
    }),
  )

  it.effect("brings the candidate to full size before it takes all traffic", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      const s = strategy([scale({ replicas: 1 }), setWeight(10), setWeight(100)])
      yield* runFor(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: s, replicas: 4 }).pipe(
          Effect.provide(layer),
        ),
      )
      const calls = yield* world.calls
      assert.deepStrictEqual(callsOn(calls, B), ["ensure shop-b 1", "scale shop-b 1", "ensure shop-b 4"])
      assert.isBelow(calls.indexOf("ensure shop-b 4"), calls.indexOf("scale shop-a 0"))
    }),
  )

  it.effect("rolls back when the candidate is not ready within progressDeadline, naming the last error", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      yield* world.neverReady(B.id, "GET /healthz returned 503")
      const s = strategy([setWeight(10), setWeight(100)], { progressDeadline: 2 * MINUTE, scaleDownDelay: 0 })
      const fiber = yield* Effect.forkChild(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: s, replicas: 3 }).pipe(
          Effect.provide(layer),
        ),
      )
      yield* settle
      yield* TestClock.adjust(2 * MINUTE - 1)
      assert.isUndefined(fiber.pollUnsafe(), "still waiting inside the deadline")
      yield* TestClock.adjust(1)
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome.status, "rolled-back")
      assert.strictEqual(
        outcome.record.rollbackReason,
        "candidate shop-b not ready within 2m: GET /healthz returned 503",
      )
      assert.deepStrictEqual(candidateWeights(yield* world.calls), [0], "the candidate never got traffic")
      assert.strictEqual(yield* world.replicas(B.id), 0)
      assert.deepStrictEqual(callsOn(yield* world.calls, A), [])
    }),
  )

  it.effect("rolls back when the candidate fails to start", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      yield* world.fail({ operation: "ensure", target: B.id, message: "image not found" })
      const outcome = yield* runFor(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: B,
          strategy: strategy([setWeight(100)]),
          replicas: 3,
        }).pipe(Effect.provide(layer)),
      )
      assert.strictEqual(outcome.status, "rolled-back")
      assert.strictEqual(outcome.record.rollbackReason, "candidate shop-b failed to start: image not found")
    }),
  )

  it.effect("retries a transient router error and carries on", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      yield* world.fail({ operation: "setWeights", times: 1, message: "throttled" })
      const outcome = yield* runFor(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: B,
          strategy: strategy([setWeight(10), setWeight(100)]),
          replicas: 3,
        }).pipe(Effect.provide(layer)),
      )
      assert.strictEqual(outcome.status, "succeeded")
      const calls = yield* world.calls
      assert.strictEqual(calls[1], "setWeights shop {shop-a:90,shop-b:10} -> failed: throttled")
      assert.deepStrictEqual(candidateWeights(calls), [10, 100])
    }),
  )

  it.effect(
    "a router that keeps failing rolls back; when even that fails, RolloutFailed keeps the record",
    () =>
      Effect.gen(function* () {
        const { world, journal, layer } = yield* makeEnv()
        // 5 attempts at the step, then 5 at returning traffic: all fail
        yield* world.fail({ operation: "setWeights", times: 10, message: "connection refused" })
        const options = {
          app: APP,
          stable: A,
          candidate: B,
          strategy: strategy([setWeight(10), setWeight(100)]),
          replicas: 3,
        }
        const exit = yield* runFor(Effect.exit(Rollout.run(options).pipe(Effect.provide(layer))))
        assert.isTrue(Exit.isFailure(exit))
        const error = Exit.findErrorOption(exit as Exit.Exit<unknown, { _tag: string }>)
        assert.isTrue(Option.isSome(error) && error.value._tag === "RolloutFailed")
        const failed = Option.getOrThrow(error) as Rollout.RolloutFailed
        assert.include(failed.message, "traffic could not be returned to shop-a: connection refused")
        assert.strictEqual(failed.record.status, "rolling-back")
        assert.strictEqual(Option.getOrThrow(yield* journal.load(APP)).status, "rolling-back")
        assert.deepStrictEqual(callsOn(yield* world.calls, A), [])

        // The router recovers: running the same rollout again finishes the rollback.
        const outcome = yield* runFor(Rollout.run(options).pipe(Effect.provide(layer)))
        assert.strictEqual(outcome.status, "rolled-back")
        assert.include(outcome.record.rollbackReason ?? "", "step 1: could not set weights")
        assert.deepStrictEqual(yield* world.weights(APP), { [A.id]: 100, [B.id]: 0 })
        assert.strictEqual(yield* world.replicas(B.id), 0)
      }),
  )
})

describe("first deployment", () => {
  it.effect("starts the candidate, sends it all traffic and checks the gates once", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      const health = passing()
      const outcome = yield* runFor(
        Rollout.run({
          app: APP,
          stable: null,
          candidate: B,
          strategy: thirtyMinuteCanary,
          gates: [health],
          replicas: 2,
        }).pipe(Effect.provide(layer)),
      )
      assert.strictEqual(outcome.status, "succeeded")
      assert.deepStrictEqual(yield* world.calls, ["ensure shop-b 2", "setWeights shop {shop-b:100}"])
      assert.strictEqual(health.calls(), 1)
      assert.strictEqual(ofTag(outcome.record.events, "Succeeded")[0]?.at, 0, "no bakes, no scale-down delay")
    }),
  )

  it.effect(
    "a failing gate reports rolled-back but leaves the candidate serving: there is nothing to return to",
    () =>
      Effect.gen(function* () {
        const { world, layer } = yield* makeEnv()
        const outcome = yield* runFor(
          Rollout.run({
            app: APP,
            stable: null,
            candidate: B,
            strategy: thirtyMinuteCanary,
            gates: [scriptedGate("errors", () => "Fail")],
            replicas: 2,
          }).pipe(Effect.provide(layer)),
        )
        assert.strictEqual(outcome.status, "rolled-back")
        assert.include(outcome.record.rollbackReason ?? "", "errors says fail")
        assert.include(outcome.record.rollbackReason ?? "", "first deployment: there is no earlier revision")
        assert.deepStrictEqual(yield* world.calls, ["ensure shop-b 2", "setWeights shop {shop-b:100}"])
        assert.deepStrictEqual(yield* world.weights(APP), { [B.id]: 100 })
        assert.strictEqual(yield* world.replicas(B.id), 2)
      }),
  )
})

describe("after a failed first deployment", () => {
  const failOnce = () => scriptedGate("errors", (call) => (call === 1 ? "Fail" : "Pass"))

  it.effect("deploying the same candidate again retries it", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      const errors = failOnce()
      const options = {
        app: APP,
        stable: null,
        candidate: B,
        strategy: thirtyMinuteCanary,
        gates: [errors],
        replicas: 2,
      }
      assert.strictEqual(
        (yield* runFor(Rollout.run(options).pipe(Effect.provide(layer)))).status,
        "rolled-back",
      )
      const retried = yield* runFor(Rollout.run(options).pipe(Effect.provide(layer)))
      assert.strictEqual(retried.status, "succeeded")
      assert.strictEqual(errors.calls(), 2)
      assert.deepStrictEqual(candidateWeights(yield* world.calls), [100, 100])
    }),
  )

  it.effect("the candidate that kept serving is the stable of the next rollout", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      const s = strategy([setWeight(50), setWeight(100)])
      yield* runFor(
        Rollout.run({
          app: APP,
          stable: null,
          candidate: B,
          strategy: s,
          gates: [failOnce()],
          replicas: 2,
        }).pipe(Effect.provide(layer)),
      )
      yield* world.clearCalls
      const next = yield* runFor(
        Rollout.run({ app: APP, stable: null, candidate: C, strategy: s, replicas: 2 }).pipe(
          Effect.provide(layer),
        ),
      )
      assert.strictEqual(next.record.stable?.id, B.id)
      assert.deepStrictEqual(yield* world.calls, [
        "ensure shop-c 2",
        "setWeights shop {shop-b:50,shop-c:50}",
        "setWeights shop {shop-b:0,shop-c:100}",
        "scale shop-b 0",
      ])
    }),
  )
})

describe("journal-aware starts", () => {
  it.effect("a candidate that already serves the app is a no-op success", () =>
    Effect.gen(function* () {
      const { world, layer } = yield* makeEnv()
      const options = { app: APP, stable: A, candidate: B, strategy: strategy([setWeight(100)]), replicas: 3 }
      const first = yield* runFor(Rollout.run(options).pipe(Effect.provide(layer)))
      yield* world.clearCalls
      const again = yield* runFor(Rollout.run(options).pipe(Effect.provide(layer)))
      assert.strictEqual(again.status, "succeeded")
      assert.strictEqual(again.record.rolloutId, first.record.rolloutId)
      assert.deepStrictEqual(yield* world.calls, [])
    }),
  )

  it.effect("the next rollout starts from the revision the journal says is live", () =>
    Effect.gen(function* () {
      const { world, journal, layer } = yield* makeEnv()
      const s = strategy([setWeight(50), setWeight(100)])
      yield* runFor(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: s, replicas: 3 }).pipe(
          Effect.provide(layer),
        ),
      )
      yield* world.clearCalls
      // the caller still thinks shop-a is stable; the journal knows better
      const outcome = yield* runFor(
        Rollout.run({ app: APP, stable: A, candidate: C, strategy: s, replicas: 3 }).pipe(
          Effect.provide(layer),
        ),
      )
      assert.strictEqual(outcome.record.stable?.id, B.id)
      assert.deepStrictEqual(yield* world.calls, [
        "ensure shop-c 3",
        "setWeights shop {shop-b:50,shop-c:50}",
        "setWeights shop {shop-b:0,shop-c:100}",
        "scale shop-b 0",
      ])
      const history = yield* journal.history(APP)
      assert.deepStrictEqual(
        history.map((r) => r.candidate.id),
        [C.id, B.id],
      )
    }),
  )

  it.effect("events carry virtual time from the Clock", () =>
    Effect.gen(function* () {
      const { layer } = yield* makeEnv()
      yield* TestClock.adjust(1_000)
      const fiber = yield* Effect.forkChild(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: B,
          strategy: strategy([setWeight(10), pause(MINUTE), setWeight(100)], { scaleDownDelay: 0 }),
          replicas: 1,
        }).pipe(Effect.provide(layer)),
      )
      yield* settle
      yield* TestClock.adjust(MINUTE)
      const outcome = yield* Fiber.join(fiber)
      const weightTimes = ofTag(outcome.record.events, "WeightSet").map((e) => [e.candidateWeight, e.at])
      assert.deepStrictEqual(weightTimes, [
        [10, 1_000],
        [100, 1_000 + MINUTE],
      ])
      assert.deepStrictEqual(tags(outcome.record.events).slice(0, 2), ["RolloutStarted", "StepStarted"])
    }),
  )
})
