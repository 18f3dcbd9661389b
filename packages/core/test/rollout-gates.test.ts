import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as Rollout from "../src/Rollout.ts"
import { RolloutControl } from "../src/RolloutControl.ts"
import type { Analysis, Step } from "../src/Strategy.ts"
import type { Gate } from "../src/Verdict.ts"
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
  passing,
  pause,
  runFor,
  scriptedGate,
  settle,
  setWeight,
  strategy,
} from "./rollout-fixtures.ts"

// A canary with a Gate step after every weight (gates at step indexes 1, 3, 5, 7, 9).
const gatedSteps: ReadonlyArray<Step> = [10, 25, 50, 75, 100].flatMap((w) => [setWeight(w), gateStep()])
const gateIndexes = gatedSteps.flatMap((s, i) => (s._tag === "Gate" ? [i] : []))

const analysis = (overrides: Partial<Analysis>): Analysis => ({
  interval: MINUTE,
  failureLimit: 0,
  inconclusiveLimit: 0,
  onInconclusiveLimit: "pause",
  ...overrides,
})

const run = (steps: ReadonlyArray<Step>, gates: ReadonlyArray<Gate>, a: Partial<Analysis> = {}) =>
  Effect.gen(function* () {
    const env = yield* makeEnv()
    const outcome = yield* runFor(
      Rollout.run({
        app: APP,
        stable: A,
        candidate: B,
        strategy: strategy(steps, { analysis: analysis(a) }),
        gates,
        replicas: 3,
      }).pipe(Effect.provide(env.layer)),
    )
    return { ...env, outcome, calls: yield* env.world.calls }
  })

describe("gates", () => {
  describe("a failing gate rolls back to 0% candidate with stable untouched", () => {
    for (const failAt of gateIndexes) {
      const weightsBefore = gatedSteps
        .slice(0, failAt)
        .flatMap((s) => (s._tag === "SetWeight" ? [s.weight] : []))
      it.effect(`when it fails at step ${failAt} (candidate at ${weightsBefore.at(-1)}%)`, () =>
        Effect.gen(function* () {
          const errors = scriptedGate("errors", (_, ctx) => (ctx.stepIndex === failAt ? "Fail" : "Pass"))
          const { world, outcome, calls } = yield* run(gatedSteps, [errors])
          assert.strictEqual(outcome.status, "rolled-back")
          assert.deepStrictEqual(candidateWeights(calls), [...weightsBefore, 0])
          assert.deepStrictEqual(yield* world.weights(APP), { [A.id]: 100, [B.id]: 0 })
          assert.strictEqual(yield* world.replicas(B.id), 0)
          assert.strictEqual(yield* world.replicas(A.id), 3)
          assert.deepStrictEqual(callsOn(calls, A), [], "no call on the stable revision")
          assert.strictEqual(
            outcome.record.rollbackReason,
            `gate failed: errors: errors says fail (call ${gateIndexes.indexOf(failAt) + 1})`,
          )
          // traffic first, then the candidate
          assert.isBelow(
            calls.indexOf("setWeights shop {shop-a:100,shop-b:0}"),
            calls.indexOf("scale shop-b 0"),
          )
          const failed = ofTag(outcome.record.events, "GateEvaluated").at(-1)!
          assert.deepStrictEqual([failed.index, failed.verdict._tag], [failAt, "Fail"])
          assert.deepStrictEqual(failed.verdict.evidence, [
            { gate: "errors", observed: gateIndexes.indexOf(failAt) + 1, threshold: "scripted" },
          ])
        }),
      )
    }
  })

  it.effect("background analysis during a pause rolls back as soon as a gate fails", () =>
    Effect.gen(function* () {
      const latency = scriptedGate("latency", (call) => (call === 3 ? "Fail" : "Pass"))
      const { outcome, calls } = yield* run([setWeight(20), pause(10 * MINUTE), setWeight(100)], [latency])
      assert.strictEqual(outcome.status, "rolled-back")
      assert.deepStrictEqual(candidateWeights(calls), [20, 0])
      assert.strictEqual(ofTag(outcome.record.events, "RollbackStarted")[0]?.at, 3 * MINUTE)
    }),
  )

  it.effect("tells gates the candidate's weight and the step being judged", () =>
    Effect.gen(function* () {
      const probe = passing("probe")
      yield* run([setWeight(10), gateStep(), setWeight(40), gateStep(), setWeight(100)], [probe])
      assert.deepStrictEqual(
        probe.contexts.map((c) => [c.stepIndex, c.candidateWeight, c.candidate.id, c.stable?.id]),
        [
          [1, 10, B.id, A.id],
          [3, 40, B.id, A.id],
        ],
      )
    }),
  )

  it.effect("a Gate step that names gates evaluates only those", () =>
    Effect.gen(function* () {
      const errors = passing("errors")
      const latency = passing("latency")
      yield* run([setWeight(10), gateStep("latency"), setWeight(100)], [errors, latency])
      assert.deepStrictEqual([errors.calls(), latency.calls()], [0, 1])
    }),
  )

  it.effect("fails within failureLimit are tolerated; one more rolls back", () =>
    Effect.gen(function* () {
      const tolerated = yield* run(
        gatedSteps,
        [scriptedGate("flaky", (call) => (call <= 2 ? "Fail" : "Pass"))],
        {
          failureLimit: 2,
        },
      )
      assert.strictEqual(tolerated.outcome.status, "succeeded")
      assert.strictEqual(tolerated.outcome.record.failures, 2)

      const exceeded = yield* run(
        gatedSteps,
        [scriptedGate("flaky", (call) => (call <= 3 ? "Fail" : "Pass"))],
        {
          failureLimit: 2,
        },
      )
      assert.strictEqual(exceeded.outcome.status, "rolled-back")
      assert.include(exceeded.outcome.record.rollbackReason ?? "", "(3 failed checks, limit 2)")
      assert.deepStrictEqual(candidateWeights(exceeded.calls), [10, 25, 50, 0])
    }),
  )

  it.effect("a gate that dies is reported Inconclusive, not a crash", () =>
    Effect.gen(function* () {
      const broken: Gate = { name: "broken", check: () => Effect.die(new Error("socket hang up")) }
      const { outcome } = yield* run([setWeight(10), gateStep(), setWeight(100)], [broken], {
        inconclusiveLimit: 0,
        onInconclusiveLimit: "fail",
      })
      assert.strictEqual(outcome.status, "rolled-back")
      assert.include(outcome.record.rollbackReason ?? "", "gate broken crashed: socket hang up")
    }),
  )

  describe("inconclusive verdicts", () => {
    it.effect("up to inconclusiveLimit in a row, the rollout continues", () =>
      Effect.gen(function* () {
        const unsure = scriptedGate("unsure", (call) => (call <= 2 ? "Inconclusive" : "Pass"))
        const { outcome } = yield* run(gatedSteps, [unsure], {
          inconclusiveLimit: 2,
          onInconclusiveLimit: "fail",
        })
        assert.strictEqual(outcome.status, "succeeded")
        assert.strictEqual(ofTag(outcome.record.events, "Paused").length, 0)
      }),
    )

    it.effect("a Pass resets the count", () =>
      Effect.gen(function* () {
        // I I P I I: never three in a row
        const script = ["Inconclusive", "Inconclusive", "Pass", "Inconclusive", "Inconclusive"] as const
        const unsure = scriptedGate("unsure", (call) => script[call - 1] ?? "Pass")
        const { outcome } = yield* run(gatedSteps, [unsure], {
          inconclusiveLimit: 2,
          onInconclusiveLimit: "fail",
        })
        assert.strictEqual(outcome.status, "succeeded")
        assert.strictEqual(outcome.record.inconclusives, 2)
      }),
    )

    it.effect("past the limit in fail mode, the rollout rolls back", () =>
      Effect.gen(function* () {
        const unsure = scriptedGate("unsure", (call) => (call <= 3 ? "Inconclusive" : "Pass"))
        const { outcome, calls } = yield* run(gatedSteps, [unsure], {
          inconclusiveLimit: 2,
          onInconclusiveLimit: "fail",
        })
        assert.strictEqual(outcome.status, "rolled-back")
        assert.include(outcome.record.rollbackReason ?? "", "3 inconclusive checks in a row (limit 2)")
        assert.deepStrictEqual(candidateWeights(calls), [10, 25, 50, 0])
      }),
    )

    it.effect("past the limit in pause mode, the rollout holds until an operator resumes", () =>
      Effect.gen(function* () {
        const env = yield* makeEnv()
        const control = yield* RolloutControl.make
        const unsure = scriptedGate("unsure", (call) => (call <= 3 ? "Inconclusive" : "Pass"))
        const fiber = yield* Effect.forkChild(
          Rollout.run({
            app: APP,
            stable: A,
            candidate: B,
            strategy: strategy(gatedSteps, {
              analysis: analysis({ inconclusiveLimit: 2, onInconclusiveLimit: "pause" }),
            }),
            gates: [unsure],
            replicas: 3,
            control,
          }).pipe(Effect.provide(env.layer)),
        )
        yield* settle
        yield* TestClock.adjust(30 * MINUTE)
        const held = yield* env.journal.load(APP)
        assert.isTrue(held._tag === "Some" && held.value.status === "paused")
        if (held._tag === "Some") {
          assert.deepStrictEqual(held.value.pause, { reason: "inconclusive", startedAt: 0 })
          assert.strictEqual(held.value.stepIndex, 5)
        }
        assert.deepStrictEqual(candidateWeights(yield* env.world.calls), [10, 25, 50])
        yield* control.resume
        yield* settle
        yield* TestClock.adjust(MINUTE)
        const outcome = yield* Fiber.join(fiber)
        assert.strictEqual(outcome.status, "succeeded")
        assert.deepStrictEqual(
          ofTag(outcome.record.events, "Paused").map((e) => [e.reason, e.index]),
          [["inconclusive", 5]],
        )
        assert.strictEqual(outcome.record.inconclusives, 0, "resuming resets the count")
        // background analysis kept checking while held: every minute of the 30
        assert.isAtLeast(unsure.calls(), 30)
      }),
    )
  })

  it.effect("a dry-run gate is recorded but never stops the rollout", () =>
    Effect.gen(function* () {
      const shadow = scriptedGate("shadow", () => "Fail", { dryRun: true })
      const unsureShadow = scriptedGate("unsure-shadow", () => "Inconclusive", { dryRun: true })
      const { outcome } = yield* run(
        [setWeight(10), pause(3 * MINUTE), gateStep(), setWeight(100)],
        [shadow, unsureShadow, passing()],
      )
      assert.strictEqual(outcome.status, "succeeded")
      const dry = ofTag(outcome.record.events, "GateEvaluated").filter((e) => e.gate === "shadow")
      assert.strictEqual(dry.length, 4, "three background checks and the Gate step")
      assert.isTrue(dry.every((e) => e.dryRun && e.verdict._tag === "Fail"))
      assert.strictEqual(outcome.record.failures, 0)
    }),
  )
})
