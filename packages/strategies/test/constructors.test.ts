import { assert, describe, it } from "@effect/vitest"
import {
  defaultAnalysis,
  defaultProgressDeadline,
  defaultScaleDownDelay,
  strategyIssues,
} from "@slipway/core"
import { allAtOnce, blueGreen, canary, custom, linear, rolling } from "../src/index.ts"
import { gate, MIN, pause, replicas, scale, weight } from "./helpers.ts"

describe("canary", () => {
  it("scales the candidate, then sets weight, bakes and checks gates at each step, ending at 100%", () => {
    const s = canary({
      steps: [
        { weight: 10, bake: "5m" },
        { weight: 50, bake: 600_000 },
      ],
    })
    assert.strictEqual(s.kind, "canary")
    assert.deepStrictEqual(s.steps, [
      scale(100),
      weight(10),
      pause(5 * MIN),
      gate(),
      weight(50),
      pause(10 * MIN),
      gate(),
      weight(100),
    ])
  })

  it("checks only the named gates when `gates` is given", () => {
    const s = canary({ steps: [{ weight: 20, bake: "1m" }], gates: ["errors", "latency"] })
    assert.deepStrictEqual(s.steps, [
      scale(100),
      weight(20),
      pause(MIN),
      gate("errors", "latency"),
      weight(100),
    ])
  })

  it('waits for promotion on a "manual" bake and skips the pause on a zero bake', () => {
    const s = canary({
      steps: [
        { weight: 5, bake: 0 },
        { weight: 25, bake: "manual" },
      ],
    })
    assert.deepStrictEqual(s.steps, [scale(100), weight(5), gate(), weight(25), pause(), gate(), weight(100)])
  })

  it("does not append 100% when the last step already reaches it, and gates a baked 100% step", () => {
    const noBake = canary({
      steps: [
        { weight: 10, bake: "1m" },
        { weight: 100, bake: 0 },
      ],
    })
    assert.deepStrictEqual(noBake.steps, [scale(100), weight(10), pause(MIN), gate(), weight(100)])
    const verified = canary({
      steps: [
        { weight: 10, bake: "1m" },
        { weight: 100, bake: "2m" },
      ],
    })
    assert.deepStrictEqual(verified.steps.slice(-3), [weight(100), pause(2 * MIN), gate()])
  })

  it("uses core's default policies unless given, and accepts written durations for them", () => {
    const d = canary({ steps: [{ weight: 10, bake: "1m" }] })
    assert.deepStrictEqual(d.analysis, defaultAnalysis)
    assert.strictEqual(d.scaleDownDelay, defaultScaleDownDelay)
    assert.strictEqual(d.progressDeadline, defaultProgressDeadline)
    const custom = canary({
      steps: [{ weight: 10, bake: "1m" }],
      analysis: { interval: "1m", failureLimit: 2, inconclusiveLimit: 1, onInconclusiveLimit: "fail" },
      scaleDownDelay: "5m",
      progressDeadline: "15m",
    })
    assert.deepStrictEqual(custom.analysis, {
      interval: MIN,
      failureLimit: 2,
      inconclusiveLimit: 1,
      onInconclusiveLimit: "fail",
    })
    assert.strictEqual(custom.scaleDownDelay, 5 * MIN)
    assert.strictEqual(custom.progressDeadline, 15 * MIN)
  })

  it("returns frozen plain data that core validates", () => {
    const s = canary({ steps: [{ weight: 10, bake: "1m" }] })
    assert.deepStrictEqual(strategyIssues(s), [])
    assert.isTrue(Object.isFrozen(s) && Object.isFrozen(s.steps) && Object.isFrozen(s.steps[1]))
    assert.deepStrictEqual(JSON.parse(JSON.stringify(s)), s)
  })
})

describe("linear", () => {
  it("moves stepPercent every interval, the first shift at once", () => {
    const s = linear({ stepPercent: 25, interval: "2m" })
    assert.deepStrictEqual(s.steps, [
      scale(100),
      weight(25),
      pause(2 * MIN),
      gate(),
      weight(50),
      pause(2 * MIN),
      gate(),
      weight(75),
      pause(2 * MIN),
      gate(),
      weight(100),
    ])
  })

  it("makes the last shift smaller when stepPercent does not divide 100", () => {
    const s = linear({ stepPercent: 30, interval: 60_000, gates: ["errors"] })
    const weights = s.steps.flatMap((st) => (st._tag === "SetWeight" ? [st.weight] : []))
    assert.deepStrictEqual(weights, [30, 60, 90, 100])
    assert.deepStrictEqual(s.steps[3], gate("errors"))
  })

  it("is a single switch at 100 percent", () => {
    assert.deepStrictEqual(linear({ stepPercent: 100, interval: "1m" }).steps, [scale(100), weight(100)])
  })
})

describe("blueGreen", () => {
  it("previews at full size, checks the preview gates and switches at once by default", () => {
    assert.deepStrictEqual(blueGreen({ previewGates: ["smoke"] }).steps, [
      scale(100),
      gate("smoke"),
      weight(100),
    ])
  })

  it("waits for a person with autoPromote: false", () => {
    assert.deepStrictEqual(blueGreen({ autoPromote: false }).steps, [
      scale(100),
      gate(),
      pause(),
      weight(100),
    ])
  })

  it("waits promoteAfter before switching", () => {
    const s = blueGreen({ previewGates: ["smoke"], promoteAfter: "15m", scaleDownDelay: "10m" })
    assert.deepStrictEqual(s.steps, [scale(100), gate("smoke"), pause(15 * MIN), weight(100)])
    assert.strictEqual(s.scaleDownDelay, 10 * MIN)
    assert.strictEqual(s.kind, "blueGreen")
  })
})

describe("rolling", () => {
  it("grows capacity and traffic together by batchPercent, pausing and gating between batches", () => {
    const s = rolling({ batchPercent: 50, pauseBetween: "2m" })
    assert.deepStrictEqual(s.steps, [scale(50), weight(50), pause(2 * MIN), gate(), scale(100), weight(100)])
  })

  it("counts replicas with batchSize and rounds traffic down so it never outruns capacity", () => {
    const s = rolling({ replicas: 3, batchSize: 1, pauseBetween: 0, gates: ["up"] })
    assert.deepStrictEqual(s.steps, [
      replicas(1),
      weight(33),
      gate("up"),
      replicas(2),
      weight(66),
      gate("up"),
      replicas(3),
      weight(100),
    ])
  })

  it("defaults to batches of maxSurge 25% + maxUnavailable 0 with a 1m pause", () => {
    const s = rolling()
    const weights = s.steps.flatMap((st) => (st._tag === "SetWeight" ? [st.weight] : []))
    assert.deepStrictEqual(weights, [25, 50, 75, 100])
    assert.deepStrictEqual(s.steps.slice(0, 4), [scale(25), weight(25), pause(MIN), gate()])
  })

  it("paces by maxSurge + maxUnavailable like Kubernetes when no batch is given", () => {
    const pct = rolling({ maxSurge: "20%", maxUnavailable: "20%", pauseBetween: 0 })
    assert.deepStrictEqual(
      pct.steps.filter((st) => st._tag === "Scale"),
      [scale(40), scale(80), scale(100)],
    )
    // surge rounds up (10% of 4 → 1), unavailable down (30% of 4 → 1): 2 per wave
    const count = rolling({ replicas: 4, maxSurge: "10%", maxUnavailable: "30%", pauseBetween: 0 })
    assert.deepStrictEqual(
      count.steps.filter((st) => st._tag === "Scale"),
      [replicas(2), replicas(4)],
    )
  })
})

describe("allAtOnce", () => {
  it("scales and switches in one move", () => {
    assert.deepStrictEqual(allAtOnce().steps, [scale(100), weight(100)])
  })

  it("verifies after the switch with bake and gates", () => {
    assert.deepStrictEqual(allAtOnce({ bake: "5m", gates: ["errors"] }).steps, [
      scale(100),
      weight(100),
      pause(5 * MIN),
      gate("errors"),
    ])
    assert.deepStrictEqual(allAtOnce({ gates: ["errors"] }).steps, [scale(100), weight(100), gate("errors")])
  })
})

describe("custom", () => {
  it("reads Argo Rollouts' shorthand and appends the final 100%", () => {
    const s = custom([
      { setWeight: 20 },
      { pause: { duration: "10m" } },
      { gate: ["errors"] },
      { setWeight: 60 },
      { pause: {} },
      { gate: "all" },
      { scale: { replicas: 3 } },
    ])
    assert.deepStrictEqual(s.steps, [
      weight(20),
      pause(10 * MIN),
      gate("errors"),
      weight(60),
      pause(),
      gate(),
      replicas(3),
      weight(100),
    ])
  })

  it("reads tagged steps with written durations, and manual pauses", () => {
    const s = custom(
      [
        { _tag: "Scale", percent: 100 },
        { _tag: "SetWeight", weight: 50 },
        { _tag: "Pause", duration: "90s" },
        { pause: "manual" },
        { _tag: "Gate", gates: ["a"] },
        { _tag: "SetWeight", weight: 100 },
      ],
      { scaleDownDelay: "1m" },
    )
    assert.deepStrictEqual(s.steps, [scale(100), weight(50), pause(90_000), pause(), gate("a"), weight(100)])
    assert.strictEqual(s.scaleDownDelay, MIN)
  })

  it("round-trips a built strategy's steps unchanged", () => {
    const built = canary({ steps: [{ weight: 10, bake: "5m" }] })
    assert.deepStrictEqual(custom(built.steps).steps, built.steps)
  })
})
