// Gates judge a candidate on traffic recorded in memory: run with
// node --conditions=@slipway/source packages/gates/examples/quickstart.ts
import { makeRevision } from "@slipway/core"
import * as Gate from "@slipway/gates"
import { Effect } from "effect"

const stable = makeRevision({ app: "api", artifact: { digest: "sha256:0a1b", uri: "file:///srv/a" } })
const candidate = makeRevision({ app: "api", artifact: { digest: "sha256:9f8e", uri: "file:///srv/b" } })
const context = { app: "api", candidate, stable, candidateWeight: 10, stepIndex: 1 }

const healthy = Gate.all(
  Gate.requireTraffic(100)(Gate.errorRate({ max: 0.01, window: "1m" })),
  Gate.latency({ percentile: 95, max: "300ms", window: "1m" }),
  Gate.mannWhitney({ window: "1m" }),
)

// n requests with latencies spread over [from, from + 50) ms
const traffic = (n: number, status: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({ status, latency: from + (i % 50) }))

const program = Effect.gen(function* () {
  const metrics = yield* Gate.MetricSources.MemoryMetrics
  yield* metrics.recordRequests(stable.id, traffic(500, 200, 180))
  yield* metrics.recordRequests(candidate.id, [...traffic(297, 200, 260), ...traffic(3, 503, 260)])

  const verdict = yield* healthy.check(context)
  console.log(`${verdict._tag}: ${verdict.reason}`)
  for (const e of verdict.evidence) console.log(`  [${e.gate}] ${e.query} → ${e.observed}`)
}).pipe(Effect.provide(Gate.MetricSources.layerMemory()))

await Effect.runPromise(program)
