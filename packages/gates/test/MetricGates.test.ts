import { assert, describe, it } from "@effect/vitest"
import { MetricError, MetricSource } from "@slipway/core"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as Gate from "../src/index.ts"
import { candidate, context, stable } from "./support.ts"

const memory = Gate.MetricSources.layerMemory
const metrics = Gate.MetricSources.MemoryMetrics

/** n requests with the given status and latencies cycling through `latencies`. */
const requests = (n: number, status: number, latencies: ReadonlyArray<number> = [50]) =>
  Array.from({ length: n }, (_, i) => ({ status, latency: latencies[i % latencies.length]! }))

const ramp = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)

const failingSource = Layer.succeed(
  MetricSource,
  MetricSource.of({
    query: (q) =>
      Effect.fail(
        new MetricError({ query: `error_rate{revision="${q.revision}"}`, message: "connection refused" }),
      ),
  }),
)

describe("threshold", () => {
  it.effect("fails with a readable reason: 'p95 … ≥ 300 ms over 1m (n=…)'", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.recordRequests(candidate.id, requests(100, 200, ramp(300, 100)))
      const verdict = yield* Gate.threshold({ metric: "latency_p95", window: "1m", below: 300 }).check(
        context(),
      )
      assert.strictEqual(verdict._tag, "Fail")
      // 95th percentile of 300…399 by linear interpolation: 300 + 0.95 × 99 = 394.05
      assert.strictEqual(verdict.reason, "p95 394 ms ≥ 300 ms over 1m (n=100)")
      const [evidence] = verdict.evidence
      assert.approximately(evidence?.observed ?? 0, 394.05, 1e-9)
      assert.strictEqual(evidence?.threshold, "< 300")
      assert.strictEqual(evidence?.sampleSize, 100)
      assert.strictEqual(evidence?.query, `memory:latency_p95{app="api",revision="${candidate.id}"}[1m]`)
    }).pipe(Effect.provide(memory())),
  )

  it.effect("passes inside both bounds", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "cpu", [0.4])
      const verdict = yield* Gate.threshold({ metric: "cpu", window: "1m", above: 0.1, below: 0.9 }).check(
        context(),
      )
      assert.strictEqual(verdict._tag, "Pass")
      assert.strictEqual(verdict.reason, "cpu 0.4 < 0.9 and > 0.1 over 1m (n=1)")
    }).pipe(Effect.provide(memory())),
  )

  it.effect("is Inconclusive when there is no data in the window", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.recordRequests(candidate.id, requests(10, 500))
      yield* TestClock.adjust("2 minutes") // the errors age out of the 1m window
      const verdict = yield* Gate.errorRate({ max: 0.01, window: "1m" }).check(context())
      assert.strictEqual(verdict._tag, "Inconclusive")
      assert.strictEqual(verdict.reason, "no data for error rate over 1m (n=0)")
      assert.strictEqual(verdict.evidence[0]?.observed, null)
    }).pipe(Effect.provide(memory())),
  )

  it.effect("is Inconclusive when the value is NaN", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "latency_p95", [Number.NaN])
      const verdict = yield* Gate.latency({ max: 300, window: "1m" }).check(context())
      assert.strictEqual(verdict._tag, "Inconclusive")
      assert.match(verdict.reason, /p95 is not a number \(NaN\)/)
    }).pipe(Effect.provide(memory())),
  )

  it.effect("is Inconclusive, with the source's message, when the source fails", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.errorRate({ max: 0.01, window: "1m" }).check(context())
      assert.strictEqual(verdict._tag, "Inconclusive")
      assert.strictEqual(verdict.reason, "could not read error rate: connection refused")
      assert.strictEqual(verdict.evidence[0]?.query, `error_rate{revision="${candidate.id}"}`)
    }).pipe(Effect.provide(failingSource)),
  )

  it("requires a limit and a real window", () => {
    assert.throws(() => Gate.threshold({ metric: "cpu", window: "1m" }), /below\/above are both missing/)
    assert.throws(
      () => Gate.threshold({ metric: "cpu", window: "1 minit", below: 1 }),
      /window "1 minit" is not a duration/,
    )
    assert.throws(
      () => Gate.threshold({ metric: "cpu", window: 0, below: 1 }),
      /window must be longer than 0/,
    )
  })

  it("declares its window as timing.period", () => {
    assert.deepStrictEqual(Gate.threshold({ metric: "cpu", window: "5m", below: 1 }).timing, {
      period: 300_000,
    })
  })
})

describe("errorRate", () => {
  it.effect("fails above max and passes at or below it", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.recordRequests(candidate.id, [...requests(958, 200), ...requests(42, 503)])
      const gate = Gate.errorRate({ max: 0.01, window: "1m" })
      const verdict = yield* gate.check(context())
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, "error rate 4.2% > 1% over 1m (n=1000)")
      const lenient = yield* Gate.errorRate({ max: 0.042, window: "1m" }).check(context())
      assert.strictEqual(lenient._tag, "Pass")
      assert.strictEqual(lenient.reason, "error rate 4.2% ≤ 4.2% over 1m (n=1000)")
    }).pipe(Effect.provide(memory())),
  )

  it.effect("counts only 5xx as errors (4xx are the client's)", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.recordRequests(candidate.id, [...requests(90, 200), ...requests(10, 404)])
      const verdict = yield* Gate.errorRate({ max: 0, window: "1m" }).check(context())
      assert.strictEqual(verdict._tag, "Pass")
    }).pipe(Effect.provide(memory())),
  )

  it("refuses percentages written as whole numbers", () => {
    assert.throws(() => Gate.errorRate({ max: 1.5, window: "1m" }), /an error rate of 1% is written 0.01/)
  })
})

describe("latency", () => {
  it.effect("reads the chosen percentile and accepts durations as max", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.recordRequests(candidate.id, requests(100, 200, ramp(1, 100)))
      const p50 = yield* Gate.latency({ percentile: 50, max: "60ms", window: "1m" }).check(context())
      assert.strictEqual(p50._tag, "Pass")
      assert.strictEqual(p50.reason, "p50 50.5 ms ≤ 60 ms over 1m (n=100)")
      const p99 = yield* Gate.latency({ percentile: 99, max: 60, window: "1m" }).check(context())
      assert.strictEqual(p99._tag, "Fail")
      assert.strictEqual(Gate.latency({ max: 1, window: "1m" }).name, "latency-p95")
    }).pipe(Effect.provide(memory())),
  )
})

describe("compare", () => {
  it.effect("fails when the candidate is worse than stable by more than the relative limit", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "latency_p95", [412])
      yield* m.push(stable.id, "latency_p95", [300])
      const verdict = yield* Gate.compare({
        metric: "latency_p95",
        window: "5m",
        maxRelativeIncrease: 0.2,
      }).check(context())
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(
        verdict.reason,
        "p95 412 ms vs stable 300 ms (+112 ms, +37.3%): higher by more than 20% over 5m (n=1/1)",
      )
      assert.deepStrictEqual(
        verdict.evidence.map((e) => e.observed),
        [412, 300],
      )
    }).pipe(Effect.provide(memory())),
  )

  it.effect("with both limits, fails only when both are exceeded (absolute is a noise floor)", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "error_rate", [0.0003])
      yield* m.push(stable.id, "error_rate", [0.0001])
      const gate = Gate.compare({
        metric: "error_rate",
        window: "5m",
        maxRelativeIncrease: 0.5,
        maxAbsoluteIncrease: 0.005,
      })
      const tiny = yield* gate.check(context())
      assert.strictEqual(tiny._tag, "Pass") // +200% but only +0.02 points
      yield* m.push(candidate.id, "error_rate", [0.02])
      const real = yield* gate.check(context())
      assert.strictEqual(real._tag, "Fail")
      assert.match(real.reason, /error rate 2% vs stable 0.01% \(\+1.99 pts, \+19900%\)/)
    }).pipe(Effect.provide(memory())),
  )

  it.effect("treats lower as worse when asked (throughput)", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "orders", [70])
      yield* m.push(stable.id, "orders", [100])
      const gate = Gate.compare({
        metric: "orders",
        window: "5m",
        maxRelativeIncrease: 0.1,
        direction: "lower-is-worse",
      })
      const verdict = yield* gate.check(context())
      assert.strictEqual(verdict._tag, "Fail")
      assert.match(verdict.reason, /lower by more than 10%/)
    }).pipe(Effect.provide(memory())),
  )

  it.effect("any worsening from a zero baseline exceeds a relative limit", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "errors", [1])
      yield* m.push(stable.id, "errors", [0])
      const verdict = yield* Gate.compare({ metric: "errors", window: "1m", maxRelativeIncrease: 1 }).check(
        context(),
      )
      assert.strictEqual(verdict._tag, "Fail")
    }).pipe(Effect.provide(memory())),
  )

  it.effect("is Inconclusive on a first deployment (no stable) and when a side has no data", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      const gate = Gate.compare({ metric: "latency_p95", window: "5m", maxAbsoluteIncrease: 50 })
      const first = yield* gate.check(context({ stable: null }))
      assert.strictEqual(first._tag, "Inconclusive")
      assert.strictEqual(first.reason, "no stable revision to compare p95 against (first deployment)")
      yield* m.push(candidate.id, "latency_p95", [200])
      const noStable = yield* gate.check(context())
      assert.strictEqual(noStable._tag, "Inconclusive")
      assert.match(noStable.reason, /no data for p95 on stable/)
    }).pipe(Effect.provide(memory())),
  )

  it("needs at least one limit", () => {
    assert.throws(() => Gate.compare({ metric: "error_rate", window: "1m" }), /are both missing/)
  })
})

describe("requireTraffic", () => {
  it.effect("is Inconclusive, never Fail, below the minimum — then passes", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      const gate = Gate.requireTraffic(100, { window: "1m" })
      const none = yield* gate.check(context())
      assert.strictEqual(none._tag, "Inconclusive")
      assert.strictEqual(
        none.reason,
        "only 0 requests to the candidate over 1m (need ≥ 100); not judging yet",
      )
      yield* m.recordRequests(candidate.id, requests(99, 500))
      assert.strictEqual((yield* gate.check(context()))._tag, "Inconclusive")
      yield* m.recordRequests(candidate.id, requests(1, 200))
      const enough = yield* gate.check(context())
      assert.strictEqual(enough._tag, "Pass")
      assert.strictEqual(enough.reason, "100 requests to the candidate over 1m (≥ 100)")
    }).pipe(Effect.provide(memory())),
  )

  it.effect("as a wrapper, keeps a failing gate from failing a quiet candidate", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.recordRequests(candidate.id, requests(3, 503)) // 100% errors, but only 3 requests
      const guarded = Gate.requireTraffic(50)(Gate.errorRate({ max: 0.01, window: "1m" }))
      const quiet = yield* guarded.check(context())
      assert.strictEqual(quiet._tag, "Inconclusive")
      assert.strictEqual(
        quiet.reason,
        "error-rate not evaluated: only 3 requests to the candidate over 1m (need ≥ 50); not judging yet",
      )
      yield* m.recordRequests(candidate.id, requests(47, 503))
      const busy = yield* guarded.check(context())
      assert.strictEqual(busy._tag, "Fail")
      assert.strictEqual(busy.reason, "error rate 100% > 1% over 1m (n=50)")
      assert.deepStrictEqual(
        busy.evidence.map((e) => e.gate),
        ["traffic ≥ 50", "error-rate"],
      )
      assert.strictEqual(guarded.name, "error-rate")
    }).pipe(Effect.provide(memory())),
  )

  it.effect("is Inconclusive when traffic cannot be counted", () =>
    Effect.gen(function* () {
      const verdict = yield* Gate.requireTraffic(10).check(context())
      assert.strictEqual(verdict._tag, "Inconclusive")
      assert.match(verdict.reason, /could not count the candidate's requests: connection refused/)
    }).pipe(Effect.provide(failingSource)),
  )

  it("is a gate with a name and a window, usable in all()", () => {
    const gate = Gate.requireTraffic(100, { window: "2m" })
    assert.strictEqual(gate.name, "traffic ≥ 100")
    assert.deepStrictEqual(gate.timing, { period: 120_000 })
    assert.strictEqual(Gate.all(gate).name, "all(traffic ≥ 100)")
  })
})

describe("mannWhitney", () => {
  const gate = Gate.mannWhitney({ window: "5m" })

  it.effect("fails when the candidate is significantly and substantially slower", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "latency", ramp(300, 40))
      yield* m.push(stable.id, "latency", ramp(200, 40))
      const verdict = yield* gate.check(context())
      assert.strictEqual(verdict._tag, "Fail")
      // z = (1600 − 800 − 0.5) / √(40·40·81/12) = 7.693; scipy.stats.mannwhitneyu: p = 1.4351e-14
      assert.match(
        verdict.reason,
        /^latency higher on the candidate: median 320 ms vs 220 ms \(p=1\.44e-14, δ=1\.00\) over 5m \(n=40\/40\)$/,
      )
      const [evidence] = verdict.evidence
      assert.strictEqual(evidence?.observed, 1)
      assert.strictEqual(evidence?.sampleSize, 80)
      assert.strictEqual(evidence?.threshold, "p < 0.02 and |δ| ≥ 0.2 (higher-is-worse)")
      assert.match(
        evidence?.detail ?? "",
        /^U=1600 z=7\.693 p=1\.44e-14 \(asymptotic\) δ=1\.000; n1=40 n2=40; median 320 ms vs 220 ms;/,
      )
    }).pipe(Effect.provide(memory())),
  )

  it.effect("passes identical samples with p = 1", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "latency", ramp(200, 30))
      yield* m.push(stable.id, "latency", ramp(200, 30))
      const verdict = yield* gate.check(context())
      assert.strictEqual(verdict._tag, "Pass")
      assert.match(
        verdict.reason,
        /latency not different from stable: median 215 ms vs 215 ms \(p=1, δ=0.00\)/,
      )
    }).pipe(Effect.provide(memory())),
  )

  it.effect("passes a faster candidate unless lower is worse or either direction counts", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "latency", ramp(100, 40))
      yield* m.push(stable.id, "latency", ramp(200, 40))
      const faster = yield* gate.check(context())
      assert.strictEqual(faster._tag, "Pass")
      assert.match(faster.reason, /latency lower on the candidate/)
      const either = yield* Gate.mannWhitney({ window: "5m", direction: "either" }).check(context())
      assert.strictEqual(either._tag, "Fail")
      const lower = yield* Gate.mannWhitney({ window: "5m", direction: "lower-is-worse" }).check(context())
      assert.strictEqual(lower._tag, "Fail")
    }).pipe(Effect.provide(memory())),
  )

  it.effect("drops NaNs and far outliers before judging, and records how many", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(candidate.id, "latency", [...ramp(200, 30), Number.NaN, Number.NaN, 90_000])
      yield* m.push(stable.id, "latency", ramp(200, 30))
      const verdict = yield* gate.check(context())
      assert.strictEqual(verdict._tag, "Pass")
      assert.match(
        verdict.evidence[0]?.detail ?? "",
        /dropped: candidate 2 NaN, 1 outliers; stable 0 NaN, 0 outliers/,
      )
    }).pipe(Effect.provide(memory())),
  )

  it.effect("is Inconclusive (NoData) with no samples, too few samples, or no stable", () =>
    Effect.gen(function* () {
      const m = yield* metrics
      yield* m.push(stable.id, "latency", ramp(200, 30))
      const none = yield* gate.check(context())
      assert.strictEqual(none._tag, "Inconclusive")
      assert.strictEqual(
        none.reason,
        "too few latency samples to compare: need 10 on each side, have 0 candidate and 30 stable over 5m",
      )
      yield* m.push(candidate.id, "latency", [Number.NaN, 250, 260])
      const few = yield* gate.check(context())
      assert.strictEqual(few._tag, "Inconclusive")
      assert.match(few.reason, /have 2 candidate and 30 stable/)
      const first = yield* gate.check(context({ stable: null }))
      assert.strictEqual(first._tag, "Inconclusive")
      assert.match(first.reason, /no stable revision/)
    }).pipe(Effect.provide(memory())),
  )

  it("validates confidence and effect size", () => {
    assert.throws(
      () => Gate.mannWhitney({ window: "5m", confidence: 98 }),
      /confidence 98 is not between 0 and 1/,
    )
    assert.throws(
      () => Gate.mannWhitney({ window: "5m", minEffectSize: 2 }),
      /minEffectSize 2 is not between 0 and 1/,
    )
  })
})
