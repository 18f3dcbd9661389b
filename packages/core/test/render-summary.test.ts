import { assert, describe, it } from "@effect/vitest"
import type { RolloutEvent } from "../src/Events.ts"
import { NoRolloutEvents, summarize } from "../src/render/Summary.ts"
import {
  at,
  pausedThenAborted,
  pausedThenPromoted,
  ROLLBACK_REASON,
  rolledBackCanary,
  successfulCanary,
} from "./render-fixtures.ts"

describe("summarize", () => {
  describe("a successful 5-step canary", () => {
    const s = summarize(successfulCanary())

    it("succeeds, from the first event to Succeeded", () => {
      assert.strictEqual(s.outcome, "succeeded")
      assert.strictEqual(s.app, "shop")
      assert.strictEqual(s.rolloutId, "r-canary")
      assert.strictEqual(s.stable, "v41")
      assert.strictEqual(s.candidate, "v42")
      assert.strictEqual(s.strategyKind, "canary")
      assert.strictEqual(s.startedAt, at(0))
      assert.strictEqual(s.endedAt, at(93))
      assert.strictEqual(s.durationMs, 93_000)
      assert.strictEqual(s.candidateWeight, 100)
      assert.isUndefined(s.rollbackReason)
      assert.isUndefined(s.timeToRollbackMs)
    })

    it("times every step and counts its verdicts", () => {
      assert.deepStrictEqual(
        s.steps.map((step) => [step.label, step.durationMs, step.status, step.candidateWeight]),
        [
          ["setWeight 20%", 1_000, "completed", 20],
          ["gate error-rate, latency-p99", 30_000, "completed", 20],
          ["setWeight 50%", 1_000, "completed", 50],
          ["pause 1m", 60_000, "completed", 50],
          ["setWeight 100%", 1_000, "completed", 100],
        ],
      )
      assert.deepStrictEqual(s.steps[3]!.verdicts, { pass: 1, fail: 0, inconclusive: 1 })
      assert.strictEqual(s.stepsCompleted, 5)
      assert.strictEqual(s.totalSteps, 5)
      assert.deepStrictEqual(s.verdicts, { pass: 3, fail: 0, inconclusive: 1 })
    })

    it("records the timed pause from Paused to Resumed", () => {
      assert.deepStrictEqual(s.pauses, [
        { index: 3, reason: "step", from: at(32), to: at(92), until: at(92) },
      ])
    })
  })

  describe("a canary rolled back by a failing gate", () => {
    const s = summarize(rolledBackCanary())

    it("is rolled back with the reason", () => {
      assert.strictEqual(s.outcome, "rolled-back")
      assert.strictEqual(s.rollbackReason, ROLLBACK_REASON)
      assert.strictEqual(s.durationMs, 93_500)
      assert.strictEqual(s.candidateWeight, 0)
    })

    it("measures time to rollback from the first real Fail to 0% candidate traffic, ignoring dry-run fails", () => {
      // Fail at +62s, WeightSet 0 at +63.5s; the dry-run smoke Fail at +31s does not count.
      assert.strictEqual(s.timeToRollbackMs, 1_500)
      assert.deepStrictEqual(s.verdicts, { pass: 1, fail: 2, inconclusive: 0 })
      assert.strictEqual(s.dryRunVerdicts, 1)
    })

    it("marks the step the rollback cut short, ending it when the rollback started", () => {
      const cut = s.steps[3]!
      assert.strictEqual(cut.status, "rolled-back")
      assert.strictEqual(cut.endedAt, at(62.5))
      assert.strictEqual(cut.candidateWeight, 25)
      assert.strictEqual(s.stepsCompleted, 3)
      assert.strictEqual(s.totalSteps, 7)
    })
  })

  describe("a rollout paused until promoted", () => {
    const s = summarize(pausedThenPromoted())

    it("keeps the open-ended pause until the promotion", () => {
      assert.deepStrictEqual(s.pauses, [{ index: 1, reason: "step", from: at(1), to: at(601) }])
      assert.strictEqual(s.steps[1]!.durationMs, 600_000)
      assert.strictEqual(s.outcome, "succeeded")
      assert.strictEqual(s.durationMs, 602_000)
    })
  })

  it("measures an operator's abort from the start of the rollback", () => {
    const s = summarize(pausedThenAborted())
    assert.strictEqual(s.outcome, "rolled-back")
    assert.strictEqual(s.rollbackReason, "aborted by an operator")
    assert.strictEqual(s.timeToRollbackMs, 1_000)
    assert.deepStrictEqual(s.pauses, [{ index: 1, reason: "step", from: at(1), to: at(100) }])
    assert.strictEqual(s.steps[1]!.status, "rolled-back")
  })

  it("is in progress, with the current step running, before a terminal event", () => {
    const s = summarize(successfulCanary().slice(0, 10))
    assert.strictEqual(s.outcome, "in-progress")
    assert.isUndefined(s.endedAt)
    assert.isUndefined(s.durationMs)
    assert.strictEqual(s.steps.at(-1)!.status, "running")
    assert.isUndefined(s.steps.at(-1)!.durationMs)
    assert.strictEqual(s.candidateWeight, 50)
  })

  it("summarises only the rollout of the first event when streams are mixed", () => {
    const mixed: ReadonlyArray<RolloutEvent> = [...successfulCanary(), ...rolledBackCanary()].sort(
      (a, b) => a.at - b.at,
    )
    const s = summarize(mixed)
    assert.strictEqual(s.rolloutId, "r-canary")
    assert.strictEqual(s.outcome, "succeeded")
    assert.deepStrictEqual(s.verdicts, { pass: 3, fail: 0, inconclusive: 1 })
  })

  it("refuses an empty stream with NoRolloutEvents", () => {
    assert.throws(() => summarize([]), NoRolloutEvents)
  })
})
