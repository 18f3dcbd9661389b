// Specification: `explain(strategy, gates, { backend })` reports an error exactly when the
// matching native compiler refuses the strategy, with the same reason, path and alternative,
// and every strategy a compiler accepts fits what `backendLimits` says the backend runs.
// The compilers get every option a service wires when gates and observe are given (alarms,
// hook functions, a test listener), so only what the strategy itself asks for can refuse.
import { assert, describe, it } from "@effect/vitest"
import type { Step, Strategy } from "@slipway/core"
import {
  allAtOnce,
  type Backend,
  type BackendStage,
  backendLimits,
  blueGreen,
  canary,
  custom,
  explain,
  linear,
  presetCatalog,
  rolling,
  Segments,
  strategyKinds,
  trafficShape,
} from "@slipway/strategies"
import {
  type Compilation,
  compileCodeDeployLambda,
  compileEcs,
  compileInstanceRefresh,
  type NativeBackend,
  strategiesBackend,
} from "../src/native/index.ts"

const fullyWired: Record<NativeBackend, (s: Strategy) => Compilation<unknown>> = {
  ecs: (s) =>
    compileEcs(s, {
      roleArn: "arn:aws:iam::123456789012:role/ecs-infrastructure",
      alternateTargetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/2",
      productionListenerRuleArn:
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/2/3",
      testListenerRuleArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/9/4",
      hookFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:web-hook",
      hookRoleArn: "arn:aws:iam::123456789012:role/ecs-invoke-hook",
      alarms: ["web-5xx"],
    }),
  "codedeploy-lambda": (s) =>
    compileCodeDeployLambda(s, {
      alarms: ["fn-errors"],
      beforeAllowTrafficHook: "api-before",
      afterAllowTrafficHook: "api-after",
    }),
  "instance-refresh": (s) => compileInstanceRefresh(s, { alarms: ["web-5xx"] }),
}

// Whole minutes, sub-minute, non-whole minutes, and past each backend's longest hold.
const durations = ["30s", "1m", "90s", "5m", "10m30s", "25h", "49h"] as const

const cases: Array<readonly [string, Strategy]> = [
  ...presetCatalog.map((p) => [`preset ${p.name}`, p.strategy] as const),
  ...Object.entries(strategyKinds).map(([name, kind]) => [`kind ${name}`, kind.build()] as const),
  ["canary pause until promoted", canary({ steps: [{ weight: 20, bake: "manual" }] })],
  ["blueGreen()", blueGreen()],
  ["blueGreen autoPromote false", blueGreen({ autoPromote: false })],
  ["rolling 25% without pauses", rolling({ batchPercent: 25, pauseBetween: 0 })],
  ["rolling 3 replicas without pauses", rolling({ replicas: 3, batchSize: 1, pauseBetween: 0 })],
  ["allAtOnce()", allAtOnce()],
  [
    "custom 2% steps",
    custom([...Array.from({ length: 49 }, (_, i) => ({ setWeight: 2 * (i + 1) })), { setWeight: 100 }]),
  ],
  [
    "custom pause until promoted at 100%, then a bake",
    custom([{ setWeight: 100 }, { pause: "manual" }, { pause: "5m" }]),
  ],
  [
    "custom bake at 100%, then a pause until promoted",
    custom([{ setWeight: 100 }, { pause: "5m" }, { pause: "manual" }]),
  ],
  [
    "custom gates around a pause before traffic",
    custom([{ gate: ["a"] }, { pause: "manual" }, { gate: ["b"] }, { setWeight: 100 }]),
  ],
  [
    "custom gate, pause until promoted, canary",
    custom([{ gate: "all" }, { pause: "manual" }, { setWeight: 10 }, { pause: "1m" }]),
  ],
  [
    "custom uneven linear bakes",
    custom([
      { setWeight: 25 },
      { pause: "1m" },
      { setWeight: 50 },
      { pause: "2m" },
      { setWeight: 75 },
      { pause: "1m" },
    ]),
  ],
  ["custom half-size candidate", custom([{ scale: { percent: 50 } }, { setWeight: 10 }, { pause: "1m" }])],
  ["custom two replicas", custom([{ scale: { replicas: 2 } }, { pause: "1m" }, { setWeight: 100 }])],
  ...durations.flatMap(
    (d): Array<readonly [string, Strategy]> => [
      [`canary 10% for ${d}`, canary({ steps: [{ weight: 10, bake: d }], scaleDownDelay: "1m" })],
      [
        `canary 10% then 50%, ${d} each`,
        canary({
          steps: [
            { weight: 10, bake: d },
            { weight: 50, bake: d },
          ],
        }),
      ],
      [`canary with scaleDownDelay ${d}`, canary({ steps: [{ weight: 10, bake: "5m" }], scaleDownDelay: d })],
      [`linear 10% every ${d}`, linear({ stepPercent: 10, interval: d })],
      [`linear 25% every ${d}`, linear({ stepPercent: 25, interval: d })],
      [`blueGreen promoteAfter ${d}`, blueGreen({ promoteAfter: d })],
      [`rolling 25% with ${d} between batches`, rolling({ batchPercent: 25, pauseBetween: d })],
      [`rolling 3 replicas with ${d} between`, rolling({ replicas: 3, batchSize: 1, pauseBetween: d })],
      [`allAtOnce bake ${d}`, allAtOnce({ bake: d })],
      [`allAtOnce scaleDownDelay ${d}`, allAtOnce({ scaleDownDelay: d })],
      [`custom canary without Scale, ${d}`, custom([{ setWeight: 10 }, { pause: d }, { setWeight: 100 }])],
      [
        `custom checkpoints 10/50 without Scale, ${d}`,
        custom([
          { setWeight: 10 },
          { pause: d },
          { gate: "all" },
          { setWeight: 50 },
          { pause: d },
          { gate: "all" },
        ]),
      ],
      [`custom wait ${d} before traffic`, custom([{ pause: d }, { setWeight: 100 }])],
    ],
  ),
]

/** Where a step runs: before traffic, at an intermediate weight, or at 100%. */
const stagesOf = (strategy: Strategy, tag: Step["_tag"], manual?: boolean): ReadonlyArray<BackendStage> => {
  const plan = Segments.of(strategy)
  const has = (segment: Segments.Segment) =>
    segment.steps.some(
      ({ step }) =>
        step._tag === tag &&
        (manual === undefined || (step._tag === "Pause" && (step.duration === undefined) === manual)),
    )
  return [
    ...(has(plan.pre) ? (["beforeTraffic"] as const) : []),
    ...(plan.plateaus.some(has) ? (["betweenShifts"] as const) : []),
    ...(has(plan.final) ? (["atFull"] as const) : []),
  ]
}

/** Every way a compiled strategy could contradict `backendLimits[backend]`. */
const tableViolations = (strategy: Strategy, backend: Backend): Array<string> => {
  const limits = backendLimits[backend]
  const plan = Segments.of(strategy)
  const out: Array<string> = []
  const shape = trafficShape(strategy)._tag
  if (!limits.shapes.includes(shape)) out.push(`shape ${shape} not in shapes`)
  for (const stage of stagesOf(strategy, "Pause", true)) {
    if (!limits.manualApprovalAt.includes(stage)) out.push(`pause until promoted ${stage}`)
  }
  for (const stage of stagesOf(strategy, "Pause", false)) {
    if (!limits.pausesAt.includes(stage)) out.push(`timed pause ${stage}`)
  }
  for (const stage of stagesOf(strategy, "Gate")) {
    if (!limits.gatesAt.includes(stage)) out.push(`gate ${stage}`)
  }
  if (stagesOf(strategy, "Pause", true).length > 0 && !limits.manualApproval) out.push("manualApproval")
  const scales = [plan.pre, ...plan.plateaus, plan.final].flatMap(Segments.scalesIn)
  for (const s of scales) {
    const withTraffic = Segments.tracksTraffic(strategy, s)
    if (limits.scaling === "with-traffic" && !withTraffic)
      out.push(`steps[${s.index}] scales ahead of traffic`)
    if (limits.scaling === "full-size-or-with-traffic" && !withTraffic && s.step.percent !== 100) {
      out.push(`steps[${s.index}] scales below full size`)
    }
  }
  const bakes = plan.plateaus.map(Segments.bakeOf)
  for (const bake of bakes) {
    if (limits.maxPauseMs !== null && bake > limits.maxPauseMs) out.push(`hold ${bake} over maxPauseMs`)
    if (bake < limits.minPauseMs) out.push(`hold ${bake} under minPauseMs`)
    if (bake % limits.granularityMs !== 0) out.push(`hold ${bake} not whole ${limits.granularity}`)
  }
  if (limits.equalHolds && new Set(bakes).size > 1) out.push("unequal holds")
  const weights = Segments.weights(plan)
  if (plan.plateaus.length > 1) {
    const increments = weights.map((w, i) => w - (i === 0 ? 0 : weights[i - 1]!)).slice(0, -1)
    // ECS ROLLING batches of whole replicas may differ by a point (33, 66, 100).
    if (limits.equalSteps && Math.max(...increments) - Math.min(...increments) > 1) out.push("unequal steps")
    if (weights[0]! < limits.minStepPercent) out.push(`step ${weights[0]} under minStepPercent`)
  }
  if (limits.maxScaleDownDelayMs !== null) {
    const kept = Segments.bakeOf(plan.final) + Math.ceil(strategy.scaleDownDelay / 60_000) * 60_000
    if (kept > limits.maxScaleDownDelayMs) out.push("bake after 100% over maxScaleDownDelayMs")
  }
  return out
}

describe("explain agrees with the native compilers", () => {
  for (const [native, compile] of Object.entries(fullyWired) as Array<
    [NativeBackend, typeof fullyWired.ecs]
  >) {
    const backend = strategiesBackend[native]
    describe(backend, () => {
      for (const [name, strategy] of cases) {
        it(`${name}`, () => {
          const compiled = compile(strategy)
          const explained = explain(strategy, [], { backend })
          const errors = explained.findings.flatMap((f) => (f.severity === "error" ? [f] : []))
          assert.deepStrictEqual(
            errors.map((e) => e.message),
            explained.errors,
          )
          if (compiled._tag === "Refused") {
            assert.isAbove(
              errors.length,
              0,
              `compileX refused (${compiled.reason}) but explain reports no error`,
            )
            const first = errors[0]!
            assert.deepStrictEqual(
              { reason: first.reason, path: first.path, alternative: first.alternative },
              { reason: compiled.reason, path: compiled.path, alternative: compiled.alternative },
            )
            assert.strictEqual(
              first.message,
              `${backend} cannot run this strategy natively: ${
                first.path !== undefined && !first.reason.includes(first.path) ? `${first.path}: ` : ""
              }${compiled.reason}. Instead: ${compiled.alternative}`,
            )
            // Every error says what to do: a fix, or running it driven.
            for (const e of errors) assert.include(e.alternative, 'rollout: { mode: "driven" }')
          } else {
            assert.deepStrictEqual(
              explained.errors,
              [],
              "the compiler accepted it, so explain reports no error",
            )
            assert.deepStrictEqual(tableViolations(strategy, backend), [], "backendLimits must describe it")
          }
        })
      }
    })
  }

  it("covers both outcomes on every backend, and non-whole-minute bakes on the minute-counting ones", () => {
    for (const [native, compile] of Object.entries(fullyWired) as Array<
      [NativeBackend, typeof fullyWired.ecs]
    >) {
      const outcomes = cases.map(([, s]) => compile(s)._tag)
      assert.include(outcomes, "Compiled", native)
      assert.include(outcomes, "Refused", native)
    }
    for (const backend of ["ecs-native", "codedeploy-lambda"] as const) {
      const [error] = explain(canary({ steps: [{ weight: 10, bake: "10m30s" }] }), [], { backend }).findings
      assert.strictEqual(error?.severity, "error")
      assert.include(error?.message, "not a whole number of minutes")
      assert.include(error?.message, "use a duration of 11m or 10m")
    }
  })

  it("refuses canary() and linear() on an instance refresh, as backendLimits says (scaling: with-traffic)", () => {
    assert.strictEqual(backendLimits["asg-refresh"].scaling, "with-traffic")
    for (const strategy of [
      canary({ steps: [{ weight: 10, bake: "5m" }] }),
      linear({ stepPercent: 10, interval: "1m" }),
      ...presetCatalog.filter((p) => p.name !== "allAtOnce").map((p) => p.strategy),
    ]) {
      assert.strictEqual(fullyWired["instance-refresh"](strategy)._tag, "Refused")
      const [first] = explain(strategy, [], { backend: "asg-refresh" }).findings
      assert.strictEqual(first?.severity === "error" ? first.path : undefined, "steps[0]")
    }
    assert.strictEqual(
      fullyWired["instance-refresh"](rolling({ batchPercent: 25, pauseBetween: "1m" }))._tag,
      "Compiled",
    )
  })
})
