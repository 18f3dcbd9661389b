import { assert, describe, it } from "@effect/vitest"
import { type Gate as GateOf, type MetricSource, Verdict } from "@slipway/core"
import { Effect } from "effect"
import * as Gate from "../src/index.ts"
import { context, fixed } from "./support.ts"

const pass = (name: string) => fixed(name, "Pass")
const fail = (name: string) => fixed(name, "Fail")
const inconclusive = (name: string) => fixed(name, "Inconclusive")

describe("all", () => {
  it.effect("passes when every gate passes, keeping every gate's evidence", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.all(pass("health"), pass("errors")).check(context())
      assert.strictEqual(verdict._tag, "Pass")
      assert.strictEqual(verdict.reason, "health pass; errors pass")
      assert.deepStrictEqual(
        verdict.evidence.map((e) => e.gate),
        ["health", "errors"],
      )
    }),
  )

  it.effect("fails if any gate fails, even when another is inconclusive", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.all(pass("health"), inconclusive("traffic"), fail("errors")).check(
        context(),
      )
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, "errors fail")
      assert.strictEqual(verdict.evidence.length, 3)
    }),
  )

  it.effect("is Inconclusive if any gate is inconclusive and none fails", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.all(pass("health"), inconclusive("traffic")).check(context())
      assert.strictEqual(verdict._tag, "Inconclusive")
      assert.strictEqual(verdict.reason, "traffic inconclusive")
    }),
  )

  it.effect("passes when empty", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.all().check(context())
      assert.strictEqual(verdict._tag, "Pass")
      assert.strictEqual(verdict.reason, "no gates to check")
    }),
  )

  it.effect("records a dry-run gate's failure without letting it decide", () =>
    Effect.gen(function* () {
      const gate = Gate.all(pass("health"), Gate.dryRun(fail("new-check")))
      assert.isUndefined(gate.dryRun)
      const verdict = yield* gate.check(context())
      assert.strictEqual(verdict._tag, "Pass")
      assert.deepStrictEqual(verdict.evidence[1], {
        gate: "new-check",
        detail: "dry run, not deciding: Fail: new-check fail",
      })
      assert.deepStrictEqual(verdict.evidence[2], { gate: "new-check", detail: "dry run" })
    }),
  )

  it.effect("of dry-run gates only is itself a dry run that reports their verdict", () =>
    Effect.gen(function* () {
      const gate = Gate.all(Gate.dryRun(fail("a")), Gate.dryRun(pass("b")))
      assert.strictEqual(gate.dryRun, true)
      assert.strictEqual((yield* gate.check(context()))._tag, "Fail")
    }),
  )

  it("names itself after its gates and declares the slowest timing", () => {
    const gate = Gate.all(
      Gate.interval("5s", pass("probe")),
      Gate.threshold({ metric: "error_rate", window: "2m", below: 0.01 }),
      Gate.failureLimit(2, Gate.interval("10s", pass("flaky"))),
    )
    assert.strictEqual(gate.name, "all(probe, error_rate < 0.01, flaky)")
    assert.deepStrictEqual(gate.timing, { interval: 10_000, failureLimit: 2, period: 120_000 })
    assert.isUndefined(Gate.all(pass("a")).timing)
  })
})

describe("any", () => {
  it.effect("passes when one gate passes", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.any(fail("/healthz"), pass("/health")).check(context())
      assert.strictEqual(verdict._tag, "Pass")
      assert.strictEqual(verdict.reason, "/health pass")
      assert.strictEqual(verdict.evidence.length, 2)
    }),
  )

  it.effect("fails only when every gate fails", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.any(fail("a"), fail("b")).check(context())
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, "a fail; b fail")
    }),
  )

  it.effect("is Inconclusive when none passes and one is inconclusive", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.any(fail("a"), inconclusive("b")).check(context())
      assert.strictEqual(verdict._tag, "Inconclusive")
      assert.strictEqual(verdict.reason, "b inconclusive")
    }),
  )

  it.effect("does not let a dry-run gate's pass decide", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.any(fail("a"), Gate.dryRun(pass("b"))).check(context())
      assert.strictEqual(verdict._tag, "Fail")
    }),
  )

  it("needs at least one gate", () => {
    assert.throws(() => Gate.any(), /any\(\) needs at least one gate/)
  })
})

describe("not", () => {
  it.effect("turns Pass into Fail and Fail into Pass, and leaves Inconclusive alone", () =>
    Effect.gen(function* () {
      const a = yield* Gate.not(pass("debug endpoint")).check(context())
      assert.strictEqual(a._tag, "Fail")
      assert.strictEqual(a.reason, "expected debug endpoint not to pass: debug endpoint pass")
      const b = yield* Gate.not(fail("debug endpoint")).check(context())
      assert.strictEqual(b._tag, "Pass")
      assert.strictEqual((yield* Gate.not(inconclusive("x")).check(context()))._tag, "Inconclusive")
      assert.strictEqual(Gate.not(pass("x")).name, "not(x)")
    }),
  )

  it("keeps the gate's timing and dry-run flag", () => {
    const gate = Gate.not(Gate.dryRun(Gate.interval("3s", pass("x"))))
    assert.deepStrictEqual(gate.timing, { interval: 3_000 })
    assert.strictEqual(gate.dryRun, true)
  })
})

describe("named", () => {
  it.effect("renames the gate and the evidence it produced, not its children's", () =>
    Effect.gen(function* () {
      const leaf = yield* Gate.named("health", pass("GET /healthz")).check(context())
      assert.deepStrictEqual(
        leaf.evidence.map((e) => e.gate),
        ["health"],
      )
      const composite = Gate.named("slo", Gate.all(pass("errors"), pass("latency")))
      assert.strictEqual(composite.name, "slo")
      const verdict = yield* composite.check(context())
      assert.deepStrictEqual(
        verdict.evidence.map((e) => e.gate),
        ["errors", "latency"],
      )
    }),
  )

  it("refuses an empty name", () => {
    assert.throws(() => Gate.named(" ", pass("x")), /name is empty/)
  })
})

describe("dryRun and interval", () => {
  it("mark the gate without changing what it checks", () => {
    const gate = Gate.interval(
      "30s",
      Gate.dryRun(Gate.threshold({ metric: "cpu", window: "1m", below: 0.9 })),
    )
    assert.strictEqual(gate.dryRun, true)
    assert.deepStrictEqual(gate.timing, { period: 60_000, interval: 30_000 })
    assert.throws(() => Gate.interval("never", pass("x")), /interval "never" is not a duration/)
  })
})

describe("custom", () => {
  it.effect("runs the function with the rollout context", () =>
    Effect.gen(function* () {
      const gate = Gate.custom("weight cap", (ctx) =>
        Effect.succeed(
          ctx.candidateWeight <= 50
            ? Verdict.Pass({ reason: `${ctx.candidateWeight}% ≤ 50%`, evidence: [] })
            : Verdict.Fail({ reason: `${ctx.candidateWeight}% > 50%`, evidence: [] }),
        ),
      )
      assert.strictEqual((yield* gate.check(context({ candidateWeight: 10 })))._tag, "Pass")
      assert.strictEqual((yield* gate.check(context({ candidateWeight: 60 })))._tag, "Fail")
    }),
  )

  it.effect("turns a failure or a defect into Inconclusive with its message", () =>
    Effect.gen(function* () {
      const failing = Gate.custom("ticket open", () => Effect.fail(new Error("Jira answered 502")))
      const failed = yield* failing.check(context())
      assert.strictEqual(failed._tag, "Inconclusive")
      assert.strictEqual(failed.reason, "ticket open could not evaluate: Jira answered 502")
      const throwing = Gate.custom("buggy", () => {
        throw new TypeError("cannot read properties of undefined")
      })
      const crashed = yield* throwing.check(context())
      assert.strictEqual(crashed._tag, "Inconclusive")
      assert.match(crashed.reason, /buggy could not evaluate: cannot read properties of undefined/)
    }),
  )

  it("declares the timing it is given", () => {
    const gate = Gate.custom("x", () => Effect.succeed(Verdict.Pass({ reason: "", evidence: [] })), {
      timing: { interval: 5_000 },
    })
    assert.deepStrictEqual(gate.timing, { interval: 5_000 })
  })
})

describe("alarm", () => {
  it.effect(
    "maps OK to Pass, ALARM to Fail and INSUFFICIENT_DATA to Inconclusive, with CloudWatch's reason",
    () =>
      Effect.gen(function* () {
        const alarms = yield* Gate.MemoryAlarms
        const gate = Gate.alarm("api-5xx")
        const ok = yield* gate.check(context())
        assert.strictEqual(ok._tag, "Pass")
        assert.strictEqual(ok.reason, "alarm api-5xx is OK: set to OK")
        yield* alarms.set(
          "api-5xx",
          "ALARM",
          "Threshold Crossed: 1 datapoint [5.0 (22/11/25 03:00:00)] was greater than the threshold (1.0).",
        )
        const alarm = yield* gate.check(context())
        assert.strictEqual(alarm._tag, "Fail")
        assert.strictEqual(
          alarm.reason,
          "alarm api-5xx is ALARM: Threshold Crossed: 1 datapoint [5.0 (22/11/25 03:00:00)] was greater than the threshold (1.0).",
        )
        assert.match(
          alarm.evidence[0]?.detail ?? "",
          /^ALARM since 1970-01-01T00:00:00.000Z: Threshold Crossed/,
        )
        yield* alarms.set("api-5xx", "INSUFFICIENT_DATA", "Insufficient Data: 0 datapoints were received")
        assert.strictEqual((yield* gate.check(context()))._tag, "Inconclusive")
      }).pipe(Effect.provide(Gate.AlarmSource.layerMemory({ "api-5xx": "OK" }))),
  )

  it.effect("is Inconclusive when the alarm cannot be read", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.alarm("api-p99").check(context())
      assert.strictEqual(verdict._tag, "Inconclusive")
      assert.strictEqual(
        verdict.reason,
        "could not read alarm api-p99: no alarm named api-p99; known: api-5xx",
      )
    }).pipe(Effect.provide(Gate.AlarmSource.layerMemory({ "api-5xx": "OK" }))),
  )
})

describe("requirements", () => {
  it("a composite needs the services of its gates, and only those", () => {
    const composite = Gate.all(Gate.http("/healthz"), Gate.errorRate({ max: 0.01, window: "1m" }))
    const needs: GateOf<Gate.ProbeTarget | MetricSource> = composite
    // @ts-expect-error: the error-rate gate needs a MetricSource
    const probeOnly: GateOf<Gate.ProbeTarget> = composite
    // An absolute URL needs nothing; a path needs a ProbeTarget.
    const absolute: GateOf = Gate.http("http://127.0.0.1:8080/healthz")
    // @ts-expect-error: a path is resolved through ProbeTarget
    const path: GateOf = Gate.http("/healthz")
    assert.strictEqual([needs, probeOnly, absolute, path].length, 4)
  })
})
