import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { histogramQuantile, metricNames, parsePrometheusText } from "../src/index.ts"

// What the local proxy serves, plus the kinds of lines other exporters add.
const exposition = `# HELP slipway_requests_total Responses by revision and status class.
# TYPE slipway_requests_total counter
slipway_requests_total{app="api",revision="api-3f9c2a7b1d0e",status_class="2xx"} 1027
slipway_requests_total{app="api",revision="api-3f9c2a7b1d0e",status_class="5xx"} 3
slipway_requests_total{app="api",revision="api-81ab00c2d4e5",status_class="2xx"} 9120 1732240800000
# HELP slipway_request_duration_seconds Time to response headers.
# TYPE slipway_request_duration_seconds histogram
slipway_request_duration_seconds_bucket{app="api",revision="api-3f9c2a7b1d0e",le="0.05"} 10
slipway_request_duration_seconds_bucket{app="api",revision="api-3f9c2a7b1d0e",le="0.1"} 40
slipway_request_duration_seconds_bucket{app="api",revision="api-3f9c2a7b1d0e",le="0.25"} 90
slipway_request_duration_seconds_bucket{app="api",revision="api-3f9c2a7b1d0e",le="0.5"} 98
slipway_request_duration_seconds_bucket{app="api",revision="api-3f9c2a7b1d0e",le="1"} 100
slipway_request_duration_seconds_bucket{app="api",revision="api-3f9c2a7b1d0e",le="+Inf"} 100
slipway_request_duration_seconds_sum{app="api",revision="api-3f9c2a7b1d0e"} 14.2
slipway_request_duration_seconds_count{app="api",revision="api-3f9c2a7b1d0e"} 100

# a free-form comment
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 4.5613056e+07
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.99"} NaN
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
build_info{version="2.4.1",path="C:\\\\srv\\\\api",note="line\\nbreak \\"quoted\\"",} 1
temperature_celsius -Inf
`

describe("parsePrometheusText", () => {
  const families = Result.getOrThrow(parsePrometheusText(exposition))
  const family = (name: string) => families.find((f) => f.name === name)

  it("groups samples into families with their declared type and help", () => {
    assert.deepStrictEqual(
      families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ["slipway_requests_total", "counter", 3],
        ["slipway_request_duration_seconds", "histogram", 8],
        ["process_resident_memory_bytes", "gauge", 1],
        ["rpc_duration_seconds", "summary", 3],
        ["build_info", "untyped", 1],
        ["temperature_celsius", "untyped", 1],
      ],
    )
    assert.strictEqual(family("slipway_requests_total")?.help, "Responses by revision and status class.")
  })

  it("reads labels, values and timestamps", () => {
    const requests = family("slipway_requests_total")!.samples
    assert.deepStrictEqual(requests[1], {
      name: "slipway_requests_total",
      labels: { app: "api", revision: "api-3f9c2a7b1d0e", status_class: "5xx" },
      value: 3,
    })
    assert.strictEqual(requests[2]?.timestamp, 1732240800000)
    assert.strictEqual(family("process_resident_memory_bytes")?.samples[0]?.value, 45_613_056)
  })

  it("puts a histogram's _bucket, _sum and _count under one family, +Inf included", () => {
    const samples = family("slipway_request_duration_seconds")!.samples
    assert.deepStrictEqual(
      samples.filter((s) => s.name.endsWith("_bucket")).map((s) => s.labels.le),
      ["0.05", "0.1", "0.25", "0.5", "1", "+Inf"],
    )
    assert.strictEqual(samples.find((s) => s.name.endsWith("_sum"))?.value, 14.2)
    assert.strictEqual(samples.find((s) => s.name.endsWith("_count"))?.value, 100)
  })

  it("unescapes label values and accepts a trailing comma, NaN and infinities", () => {
    assert.deepStrictEqual(family("build_info")?.samples[0]?.labels, {
      version: "2.4.1",
      path: "C:\\srv\\api",
      note: 'line\nbreak "quoted"',
    })
    assert.isNaN(family("rpc_duration_seconds")?.samples[0]?.value ?? 0)
    assert.strictEqual(family("temperature_celsius")?.samples[0]?.value, Number.NEGATIVE_INFINITY)
  })

  it("reports the line and what is wrong with it", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['up{job="api" 1', 'line 1: label set is not closed with "}"'],
      ["ok 1\nup{job=api} 1", "line 2: expected a quoted value for label job"],
      ["up one", 'line 1: "one" is not a number'],
      ["up", "line 1: missing value"],
      ["up 1 2 3", "line 1: unexpected text after the value and timestamp"],
      ['up{a="1",a="2"} 1', "line 1: label a appears twice"],
      ["# TYPE up countr", 'line 1: unknown metric type "countr"'],
      ["1up 1", "line 1: expected a metric name"],
    ]
    for (const [text, message] of cases) {
      const parsed = parsePrometheusText(text)
      assert.isTrue(Result.isFailure(parsed), text)
      if (Result.isFailure(parsed))
        assert.strictEqual(parsed.failure.message.slice(0, message.length), message)
    }
  })

  it("reads the names metricNames declares", () => {
    assert.isDefined(family(metricNames.requests))
    assert.isDefined(family(metricNames.requestDuration))
  })
})

describe("histogramQuantile", () => {
  // The exposition's histogram: cumulative 10, 40, 90, 98, 100, 100 at le 0.05 … +Inf.
  const buckets = [
    { upperBound: 0.05, count: 10 },
    { upperBound: 0.1, count: 40 },
    { upperBound: 0.25, count: 90 },
    { upperBound: 0.5, count: 98 },
    { upperBound: 1, count: 100 },
    { upperBound: Number.POSITIVE_INFINITY, count: 100 },
  ]

  it("interpolates inside the bucket the rank falls in (hand-computed)", () => {
    // p50: rank 50 → bucket (0.1, 0.25] holding 50; 10 into it → 0.1 + 0.15 × 10/50
    assert.approximately(histogramQuantile(0.5, buckets), 0.13, 1e-12)
    // p95: rank 95 → bucket (0.25, 0.5] holding 8; 5 into it → 0.25 + 0.25 × 5/8
    assert.approximately(histogramQuantile(0.95, buckets), 0.40625, 1e-12)
    // p99: rank 99 → bucket (0.5, 1] holding 2; 1 into it → 0.75
    assert.approximately(histogramQuantile(0.99, buckets), 0.75, 1e-12)
    // p5: rank 5 → first bucket, interpolated from 0 → 0.05 × 5/10
    assert.approximately(histogramQuantile(0.05, buckets), 0.025, 1e-12)
  })

  it("accepts buckets in any order", () => {
    assert.approximately(histogramQuantile(0.5, [...buckets].reverse()), 0.13, 1e-12)
  })

  it("returns the highest finite bound when the rank falls in +Inf", () => {
    const slow = [
      { upperBound: 0.1, count: 0 },
      { upperBound: 1, count: 2 },
      { upperBound: Number.POSITIVE_INFINITY, count: 10 },
    ]
    assert.strictEqual(histogramQuantile(0.5, slow), 1)
  })

  it("adds repeated bounds (several series) and raises decreasing counts", () => {
    const twoSeries = [
      { upperBound: 0.1, count: 5 },
      { upperBound: 0.1, count: 5 },
      { upperBound: Number.POSITIVE_INFINITY, count: 10 },
      { upperBound: Number.POSITIVE_INFINITY, count: 10 },
    ]
    // rank 10 of 20 → all of the first bucket → 0.1
    assert.strictEqual(histogramQuantile(0.5, twoSeries), 0.1)
    const jittery = [
      { upperBound: 0.1, count: 50 },
      { upperBound: 0.2, count: 45 },
      { upperBound: Number.POSITIVE_INFINITY, count: 100 },
    ]
    assert.strictEqual(histogramQuantile(0.5, jittery), 0.1)
  })

  it("is NaN without +Inf or observations, and infinite outside 0 ≤ q ≤ 1", () => {
    assert.isNaN(histogramQuantile(0.5, [{ upperBound: 0.1, count: 1 }]))
    assert.isNaN(
      histogramQuantile(0.5, [
        { upperBound: 0.1, count: 0 },
        { upperBound: Number.POSITIVE_INFINITY, count: 0 },
      ]),
    )
    assert.strictEqual(histogramQuantile(-1, buckets), Number.NEGATIVE_INFINITY)
    assert.strictEqual(histogramQuantile(2, buckets), Number.POSITIVE_INFINITY)
  })
})
