import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { RunOptions } from "../src/Rollout.ts"
import * as Rollout from "../src/Rollout.ts"
import { defaultAnalysis, type Strategy, validateStrategy } from "../src/Strategy.ts"
import { A, APP, B, MINUTE, makeEnv, passing, revision } from "./rollout-fixtures.ts"

const valid = {
  kind: "canary",
  steps: [
    { _tag: "SetWeight", weight: 10 },
    { _tag: "Gate", gates: ["health"] },
    { _tag: "SetWeight", weight: 100 },
  ],
  analysis: defaultAnalysis,
  scaleDownDelay: 30_000,
  progressDeadline: 10 * MINUTE,
}

const withSteps = (...steps: ReadonlyArray<unknown>) => ({ ...valid, steps })

interface Case {
  readonly name: string
  readonly strategy?: unknown
  readonly run?: Partial<RunOptions>
  readonly path: string
  readonly message: string
}

const cases: ReadonlyArray<Case> = [
  // the strategy's own shape
  { name: "not an object", strategy: null, path: "(strategy)", message: "Expected object" },
  {
    name: "steps not a list",
    strategy: { ...valid, steps: "10,100" },
    path: "steps",
    message: "Expected array",
  },
  { name: "no steps", strategy: withSteps(), path: "steps", message: "at least one step is required" },
  {
    name: "unknown step type",
    strategy: withSteps({ _tag: "Bogus" }, { _tag: "SetWeight", weight: 100 }),
    path: "steps[0]",
    message: 'unknown step type "Bogus"; expected one of SetWeight, Pause, Gate, Scale',
  },
  {
    name: "step without a tag",
    strategy: withSteps({ weight: 100 }),
    path: "steps[0]",
    message: "a step needs a `_tag`; expected one of SetWeight, Pause, Gate, Scale",
  },
  {
    name: "weight above 100",
    strategy: withSteps({ _tag: "SetWeight", weight: 150 }),
    path: "steps[0].weight",
    message: "Expected a value between 0 and 100",
  },
  {
    name: "weight not a number",
    strategy: withSteps({ _tag: "SetWeight", weight: "50%" }, { _tag: "SetWeight", weight: 100 }),
    path: "steps[0].weight",
    message: "Expected number",
  },
  {
    name: "fractional weight",
    strategy: withSteps({ _tag: "SetWeight", weight: 12.5 }, { _tag: "SetWeight", weight: 100 }),
    path: "steps[0].weight",
    message: "12.5 is not a whole percent",
  },
  {
    name: "decreasing weight",
    strategy: withSteps(
      { _tag: "SetWeight", weight: 50 },
      { _tag: "SetWeight", weight: 20 },
      { _tag: "SetWeight", weight: 100 },
    ),
    path: "steps[1].weight",
    message: "20 is lower than the previous weight 50; weights must not decrease",
  },
  {
    name: "never reaches 100",
    strategy: withSteps({ _tag: "SetWeight", weight: 50 }),
    path: "steps",
    message: "never sends 100% of traffic to the candidate (last weight 50)",
  },
  {
    name: "non-positive pause",
    strategy: withSteps({ _tag: "Pause", duration: 0 }, { _tag: "SetWeight", weight: 100 }),
    path: "steps[0].duration",
    message: "Expected a value greater than 0",
  },
  {
    name: "unexpected field on a step",
    strategy: withSteps({ _tag: "SetWeight", weight: 100, wieght: 5 }),
    path: "steps[0].wieght",
    message: "Expected no excess property",
  },
  {
    name: "Scale with both replicas and percent",
    strategy: withSteps({ _tag: "Scale", replicas: 2, percent: 50 }, { _tag: "SetWeight", weight: 100 }),
    path: "steps[0]",
    message: "a Scale step needs exactly one of `replicas` or `percent`",
  },
  {
    name: "empty gate list",
    strategy: withSteps({ _tag: "Gate", gates: [] }, { _tag: "SetWeight", weight: 100 }),
    path: "steps[0].gates",
    message: "an empty gate list checks nothing",
  },
  {
    name: "empty kind",
    strategy: { ...valid, kind: "" },
    path: "kind",
    message: "Expected a value with a length of at least 1",
  },
  {
    name: "bad onInconclusiveLimit",
    strategy: { ...valid, analysis: { ...defaultAnalysis, onInconclusiveLimit: "ignore" } },
    path: "analysis.onInconclusiveLimit",
    message: 'Expected "pause" | "fail"',
  },
  {
    name: "fractional failureLimit",
    strategy: { ...valid, analysis: { ...defaultAnalysis, failureLimit: 0.5 } },
    path: "analysis.failureLimit",
    message: "Expected an integer",
  },
  {
    name: "negative scaleDownDelay",
    strategy: { ...valid, scaleDownDelay: -1 },
    path: "scaleDownDelay",
    message: "Expected a value greater than or equal to 0",
  },
  {
    name: "zero progressDeadline",
    strategy: { ...valid, progressDeadline: 0 },
    path: "progressDeadline",
    message: "Expected a value greater than 0",
  },
  // how the strategy fits the run
  {
    name: "Gate step naming a gate not given",
    strategy: withSteps({ _tag: "Gate", gates: ["latency"] }, { _tag: "SetWeight", weight: 100 }),
    path: "steps[0].gates",
    message: 'unknown gate "latency"; this rollout\'s gates are: health',
  },
  {
    name: "Gate step naming a gate when there are none",
    run: { gates: [] },
    path: "steps[1].gates",
    message: 'unknown gate "health"; this rollout has no gates (pass them in `gates`)',
  },
  { name: "zero replicas", run: { replicas: 0 }, path: "replicas", message: "0 is not a replica count" },
  {
    name: "fractional replicas",
    run: { replicas: 1.5 },
    path: "replicas",
    message: "1.5 is not a replica count",
  },
  {
    name: "app name with a slash",
    run: { app: "shop/../etc" },
    path: "app",
    message: '"shop/../etc" is not a valid app name',
  },
  {
    name: "upper-case app name",
    run: { app: "Shop" },
    path: "app",
    message: '"Shop" is not a valid app name',
  },
  {
    name: "candidate is the stable revision",
    run: { candidate: A },
    path: "candidate",
    message: "revision shop-a is already the stable revision; nothing to roll out",
  },
  {
    name: "candidate of another app",
    run: { candidate: { ...revision("x"), app: "cart" } },
    path: "candidate.app",
    message: 'the candidate revision belongs to app "cart", not "shop"',
  },
  {
    name: "stable of another app",
    run: { stable: { ...revision("x"), app: "cart" } },
    path: "stable.app",
    message: 'the stable revision belongs to app "cart", not "shop"',
  },
  {
    name: "two gates with one name",
    run: { gates: [passing("health"), passing("health")] },
    path: "gates[1].name",
    message: 'duplicate gate name "health"',
  },
]

describe("validation before anything changes", () => {
  it("covers at least 20 invalid specs", () => {
    assert.isAtLeast(cases.length, 20)
  })

  for (const c of cases) {
    it.effect(`rejects ${c.name} at ${c.path}`, () =>
      Effect.gen(function* () {
        const { world, journal, layer } = yield* makeEnv()
        const error = yield* Effect.flip(
          Rollout.run<never>({
            app: APP,
            stable: A,
            candidate: B,
            strategy: ("strategy" in c ? c.strategy : valid) as Strategy,
            gates: [passing("health")],
            replicas: 3,
            ...c.run,
          }).pipe(Effect.provide(layer)),
        )
        assert.strictEqual(error._tag, "StrategyInvalid")
        if (error._tag !== "StrategyInvalid") return
        const issue = error.issues.find((i) => i.path === c.path)
        assert.isDefined(issue, `expected an issue at ${c.path}, got ${JSON.stringify(error.issues)}`)
        assert.include(issue?.message, c.message)
        assert.include(error.message, `${c.path}: `)
        // nothing changed: no capability call, no journal record
        assert.deepStrictEqual(yield* world.calls, [])
        assert.isTrue(Option.isNone(yield* journal.load(APP)))
        assert.isTrue(Option.isNone(yield* journal.load("Shop")))
      }),
    )
  }

  it.effect("lists every issue at once", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        validateStrategy(
          withSteps(
            { _tag: "SetWeight", weight: 50 },
            { _tag: "SetWeight", weight: 20 },
            { _tag: "Pause", duration: -5 },
          ),
        ),
      )
      assert.deepStrictEqual(
        error.issues.map((i) => i.path),
        ["steps[2].duration"],
        "schema errors are reported before cross-step rules",
      )
      const semantic = yield* Effect.flip(
        validateStrategy(withSteps({ _tag: "SetWeight", weight: 50 }, { _tag: "SetWeight", weight: 20 })),
      )
      assert.deepStrictEqual(
        semantic.issues.map((i) => i.path),
        ["steps[1].weight", "steps"],
      )
    }),
  )
})
