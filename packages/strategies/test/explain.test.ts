import { assert, describe, it } from "@effect/vitest"
import {
  allAtOnce,
  backendLimits,
  blueGreen,
  canary,
  canary10Percent5Minutes,
  custom,
  type ExplainGate,
  explain,
  linear,
  linear10PercentEvery1Minute,
  rolling,
  StrategyInvalid,
} from "../src/index.ts"
import { MIN } from "./helpers.ts"

// A CloudWatch-style gate: one sample a minute over a one-minute period, two failures tolerated.
const errors: ExplainGate = { name: "errors", timing: { interval: 60_000, failureLimit: 2, period: 60_000 } }
const fast: ExplainGate = { name: "probe", timing: { interval: 5_000, failureLimit: 1 } }
const warningsOf = (...args: Parameters<typeof explain>) => explain(...args).warnings

describe("explain: timing", () => {
  const tenFifty = canary({
    steps: [
      { weight: 10, bake: "5m" },
      { weight: 50, bake: "10m" },
    ],
  })

  it("reaches 100% at 15m for a canary of 10% for 5m then 50% for 10m", () => {
    const e = explain(tenFifty, [errors])
    assert.strictEqual(e.minimumTotalMs, 15 * MIN)
    assert.strictEqual(e.manualApprovals, 0)
    assert.deepStrictEqual(
      e.reaches.map((r) => [r.weight, r.atMs]),
      [
        [10, 0],
        [50, 5 * MIN],
        [100, 15 * MIN],
      ],
    )
  })

  it("lays out every step with its weight, start and end", () => {
    const e = explain(tenFifty, [errors])
    assert.deepStrictEqual(
      e.plan.map((p) => [p.index, p.step._tag, p.candidateWeight, p.startsAt, p.endsAt]),
      [
        [0, "Scale", 0, 0, 0],
        [1, "SetWeight", 10, 0, 0],
        [2, "Pause", 10, 0, 5 * MIN],
        [3, "Gate", 10, 5 * MIN, 5 * MIN],
        [4, "SetWeight", 50, 5 * MIN, 5 * MIN],
        [5, "Pause", 50, 5 * MIN, 15 * MIN],
        [6, "Gate", 50, 15 * MIN, 15 * MIN],
        [7, "SetWeight", 100, 15 * MIN, 15 * MIN],
      ],
    )
  })

  it("computes detection as initialDelay + interval × (failureLimit + 1) + period: 60s × 3 + 60s = 240s", () => {
    const e = explain(tenFifty, [errors])
    assert.strictEqual(e.worstCaseDetectionMs, 240_000)
    assert.deepStrictEqual(e.detection, [
      {
        name: "errors",
        intervalMs: 60_000,
        failureLimit: 2,
        periodMs: 60_000,
        initialDelayMs: 0,
        detectionMs: 240_000,
        formula: "0s + 1m × 3 + 1m = 4m",
      },
    ])
  })

  it("takes the slowest gate, counts initial delay, and falls back to the strategy's analysis", () => {
    const s = canary({ steps: [{ weight: 10, bake: "10m" }], analysis: { interval: "30s", failureLimit: 1 } })
    const e = explain(s, [
      { name: "untimed" },
      { name: "slow", timing: { initialDelay: 120_000, interval: 60_000 } },
    ])
    // untimed: 30s × 2 = 60s; slow: 120s + 60s × 2 (analysis failureLimit 1) = 240s
    assert.deepStrictEqual(
      e.detection.map((d) => [d.name, d.detectionMs]),
      [
        ["untimed", 60_000],
        ["slow", 240_000],
      ],
    )
    assert.strictEqual(e.worstCaseDetectionMs, 240_000)
  })

  it("gives per-step detection: a pause watches every gate, a gate step only the ones it names", () => {
    const s = canary({ steps: [{ weight: 10, bake: "5m" }], gates: ["probe"] })
    const e = explain(s, [errors, fast])
    assert.deepStrictEqual(
      e.plan.map((p) => p.detectionMs),
      [null, null, 240_000, 10_000, null],
    )
  })

  it("reaches 100% of a 10%-per-minute linear plan at 9m, the first shift at once", () => {
    const e = explain(linear({ stepPercent: 10, interval: "1m" }))
    assert.strictEqual(e.minimumTotalMs, 9 * MIN)
    assert.deepStrictEqual(
      e.reaches.map((r) => r.atMs / MIN),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    )
  })

  it("times a blue-green switch after promoteAfter, or after a manual approval", () => {
    const timed = explain(blueGreen({ promoteAfter: "15m" }))
    assert.strictEqual(timed.minimumTotalMs, 15 * MIN)
    assert.deepStrictEqual(timed.reaches, [{ weight: 100, atMs: 15 * MIN, afterApprovals: 0, stepIndex: 3 }])

    const manual = explain(blueGreen({ autoPromote: false }))
    assert.strictEqual(manual.manualApprovals, 1)
    assert.strictEqual(manual.minimumTotalMs, 0)
    assert.strictEqual(manual.plan[2]!.endsAt, null)
    assert.strictEqual(manual.plan[3]!.afterApprovals, 1)
  })

  it("reports no detection without gates", () => {
    assert.strictEqual(explain(allAtOnce()).worstCaseDetectionMs, null)
  })
})

describe("explain: warnings", () => {
  it("says nothing about a plan whose bakes outlast its gates", () => {
    const s = canary({
      steps: [
        { weight: 25, bake: "5m" },
        { weight: 50, bake: "5m" },
        { weight: 75, bake: "5m" },
      ],
      scaleDownDelay: "5m",
    })
    assert.deepStrictEqual(
      warningsOf(s, [{ name: "errors", timing: { interval: 60_000, failureLimit: 1, period: 60_000 } }]),
      [],
    )
  })

  it("warns when a bake is shorter than the time a gate needs to fail", () => {
    const s = canary({ steps: [{ weight: 10, bake: "1m" }], scaleDownDelay: "10m" })
    assert.deepStrictEqual(
      warningsOf(s, [errors]).filter((w) => w.startsWith("step 1 holds")),
      [
        'step 1 holds 10% for 1m, but gate "errors" needs up to 4m to fail (0s + 1m × 3 + 1m = 4m): a bad release ' +
          "can move past 10% before any gate notices. Bake at least 4m, or sample faster / lower failureLimit",
      ],
    )
  })

  it("warns when samples come faster than the metric's period (the same data read twice)", () => {
    const s = canary({ steps: [{ weight: 10, bake: "10m" }], scaleDownDelay: "10m" })
    const gate: ExplainGate = { name: "latency", timing: { period: 60_000 } } // sampled at analysis' 10s
    assert.deepStrictEqual(
      warningsOf(s, [gate]).filter((w) => w.startsWith('gate "latency"')),
      [
        'gate "latency" samples every 10s but each sample reads a 1m window: consecutive samples read mostly the ' +
          "same data, so one bad period counts up to 6 times (failureLimit 0 is stricter than it looks). Sample " +
          "every 1m or more (analysis.interval or the gate's own interval)",
      ],
    )
  })

  it("warns when a canary has no gates at all", () => {
    assert.include(
      warningsOf(canary10Percent5Minutes),
      "no gates: nothing can stop a bad release, the steps only slow it down. Give the rollout gates (and pass them to explain to check their timing)",
    )
    assert.notInclude(warningsOf(canary10Percent5Minutes, [fast]).join("\n"), "no gates")
  })

  it("warns about a jump of more than 50 points, but not for an intended all-at-once switch", () => {
    assert.include(
      warningsOf(canary10Percent5Minutes, [fast]),
      "step 4 moves traffic from 10% to 100% in one step (+90 points): problems that only appear under more load " +
        "are first seen at that weight. Add an intermediate step",
    )
    assert.notInclude(warningsOf(allAtOnce(), [fast]).join("\n"), "in one step")
    assert.notInclude(warningsOf(blueGreen(), [fast]).join("\n"), "in one step")
  })

  it("warns when the old revision is scaled down before a gate could notice a problem at 100%", () => {
    assert.include(
      warningsOf(canary({ steps: [{ weight: 50, bake: "10m" }] }), [errors]),
      'scaleDownDelay 30s is shorter than the 4m gate "errors" needs to fail: a problem that only shows at 100% ' +
        "is noticed after the old revision is scaled down, so rolling back means starting it again. Keep it at least 4m",
    )
  })

  it("warns about a gate name the rollout does not have, with a suggestion", () => {
    const s = canary({ steps: [{ weight: 50, bake: "1h" }], gates: ["erors"], scaleDownDelay: "1h" })
    assert.deepStrictEqual(warningsOf(s, [errors, fast]), [
      'step 3 checks gate "erors", which is not among the rollout\'s gates (errors, probe); did you mean "errors"?',
    ])
  })

  it("warns about checking metric gates before the candidate has traffic (except a blue-green preview)", () => {
    const s = custom([{ scale: { percent: 100 } }, { gate: "all" }, { setWeight: 50 }, { pause: "1h" }], {
      scaleDownDelay: "1h",
    })
    assert.include(
      warningsOf(s, [fast]),
      "step 1 checks gates while the candidate has 0% of traffic: metric gates see no requests and say " +
        "Inconclusive; check probes here, or move the gate after a SetWeight",
    )
    assert.notInclude(warningsOf(blueGreen(), [fast]).join("\n"), "0% of traffic")
  })

  it("warns about a weight passed through with neither bake nor check", () => {
    const s = custom([{ setWeight: 40 }, { setWeight: 80 }, { pause: "1h" }], { scaleDownDelay: "1h" })
    assert.include(
      warningsOf(s, [fast]),
      "step 0 moves to 40% and on to the next weight with no bake and no gate check",
    )
  })

  it("warns about a pause written as a bare small number (milliseconds)", () => {
    const s = canary({ steps: [{ weight: 50, bake: 5 }] })
    assert.include(warningsOf(s), 'step 2 pauses 5ms: numbers are milliseconds — did you mean "5s" or "5m"?')
  })
})

describe("explain: backends", () => {
  const ECS_DRIVEN =
    'run it driven: set rollout: { mode: "driven" } on the FargateService (Slipway shifts ALB weighted target groups itself)'
  const errorsOf = (...args: Parameters<typeof explain>) =>
    explain(...args).findings.flatMap((f) => (f.severity === "error" ? [f] : []))

  it("reports an ECS bake that is not whole minutes as an error naming the step and the fix", () => {
    const e = explain(canary({ steps: [{ weight: 10, bake: "90s" }] }), [], { backend: "ecs-native" })
    const [error, ...more] = e.findings
    assert.deepStrictEqual(error, {
      severity: "error",
      backend: "ecs-native",
      path: "steps[2]",
      reason:
        "the bake at 10% is 1m30s, which is not a whole number of minutes; the mechanism counts minutes and Slipway does not round a bake",
      fix: "use a duration of 2m or 1m",
      alternative: `use a duration of 2m or 1m, or ${ECS_DRIVEN}`,
      message:
        "ecs-native cannot run this strategy natively: steps[2]: the bake at 10% is 1m30s, which is not a whole " +
        "number of minutes; the mechanism counts minutes and Slipway does not round a bake. Instead: use a " +
        `duration of 2m or 1m, or ${ECS_DRIVEN}`,
    })
    assert.deepStrictEqual(e.errors, [error!.message])
    assert.isTrue(more.every((f) => f.severity === "warning"))
    // Still among `warnings`, where callers that print them look.
    assert.strictEqual(e.warnings[0], error!.message)
    assert.deepStrictEqual(
      explain(canary({ steps: [{ weight: 10, bake: "2m" }] }), [], { backend: "ecs-native" }).errors,
      [],
    )
  })

  it("reports an ECS bake over 1440 minutes", () => {
    const s = canary({ steps: [{ weight: 10, bake: "25h" }], scaleDownDelay: "1m" })
    assert.deepStrictEqual(
      errorsOf(s, [], { backend: "ecs-native" }).map((f) => [f.path, f.reason, f.fix]),
      [["steps[2]", "the bake at 10% is 1500 minutes; ECS accepts 0–1440", "shorten it to 24h or less"]],
    )
  })

  it("reports a scaleDownDelay that makes ECS's bake after 100% exceed 1440 minutes", () => {
    assert.deepStrictEqual(
      errorsOf(allAtOnce({ scaleDownDelay: "2d" }), [], { backend: "ecs-native" }).map((f) => [
        f.path,
        f.reason,
      ]),
      [
        [
          "scaleDownDelay",
          "the bake after 100% (pauses + scaleDownDelay) is 2880 minutes; ECS accepts 0–1440",
        ],
      ],
    )
  })

  it("reports a CodeDeploy interval over 2880 minutes, and nothing for a driven rollout", () => {
    const s = linear({ stepPercent: 50, interval: "49h" })
    assert.deepStrictEqual(
      errorsOf(s, [], { backend: "codedeploy-lambda" }).map((f) => [f.path, f.reason, f.fix]),
      [
        [
          "steps[2]",
          "the bake at 50% is 2940 minutes; CodeDeploy waits at most 2880 minutes between shifts",
          "bake 48h or less",
        ],
      ],
    )
    assert.deepStrictEqual(explain(s, [], { backend: "driven" }).errors, [])
  })

  it("reports that an instance refresh cannot run canary() or linear(): they size the candidate before traffic", () => {
    const s = canary({ steps: [{ weight: 50, bake: "49h" }] })
    assert.deepStrictEqual(
      errorsOf(s, [], { backend: "asg-refresh" }).map((f) => [f.path, f.reason, f.fix]),
      [
        [
          "steps[0]",
          "steps[0] sizes the candidate to 100% ahead of its traffic, beside an untouched old fleet; an instance " +
            "refresh replaces old instances in place, each new one taking traffic as it comes in service",
          "drop the Scale step or use rolling() (capacity moves with traffic)",
        ],
        [
          "steps[2]",
          "the checkpoint bake is 2d1h; checkpointDelay is at most 48h (172800 s)",
          "bake 48h or less",
        ],
      ],
    )
    assert.lengthOf(errorsOf(linear({ stepPercent: 25, interval: "1m" }), [], { backend: "asg-refresh" }), 1)
    assert.deepStrictEqual(
      explain(rolling({ batchPercent: 25, pauseBetween: "2m" }), [], { backend: "asg-refresh" }).errors,
      [],
    )
    assert.strictEqual(backendLimits["asg-refresh"].scaling, "with-traffic")
  })

  it("reports a wait for a person where the backend has none, and accepts ECS's PAUSE hooks", () => {
    assert.deepStrictEqual(
      errorsOf(blueGreen({ autoPromote: false }), [], { backend: "codedeploy-lambda" }).map((f) => f.reason),
      ["steps[2] pauses until promoted; CodeDeploy Lambda deployments cannot wait for a person"],
    )
    // Before traffic, ECS waits at a PAUSE lifecycle hook.
    assert.deepStrictEqual(
      explain(blueGreen({ autoPromote: false }), [], { backend: "ecs-native" }).errors,
      [],
    )
    assert.deepStrictEqual(backendLimits["ecs-native"].manualApprovalAt, ["beforeTraffic", "atFull"])
  })

  it("reports a traffic shape the backend does not have", () => {
    const s = canary({
      steps: [
        { weight: 10, bake: "5m" },
        { weight: 50, bake: "5m" },
      ],
    })
    const [error] = errorsOf(s, [], { backend: "ecs-native" })
    assert.strictEqual(
      error?.reason,
      "ECS CANARY shifts traffic once: canaryPercent then 100%. This strategy has 3 weights (10, 50, 100), and ECS " +
        "LINEAR needs equal steps (these are +10, +40, +50)",
    )
    assert.strictEqual(error?.alternative, ECS_DRIVEN)
    assert.strictEqual(
      explain(linear10PercentEvery1Minute, [], { backend: "codedeploy-lambda" }).shape._tag,
      "Linear",
    )
    assert.deepStrictEqual(
      explain(linear10PercentEvery1Minute, [], { backend: "codedeploy-lambda" }).errors,
      [],
    )
  })

  it("refuses an unknown backend and an invalid strategy", () => {
    assert.throws(() => explain(allAtOnce(), [], { backend: "k8s" as never }), StrategyInvalid)
    assert.throws(
      () => explain({ ...allAtOnce(), steps: [{ _tag: "SetWeight", weight: 50 }] }),
      StrategyInvalid,
    )
  })
})

describe("explain: text", () => {
  it("tells the whole plan in a table, with reach times, totals, detection, notes and warnings", () => {
    const s = canary({
      steps: [
        { weight: 10, bake: "5m" },
        { weight: 50, bake: "10m" },
      ],
      scaleDownDelay: "5m",
    })
    assert.strictEqual(
      explain(s, [errors]).text,
      [
        "canary: 8 steps, 100% at +15m at the earliest",
        "",
        "  step  at    weight  action",
        "     0  +0s       0%  scale the candidate to 100% of stable's size",
        "     1  +0s      10%  shift traffic 0% → 10%",
        "     2  +0s      10%  bake 5m (gates sample every 10s)",
        "     3  +5m      10%  check every gate (a failure shows within 4m)",
        "     4  +5m      50%  shift traffic 10% → 50%",
        "     5  +5m      50%  bake 10m (gates sample every 10s)",
        "     6  +15m     50%  check every gate (a failure shows within 4m)",
        "     7  +15m    100%  shift traffic 50% → 100%  (appended)",
        "",
        "Traffic reaches",
        "   +0s   10%",
        "   +5m   50%",
        "  +15m  100%",
        "",
        "Minimum total: 15m (readiness of scaled replicas not included)",
        'Detection (worst case): 4m, gate "errors"',
        "  errors  initial delay + interval × (failureLimit + 1) + period = 0s + 1m × 3 + 1m = 4m",
        "Old revision kept 5m after promotion or rollback; each step may wait 10m for readiness.",
        "",
        "Notes",
        "  - canary: the steps stop at 50%, so a final SetWeight 100 was appended (step 7); traffic goes from 50% " +
          "to 100% in one move once the last step passes",
        "",
        "No warnings.",
      ].join("\n"),
    )
  })

  it("shows approvals in reach times and lists what the backend refuses as errors", () => {
    const text = explain(blueGreen({ autoPromote: false }), [], { backend: "asg-refresh" }).text
    assert.include(text, "blueGreen: 4 steps, 100% at +0s + 1 approval at the earliest, 1 manual approval")
    assert.include(text, "  +0s + 1 approval  100%")
    assert.include(text, "wait for `slipway promote`")
    assert.include(text, "Minimum total: 0s plus the time to 1 manual approval")
    assert.include(
      text,
      "Backend: asg-refresh, EC2 Auto Scaling instance refresh (checkpoints); shape: all at once",
    )
    assert.include(
      text,
      "Errors (3): asg-refresh refuses this plan as written\n" +
        "  ✗ steps[2] pauses until promoted; instance refresh checkpoints wait a fixed checkpointDelay and cannot " +
        'wait for a person. Instead: use a timed pause, or run it driven: set rollout: { mode: "driven" } on the ' +
        "Ec2Service (two Auto Scaling groups behind ALB weighted target groups)\n",
    )
    assert.include(text, "\n\nNo warnings.")
  })
})
