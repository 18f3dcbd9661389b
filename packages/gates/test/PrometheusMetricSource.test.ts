import { assert, describe, it } from "@effect/vitest"
import { MetricSource } from "@slipway/core"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as Gate from "../src/index.ts"
import { candidate, closedPort, context, deferred, httpServer, stable } from "./support.ts"

interface RevisionCounters {
  readonly ok: number
  readonly errors: number
  /** Cumulative counts at le 0.05, 0.1, 0.25, 0.5, 1, +Inf. */
  readonly buckets?: ReadonlyArray<number>
}

const BOUNDS = ["0.05", "0.1", "0.25", "0.5", "1", "+Inf"]

/** The local proxy's exposition for the given counters. */
const expose = (revisions: Readonly<Record<string, RevisionCounters>>): string => {
  const lines = ["# TYPE slipway_requests_total counter"]
  for (const [revision, c] of Object.entries(revisions)) {
    lines.push(`slipway_requests_total{app="api",revision="${revision}",status_class="2xx"} ${c.ok}`)
    lines.push(`slipway_requests_total{app="api",revision="${revision}",status_class="5xx"} ${c.errors}`)
  }
  lines.push("# TYPE slipway_request_duration_seconds histogram")
  for (const [revision, c] of Object.entries(revisions)) {
    BOUNDS.forEach((le, i) => {
      lines.push(
        `slipway_request_duration_seconds_bucket{app="api",revision="${revision}",le="${le}"} ${c.buckets?.[i] ?? 0}`,
      )
    })
  }
  lines.push("# TYPE process_open_fds gauge", `process_open_fds{revision="${candidate.id}"} 17`)
  return `${lines.join("\n")}\n`
}

// t=0: the candidate has served 100 requests; t=1m: 300, of which 10 more failed. The
// histogram grows by twice its t=0 shape, so its percentiles over the minute are those of
// the shape: p50 = 0.1 + 0.15 × 20/100 = 0.13 s, p95 = 0.25 + 0.25 × 10/16 = 0.40625 s.
const atStart = expose({
  [candidate.id]: { ok: 100, errors: 0, buckets: [10, 40, 90, 98, 100, 100] },
  [stable.id]: { ok: 5000, errors: 0, buckets: [500, 2000, 4500, 4900, 5000, 5000] },
})
const aMinuteLater = expose({
  [candidate.id]: { ok: 290, errors: 10, buckets: [30, 120, 270, 294, 300, 300] },
  [stable.id]: { ok: 5600, errors: 0, buckets: [560, 2240, 5040, 5488, 5600, 5600] },
})

const exporter = Effect.gen(function* () {
  const state = { text: atStart, status: 200, hits: 0 }
  const firstHit = deferred()
  const { url } = yield* httpServer((_request, response) => {
    state.hits++
    firstHit.resolve()
    response.writeHead(state.status, { "content-type": "text/plain; version=0.0.4" }).end(state.text)
  })
  return { state, url: `${url}/metrics`, firstHit: firstHit.promise }
})

const query = (metric: string, window = 60_000, revision = candidate.id) =>
  Effect.gen(function* () {
    const source = yield* MetricSource
    return yield* source.query({ app: "api", revision, metric, window })
  })

describe("MetricSources.prometheus", () => {
  it.effect("computes rates over the window from the scrape taken a window ago", () =>
    Effect.gen(function* () {
      const { state, url } = yield* exporter
      yield* Effect.gen(function* () {
        const first = yield* query("requests")
        assert.strictEqual(first.value, null) // one scrape: nothing to compare with yet
        assert.match(first.query, /\(no earlier scrape yet\)$/)

        yield* TestClock.adjust("1 minute")
        state.text = aMinuteLater
        const requests = yield* query("requests")
        assert.strictEqual(requests.value, 200)
        assert.strictEqual(
          requests.query,
          `sum(increase(slipway_requests_total{revision="${candidate.id}"}[1m])) from ${url}`,
        )
        assert.strictEqual((yield* query("errors")).value, 10)
        const errorRate = yield* query("error_rate")
        assert.strictEqual(errorRate.value, 0.05)
        assert.strictEqual(errorRate.count, 200)
        assert.strictEqual((yield* query("error_rate", 60_000, stable.id)).value, 0)
        assert.strictEqual((yield* query("requests", 60_000, stable.id)).value, 600)

        const p50 = yield* query("latency_p50")
        assert.approximately(p50.value!, 130, 1e-9)
        assert.strictEqual(p50.count, 200)
        assert.approximately((yield* query("latency_p95")).value!, 406.25, 1e-9)
        assert.match(
          p50.query,
          /^histogram_quantile\(0.5, sum by \(le\) \(increase\(slipway_request_duration_seconds_bucket\{revision="api-[0-9a-f]+"\}\[1m\]\)\)\) \* 1000/,
        )

        const gauge = yield* query("process_open_fds")
        assert.strictEqual(gauge.value, 17)
      }).pipe(Effect.provide(Gate.MetricSources.prometheus({ url, scrapeInterval: "off" })))
    }),
  )

  it.effect("rebuilds latency samples from bucket counts at bucket midpoints", () =>
    Effect.gen(function* () {
      const { state, url } = yield* exporter
      yield* Effect.gen(function* () {
        yield* query("latency")
        yield* TestClock.adjust("1 minute")
        state.text = aMinuteLater
        const latency = yield* query("latency")
        const histogram = new Map<number, number>()
        for (const s of latency.samples ?? []) histogram.set(s, (histogram.get(s) ?? 0) + 1)
        assert.deepStrictEqual(
          [...histogram],
          [
            [25, 20],
            [75, 60],
            [175, 100],
            [375, 16],
            [750, 4],
          ],
        )
        assert.strictEqual(latency.count, 200)
        assert.strictEqual(latency.value, 175)
      }).pipe(Effect.provide(Gate.MetricSources.prometheus({ url, scrapeInterval: "off" })))
    }),
  )

  it.effect("feeds gates: error rate and Mann–Whitney on real scrapes", () =>
    Effect.gen(function* () {
      const { state, url } = yield* exporter
      yield* Effect.gen(function* () {
        const errors = Gate.errorRate({ max: 0.01, window: "1m" })
        assert.strictEqual((yield* errors.check(context()))._tag, "Inconclusive")
        yield* TestClock.adjust("1 minute")
        state.text = aMinuteLater
        const verdict = yield* errors.check(context())
        assert.strictEqual(verdict._tag, "Fail")
        assert.strictEqual(verdict.reason, "error rate 5% > 1% over 1m (n=200)")
        // Same latency shape on both sides: no difference.
        const same = yield* Gate.mannWhitney({ window: "1m" }).check(context())
        assert.strictEqual(same._tag, "Pass")
      }).pipe(Effect.provide(Gate.MetricSources.prometheus({ url, scrapeInterval: "off" })))
    }),
  )

  it.effect(
    "treats a counter that went down as reset, and says when history is shorter than the window",
    () =>
      Effect.gen(function* () {
        const { state, url } = yield* exporter
        yield* Effect.gen(function* () {
          yield* query("requests")
          yield* TestClock.adjust("1 minute")
          state.text = aMinuteLater
          const partial = yield* query("requests", 300_000)
          assert.strictEqual(partial.value, 200)
          assert.match(partial.query, /\[5m\]\)\) from .* \(history covers 1m\)$/)

          yield* TestClock.adjust("1 minute")
          state.text = expose({ [candidate.id]: { ok: 15, errors: 5 } }) // the process restarted
          const afterRestart = yield* query("error_rate")
          assert.strictEqual(afterRestart.count, 20)
          assert.strictEqual(afterRestart.value, 0.25)
        }).pipe(Effect.provide(Gate.MetricSources.prometheus({ url, scrapeInterval: "off" })))
      }),
  )

  it.effect("reuses a scrape taken within the last second", () =>
    Effect.gen(function* () {
      const { state, url } = yield* exporter
      yield* Effect.gen(function* () {
        yield* query("requests")
        yield* query("errors")
        yield* query("latency_p95")
        assert.strictEqual(state.hits, 1)
        yield* TestClock.adjust("1 second")
        yield* query("requests")
        assert.strictEqual(state.hits, 2)
      }).pipe(Effect.provide(Gate.MetricSources.prometheus({ url, scrapeInterval: "off" })))
    }),
  )

  it.effect("scrapes in the background so that the first query already has a baseline", () =>
    Effect.gen(function* () {
      const { state, url, firstHit } = yield* exporter
      yield* Effect.gen(function* () {
        yield* Effect.promise(() => firstHit) // the layer's first scrape, at t=0
        state.text = aMinuteLater
        yield* TestClock.adjust("1 minute")
        assert.strictEqual((yield* query("requests")).value, 200)
      }).pipe(Effect.provide(Gate.MetricSources.prometheus({ url, scrapeInterval: "10s" })))
    }),
  )

  it.effect("fails with a MetricError that says what went wrong", () =>
    Effect.gen(function* () {
      const { state, url } = yield* exporter
      const source = Gate.MetricSources.prometheus({ url, scrapeInterval: "off" })
      state.status = 500
      const http500 = yield* Effect.flip(query("requests").pipe(Effect.provide(source)))
      assert.strictEqual(http500.message, `could not scrape ${url}: HTTP 500`)
      state.status = 200
      state.text = "slipway_requests_total{revision=} 1"
      const malformed = yield* Effect.flip(query("requests").pipe(Effect.provide(source)))
      assert.strictEqual(
        malformed.message,
        `${url} is not a Prometheus text exposition: line 1: expected a quoted value for label revision: slipway_requests_total{revision=} 1`,
      )
      const port = yield* closedPort
      const down = `http://127.0.0.1:${port}/metrics`
      const refused = yield* Effect.flip(
        query("requests").pipe(
          Effect.provide(Gate.MetricSources.prometheus({ url: down, scrapeInterval: "off" })),
        ),
      )
      assert.strictEqual(refused.message, `could not scrape ${down}: connection refused (ECONNREFUSED)`)
      assert.strictEqual(refused.query, down)
    }),
  )

  it("rejects a URL that is not one", () => {
    assert.throws(
      () => Gate.MetricSources.prometheus({ url: "localhost:9464" }),
      /url "localhost:9464" is not an absolute http\(s\) URL/,
    )
  })
})

describe("MetricSources.layerMemory", () => {
  it.effect("derives the standard metrics from recorded requests in the window", () =>
    Effect.gen(function* () {
      const m = yield* Gate.MetricSources.MemoryMetrics
      yield* m.recordRequests(candidate.id, [
        { status: 200, latency: 10 },
        { status: 200, latency: 20 },
        { status: 503, latency: 30 },
        { status: 404, latency: Number.NaN },
      ])
      assert.strictEqual((yield* query("requests")).value, 4)
      assert.strictEqual((yield* query("errors")).value, 1)
      assert.strictEqual((yield* query("error_rate")).value, 0.25)
      assert.strictEqual((yield* query("latency_p50")).value, 20)
      const latency = yield* query("latency")
      assert.deepStrictEqual(latency.samples, [10, 20, 30, Number.NaN])
      assert.strictEqual((yield* query("unknown_metric")).value, null)
      yield* TestClock.adjust("61 seconds")
      assert.strictEqual((yield* query("requests")).value, 0)
      assert.strictEqual((yield* query("error_rate")).value, null)
    }).pipe(Effect.provide(Gate.MetricSources.layerMemory())),
  )

  it.effect("starts from initial data, answers pushed series with their latest point, and clears", () =>
    Effect.gen(function* () {
      const m = yield* Gate.MetricSources.MemoryMetrics
      assert.strictEqual((yield* query("requests", 60_000, stable.id)).value, 1)
      const cpu = yield* query("cpu")
      assert.strictEqual(cpu.value, 0.5)
      assert.deepStrictEqual(cpu.samples, [0.2, 0.5])
      yield* m.clear(candidate.id)
      assert.strictEqual((yield* query("cpu")).value, null)
      assert.strictEqual((yield* query("requests", 60_000, stable.id)).value, 1)
    }).pipe(
      Effect.provide(
        Gate.MetricSources.layerMemory({
          [stable.id]: { requests: [{ status: 200, latency: 80 }] },
          [candidate.id]: { series: { cpu: [0.2, 0.5] } },
        }),
      ),
    ),
  )
})
