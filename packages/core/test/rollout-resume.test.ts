import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { Journal, type JournalShape } from "../src/Journal.ts"
import * as Memory from "../src/Memory.ts"
import * as Rollout from "../src/Rollout.ts"
import { RolloutControl } from "../src/RolloutControl.ts"
import { RolloutEvents } from "../src/RolloutEvents.ts"
import type { Gate } from "../src/Verdict.ts"
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
} from "./rollout-fixtures.ts"

const HORIZON = 24 * 60 * MINUTE

/** A journal that crashes the rollout (interrupts it) right after its `n`th save. */
const crashingAfter = (inner: JournalShape, n: number): JournalShape => {
  let saves = 0
  return {
    ...inner,
    save: (r) => Effect.flatMap(inner.save(r), () => (++saves === n ? Effect.interrupt : Effect.void)),
  }
}

const countingSaves = (inner: JournalShape) => {
  let saves = 0
  const journal: JournalShape = {
    ...inner,
    save: (r) => Effect.tap(inner.save(r), () => Effect.sync(() => saves++)),
  }
  return { journal, saves: () => saves }
}

const crashSteps = [
  scale({ replicas: 1 }),
  setWeight(20),
  pause(2 * MINUTE),
  gateStep(),
  scale({ percent: 100 }),
  setWeight(60),
  pause(MINUTE),
  setWeight(100),
]
const crashStrategy = strategy(crashSteps)
const options = (gates: ReadonlyArray<Gate>) => ({
  app: APP,
  stable: A,
  candidate: B,
  strategy: crashStrategy,
  gates,
  replicas: 2,
})

/** Consecutive duplicates removed: a re-executed step repeats its weight. */
const distinct = (xs: ReadonlyArray<number>) => xs.filter((x, i) => i === 0 || xs[i - 1] !== x)

/** Runs once uninterrupted to count the journal writes a whole rollout makes. */
const totalSaves = (gates: ReadonlyArray<Gate>) =>
  Effect.gen(function* () {
    const env = yield* makeEnv()
    const counted = countingSaves(env.journal)
    const layer = Layer.mergeAll(
      Memory.layerWorld(env.world),
      Layer.succeed(Journal, counted.journal),
      RolloutEvents.layerDiscard,
    )
    yield* runFor(Rollout.run(options(gates)).pipe(Effect.provide(layer)))
    return counted.saves()
  })

/** Crashes after the `n`th save, then runs the same rollout again on the same journal and world. */
const crashThenRerun = (n: number, gates: () => ReadonlyArray<Gate>) =>
  Effect.gen(function* () {
    const env = yield* makeEnv()
    const crashing = Layer.mergeAll(
      Memory.layerWorld(env.world),
      Layer.succeed(Journal, crashingAfter(env.journal, n)),
      RolloutEvents.layerDiscard,
    )
    const first = yield* Effect.forkChild(Rollout.run(options(gates())).pipe(Effect.provide(crashing)))
    yield* settle
    yield* TestClock.adjust(HORIZON)
    const crashed = yield* Fiber.await(first)
    assert.isTrue(Exit.hasInterrupts(crashed), `save ${n}: the first run was cut short`)
    const outcome = yield* runFor(Rollout.run(options(gates())).pipe(Effect.provide(env.layer)))
    return { ...env, outcome, calls: yield* env.world.calls }
  })

describe("crash and resume", () => {
  it.effect("a rollout cut after any journal write resumes to a fully promoted state, no step skipped", () =>
    Effect.gen(function* () {
      const total = yield* totalSaves([passing()])
      assert.isAtLeast(total, 2 * crashSteps.length)
      for (let n = 1; n <= total; n++) {
        const { world, outcome, calls } = yield* crashThenRerun(n, () => [passing()])
        const at = `crash after save ${n}`
        assert.strictEqual(outcome.status, "succeeded", at)
        assert.deepStrictEqual(yield* world.weights(APP), { [A.id]: 0, [B.id]: 100 }, at)
        assert.strictEqual(yield* world.replicas(A.id), 0, at)
        assert.strictEqual(yield* world.replicas(B.id), 2, at)
        assert.deepStrictEqual(distinct(candidateWeights(calls)), [20, 60, 100], at)
        const stableCalls = callsOn(calls, A)
        assert.isTrue(
          stableCalls.length >= 1 && stableCalls.every((c) => c === "scale shop-a 0"),
          `${at}: stable only ever scaled down`,
        )
        assert.isAbove(
          calls.indexOf("scale shop-a 0"),
          calls.lastIndexOf("setWeights shop {shop-a:0,shop-b:100}"),
          at,
        )
        const completed = new Set(ofTag(outcome.record.events, "StepCompleted").map((e) => e.index))
        assert.deepStrictEqual(
          [...completed].sort((a, b) => a - b),
          crashSteps.map((_, i) => i),
          `${at}: every step completed`,
        )
        assert.isAtLeast(ofTag(outcome.record.events, "GateEvaluated").length, 1, at)
      }
    }),
  )

  it.effect("a failing rollout cut after any journal write resumes to a fully rolled-back state", () =>
    Effect.gen(function* () {
      const failing = () => [scriptedGate("errors", (_, ctx) => (ctx.stepIndex === 3 ? "Fail" : "Pass"))]
      const total = yield* totalSaves(failing())
      for (let n = 1; n <= total; n++) {
        const { world, outcome, calls } = yield* crashThenRerun(n, failing)
        const at = `crash after save ${n}`
        assert.strictEqual(outcome.status, "rolled-back", at)
        assert.deepStrictEqual(yield* world.weights(APP), { [A.id]: 100, [B.id]: 0 }, at)
        assert.strictEqual(yield* world.replicas(B.id), 0, at)
        assert.strictEqual(yield* world.replicas(A.id), 3, at)
        assert.deepStrictEqual(callsOn(calls, A), [], `${at}: stable untouched`)
        // After the final write the rollout had ended: running it again is a retry, which fails the same way.
        const expected = n === total ? [20, 0, 20, 0] : [20, 0]
        assert.deepStrictEqual(distinct(candidateWeights(calls)), expected, at)
        assert.strictEqual(ofTag(outcome.record.events, "RolledBack").length, 1, at)
      }
    }),
  )

  it.effect("a timed pause continues with the time left, counted from when it started", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      const s = strategy([setWeight(10), pause(10 * MINUTE), setWeight(100)], { scaleDownDelay: 0 })
      const opts = { app: APP, stable: A, candidate: B, strategy: s, replicas: 3 }
      const first = yield* Effect.forkChild(Rollout.run(opts).pipe(Effect.provide(env.layer)))
      yield* settle
      yield* TestClock.adjust(4 * MINUTE)
      yield* Fiber.interrupt(first) // the process dies 4 minutes into the bake
      yield* TestClock.adjust(2 * MINUTE) // and is restarted 2 minutes later
      const second = yield* Effect.forkChild(Rollout.resume(APP).pipe(Effect.provide(env.layer)))
      yield* settle
      yield* TestClock.adjust(4 * MINUTE - 1)
      assert.deepStrictEqual(candidateWeights(yield* env.world.calls), [10])
      yield* TestClock.adjust(1)
      const outcome = Option.getOrThrow(yield* Fiber.join(second))
      assert.strictEqual(outcome.status, "succeeded")
      assert.deepStrictEqual(
        candidateWeights(yield* env.world.calls),
        [10, 100],
        "the finished SetWeight is not repeated",
      )
      const started = ofTag(outcome.record.events, "RolloutStarted").map((e) => e.resumed)
      assert.deepStrictEqual(started, [false, true])
    }),
  )

  it.effect("a rollout paused by an operator is still paused after a crash", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      const s = strategy([setWeight(10), pause(10 * MINUTE), setWeight(100)], { scaleDownDelay: 0 })
      const control = yield* RolloutControl.make
      const first = yield* Effect.forkChild(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: s, replicas: 3, control }).pipe(
          Effect.provide(env.layer),
        ),
      )
      yield* settle
      yield* TestClock.adjust(4 * MINUTE)
      yield* control.pause
      yield* settle
      yield* Fiber.interrupt(first)
      yield* TestClock.adjust(60 * MINUTE)
      const again = yield* RolloutControl.make
      const second = yield* Effect.forkChild(
        Rollout.resume(APP, { control: again }).pipe(Effect.provide(env.layer)),
      )
      yield* settle
      yield* TestClock.adjust(60 * MINUTE)
      assert.deepStrictEqual(candidateWeights(yield* env.world.calls), [10])
      yield* again.resume
      yield* settle
      yield* TestClock.adjust(6 * MINUTE - 1)
      assert.deepStrictEqual(candidateWeights(yield* env.world.calls), [10], "6 of 10 minutes were left")
      yield* TestClock.adjust(1)
      const outcome = Option.getOrThrow(yield* Fiber.join(second))
      assert.strictEqual(outcome.status, "succeeded")
    }),
  )

  it.effect("an interrupted rollback is finished by the next run", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      const control = yield* RolloutControl.make
      const s = strategy([setWeight(10), pause(), setWeight(100)], { scaleDownDelay: 5 * MINUTE })
      const first = yield* Effect.forkChild(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: s, replicas: 3, control }).pipe(
          Effect.provide(env.layer),
        ),
      )
      yield* settle
      yield* control.abort("bad canary")
      yield* settle
      yield* TestClock.adjust(MINUTE)
      yield* Fiber.interrupt(first) // dies while waiting to scale the candidate down
      assert.strictEqual(yield* env.world.replicas(B.id), 3)
      const second = yield* Effect.forkChild(Rollout.resume(APP).pipe(Effect.provide(env.layer)))
      yield* settle
      yield* TestClock.adjust(4 * MINUTE)
      const outcome = Option.getOrThrow(yield* Fiber.join(second))
      assert.strictEqual(outcome.status, "rolled-back")
      assert.strictEqual(outcome.record.rollbackReason, "bad canary")
      assert.strictEqual(yield* env.world.replicas(B.id), 0)
      assert.deepStrictEqual(
        candidateWeights(yield* env.world.calls),
        [10, 0],
        "traffic was returned only once",
      )
    }),
  )

  it.effect("an unfinished rollout of another candidate is rolled back before the new one starts", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      const s = strategy([setWeight(30), pause(), setWeight(100)], { scaleDownDelay: MINUTE })
      const first = yield* Effect.forkChild(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: s, replicas: 3 }).pipe(
          Effect.provide(env.layer),
        ),
      )
      yield* settle
      yield* Fiber.interrupt(first)
      yield* env.world.clearCalls
      const next = strategy([setWeight(50), setWeight(100)], { scaleDownDelay: MINUTE })
      const outcome = yield* runFor(
        Rollout.run({ app: APP, stable: A, candidate: C, strategy: next, replicas: 3 }).pipe(
          Effect.provide(env.layer),
        ),
      )
      assert.strictEqual(outcome.status, "succeeded")
      assert.deepStrictEqual(yield* env.world.calls, [
        "setWeights shop {shop-a:100,shop-b:0}",
        "scale shop-b 0",
        "ensure shop-c 3",
        "setWeights shop {shop-a:50,shop-c:50}",
        "setWeights shop {shop-a:0,shop-c:100}",
        "scale shop-a 0",
      ])
      const history = yield* env.journal.history(APP)
      assert.deepStrictEqual(
        history.map((r) => [r.candidate.id, r.status, r.rollbackReason]),
        [
          [C.id, "succeeded", undefined],
          [B.id, "rolled-back", "superseded by shop-c"],
        ],
      )
    }),
  )

  it.effect("Rollout.resume does nothing when nothing is unfinished", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      assert.isTrue(Option.isNone(yield* Rollout.resume(APP).pipe(Effect.provide(env.layer))))
      yield* runFor(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: B,
          strategy: strategy([setWeight(100)]),
          replicas: 1,
        }).pipe(Effect.provide(env.layer)),
      )
      yield* env.world.clearCalls
      assert.isTrue(Option.isNone(yield* Rollout.resume(APP).pipe(Effect.provide(env.layer))))
      assert.deepStrictEqual(yield* env.world.calls, [])
    }),
  )

  it.effect("Rollout.resume refuses gates that do not cover the journal's Gate steps", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      const s = strategy([setWeight(10), pause(), gateStep("errors"), setWeight(100)])
      const errors = passing("errors")
      const first = yield* Effect.forkChild(
        Rollout.run({ app: APP, stable: A, candidate: B, strategy: s, gates: [errors], replicas: 1 }).pipe(
          Effect.provide(env.layer),
        ),
      )
      yield* settle
      yield* Fiber.interrupt(first)
      const refused = yield* Effect.flip(Rollout.resume(APP, { gates: [] }).pipe(Effect.provide(env.layer)))
      assert.strictEqual(refused._tag, "StrategyInvalid")
      assert.include(refused.message, 'steps[2].gates: unknown gate "errors"')
      // the same through Rollout.run, whose own strategy may differ from the journal's
      const viaRun = yield* Effect.flip(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: B,
          strategy: strategy([setWeight(100)]),
          replicas: 1,
        }).pipe(Effect.provide(env.layer)),
      )
      assert.strictEqual(viaRun._tag, "StrategyInvalid")
      assert.include(viaRun.message, 'steps[2].gates: unknown gate "errors"')
    }),
  )
})
