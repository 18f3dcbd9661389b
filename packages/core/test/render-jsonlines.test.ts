import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import type { RolloutEvent } from "../src/Events.ts"
import { JsonLinesInvalid, parseJsonLines, toJsonLine } from "../src/render/JsonLines.ts"
import { at, pausedThenPromoted, rolledBackCanary, successfulCanary } from "./render-fixtures.ts"

const all = (): ReadonlyArray<RolloutEvent> => [
  ...successfulCanary(),
  ...rolledBackCanary(),
  ...pausedThenPromoted(),
]

describe("JSON lines", () => {
  it("round-trips every event of every fixture through the Events schema", () => {
    const events = all()
    const parsed = parseJsonLines(events.map(toJsonLine).join("\n"))
    assert.isTrue(Result.isSuccess(parsed))
    if (Result.isSuccess(parsed)) assert.deepStrictEqual(parsed.success, events)
  })

  it("writes one JSON object per line, even when a reason spans lines", () => {
    const event: RolloutEvent = {
      _tag: "RollbackStarted",
      rolloutId: "r-1",
      app: "shop",
      at: at(0),
      reason: "gate smoke failed:\nHTTP/1.1 503\n",
    }
    const line = toJsonLine(event)
    assert.notInclude(line, "\n")
    assert.deepStrictEqual(JSON.parse(line), event)
  })

  it("keeps values plain JSON cannot hold (a gate's NaN, an infinite latency)", () => {
    const event: RolloutEvent = {
      _tag: "GateEvaluated",
      rolloutId: "r-1",
      app: "shop",
      at: at(0),
      index: 1,
      gate: "ratio",
      dryRun: false,
      verdict: {
        _tag: "Inconclusive",
        reason: "0 of 0 requests",
        evidence: [{ gate: "ratio", observed: Number.NaN, values: [1, Number.POSITIVE_INFINITY] }],
      },
    }
    const parsed = parseJsonLines(toJsonLine(event))
    assert.isTrue(Result.isSuccess(parsed))
    if (Result.isSuccess(parsed)) {
      const back = parsed.success[0]!
      assert.strictEqual(back._tag, "GateEvaluated")
      if (back._tag === "GateEvaluated") {
        assert.isNaN(back.verdict.evidence[0]!.observed)
        assert.deepStrictEqual(back.verdict.evidence[0]!.values, [1, Number.POSITIVE_INFINITY])
      }
    }
  })

  it("skips blank lines and accepts CRLF line ends", () => {
    const events = pausedThenPromoted()
    const parsed = parseJsonLines(`\n${events.map(toJsonLine).join("\r\n\r\n")}\r\n`)
    assert.isTrue(Result.isSuccess(parsed))
    if (Result.isSuccess(parsed)) assert.strictEqual(parsed.success.length, events.length)
  })

  it("reports every malformed line with its line number, and keeps the events that decoded", () => {
    const [first, second] = pausedThenPromoted()
    const text = [
      toJsonLine(first!),
      '{"_tag":"StepStarted","rolloutId":"r-promote"', // cut off by a crash
      toJsonLine(second!),
      '{"_tag":"Exploded","rolloutId":"r","app":"web","at":1}',
      '{"_tag":"WeightSet","rolloutId":"r","app":"web","at":1,"weights":{"v1":100},"candidateWeight":"ten"}',
      "[1, 2]",
    ].join("\n")
    const parsed = parseJsonLines(text)
    assert.isTrue(Result.isFailure(parsed))
    if (Result.isFailure(parsed)) {
      const error = parsed.failure
      assert.instanceOf(error, JsonLinesInvalid)
      assert.deepStrictEqual(
        error.issues.map((i) => i.line),
        [2, 4, 5, 6],
      )
      assert.match(error.issues[0]!.message, /^not valid JSON/)
      assert.match(
        error.issues[1]!.message,
        /unknown event "Exploded" in "_tag"; expected one of RolloutStarted, /,
      )
      assert.strictEqual(error.issues[2]!.message, "WeightSet: candidateWeight: expected number")
      assert.strictEqual(error.issues[3]!.message, 'expected a JSON object with a "_tag", got an array')
      assert.deepStrictEqual(error.decoded, [first!, second!])
      assert.match(error.message, /^4 lines are not a rollout event:\n {2}line 2: not valid JSON/)
    }
  })

  it.effect("fails an Effect with the tagged error when lifted with Effect.fromResult", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Effect.fromResult(parseJsonLines("nope")))
      assert.strictEqual(error._tag, "JsonLinesInvalid")
      assert.strictEqual(error.issues[0]!.line, 1)
    }),
  )
})
