import { assert, describe, it } from "@effect/vitest"
import { metricNames } from "@slipway/gates"
import { LATENCY_BUCKETS_MS, ProxyMetrics, percentile, statusClass } from "../src/ProxyMetrics.ts"
import { parsePrometheus } from "./support.ts"

const clock = (start: number) => {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe("ProxyMetrics", () => {
  it("classifies statuses, with anything unknown counted as a server error", () => {
    assert.deepStrictEqual([101, 204, 304, 404, 502, 999, 0].map(statusClass), [
      "1xx",
      "2xx",
      "3xx",
      "4xx",
      "5xx",
      "5xx",
      "5xx",
    ])
  })

  it("computes nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1)
    assert.strictEqual(percentile(sorted, 0.5), 50)
    assert.strictEqual(percentile(sorted, 0.95), 95)
    assert.strictEqual(percentile(sorted, 0.99), 99)
    assert.strictEqual(percentile([7], 0.99), 7)
    assert.isNull(percentile([], 0.5))
  })

  it("answers error rate and percentiles over a sliding window", () => {
    const time = clock(1_700_000_000_000)
    const metrics = new ProxyMetrics({ now: time.now })
    // Two minutes ago: 10 failures that a 30 s window must not see.
    for (let i = 0; i < 10; i++) metrics.record("hello", "hello-a", 500, 900)
    time.advance(120_000)
    for (let i = 1; i <= 100; i++) metrics.record("hello", "hello-a", i <= 4 ? 503 : 200, i)
    const q = (metric: string, window = 30_000) =>
      metrics.query({ app: "hello", revision: "hello-a", metric, window })!
    assert.deepStrictEqual([q("requests").value, q("errors").value, q("error_rate").value], [100, 4, 0.04])
    assert.deepStrictEqual(
      [q("latency_p50").value, q("latency_p95").value, q("latency_p99").value],
      [50, 95, 99],
    )
    assert.strictEqual(q("latency").samples?.length, 100)
    assert.strictEqual(q("error_rate").query, 'error_rate{app="hello",revision="hello-a"}[30s]')
    // The 3-minute window includes the old failures.
    assert.deepStrictEqual([q("requests", 180_000).value, q("errors", 180_000).value], [110, 14])
    assert.strictEqual(q("latency_p99", 180_000).value, 900)
    // Time passes: the window empties; no data is null, not zero.
    time.advance(60_000)
    assert.deepStrictEqual(
      [q("requests").value, q("error_rate").value, q("latency_p95").value],
      [0, null, null],
    )
  })

  it("caps windows at the 5-minute retention and says so in the query", () => {
    const time = clock(1_700_000_000_000)
    const metrics = new ProxyMetrics({ now: time.now })
    metrics.record("hello", "hello-a", 200, 3)
    time.advance(400_000)
    metrics.record("hello", "hello-a", 200, 3)
    const r = metrics.query({ app: "hello", revision: "hello-a", metric: "requests", window: 3_600_000 })!
    assert.strictEqual(r.value, 1)
    assert.include(r.query, "capped at 300s retention")
  })

  it("keeps a bounded ring of latency samples", () => {
    const time = clock(1_700_000_000_000)
    const metrics = new ProxyMetrics({ now: time.now, sampleCapacity: 50 })
    for (let i = 0; i < 120; i++) metrics.record("hello", "hello-a", 200, i)
    const r = metrics.query({ app: "hello", revision: "hello-a", metric: "latency", window: 60_000 })!
    assert.deepStrictEqual(
      r.samples,
      Array.from({ length: 50 }, (_, i) => 70 + i),
    )
    // Counts are not sampled: all 120 requests are there.
    assert.strictEqual(
      metrics.query({ app: "hello", revision: "hello-a", metric: "requests", window: 60_000 })!.value,
      120,
    )
  })

  it("reports a revision without traffic as no data, and unknown metrics as unknown", () => {
    const metrics = new ProxyMetrics()
    const r = metrics.query({ app: "hello", revision: "hello-new", metric: "error_rate", window: 30_000 })!
    assert.deepStrictEqual([r.value, r.count], [null, 0])
    assert.isUndefined(metrics.query({ app: "hello", revision: "hello-new", metric: "cpu", window: 30_000 }))
  })

  it("exposes counters and a cumulative histogram in Prometheus text", () => {
    const metrics = new ProxyMetrics()
    const latencies = [0.5, 3, 3, 40, 700, 9000]
    latencies.forEach((ms, i) => {
      metrics.record("hello", 'hello-"a"', i === 5 ? 502 : 200, ms)
    })
    const { samples, types } = parsePrometheus(metrics.toPrometheus())
    assert.strictEqual(types.slipway_requests_total, "counter")
    assert.strictEqual(types.slipway_request_duration_seconds, "histogram")
    const get = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value
    const revision = 'hello-"a"'
    assert.strictEqual(get("slipway_requests_total", { revision, status_class: "2xx" }), 5)
    assert.strictEqual(get("slipway_requests_total", { revision, status_class: "5xx" }), 1)
    assert.strictEqual(get("slipway_request_duration_seconds_bucket", { revision, le: "0.001" }), 1)
    assert.strictEqual(get("slipway_request_duration_seconds_bucket", { revision, le: "0.005" }), 3)
    assert.strictEqual(get("slipway_request_duration_seconds_bucket", { revision, le: "1" }), 5)
    assert.strictEqual(get("slipway_request_duration_seconds_bucket", { revision, le: "5" }), 5)
    assert.strictEqual(get("slipway_request_duration_seconds_bucket", { revision, le: "10" }), 6)
    assert.strictEqual(get("slipway_requests_total", { app: "hello", revision, status_class: "2xx" }), 5)
    assert.strictEqual(get("slipway_request_duration_seconds_bucket", { revision, le: "+Inf" }), 6)
    assert.strictEqual(get("slipway_request_duration_seconds_count", { revision }), 6)
    assert.closeTo(get("slipway_request_duration_seconds_sum", { revision })!, 9.7465, 1e-9)
    const buckets = samples.filter((s) => s.name === "slipway_request_duration_seconds_bucket")
    assert.strictEqual(buckets.length, LATENCY_BUCKETS_MS.length + 1)
    // The exact bounds the gates' Prometheus source expects.
    assert.deepStrictEqual(
      buckets.slice(0, -1).map((b) => Number(b.labels.le)),
      [...metricNames.durationBuckets],
    )
    for (let i = 1; i < buckets.length; i++) assert.isAtLeast(buckets[i]!.value, buckets[i - 1]!.value)
  })
})
