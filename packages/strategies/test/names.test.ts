import { assert, describe, it } from "@effect/vitest"
import { fromName, presets, strategyKinds, strategyNames } from "../src/index.ts"
import { issuesOf } from "./helpers.ts"

const VALID =
  "valid: canary, blue-green, rolling, linear, all-at-once, canary10Percent5Minutes, canary10Percent10Minutes, " +
  "canary10Percent15Minutes, canary10Percent30Minutes, linear10PercentEvery1Minute, linear10PercentEvery2Minutes, " +
  "linear10PercentEvery3Minutes, linear10PercentEvery10Minutes, allAtOnce, or a CodeDeploy name such as " +
  "CodeDeployDefault.ECSCanary10Percent5Minutes"

describe("fromName", () => {
  it("builds each CLI kind with its defaults", () => {
    assert.deepStrictEqual(
      ["canary", "blue-green", "rolling", "linear", "all-at-once"].map((n) => fromName(n).kind),
      ["canary", "blueGreen", "rolling", "linear", "allAtOnce"],
    )
    assert.deepStrictEqual(Object.keys(strategyKinds), [
      "canary",
      "blue-green",
      "rolling",
      "linear",
      "all-at-once",
    ])
  })

  it("accepts any spelling of a kind: camelCase, snake, upper case", () => {
    for (const n of ["blueGreen", "BLUE_GREEN", "blue green", "AllAtOnce"]) {
      assert.oneOf(fromName(n).kind, ["blueGreen", "allAtOnce"], n)
    }
  })

  it("finds presets by short name, full CodeDeploy name, or CodeDeploy name without its prefix", () => {
    assert.strictEqual(fromName("canary10Percent5Minutes"), presets.canary10Percent5Minutes)
    assert.strictEqual(
      fromName("CodeDeployDefault.LambdaCanary10Percent30Minutes"),
      presets.canary10Percent30Minutes,
    )
    assert.strictEqual(fromName("ECSLinear10PercentEvery3Minutes"), presets.linear10PercentEvery3Minutes)
    assert.strictEqual(fromName("codedeploydefault.ecsallatonce"), presets.allAtOnce)
  })

  it("suggests the kind a typo was meant to be", () => {
    assert.deepStrictEqual(
      issuesOf(() => fromName("canry")),
      [`strategy: unknown strategy "canry" (did you mean "canary"?); ${VALID}`],
    )
    assert.deepStrictEqual(
      issuesOf(() => fromName("bluegren")),
      [`strategy: unknown strategy "bluegren" (did you mean "blue-green"?); ${VALID}`],
    )
    assert.deepStrictEqual(
      issuesOf(() => fromName("lineer")),
      [`strategy: unknown strategy "lineer" (did you mean "linear"?); ${VALID}`],
    )
  })

  it("suggests the preset a typo was meant to be, in the spelling that was used", () => {
    assert.deepStrictEqual(
      issuesOf(() => fromName("CodeDeployDefault.ECSCanary10Percent5Minute")),
      [
        `strategy: unknown strategy "CodeDeployDefault.ECSCanary10Percent5Minute" (did you mean "CodeDeployDefault.ECSCanary10Percent5Minutes"?); ${VALID}`,
      ],
    )
    assert.deepStrictEqual(
      issuesOf(() => fromName("canary10Percent20Minutes")),
      [
        `strategy: unknown strategy "canary10Percent20Minutes" (did you mean "canary10Percent10Minutes"?); ${VALID}`,
      ],
    )
  })

  it("lists the valid names without a guess when nothing is close", () => {
    assert.deepStrictEqual(
      issuesOf(() => fromName("yolo")),
      [`strategy: unknown strategy "yolo"; ${VALID}`],
    )
    assert.deepStrictEqual(
      issuesOf(() => fromName("")),
      [`strategy: unknown strategy ""; ${VALID}`],
    )
  })

  it("lists kinds first, then preset short names", () => {
    assert.deepStrictEqual(strategyNames.slice(0, 6), [
      "canary",
      "blue-green",
      "rolling",
      "linear",
      "all-at-once",
      "canary10Percent5Minutes",
    ])
  })
})
