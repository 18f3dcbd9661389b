/**
 * Per-revision request metrics recorded by the weighted proxy: lifetime counters and a
 * latency histogram (for Prometheus), plus a sliding window of per-second buckets and a
 * bounded ring of recent latency samples (for gates that ask "error rate over the last
 * 30 s" or compare latency distributions). Everything is bounded: memory per revision
 * does not grow with traffic.
 */
import type { MetricQuery, MetricResult } from "@slipway/core"
import { metricNames } from "@slipway/gates"

/**
 * Upper bounds (ms) of the latency histogram buckets; a final `+Inf` bucket follows.
 * They are `metricNames.durationBuckets` from `@slipway/gates` (the definition the
 * Prometheus gate source reads), so the proxy and the gates cannot drift apart.
 *
 * @example
 * import { LATENCY_BUCKETS_MS } from "@slipway/local"
 * LATENCY_BUCKETS_MS.at(-1) // 10000
 */
export const LATENCY_BUCKETS_MS: ReadonlyArray<number> = metricNames.durationBuckets.map(
  (s) => Math.round(s * 1_000_000) / 1000,
)

/**
 * How far back windowed queries can look: per-second buckets over the last 5 minutes.
 *
 * @example
 * import { WINDOW_RETENTION_MS } from "@slipway/local"
 * Math.min(600_000, WINDOW_RETENTION_MS) // a 10-minute query reads 5 minutes
 */
export const WINDOW_RETENTION_MS = 300_000

/**
 * Recent latency samples kept per revision for percentiles and statistical gates.
 *
 * @example
 * import { DEFAULT_SAMPLE_CAPACITY, ProxyMetrics } from "@slipway/local"
 * new ProxyMetrics({ sampleCapacity: DEFAULT_SAMPLE_CAPACITY * 2 })
 */
export const DEFAULT_SAMPLE_CAPACITY = 10_000

const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const

/** A response status class, as used in the `status_class` label. */
export type StatusClass = (typeof STATUS_CLASSES)[number]

/**
 * The class of an HTTP status (`503` → `"5xx"`); anything outside 100–599 counts as `5xx`.
 *
 * @example
 * import { statusClass } from "@slipway/local"
 * statusClass(404) // "4xx"
 */
export const statusClass = (status: number): StatusClass => STATUS_CLASSES[statusIndex(status)]!

/** Index of a status's class in `STATUS_CLASSES`. */
const statusIndex = (status: number): number => {
  const index = Math.floor(status / 100) - 1
  return index >= 0 && index < STATUS_CLASSES.length ? index : STATUS_CLASSES.length - 1
}

/**
 * The `p`-quantile (0..1) of ascending `sorted` samples by the nearest-rank method, or
 * `null` when there are none.
 *
 * @example
 * import { percentile } from "@slipway/local"
 * percentile([10, 20, 30, 40], 0.5) // 20
 */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number | null => {
  if (sorted.length === 0) return null
  const rank = Math.max(1, Math.ceil(p * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]!
}

/** What a revision served within a look-back window. */
export interface WindowStats {
  readonly requests: number
  /** Responses with a 5xx status, including the proxy's own 502s. */
  readonly errors: number
  readonly statuses: Readonly<Record<StatusClass, number>>
  /** Latency samples (ms) in the window, oldest first (at most the ring's capacity). */
  readonly samples: ReadonlyArray<number>
  /** The window actually used (ms): the one asked for, capped at the retention. */
  readonly window: number
}

const SLOTS = WINDOW_RETENTION_MS / 1000

/**
 * Metrics of one revision. `record` is called once per finished request.
 *
 * @example
 * import { RevisionMetrics } from "@slipway/local"
 * const m = new RevisionMetrics("hello", "hello-3f9c2a7b1d0e")
 * m.record(200, 12.5, Date.now())
 * m.window(30_000, Date.now()).requests // 1
 */
export class RevisionMetrics {
  readonly app: string
  readonly revision: string
  /** Lifetime responses per status class (Prometheus counters). */
  readonly statusTotals: Record<StatusClass, number> = { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 }
  /** Lifetime histogram counts per bucket (not cumulative); the last entry is `+Inf`. */
  readonly bucketCounts: Array<number> = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0)
  /** Lifetime sum of latencies (ms). */
  latencySumMs = 0
  count = 0

  // The window: slot i holds second `slotSecond[i]` (epoch s), reused when the ring wraps.
  private readonly slotSecond = new Float64Array(SLOTS).fill(-1)
  private readonly slotStatuses = Array.from({ length: SLOTS }, () => new Uint32Array(STATUS_CLASSES.length))

  // The sample ring: time (epoch ms) and latency (ms) of the most recent requests.
  private readonly sampleAt: Float64Array
  private readonly sampleMs: Float64Array
  private sampleNext = 0
  private sampleSize = 0

  constructor(app: string, revision: string, sampleCapacity: number = DEFAULT_SAMPLE_CAPACITY) {
    this.app = app
    this.revision = revision
    this.sampleAt = new Float64Array(Math.max(1, sampleCapacity))
    this.sampleMs = new Float64Array(Math.max(1, sampleCapacity))
  }

  /**
   * Records one finished request: its status and latency (ms) at time `now` (epoch ms).
   * Called once per proxied request, so it only indexes preallocated arrays.
   */
  record(status: number, latencyMs: number, now: number): void {
    const classIndex = statusIndex(status)
    this.statusTotals[STATUS_CLASSES[classIndex]!] += 1
    // Most requests land in the first few buckets: a linear scan beats a binary search here.
    let bucket = 0
    while (bucket < LATENCY_BUCKETS_MS.length && latencyMs > LATENCY_BUCKETS_MS[bucket]!) bucket++
    this.bucketCounts[bucket]! += 1
    this.latencySumMs += latencyMs
    this.count += 1

    const second = Math.floor(now / 1000)
    const slot = second % SLOTS
    const counts = this.slotStatuses[slot]!
    if (this.slotSecond[slot] !== second) {
      this.slotSecond[slot] = second
      counts.fill(0)
    }
    counts[classIndex]! += 1

    const next = this.sampleNext
    this.sampleAt[next] = now
    this.sampleMs[next] = latencyMs
    this.sampleNext = next + 1 === this.sampleAt.length ? 0 : next + 1
    if (this.sampleSize < this.sampleAt.length) this.sampleSize += 1
  }

  /**
   * What was served in the last `windowMs` before `now`, at one-second granularity (the
   * oldest second counts whole). Windows longer than the retention are capped to it.
   */
  window(windowMs: number, now: number): WindowStats {
    const window = Math.min(Math.max(0, windowMs), WINDOW_RETENTION_MS)
    const from = Math.floor((now - window) / 1000)
    const to = Math.floor(now / 1000)
    const statuses: Record<StatusClass, number> = { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 }
    for (let slot = 0; slot < SLOTS; slot++) {
      const second = this.slotSecond[slot]!
      if (second < from || second > to) continue
      const counts = this.slotStatuses[slot]!
      STATUS_CLASSES.forEach((cls, i) => {
        statuses[cls] += counts[i]!
      })
    }
    const requests = STATUS_CLASSES.reduce((sum, cls) => sum + statuses[cls], 0)

    const samples: Array<number> = []
    const capacity = this.sampleAt.length
    const oldest = (this.sampleNext - this.sampleSize + capacity) % capacity
    for (let i = 0; i < this.sampleSize; i++) {
      const at = (oldest + i) % capacity
      if (this.sampleAt[at]! >= now - window && this.sampleAt[at]! <= now) samples.push(this.sampleMs[at]!)
    }
    return { requests, errors: statuses["5xx"], statuses, samples, window }
  }
}

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

const formatSeconds = (ms: number): string => String(Math.round(ms * 1000) / 1_000_000)

/**
 * Metric names a `MetricQuery` may ask the proxy for.
 *
 * @example
 * import { PROXY_METRIC_NAMES } from "@slipway/local"
 * PROXY_METRIC_NAMES.includes("error_rate") // true
 */
export const PROXY_METRIC_NAMES: ReadonlyArray<string> = [
  "requests",
  "errors",
  "error_rate",
  "latency_p50",
  "latency_p90",
  "latency_p95",
  "latency_p99",
  "latency_mean",
  "latency",
  "rps",
]

const QUANTILES: Readonly<Record<string, number>> = {
  latency_p50: 0.5,
  latency_p90: 0.9,
  latency_p95: 0.95,
  latency_p99: 0.99,
}

/**
 * All revisions' metrics, keyed by revision id.
 *
 * @example
 * import { ProxyMetrics } from "@slipway/local"
 * const metrics = new ProxyMetrics()
 * metrics.record("hello", "hello-3f9c2a7b1d0e", 503, 8)
 * metrics.query({ app: "hello", revision: "hello-3f9c2a7b1d0e", metric: "error_rate", window: 30_000 }).value // 1
 */
export class ProxyMetrics {
  private readonly revisions = new Map<string, RevisionMetrics>()
  private readonly sampleCapacity: number
  /** The clock every record and query reads (epoch ms); injectable for tests. */
  readonly now: () => number

  constructor(options: { readonly now?: () => number; readonly sampleCapacity?: number } = {}) {
    this.now = options.now ?? Date.now
    this.sampleCapacity = options.sampleCapacity ?? DEFAULT_SAMPLE_CAPACITY
  }

  /** Records one finished request of `revision`. */
  record(app: string, revision: string, status: number, latencyMs: number): void {
    let metrics = this.revisions.get(revision)
    if (metrics === undefined) {
      metrics = new RevisionMetrics(app, revision, this.sampleCapacity)
      this.revisions.set(revision, metrics)
    }
    metrics.record(status, latencyMs, this.now())
  }

  /** The metrics of one revision, if it ever served a request. */
  get(revision: string): RevisionMetrics | undefined {
    return this.revisions.get(revision)
  }

  /** Every revision that served a request, in first-seen order. */
  all(): ReadonlyArray<RevisionMetrics> {
    return [...this.revisions.values()]
  }

  /**
   * Answers a gate's query from the sliding window. A revision with no traffic yet gives
   * `count: 0` and `value: null` (or 0 for counts), never an error: "no data" is for the
   * gate to judge. Returns `undefined` for a metric name the proxy does not know.
   */
  query(query: MetricQuery): MetricResult | undefined {
    const window = Math.min(Math.max(0, query.window), WINDOW_RETENTION_MS)
    const capped =
      query.window > WINDOW_RETENTION_MS ? ` (capped at ${WINDOW_RETENTION_MS / 1000}s retention)` : ""
    const text = `${query.metric}{app="${escapeLabel(query.app)}",revision="${escapeLabel(query.revision)}"}[${window / 1000}s]${capped}`
    if (!PROXY_METRIC_NAMES.includes(query.metric)) return undefined
    const metrics = this.revisions.get(query.revision)
    const stats = metrics?.window(window, this.now())
    const requests = stats?.requests ?? 0
    const errors = stats?.errors ?? 0
    const samples = stats?.samples ?? []
    switch (query.metric) {
      case "requests":
        return { query: text, value: requests, count: requests }
      case "errors":
        return { query: text, value: errors, count: requests }
      case "error_rate":
        return { query: text, value: requests === 0 ? null : errors / requests, count: requests }
      case "rps":
        return { query: text, value: window === 0 ? null : requests / (window / 1000), count: requests }
      case "latency_mean":
        return {
          query: text,
          value: samples.length === 0 ? null : samples.reduce((a, b) => a + b, 0) / samples.length,
          count: samples.length,
        }
      case "latency":
        return {
          query: text,
          value: samples.length === 0 ? null : samples.reduce((a, b) => a + b, 0) / samples.length,
          count: samples.length,
          samples,
        }
      default: {
        const sorted = [...samples].sort((a, b) => a - b)
        return { query: text, value: percentile(sorted, QUANTILES[query.metric]!), count: sorted.length }
      }
    }
  }

  /**
   * Prometheus text exposition (format 0.0.4) of the lifetime counters, named as
   * `metricNames` in `@slipway/gates` defines them:
   * `slipway_requests_total{app,revision,status_class}` and the
   * `slipway_request_duration_seconds` histogram (`_bucket{app,revision,le}`, `_sum`, `_count`).
   */
  toPrometheus(): string {
    const requests = metricNames.requests
    const duration = metricNames.requestDuration
    const lines: Array<string> = [
      `# HELP ${requests} Responses by revision and status class (requests the proxy could not deliver count as the 502 it answered).`,
      `# TYPE ${requests} counter`,
    ]
    const labelsOf = (m: RevisionMetrics) =>
      `app="${escapeLabel(m.app)}",revision="${escapeLabel(m.revision)}"`
    for (const m of this.revisions.values()) {
      for (const cls of STATUS_CLASSES) {
        if (cls === "1xx" && m.statusTotals[cls] === 0) continue
        lines.push(`${requests}{${labelsOf(m)},status_class="${cls}"} ${m.statusTotals[cls]}`)
      }
    }
    lines.push(
      `# HELP ${duration} Time from receiving a request to the upstream's response headers.`,
      `# TYPE ${duration} histogram`,
    )
    for (const m of this.revisions.values()) {
      const labels = labelsOf(m)
      let cumulative = 0
      LATENCY_BUCKETS_MS.forEach((le, i) => {
        cumulative += m.bucketCounts[i]!
        lines.push(`${duration}_bucket{${labels},le="${formatSeconds(le)}"} ${cumulative}`)
      })
      cumulative += m.bucketCounts[LATENCY_BUCKETS_MS.length]!
      lines.push(`${duration}_bucket{${labels},le="+Inf"} ${cumulative}`)
      lines.push(`${duration}_sum{${labels}} ${m.latencySumMs / 1000}`)
      lines.push(`${duration}_count{${labels}} ${m.count}`)
    }
    return `${lines.join("\n")}\n`
  }
}

/**
 * Escapes a Prometheus label value (backslash, double quote, newline).
 *
 * @example
 * import { prometheusLabel } from "@slipway/local"
 * prometheusLabel('say "hi"') // 'say \\"hi\\"'
 */
export const prometheusLabel = escapeLabel
