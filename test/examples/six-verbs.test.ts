/**
 * examples/six-verbs: the same hand-written deployment program against core's memory
 * layers and against this machine (real replicas of hello-node behind the local proxy,
 * ports chosen by the OS on 127.0.0.1, everything stopped when the layer closes).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { release, runInMemory, runOnThisMachine } from "../../examples/six-verbs/run.ts"

// The memory world logs weights by revision id, sorted; ids are content hashes, so the
// order of stable and candidate is not known in advance.
const weights = (w: Record<string, number>) =>
  `{${Object.keys(w)
    .sort()
    .map((k) => `${k}:${w[k]}`)
    .join(",")}}`

describe("examples/six-verbs", () => {
  it.effect("in memory: each verb is one call, in order, and a healthy candidate is promoted", () =>
    Effect.gen(function* () {
      const { result, calls } = yield* runInMemory()
      const [stable, candidate] = [result.stable.id, result.candidate.id]
      const digest = result.stable.artifact.digest
      assert.deepStrictEqual(calls, [
        "package hello",
        `put ${digest}`,
        `ensure ${stable} 2`,
        `setWeights hello {${stable}:100}`,
        "dns hello",
        "package hello",
        `put ${digest}`,
        `ensure ${candidate} 2`,
        `setWeights hello ${weights({ [stable]: 90, [candidate]: 10 })}`,
        `setWeights hello ${weights({ [stable]: 0, [candidate]: 100 })}`,
        `scale ${stable} 0`,
      ])
      assert.strictEqual(result.url, "http://hello.memory.test")
      assert.isTrue(result.reused, "the second package of unchanged source builds nothing")
      assert.deepStrictEqual(result.observed, { requests: 20, errorRate: 0 })
      assert.strictEqual(result.outcome, "promoted")
    }),
  )

  it.live("on this machine: 10% of 200 real requests reach the candidate, which is promoted", () =>
    Effect.gen(function* () {
      const result = yield* runOnThisMachine()
      assert.match(result.url, /^http:\/\/hello\.localhost:\d+$/)
      // Smooth weighted round robin is exact: 200 sequential requests at 90/10 are 180 and 20.
      assert.deepStrictEqual(result.traffic.byRevision, {
        [result.stable.id]: 180,
        [result.candidate.id]: 20,
      })
      assert.deepStrictEqual(result.traffic.byStatus, { "2xx": 200 })
      assert.deepStrictEqual(result.observed, { requests: 20, errorRate: 0 })
      assert.strictEqual(result.queries[1], `error_rate{app="hello",revision="${result.candidate.id}"}[60s]`)
      assert.strictEqual(result.outcome, "promoted")
    }),
  )

  it.live("on this machine: a candidate answering 500 is observed at error rate 1 and sent back", () =>
    Effect.gen(function* () {
      const result = yield* runOnThisMachine(release("2.0.0", { FAULT_ERROR_RATE: "1" }))
      assert.deepStrictEqual(result.traffic.byStatus, { "2xx": 180, "5xx": 20 })
      assert.deepStrictEqual(result.observed, { requests: 20, errorRate: 1 })
      assert.strictEqual(result.outcome, "rolled-back")
    }),
  )
})
