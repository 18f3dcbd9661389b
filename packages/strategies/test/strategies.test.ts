import { assert, describe, it } from "@effect/vitest"
import { closest, editDistance } from "@slipway/core"
import { Effect, Exit } from "effect"
import {
  allAtOnce,
  blueGreen,
  canary,
  custom,
  linear,
  rolling,
  Strategies,
  StrategyInvalid,
  trafficShape,
} from "../src/index.ts"
import { MIN } from "./helpers.ts"

const failureOf = <A>(exit: Exit.Exit<A, StrategyInvalid>): Array<string> => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (error === undefined || error._tag !== "Fail")
    throw new Error(`expected a typed failure, got ${exit.cause}`)
  return error.error.issues.map((i) => `${i.path}: ${i.message}`)
}

describe("Strategies.validate", () => {
  it.effect("builds a strategy from a { kind, ...options } spec", () =>
    Effect.gen(function* () {
      const s = yield* Strategies.validate({ kind: "canary", steps: [{ weight: 10, bake: "5m" }] })
      assert.deepStrictEqual(s, canary({ steps: [{ weight: 10, bake: "5m" }] }))
      const bg = yield* Strategies.validate({ kind: "blue-green", autoPromote: false })
      assert.deepStrictEqual(bg, blueGreen({ autoPromote: false }))
      const c = yield* Strategies.validate({
        kind: "custom",
        steps: [{ setWeight: 50 }],
        scaleDownDelay: "1m",
      })
      assert.deepStrictEqual(c, custom([{ setWeight: 50 }], { scaleDownDelay: "1m" }))
    }),
  )

  it.effect("builds every kind from JSON", () =>
    Effect.gen(function* () {
      const specs = JSON.parse(`[
        {"kind":"linear","stepPercent":20,"interval":"2m"},
        {"kind":"rolling","batchPercent":50},
        {"kind":"all-at-once"},
        {"kind":"allAtOnce","bake":"1m"},
        {"kind":"blueGreen"}
      ]`) as Array<unknown>
      const built = yield* Effect.forEach(specs, Strategies.validate)
      assert.deepStrictEqual(built, [
        linear({ stepPercent: 20, interval: "2m" }),
        rolling({ batchPercent: 50 }),
        allAtOnce(),
        allAtOnce({ bake: "1m" }),
        blueGreen(),
      ])
    }),
  )

  it.effect("accepts a name", () =>
    Effect.gen(function* () {
      const s = yield* Strategies.validate("canary10Percent5Minutes")
      assert.deepStrictEqual(s.steps.length, 5)
    }),
  )

  it.effect("accepts a built strategy read back from JSON as it is", () =>
    Effect.gen(function* () {
      const original = canary({ steps: [{ weight: 10, bake: "5m" }] })
      const s = yield* Strategies.validate(JSON.parse(JSON.stringify(original)))
      assert.deepStrictEqual(s, original)
    }),
  )

  it.effect("fails with StrategyInvalid naming the field", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Strategies.validate({ kind: "canary", steps: [{ weight: 120, bake: "5m" }] }),
      )
      assert.deepStrictEqual(failureOf(exit), [
        "canary.steps[0].weight: 120 is above 100; use a percent 0..100",
      ])
    }),
  )

  it.effect("does not append to a built strategy that stops short: core refuses it", () =>
    Effect.gen(function* () {
      const short = { ...JSON.parse(JSON.stringify(allAtOnce())), steps: [{ _tag: "SetWeight", weight: 50 }] }
      const exit = yield* Effect.exit(Strategies.validate(short))
      assert.deepStrictEqual(failureOf(exit), [
        "steps: the plan never sends 100% of traffic to the candidate (last weight 50); end with a SetWeight of 100",
      ])
    }),
  )

  it.effect("fails on an unknown kind with a suggestion, a missing kind, and input of the wrong type", () =>
    Effect.gen(function* () {
      const known = "canary, linear, blueGreen, blue-green, rolling, allAtOnce, all-at-once, custom"
      assert.deepStrictEqual(failureOf(yield* Effect.exit(Strategies.validate({ kind: "canari" }))), [
        `strategy.kind: "canari" is not a strategy kind; did you mean "canary"? (known: ${known})`,
      ])
      assert.deepStrictEqual(failureOf(yield* Effect.exit(Strategies.validate({ steps: [] }))), [
        `strategy.kind: is required: one of ${known}`,
      ])
      assert.deepStrictEqual(failureOf(yield* Effect.exit(Strategies.validate(42))), [
        'strategy: expected a strategy name such as "canary", a spec such as { kind: "canary", steps: [...] }, or a built strategy, got 42',
      ])
    }),
  )

  it("fromSpec is the synchronous form and throws", () => {
    assert.throws(() => Strategies.fromSpec({ kind: "linear" }), StrategyInvalid)
    assert.strictEqual(
      Strategies.fromSpec({ kind: "linear", stepPercent: 50, interval: "1m" }).kind,
      "linear",
    )
  })
})

describe("trafficShape", () => {
  it("recognises the shapes native mechanisms run", () => {
    assert.deepStrictEqual(trafficShape(allAtOnce()), { _tag: "AllAtOnce", previewMs: 0 })
    assert.deepStrictEqual(trafficShape(blueGreen({ promoteAfter: "10m" })), {
      _tag: "AllAtOnce",
      previewMs: 10 * MIN,
    })
    assert.deepStrictEqual(trafficShape(blueGreen({ autoPromote: false })), {
      _tag: "AllAtOnce",
      previewMs: null,
    })
    assert.deepStrictEqual(trafficShape(canary({ steps: [{ weight: 5, bake: "10m" }] })), {
      _tag: "Canary",
      percent: 5,
      bakeMs: 10 * MIN,
      previewMs: 0,
    })
    assert.deepStrictEqual(trafficShape(canary({ steps: [{ weight: 5, bake: "manual" }] })), {
      _tag: "Canary",
      percent: 5,
      bakeMs: null,
      previewMs: 0,
    })
    assert.deepStrictEqual(trafficShape(linear({ stepPercent: 30, interval: "3m" })), {
      _tag: "Linear",
      stepPercent: 30,
      intervalMs: 3 * MIN,
      previewMs: 0,
    })
  })

  it("calls anything else stepped", () => {
    assert.deepStrictEqual(
      trafficShape(
        canary({
          steps: [
            { weight: 10, bake: "1m" },
            { weight: 50, bake: "1m" },
          ],
        }),
      ),
      {
        _tag: "Stepped",
        weights: [10, 50, 100],
        previewMs: 0,
      },
    )
    // equal steps but unequal holds is not linear
    const uneven = custom([
      { setWeight: 25 },
      { pause: "1m" },
      { setWeight: 50 },
      { pause: "2m" },
      { setWeight: 75 },
      { pause: "1m" },
    ])
    assert.strictEqual(trafficShape(uneven)._tag, "Stepped")
  })
})

describe("did you mean", () => {
  it("counts a swapped pair of letters as one edit", () => {
    assert.strictEqual(editDistance("canray", "canary"), 1)
    assert.strictEqual(editDistance("", "abc"), 3)
    assert.strictEqual(editDistance("kitten", "sitting"), 3)
  })

  it("suggests only plausible typos", () => {
    assert.strictEqual(closest("stepz", ["steps", "gates"]), "steps")
    assert.strictEqual(closest("xyz", ["steps", "gates"]), undefined)
  })
})
