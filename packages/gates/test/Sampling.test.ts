import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as Gate from "../src/index.ts"
import { context, httpServer, scripted } from "./support.ts"

describe("consecutive", () => {
  it.effect("passes after n passing samples spaced by the gate's interval", () =>
    Effect.gen(function* () {
      const { gate, calls } = scripted("probe", ["Pass"])
      const fiber = yield* Gate.consecutive(3, Gate.interval("2s", gate))
        .check(context())
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("4 seconds")
      const verdict = yield* Fiber.join(fiber)
      assert.strictEqual(verdict._tag, "Pass")
      assert.strictEqual(verdict.reason, "3 consecutive passes, 2s apart: probe #3 pass")
      assert.deepStrictEqual(calls, [0, 2_000, 4_000])
      assert.deepStrictEqual(
        verdict.evidence.map((e) => e.detail),
        ["sample 1/3", "sample 2/3", "sample 3/3"],
      )
    }),
  )

  it.effect("fails a flapping gate at the first failing sample", () =>
    Effect.gen(function* () {
      const { gate, calls } = scripted("probe", ["Pass", "Fail", "Pass"])
      const fiber = yield* Gate.consecutive(3, Gate.interval("1s", gate))
        .check(context())
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("5 seconds")
      const verdict = yield* Fiber.join(fiber)
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, "sample 2/3 failed: probe #2 fail")
      assert.strictEqual(calls.length, 2)
    }),
  )

  it.effect("stops at an inconclusive sample", () =>
    Effect.gen(function* () {
      const { gate } = scripted("probe", ["Inconclusive"])
      const verdict = yield* Gate.consecutive(2, gate).check(context())
      assert.strictEqual(verdict._tag, "Inconclusive")
      assert.strictEqual(verdict.reason, "sample 1/2 inconclusive: probe #1 inconclusive")
    }),
  )

  it.live("fails a real flapping HTTP probe (200, 503, 200)", () =>
    Effect.gen(function* () {
      let served = 0
      const { url } = yield* httpServer((_request, response) => {
        served++
        response.writeHead(served % 2 === 0 ? 503 : 200).end()
      })
      const probe = Gate.consecutive(3, Gate.interval("10ms", Gate.http(`${url}/healthz`)))
      const verdict = yield* probe.check(context())
      assert.strictEqual(verdict._tag, "Fail")
      assert.match(
        verdict.reason,
        /^sample 2\/3 failed: GET http:\/\/127\.0\.0\.1:\d+\/healthz → 503 in \d+ms; expected 200$/,
      )
      assert.strictEqual(served, 2)
    }),
  )

  it("needs n ≥ 1", () => {
    assert.throws(
      () => Gate.consecutive(0, scripted("x", ["Pass"]).gate),
      /consecutive 0 is not a whole number ≥ 1/,
    )
  })
})

describe("failureLimit", () => {
  it.effect("forgives up to n failing samples and passes on the next pass", () =>
    Effect.gen(function* () {
      const { gate, calls } = scripted("probe", ["Fail", "Fail", "Pass"])
      const fiber = yield* Gate.failureLimit(2, Gate.interval("5s", gate))
        .check(context())
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("10 seconds")
      const verdict = yield* Fiber.join(fiber)
      assert.strictEqual(verdict._tag, "Pass")
      assert.strictEqual(verdict.reason, "probe #3 pass (after 2 failing samples, limit 2)")
      assert.deepStrictEqual(calls, [0, 5_000, 10_000])
      assert.strictEqual(verdict.evidence.length, 3)
    }),
  )

  it.effect("fails on the (n+1)-th failing sample", () =>
    Effect.gen(function* () {
      const { gate, calls } = scripted("probe", ["Fail"])
      const fiber = yield* Gate.failureLimit(1, Gate.interval("5s", gate))
        .check(context())
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("5 seconds")
      const verdict = yield* Fiber.join(fiber)
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, "failed 2 times (limit 1): probe #2 fail")
      assert.strictEqual(calls.length, 2)
    }),
  )

  it.effect("returns an inconclusive sample as it is", () =>
    Effect.gen(function* () {
      const { gate } = scripted("probe", ["Inconclusive"])
      assert.strictEqual((yield* Gate.failureLimit(3, gate).check(context()))._tag, "Inconclusive")
    }),
  )

  it.effect("with limit 0 fails at once", () =>
    Effect.gen(function* () {
      const { gate, calls } = scripted("probe", ["Fail", "Pass"])
      assert.strictEqual((yield* Gate.failureLimit(0, gate).check(context()))._tag, "Fail")
      assert.strictEqual(calls.length, 1)
    }),
  )

  it("declares the failing samples it tolerates, nested limits multiplied out", () => {
    const { gate } = scripted("probe", ["Pass"])
    assert.deepStrictEqual(Gate.failureLimit(2, gate).timing, { interval: 10_000, failureLimit: 2 })
    // Each of 2 outer attempts tolerates 1 inner failure: 4 failing samples fail it, 3 do not.
    assert.strictEqual(Gate.failureLimit(1, Gate.failureLimit(1, gate)).timing?.failureLimit, 3)
  })
})

describe("inconclusiveLimit", () => {
  it.effect("samples again while inconclusive, up to the limit", () =>
    Effect.gen(function* () {
      const { gate, calls } = scripted("errors", ["Inconclusive", "Inconclusive", "Fail"])
      const fiber = yield* Gate.inconclusiveLimit(3, Gate.interval("10s", gate))
        .check(context())
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("20 seconds")
      const verdict = yield* Fiber.join(fiber)
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, "errors #3 fail")
      assert.deepStrictEqual(calls, [0, 10_000, 20_000])
    }),
  )

  it.effect("past the limit is Inconclusive by default, or Fail with onLimit: 'fail'", () =>
    Effect.gen(function* () {
      const quiet = scripted("errors", ["Inconclusive"])
      const fiber = yield* Gate.inconclusiveLimit(1, Gate.interval("1s", quiet.gate))
        .check(context())
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      const verdict = yield* Fiber.join(fiber)
      assert.strictEqual(verdict._tag, "Inconclusive")
      assert.strictEqual(verdict.reason, "inconclusive 2 times (limit 1): errors #2 inconclusive")

      const strict = scripted("errors", ["Inconclusive"])
      const failing = Gate.inconclusiveLimit(0, strict.gate, { onLimit: "fail" })
      const failed = yield* failing.check(context())
      assert.strictEqual(failed._tag, "Fail")
      assert.strictEqual(failed.reason, "inconclusive 1 time (limit 0): errors #1 inconclusive")
    }),
  )
})

describe("initialDelay", () => {
  it.effect("waits before the first sample of a step, then not again at that step", () =>
    Effect.gen(function* () {
      const { gate, calls } = scripted("p95", ["Pass"])
      const delayed = Gate.initialDelay("1m", gate)
      const first = yield* delayed.check(context()).pipe(Effect.forkChild)
      yield* TestClock.adjust("30 seconds")
      // A second check half-way through waits only for the rest of the delay.
      const second = yield* delayed.check(context()).pipe(Effect.forkChild)
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      assert.deepStrictEqual(calls, [60_000, 60_000])
      yield* delayed.check(context())
      assert.deepStrictEqual(calls, [60_000, 60_000, 60_000])
    }),
  )

  it.effect("starts over at the next step", () =>
    Effect.gen(function* () {
      const { gate, calls } = scripted("p95", ["Pass"])
      const delayed = Gate.initialDelay("10s", gate)
      const first = yield* delayed.check(context({ stepIndex: 1 })).pipe(Effect.forkChild)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(first)
      const next = yield* delayed.check(context({ stepIndex: 3 })).pipe(Effect.forkChild)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(next)
      assert.deepStrictEqual(calls, [10_000, 20_000])
    }),
  )

  it("adds to the declared initial delay", () => {
    const { gate } = scripted("p95", ["Pass"])
    assert.deepStrictEqual(Gate.initialDelay("30s", Gate.initialDelay("1m", gate)).timing, {
      initialDelay: 90_000,
    })
  })
})
