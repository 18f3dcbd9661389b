// Every field a constructor reads has at least one message here, written out in full:
// these messages are the user interface of a config file.
import { assert, describe, it } from "@effect/vitest"
import { allAtOnce, blueGreen, canary, custom, linear, rolling, StrategyInvalid } from "../src/index.ts"
import { issuesOf } from "./helpers.ts"

// JavaScript callers and JSON specs bypass the types; so do these tests.
const loose = <A>(options: unknown): A => options as A
const ok = { weight: 10, bake: "5m" }

describe("canary validation", () => {
  it("names the step and the fix for a weight above 100 (the documented example)", () => {
    assert.deepStrictEqual(
      issuesOf(() => canary({ steps: [ok, { weight: 120, bake: "5m" }] })),
      ["canary.steps[1].weight: 120 is above 100; use a percent 0..100"],
    )
  })

  it("throws a StrategyInvalid whose message lists every issue", () => {
    try {
      canary(loose({ steps: [{ weight: -1, bake: "soon" }] }))
      assert.fail("expected a throw")
    } catch (e) {
      assert.instanceOf(e, StrategyInvalid)
      assert.strictEqual((e as StrategyInvalid)._tag, "StrategyInvalid")
      assert.strictEqual(
        (e as StrategyInvalid).message,
        "invalid strategy:\n" +
          "  - canary.steps[0].weight: -1 is below 0; use a percent 0..100\n" +
          '  - canary.steps[0].bake: "soon" is not a duration; write a duration such as "30s", "5m", "1h30m", or milliseconds, or "manual" to wait for promotion',
      )
    }
  })

  it("rejects the options object itself and unknown options, suggesting the intended key", () => {
    assert.deepStrictEqual(
      issuesOf(() => canary(loose(undefined))),
      [
        'canary: expected an options object such as { steps: [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }] }, got undefined',
      ],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: [ok], stepz: [] }))),
      [
        'canary.stepz: unknown option; did you mean "steps"? (known: steps, gates, analysis, scaleDownDelay, progressDeadline)',
      ],
    )
  })

  it("requires a non-empty list of step objects with known fields", () => {
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({}))),
      ['canary.steps: is required: a list such as [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }]'],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: "10%" }))),
      ['canary.steps: expected a list such as [{ weight: 10, bake: "5m" }], got "10%"'],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary({ steps: [] })),
      ['canary.steps: is empty; add at least one step such as { weight: 10, bake: "5m" }'],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: [10] }))),
      ['canary.steps[0]: expected an object such as { weight: 10, bake: "5m" }, got 10'],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: [{ weight: 10, bake: "5m", pause: "1m" }] }))),
      ["canary.steps[0].pause: unknown field (known: weight, bake)"],
    )
  })

  it("checks each weight: present, numeric, whole, in range, increasing", () => {
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: [{ bake: "5m" }] }))),
      ["canary.steps[0].weight: is required: the candidate's share of traffic, a percent 0..100"],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: [{ weight: "10%", bake: "5m" }] }))),
      ['canary.steps[0].weight: "10%" is not a number; use a percent 0..100'],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary({ steps: [{ weight: 12.5, bake: "5m" }] })),
      ["canary.steps[0].weight: 12.5 is not a whole percent; use an integer 0..100"],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary({ steps: [{ weight: Number.NaN, bake: "5m" }] })),
      ["canary.steps[0].weight: NaN is not a finite number; use a percent 0..100"],
    )
    assert.deepStrictEqual(
      issuesOf(() =>
        canary({
          steps: [
            { weight: 50, bake: "5m" },
            { weight: 50, bake: "5m" },
          ],
        }),
      ),
      ["canary.steps[1].weight: 50 is not above the previous step's 50; canary weights must increase"],
    )
  })

  it("checks each bake: present, a duration, not negative", () => {
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: [{ weight: 10 }] }))),
      [
        'canary.steps[0].bake: is required: a duration such as "5m", 0 for none, or "manual" to wait for promotion',
      ],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary({ steps: [{ weight: 10, bake: -5 }] })),
      [
        'canary.steps[0].bake: -5 is negative; write a duration such as "30s", "5m", "1h30m", or milliseconds',
      ],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: [{ weight: 10, bake: true }] }))),
      [
        'canary.steps[0].bake: true is not a duration; write a duration such as "30s", "5m", "1h30m", or milliseconds',
      ],
    )
  })

  it("checks gate names", () => {
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: [ok], gates: "errors" }))),
      ['canary.gates: expected a list of gate names such as ["errors", "latency"], got "errors"'],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary({ steps: [ok], gates: [] })),
      ["canary.gates: an empty list checks nothing; omit it to check every gate of the rollout"],
    )
    assert.deepStrictEqual(
      issuesOf(() => canary({ steps: [ok], gates: ["errors", "", "errors"] })),
      [
        'canary.gates[1]: "" is not a gate name; use the name the gate was created with',
        'canary.gates[2]: "errors" is listed twice',
      ],
    )
  })

  it("checks the analysis policy field by field", () => {
    assert.deepStrictEqual(
      issuesOf(() => canary(loose({ steps: [ok], analysis: 10 }))),
      ['canary.analysis: expected an object such as { interval: "1m", failureLimit: 1 }, got 10'],
    )
    assert.deepStrictEqual(
      issuesOf(() =>
        canary(
          loose({
            steps: [ok],
            analysis: {
              interval: "0s",
              failureLimit: -1,
              inconclusiveLimit: 1.5,
              onInconclusiveLimit: "stop",
              every: 1,
            },
          }),
        ),
      ),
      [
        "canary.analysis.every: unknown field (known: interval, failureLimit, inconclusiveLimit, onInconclusiveLimit)",
        'canary.analysis.interval: "0s" is zero; write a duration such as "30s", "5m", "1h30m", or milliseconds greater than zero',
        "canary.analysis.failureLimit: -1 is below 0; use a whole number of failures ≥ 0",
        "canary.analysis.inconclusiveLimit: 1.5 is not a whole number; use a whole number of verdicts ≥ 0",
        'canary.analysis.onInconclusiveLimit: "stop" is not one of "pause", "fail"',
      ],
    )
  })

  it("checks scaleDownDelay and progressDeadline", () => {
    assert.deepStrictEqual(
      issuesOf(() => canary({ steps: [ok], scaleDownDelay: "-1m", progressDeadline: 0 })),
      [
        'canary.scaleDownDelay: "-1m" is not a duration; write a duration such as "30s", "5m", "1h30m", or milliseconds',
        'canary.progressDeadline: 0 is zero; write a duration such as "30s", "5m", "1h30m", or milliseconds greater than zero',
      ],
    )
  })
})

describe("linear validation", () => {
  it("requires stepPercent and interval", () => {
    assert.deepStrictEqual(
      issuesOf(() => linear(loose({}))),
      [
        "linear.stepPercent: is required: the points of traffic moved per shift, e.g. 10",
        'linear.interval: is required: the time between shifts, e.g. "1m"',
      ],
    )
  })

  it("refuses a zero step and a zero interval", () => {
    assert.deepStrictEqual(
      issuesOf(() => linear({ stepPercent: 0, interval: "0m" })),
      [
        "linear.stepPercent: 0 is below 1; use a percent 1..100",
        'linear.interval: "0m" is zero; write a duration such as "30s", "5m", "1h30m", or milliseconds greater than zero',
      ],
    )
  })

  it("refuses steps so small the plan would not fit, naming the smallest that does", () => {
    assert.deepStrictEqual(
      issuesOf(() => linear({ stepPercent: 2, interval: "1m" })),
      ["linear.stepPercent: 2% per shift needs 149 steps but a strategy holds at most 100; use 4 or more"],
    )
  })
})

describe("blueGreen validation", () => {
  it("checks previewGates, autoPromote and promoteAfter", () => {
    assert.deepStrictEqual(
      issuesOf(() => blueGreen(loose({ previewGates: [], autoPromote: "yes", promoteAfter: "later" }))),
      [
        "blueGreen.previewGates: an empty list checks nothing; omit it to check every gate of the rollout",
        'blueGreen.autoPromote: "yes" is not true or false',
        'blueGreen.promoteAfter: "later" is not a duration; write a duration such as "30s", "5m", "1h30m", or milliseconds',
      ],
    )
  })

  it("refuses a timer on a manual promotion", () => {
    assert.deepStrictEqual(
      issuesOf(() => blueGreen({ autoPromote: false, promoteAfter: "10m" })),
      [
        "blueGreen.promoteAfter: cannot be combined with autoPromote: false (a person promotes, so no timer would apply); remove one of them",
      ],
    )
  })
})

describe("rolling validation", () => {
  it("needs replicas to count batches in replicas", () => {
    assert.deepStrictEqual(
      issuesOf(() => rolling({ batchSize: 2 })),
      [
        "rolling.batchSize: 2 replicas per batch needs `replicas` (the service's size) to turn batches into traffic percents; or use batchPercent",
      ],
    )
    assert.deepStrictEqual(
      issuesOf(() => rolling({ maxSurge: 1 })),
      [
        'rolling.maxSurge: 1 replicas needs `replicas` (the service\'s size); or write a percent such as "25%"',
      ],
    )
  })

  it("checks replicas, batch size and batch percent", () => {
    assert.deepStrictEqual(
      issuesOf(() => rolling({ replicas: 0 })),
      ["rolling.replicas: 0 is below 1; use a whole number of replicas ≥ 1"],
    )
    assert.deepStrictEqual(
      issuesOf(() => rolling({ replicas: 3, batchSize: 5 })),
      ["rolling.batchSize: 5 is more than the 3 replicas; use at most 3"],
    )
    assert.deepStrictEqual(
      issuesOf(() => rolling({ replicas: 4, batchSize: 1, batchPercent: 25 })),
      ["rolling.batchPercent: give batchSize or batchPercent, not both"],
    )
    assert.deepStrictEqual(
      issuesOf(() => rolling({ batchPercent: 0 })),
      ["rolling.batchPercent: 0 is below 1; use a percent 1..100"],
    )
  })

  it("checks maxSurge and maxUnavailable", () => {
    assert.deepStrictEqual(
      issuesOf(() => rolling(loose({ maxSurge: "lots" }))),
      ['rolling.maxSurge: "lots" is not a replica count or a percent such as "25%"'],
    )
    assert.deepStrictEqual(
      issuesOf(() => rolling({ maxSurge: "0%", maxUnavailable: "0%" })),
      [
        "rolling.maxUnavailable: maxSurge and maxUnavailable are both 0, so no replica could ever be replaced; raise one of them",
      ],
    )
    assert.deepStrictEqual(
      issuesOf(() => rolling({ batchPercent: 50, maxSurge: "25%" })),
      [
        "rolling.batchPercent: a batch of 50% is more than maxSurge + maxUnavailable allow (25% + 0%); raise maxSurge or use a smaller batch",
      ],
    )
  })

  it("refuses more batches than a strategy can hold, and a negative pause", () => {
    assert.deepStrictEqual(
      issuesOf(() => rolling({ batchPercent: 1 })),
      [
        "rolling.batchPercent: 100 batches of 1% need 398 steps but a strategy holds at most 100; use larger batches",
      ],
    )
    assert.deepStrictEqual(
      issuesOf(() => rolling({ pauseBetween: -1 })),
      [
        'rolling.pauseBetween: -1 is negative; write a duration such as "30s", "5m", "1h30m", or milliseconds',
      ],
    )
  })
})

describe("allAtOnce validation", () => {
  it("checks bake and unknown options", () => {
    assert.deepStrictEqual(
      issuesOf(() => allAtOnce(loose({ bake: "a while", gate: ["x"] }))),
      [
        'allAtOnce.gate: unknown option; did you mean "gates"? (known: bake, gates, analysis, scaleDownDelay, progressDeadline)',
        'allAtOnce.bake: "a while" is not a duration; write a duration such as "30s", "5m", "1h30m", or milliseconds',
      ],
    )
  })
})

describe("custom validation", () => {
  it("requires a non-empty list of known steps", () => {
    const help =
      'use { setWeight: 20 }, { pause: "5m" }, { pause: "manual" }, { gate: "all" }, { gate: ["errors"] }, ' +
      '{ scale: { percent: 100 } } or a tagged step such as { _tag: "SetWeight", weight: 20 }'
    assert.deepStrictEqual(
      issuesOf(() => custom(loose("canary"))),
      [`custom.steps: expected a list of steps, got "canary"; ${help}`],
    )
    assert.deepStrictEqual(
      issuesOf(() => custom([])),
      [`custom.steps: is empty; ${help}`],
    )
    assert.deepStrictEqual(
      issuesOf(() => custom(loose([{ wait: "5m" }]))),
      [`custom.steps[0]: { wait } is not a step; ${help}`],
    )
    assert.deepStrictEqual(
      issuesOf(() => custom(loose([{ setWeight: 10, pause: "5m" }]))),
      [`custom.steps[0]: { setWeight, pause } is not a step; ${help}`],
    )
    assert.deepStrictEqual(
      issuesOf(() => custom(loose([{ _tag: "Wait" }]))),
      ['custom.steps[0]._tag: "Wait" is not a step; use "SetWeight", "Pause", "Gate" or "Scale"'],
    )
  })

  it("checks each step's fields", () => {
    assert.deepStrictEqual(
      issuesOf(() =>
        custom(
          loose([
            { setWeight: 50 },
            { setWeight: 20 },
            { pause: 0 },
            { scale: { percent: 50, replicas: 2 } },
            { gate: [] },
            { _tag: "SetWeight", weight: 101 },
          ]),
        ),
      ),
      [
        "custom.steps[1].setWeight: 20 is below the previous weight 50; weights must not decrease (abort or roll back instead)",
        'custom.steps[2].pause: 0 is zero; a pause needs a duration above zero, or "manual"',
        "custom.steps[3].scale: a Scale step needs exactly one of `replicas` or `percent`, e.g. { percent: 100 }",
        "custom.steps[4].gate: an empty list checks nothing; omit it to check every gate of the rollout",
        "custom.steps[5].weight: 101 is above 100; use a percent 0..100",
      ],
    )
  })

  it("checks shared options", () => {
    assert.deepStrictEqual(
      issuesOf(() => custom([{ setWeight: 100 }], loose({ scaledownDelay: "1m" }))),
      [
        'custom.scaledownDelay: unknown option; did you mean "scaleDownDelay"? (known: analysis, scaleDownDelay, progressDeadline)',
      ],
    )
  })
})
