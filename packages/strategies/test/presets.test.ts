import { assert, describe, it } from "@effect/vitest"
import {
  type CodeDeployTrafficRouting,
  canary10Percent5Minutes,
  canary10Percent10Minutes,
  canary10Percent15Minutes,
  canary10Percent30Minutes,
  explain,
  linear10PercentEvery1Minute,
  linear10PercentEvery2Minutes,
  linear10PercentEvery3Minutes,
  linear10PercentEvery10Minutes,
  presetCatalog,
  presets,
} from "../src/index.ts"
import { gate, MIN, pause, scale, weight } from "./helpers.ts"

// CodeDeploy's predefined configurations as AWS documents them (type, percent, minutes).
// Canary: `percent` at once, the rest after `minutes`. Linear: `percent` at the start of each
// increment, one increment every `minutes`. Written out here, independent of the source.
const codeDeploy: Record<string, { type: "canary" | "linear" | "all"; percent: number; minutes: number }> = {
  "CodeDeployDefault.ECSCanary10Percent5Minutes": { type: "canary", percent: 10, minutes: 5 },
  "CodeDeployDefault.ECSCanary10Percent15Minutes": { type: "canary", percent: 10, minutes: 15 },
  "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": { type: "linear", percent: 10, minutes: 1 },
  "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": { type: "linear", percent: 10, minutes: 3 },
  "CodeDeployDefault.ECSAllAtOnce": { type: "all", percent: 100, minutes: 0 },
  "CodeDeployDefault.LambdaCanary10Percent5Minutes": { type: "canary", percent: 10, minutes: 5 },
  "CodeDeployDefault.LambdaCanary10Percent10Minutes": { type: "canary", percent: 10, minutes: 10 },
  "CodeDeployDefault.LambdaCanary10Percent15Minutes": { type: "canary", percent: 10, minutes: 15 },
  "CodeDeployDefault.LambdaCanary10Percent30Minutes": { type: "canary", percent: 10, minutes: 30 },
  "CodeDeployDefault.LambdaLinear10PercentEvery1Minute": { type: "linear", percent: 10, minutes: 1 },
  "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes": { type: "linear", percent: 10, minutes: 2 },
  "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes": { type: "linear", percent: 10, minutes: 3 },
  "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes": { type: "linear", percent: 10, minutes: 10 },
  "CodeDeployDefault.LambdaAllAtOnce": { type: "all", percent: 100, minutes: 0 },
}

const expectedSchedule = (d: (typeof codeDeploy)[string]): Array<[number, number]> => {
  if (d.type === "all") return [[100, 0]]
  if (d.type === "canary")
    return [
      [d.percent, 0],
      [100, d.minutes * MIN],
    ]
  const out: Array<[number, number]> = []
  for (let k = 1; k * d.percent <= 100; k++) out.push([k * d.percent, (k - 1) * d.minutes * MIN])
  return out
}

describe("presets", () => {
  for (const [name, definition] of Object.entries(codeDeploy)) {
    it(`${name} shifts traffic as CodeDeploy defines it`, () => {
      const strategy = presets[name]
      assert.isDefined(strategy, `${name} is missing from presets`)
      const schedule = explain(strategy!).reaches.map((r): [number, number] => [r.weight, r.atMs])
      assert.deepStrictEqual(schedule, expectedSchedule(definition))
    })
  }

  it("names every CodeDeploy configuration, and nothing else, in the catalog", () => {
    assert.deepStrictEqual(
      presetCatalog.flatMap((p) => p.codeDeployNames).sort(),
      Object.keys(codeDeploy).sort(),
    )
  })

  it("carries CodeDeploy's trafficRoutingConfig for each preset", () => {
    for (const preset of presetCatalog) {
      const d = codeDeploy[preset.codeDeployNames[0]!]!
      const expected: CodeDeployTrafficRouting =
        d.type === "all"
          ? { type: "AllAtOnce" }
          : d.type === "canary"
            ? {
                type: "TimeBasedCanary",
                timeBasedCanary: { canaryPercentage: d.percent, canaryInterval: d.minutes },
              }
            : {
                type: "TimeBasedLinear",
                timeBasedLinear: { linearPercentage: d.percent, linearInterval: d.minutes },
              }
      assert.deepStrictEqual(preset.trafficRouting, expected, preset.name)
    }
  })

  it("keys the same strategy by short and full names, and exports each short name", () => {
    const exported = {
      canary10Percent5Minutes,
      canary10Percent10Minutes,
      canary10Percent15Minutes,
      canary10Percent30Minutes,
      linear10PercentEvery1Minute,
      linear10PercentEvery2Minutes,
      linear10PercentEvery3Minutes,
      linear10PercentEvery10Minutes,
    }
    for (const [short, strategy] of Object.entries(exported))
      assert.strictEqual(presets[short], strategy, short)
    assert.strictEqual(presets["CodeDeployDefault.ECSCanary10Percent5Minutes"], canary10Percent5Minutes)
    assert.strictEqual(
      presets["CodeDeployDefault.LambdaLinear10PercentEvery1Minute"],
      linear10PercentEvery1Minute,
    )
    assert.strictEqual(
      presets["CodeDeployDefault.ECSLinear10PercentEvery1Minutes"],
      linear10PercentEvery1Minute,
    )
    assert.strictEqual(presets["CodeDeployDefault.ECSAllAtOnce"], presets.allAtOnce)
    assert.strictEqual(Object.keys(presets).length, 9 + 14)
  })

  it("builds canary presets as exactly one bake and a gate before the rest of the traffic", () => {
    assert.deepStrictEqual(canary10Percent5Minutes.steps, [
      scale(100),
      weight(10),
      pause(5 * MIN),
      gate(),
      weight(100),
    ])
    assert.deepStrictEqual(presets.allAtOnce!.steps, [scale(100), weight(100)])
  })

  it("is frozen, so a shared preset cannot be changed by one user for all", () => {
    assert.isTrue(Object.isFrozen(presets) && Object.isFrozen(canary10Percent5Minutes.steps))
    assert.throws(() => {
      ;(canary10Percent5Minutes as { kind: string }).kind = "changed"
    })
  })

  it("labels itself in explain with its CodeDeploy names", () => {
    assert.strictEqual(
      explain(canary10Percent15Minutes).label,
      "canary10Percent15Minutes (CodeDeployDefault.ECSCanary10Percent15Minutes, CodeDeployDefault.LambdaCanary10Percent15Minutes)",
    )
  })
})
