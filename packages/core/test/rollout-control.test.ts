import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import type { GateContext } from "../src/index.ts"
import * as Rollout from "../src/Rollout.ts"
import { RolloutControl } from "../src/RolloutControl.ts"
import type { Strategy } from "../src/Strategy.ts"
import { type Gate, Verdict } from "../src/Verdict.ts"
import {
  A,
  APP,
  B,
  callsOn,
  candidateWeights,
  gateStep,
  MINUTE,
  makeEnv,
  ofTag,
  pause,
  scale,
  settle,
  setWeight,
  strategy,
} from "./rollout-fixtures.ts"

/** A gate that takes `duration` to decide. */
const slowGate = (
  name: string,
  duration: number,
  outcome: "Pass" | "Fail",
): Gate & { readonly started: () => number } => {
  let started = 0
  return {
    name,
    started: () => started,
    check: (_: GateContext) =>
      Effect.sync(() => {
        started++
      }).pipe(
        Effect.andThen(Effect.sleep(duration)),
        Effect.as(Verdict[outcome]({ reason: `${name}: ${outcome}`, evidence: [{ gate: name }] })),
      ),
  }
}

/** Starts a rollout of shop-b over shop-a in the background, with a control. */
const start = (
  s: Strategy,
  options: { readonly gates?: ReadonlyArray<Gate>; readonly replicas?: number } = {},
) =>
  Effect.gen(function* () {
    const env = yield* makeEnv()
    const control = yield* RolloutControl.make
    const fiber = yield* Effect.forkChild(
      Rollout.run({
        app: APP,
        stable: A,
        candidate: B,
        strategy: s,
        gates: options.gates ?? [],
        replicas: options.replicas ?? 3,
        control,
      }).pipe(Effect.provide(env.layer)),
    )
    yield* settle
    const record = Effect.map(env.journal.load(APP), Option.getOrThrow)
    const weights = Effect.map(env.world.calls, (calls) => candidateWeights(calls))
    /** Sends a command and lets the engine take it. */
    const send = (command: Effect.Effect<void>) => Effect.andThen(command, settle)
    return { ...env, control, fiber, record, weights, send }
  })

describe("operator control", () => {
  it.effect("pause stops a timed pause's clock until resume", () =>
    Effect.gen(function* () {
      const r = yield* start(strategy([setWeight(10), pause(5 * MINUTE), setWeight(100)]))
      yield* TestClock.adjust(2 * MINUTE)
      yield* r.send(r.control.pause)
      const paused = yield* r.record
      assert.strictEqual(paused.status, "paused")
      assert.deepStrictEqual(paused.pause, { reason: "manual", startedAt: 2 * MINUTE, remaining: 3 * MINUTE })
      yield* TestClock.adjust(60 * MINUTE) // a paused rollout does not move, however long
      assert.deepStrictEqual(yield* r.weights, [10])
      yield* r.send(r.control.resume)
      assert.strictEqual((yield* r.record).status, "progressing")
      yield* TestClock.adjust(3 * MINUTE - 1)
      assert.deepStrictEqual(yield* r.weights, [10], "3 minutes were left when paused")
      yield* TestClock.adjust(1)
      assert.deepStrictEqual(yield* r.weights, [10, 100])
      yield* TestClock.adjust(MINUTE)
      const outcome = yield* Fiber.join(r.fiber)
      assert.strictEqual(outcome.status, "succeeded")
      assert.deepStrictEqual(
        ofTag(outcome.record.events, "Paused").map((e) => e.reason),
        ["step", "manual"],
      )
      assert.deepStrictEqual(
        ofTag(outcome.record.events, "Resumed").map((e) => e.at),
        [62 * MINUTE],
      )
    }),
  )

  it.effect("promote ends a timed pause early", () =>
    Effect.gen(function* () {
      const r = yield* start(
        strategy([setWeight(10), pause(30 * MINUTE), setWeight(50), pause(30 * MINUTE), setWeight(100)]),
      )
      yield* TestClock.adjust(MINUTE)
      yield* r.send(r.control.promote())
      assert.deepStrictEqual(yield* r.weights, [10, 50])
      const record = yield* r.record
      assert.strictEqual(record.stepIndex, 3, "now baking the second pause")
      const promoted = ofTag(record.events, "Promoted")
      assert.deepStrictEqual(
        promoted.map((e) => [e.index, e.full, e.at]),
        [[1, false, MINUTE]],
      )
      yield* r.send(r.control.promote())
      yield* TestClock.adjust(MINUTE)
      assert.strictEqual((yield* Fiber.join(r.fiber)).status, "succeeded")
    }),
  )

  it.effect("an indefinite pause waits for promote, however long", () =>
    Effect.gen(function* () {
      const r = yield* start(strategy([setWeight(10), pause(), setWeight(100)]))
      yield* TestClock.adjust(48 * 60 * MINUTE)
      assert.deepStrictEqual(yield* r.weights, [10])
      assert.isUndefined(r.fiber.pollUnsafe())
      yield* r.send(r.control.resume) // resume is not promote: nothing was paused by an operator
      assert.deepStrictEqual(yield* r.weights, [10])
      yield* r.send(r.control.promote())
      assert.deepStrictEqual(yield* r.weights, [10, 100])
      yield* TestClock.adjust(MINUTE)
      assert.strictEqual((yield* Fiber.join(r.fiber)).status, "succeeded")
    }),
  )

  it.effect("a promote given before a wait ends the next one", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      const control = yield* RolloutControl.make
      yield* control.promote()
      const fiber = yield* Effect.forkChild(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: B,
          strategy: strategy([setWeight(10), pause(), setWeight(100)]),
          replicas: 3,
          control,
        }).pipe(Effect.provide(env.layer)),
      )
      yield* settle
      yield* TestClock.adjust(MINUTE)
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome.status, "succeeded")
      assert.deepStrictEqual(
        ofTag(outcome.record.events, "Promoted").map((e) => e.index),
        [1],
      )
    }),
  )

  it.effect(
    "promote full sends everything to the candidate now and skips the remaining steps and gates",
    () =>
      Effect.gen(function* () {
        const health = slowGate("health", 0, "Fail")
        const r = yield* start(
          strategy(
            [
              setWeight(10),
              pause(10 * MINUTE),
              setWeight(25),
              pause(10 * MINUTE),
              gateStep(),
              setWeight(100),
            ],
            {
              analysis: {
                interval: 60 * MINUTE,
                failureLimit: 0,
                inconclusiveLimit: 0,
                onInconclusiveLimit: "fail",
              },
            },
          ),
          { gates: [health] },
        )
        yield* TestClock.adjust(MINUTE)
        yield* r.send(r.control.promote({ full: true }))
        assert.deepStrictEqual(yield* r.weights, [10, 100])
        yield* TestClock.adjust(MINUTE)
        const outcome = yield* Fiber.join(r.fiber)
        assert.strictEqual(outcome.status, "succeeded")
        assert.strictEqual(health.started(), 0, "the failing gate was skipped")
        assert.deepStrictEqual(
          ofTag(outcome.record.events, "Promoted").map((e) => [e.index, e.full]),
          [[1, true]],
        )
        assert.strictEqual(yield* r.world.replicas(A.id), 0)
      }),
  )

  it.effect("promote full brings a partly scaled candidate to full size before switching", () =>
    Effect.gen(function* () {
      const r = yield* start(strategy([scale({ replicas: 1 }), setWeight(10), pause(), setWeight(100)]), {
        replicas: 3,
      })
      yield* r.send(r.control.promote({ full: true }))
      yield* TestClock.adjust(MINUTE)
      yield* Fiber.join(r.fiber)
      const calls = yield* r.world.calls
      assert.deepStrictEqual(callsOn(calls, B), ["ensure shop-b 1", "scale shop-b 1", "ensure shop-b 3"])
      assert.isBelow(calls.indexOf("ensure shop-b 3"), calls.indexOf("setWeights shop {shop-a:0,shop-b:100}"))
    }),
  )

  it.effect(
    "abort returns traffic to stable at once and scales the candidate down after scaleDownDelay",
    () =>
      Effect.gen(function* () {
        const r = yield* start(
          strategy([setWeight(10), pause(10 * MINUTE), setWeight(100)], { scaleDownDelay: MINUTE }),
        )
        yield* TestClock.adjust(2 * MINUTE)
        yield* r.send(r.control.abort("error budget burning"))
        assert.deepStrictEqual(yield* r.weights, [10, 0])
        assert.strictEqual((yield* r.record).status, "rolling-back")
        assert.strictEqual(yield* r.world.replicas(B.id), 3, "kept for scaleDownDelay")
        yield* TestClock.adjust(MINUTE)
        const outcome = yield* Fiber.join(r.fiber)
        assert.strictEqual(outcome.status, "rolled-back")
        assert.strictEqual(outcome.record.rollbackReason, "error budget burning")
        assert.strictEqual(yield* r.world.replicas(B.id), 0)
        assert.deepStrictEqual(callsOn(yield* r.world.calls, A), [], "stable untouched")
        const events = outcome.record.events
        assert.deepStrictEqual(
          events.filter((e) => e.at >= 2 * MINUTE).map((e) => [e._tag, e.at]),
          [
            ["RollbackStarted", 2 * MINUTE],
            ["WeightSet", 2 * MINUTE],
            ["Scaled", 3 * MINUTE],
            ["RolledBack", 3 * MINUTE],
          ],
        )
      }),
  )

  it.effect("abort does not wait for a candidate that is still starting", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      yield* env.world.neverReady(B.id)
      const control = yield* RolloutControl.make
      const fiber = yield* Effect.forkChild(
        Rollout.run({
          app: APP,
          stable: A,
          candidate: B,
          strategy: strategy([setWeight(100)], { scaleDownDelay: 0 }),
          replicas: 3,
          control,
        }).pipe(Effect.provide(env.layer)),
      )
      yield* settle
      yield* TestClock.adjust(MINUTE)
      yield* control.abort()
      yield* settle
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome.record.rollbackReason, "aborted by an operator")
      assert.strictEqual(ofTag(outcome.record.events, "RolledBack")[0]?.at, MINUTE)
    }),
  )

  it.effect("pause during a Gate step holds the rollout once the verdict is in", () =>
    Effect.gen(function* () {
      const health = slowGate("health", 30_000, "Pass")
      const r = yield* start(strategy([setWeight(10), gateStep(), setWeight(100)]), { gates: [health] })
      yield* TestClock.adjust(10_000)
      yield* r.send(r.control.pause)
      yield* TestClock.adjust(20_000)
      const held = yield* r.record
      assert.strictEqual(held.status, "paused")
      assert.strictEqual(held.stepIndex, 2, "held before the next step")
      assert.strictEqual(ofTag(held.events, "GateEvaluated").length, 1, "the gate finished its check")
      yield* TestClock.adjust(60 * MINUTE)
      assert.deepStrictEqual(yield* r.weights, [10])
      yield* r.send(r.control.resume)
      yield* TestClock.adjust(MINUTE)
      const outcome = yield* Fiber.join(r.fiber)
      assert.strictEqual(outcome.status, "succeeded")
      assert.deepStrictEqual(
        ofTag(outcome.record.events, "Paused").map((e) => [e.reason, e.index]),
        [["manual", 2]],
      )
    }),
  )

  it.effect("abort during a Gate step interrupts the check", () =>
    Effect.gen(function* () {
      const health = slowGate("health", 5 * MINUTE, "Pass")
      const r = yield* start(strategy([setWeight(10), gateStep(), setWeight(100)], { scaleDownDelay: 0 }), {
        gates: [health],
      })
      yield* TestClock.adjust(MINUTE)
      yield* r.send(r.control.abort())
      const outcome = yield* Fiber.join(r.fiber)
      assert.strictEqual(outcome.status, "rolled-back")
      assert.strictEqual(ofTag(outcome.record.events, "RollbackStarted")[0]?.at, MINUTE)
      assert.strictEqual(ofTag(outcome.record.events, "GateEvaluated").length, 0)
    }),
  )

  it.effect("promote during a Gate step skips its verdict", () =>
    Effect.gen(function* () {
      const doomed = slowGate("doomed", 5 * MINUTE, "Fail")
      const r = yield* start(strategy([setWeight(10), gateStep(), setWeight(100)]), { gates: [doomed] })
      yield* TestClock.adjust(MINUTE)
      yield* r.send(r.control.promote())
      yield* TestClock.adjust(MINUTE)
      const outcome = yield* Fiber.join(r.fiber)
      assert.strictEqual(outcome.status, "succeeded")
      assert.strictEqual(ofTag(outcome.record.events, "GateEvaluated").length, 0)
    }),
  )
})
