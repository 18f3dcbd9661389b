import { assert, describe, it } from "@effect/vitest"
import { defaultAnalysis, type Step, type Strategy } from "@slipway/core"
import {
  allAtOnce,
  backendIssues,
  backendLimits,
  blueGreen,
  canary,
  ecsDeploymentStrategy,
  linear,
  rolling,
  Segments,
} from "../src/index.ts"
import { gate, MIN, pause, scale, weight } from "./helpers.ts"

const plan = (steps: ReadonlyArray<Step>): Strategy => ({
  kind: "custom",
  steps,
  analysis: defaultAnalysis,
  scaleDownDelay: MIN,
  progressDeadline: 10 * MIN,
})

describe("Segments", () => {
  it("groups steps by the weight they run at: before traffic, each intermediate weight, 100%", () => {
    const s = plan([scale(100), gate(), weight(10), pause(5 * MIN), gate(), weight(10), weight(100), pause()])
    const { pre, plateaus, final } = Segments.of(s)
    assert.deepStrictEqual(
      pre.steps.map((l) => l.index),
      [0, 1],
    )
    // The repeated SetWeight 10 does not open a new plateau.
    assert.deepStrictEqual(
      plateaus.map((p) => [p.weight, p.openedAt, p.steps.map((l) => l.index)]),
      [[10, 2, [3, 4]]],
    )
    assert.deepStrictEqual([final.weight, final.openedAt, final.steps.map((l) => l.index)], [100, 6, [7]])
    assert.deepStrictEqual(Segments.weights(Segments.of(s)), [10, 100])
    assert.strictEqual(Segments.bakeOf(plateaus[0]!), 5 * MIN)
  })

  it("tells evenly spaced weights and capacity that moves with traffic", () => {
    assert.strictEqual(Segments.equalStep([30, 60, 90]), 30)
    assert.strictEqual(Segments.equalStep([25, 50]), undefined)
    const r = rolling({ batchPercent: 25 })
    assert.isTrue(Segments.scalesIn(Segments.of(r).pre).every((l) => Segments.tracksTraffic(r, l)))
    const c = canary({ steps: [{ weight: 10, bake: "1m" }] })
    assert.isFalse(Segments.tracksTraffic(c, Segments.scalesIn(Segments.of(c).pre)[0]!))
  })
})

describe("backendIssues", () => {
  it("finds nothing for a driven rollout, whatever its shape", () => {
    const stepped = canary({
      steps: [
        { weight: 10, bake: "90s" },
        { weight: 50, bake: "manual" },
      ],
    })
    assert.deepStrictEqual(backendIssues(stepped, "driven"), [])
    assert.isAbove(backendIssues(stepped, "ecs-native").length, 0)
  })

  it("names an invalid strategy's fields", () => {
    const [issue, ...rest] = backendIssues(plan([weight(50)]), "codedeploy-lambda")
    assert.deepStrictEqual(rest, [])
    assert.strictEqual(issue?.path, "steps")
    assert.match(issue!.reason, /^the strategy is invalid: steps: the plan never sends 100%/)
    assert.strictEqual(issue?.fix, "fix the fields named above")
  })

  it("reports one issue per rule, not one per step (nine 90s intervals are one issue)", () => {
    const issues = backendIssues(linear({ stepPercent: 10, interval: "90s" }), "codedeploy-lambda")
    assert.deepStrictEqual(
      issues.map((i) => i.path),
      ["steps[2]"],
    )
  })

  it("offers the fix first, then running it driven", () => {
    const [issue] = backendIssues(blueGreen({ autoPromote: false }), "asg-refresh")
    assert.strictEqual(issue?.fix, "use a timed pause")
    assert.strictEqual(
      issue?.alternative,
      `use a timed pause, or ${backendLimits["asg-refresh"].drivenAlternative}`,
    )
  })

  it("reads its limits from backendLimits", () => {
    const atLimit = canary({ steps: [{ weight: 10, bake: backendLimits["ecs-native"].maxPauseMs! }] })
    const over = canary({ steps: [{ weight: 10, bake: backendLimits["ecs-native"].maxPauseMs! + MIN }] })
    assert.deepStrictEqual(backendIssues(atLimit, "ecs-native"), [])
    assert.deepStrictEqual(
      backendIssues(over, "ecs-native").map((i) => i.reason),
      ["the bake at 10% is 1441 minutes; ECS accepts 0–1440"],
    )
  })
})

describe("ecsDeploymentStrategy", () => {
  it("maps the weights to BLUE_GREEN, CANARY, LINEAR, and capacity-following batches to ROLLING", () => {
    assert.strictEqual(ecsDeploymentStrategy(allAtOnce()), "BLUE_GREEN")
    assert.strictEqual(ecsDeploymentStrategy(blueGreen()), "BLUE_GREEN")
    assert.strictEqual(ecsDeploymentStrategy(canary({ steps: [{ weight: 10, bake: "5m" }] })), "CANARY")
    assert.strictEqual(ecsDeploymentStrategy(linear({ stepPercent: 20, interval: "1m" })), "LINEAR")
    assert.strictEqual(
      ecsDeploymentStrategy(rolling({ replicas: 3, batchSize: 1, pauseBetween: 0 })),
      "ROLLING",
    )
  })
})
