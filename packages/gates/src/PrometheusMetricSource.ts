/**
 * A `MetricSource` that reads a Prometheus text endpoint directly — Slipway's local
 * proxy, or any exporter using the same names — with no Prometheus server in between.
 * Counters only ever grow, so a rate over a window is the difference between the
 * current scrape and the scrape taken a window ago: the source keeps a short history of
 * scrapes (scraping in the background, and again whenever it is queried) and answers
 * from it. Counter resets (a restarted process) are handled as PromQL's `increase` does.
 */
import {
  type DurationInput,
  formatDuration,
  MetricError,
  type MetricName,
  type MetricQuery,
  type MetricResult,
  MetricSource,
} from "@slipway/core"
import { Clock, Effect, Layer, Option, Result, Schedule, Semaphore } from "effect"
import { request } from "undici"
import { GateConfigError } from "./GateConfigError.ts"
import { describeNetworkError } from "./internal/network.ts"
import { countOption, isHttpUrl, positiveDurationOption } from "./internal/options.ts"
import { metricNames } from "./MetricNames.ts"
import {
  type HistogramBucket,
  histogramQuantile,
  type PrometheusMetricType,
  type PrometheusSample,
  parsePrometheusText,
} from "./Prometheus.ts"

/**
 * Options of {@link prometheus}.
 *
 * @example
 * import { MetricSources } from "@slipway/gates"
 * const layer = MetricSources.prometheus({
 *   url: "http://10.0.3.7:9100/metrics",
 *   revisionLabel: "version",
 *   scrapeInterval: "15s",
 *   headers: { authorization: `Bearer ${process.env.METRICS_TOKEN}` },
 * })
 */
export interface PrometheusSourceOptions {
  /** The exposition endpoint, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string
  /** Label naming the revision (default `revision`). */
  readonly revisionLabel?: string
  /** When set, series must also carry this label equal to the query's app. */
  readonly appLabel?: string
  /** Request counter (default `slipway_requests_total`, with a `status_class` label). */
  readonly requestsMetric?: string
  /** Request duration histogram in seconds (default `slipway_request_duration_seconds`). */
  readonly durationMetric?: string
  /** Background scrape interval (default `"10s"`), or `"off"` to scrape only when queried. */
  readonly scrapeInterval?: DurationInput | "off"
  /** Longest wait for one scrape (default `"5s"`). */
  readonly timeout?: DurationInput
  /** How far back scrapes are kept (default `"1h"`): the longest window that is answered in full. */
  readonly retention?: DurationInput
  /** Request headers, e.g. an authorization header for a protected endpoint. */
  readonly headers?: Readonly<Record<string, string>>
  /** Cap on the latency samples rebuilt from histogram buckets (default 10000; larger counts are scaled down). */
  readonly maxLatencySamples?: number
}

interface Snapshot {
  readonly at: number
  readonly samples: ReadonlyMap<string, ReadonlyArray<PrometheusSample>>
  readonly types: ReadonlyMap<string, PrometheusMetricType>
}

// Queries within this long of the last scrape reuse it: a gate reading three metrics
// should not scrape three times.
const FRESH_MS = 1_000
const PERCENTILE = /^latency_p(\d+(?:\.\d+)?)$/

const seriesKey = (labels: Readonly<Record<string, string>>): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

const selector = (name: string, labels: Readonly<Record<string, string>>): string =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`

/**
 * A `MetricSource` over a Prometheus text endpoint that exposes Slipway's request
 * metrics ({@link metricNames}): `requests`, `errors` and `error_rate` from
 * `slipway_requests_total{revision,status_class}`; `latency_pNN` from the duration
 * histogram by linear interpolation (as `histogram_quantile`); `latency` as samples
 * rebuilt from bucket counts (bucket midpoints, for Mann–Whitney); any other counter as
 * its increase over the window and any other gauge as its current sum.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * import { Effect } from "effect"
 * const metrics = Gate.MetricSources.prometheus({ url: "http://127.0.0.1:9464/metrics" })
 * // program.pipe(Effect.provide(metrics))
 */
export const prometheus = (options: PrometheusSourceOptions): Layer.Layer<MetricSource> => {
  const gate = "MetricSources.prometheus"
  if (!isHttpUrl(options.url)) {
    throw new GateConfigError({
      gate,
      field: "url",
      problem: `${JSON.stringify(options.url)} is not an absolute http(s) URL (e.g. "http://127.0.0.1:9464/metrics")`,
    })
  }
  const url = options.url
  const revisionLabel = options.revisionLabel ?? metricNames.labels.revision
  const appLabel = options.appLabel
  const requestsMetric = options.requestsMetric ?? metricNames.requests
  const durationMetric = options.durationMetric ?? metricNames.requestDuration
  const scrapeEvery =
    options.scrapeInterval === "off"
      ? undefined
      : positiveDurationOption(gate, "scrapeInterval", options.scrapeInterval ?? "10s")
  const timeoutMs = positiveDurationOption(gate, "timeout", options.timeout ?? "5s")
  const retentionMs = positiveDurationOption(gate, "retention", options.retention ?? "1h")
  const maxSamples = countOption(gate, "maxLatencySamples", options.maxLatencySamples ?? 10_000, 1)

  return Layer.effect(
    MetricSource,
    Effect.gen(function* () {
      const history: Array<Snapshot> = []
      const lock = yield* Semaphore.make(1)

      const fetchText = Effect.tryPromise({
        try: async (signal) => {
          const response = await request(url, {
            signal,
            headers: { accept: "text/plain;version=0.0.4", ...options.headers },
          })
          const text = await response.body.text()
          return { status: response.statusCode, text }
        },
        catch: (cause) =>
          new MetricError({
            query: url,
            message: `could not scrape ${url}: ${describeNetworkError(cause)}`,
            cause,
          }),
      }).pipe(
        Effect.timeoutOption(timeoutMs),
        Effect.flatMap(
          Option.match({
            onNone: () =>
              Effect.fail(
                new MetricError({
                  query: url,
                  message: `could not scrape ${url}: no response within ${formatDuration(timeoutMs)}`,
                }),
              ),
            onSome: Effect.succeed,
          }),
        ),
      )

      const scrape = Effect.gen(function* () {
        // Stamped when the request goes out: the counters describe that moment, however
        // long the response takes to arrive.
        const at = yield* Clock.currentTimeMillis
        const { status, text } = yield* fetchText
        if (status !== 200) {
          return yield* new MetricError({ query: url, message: `could not scrape ${url}: HTTP ${status}` })
        }
        const parsed = parsePrometheusText(text)
        if (Result.isFailure(parsed)) {
          return yield* new MetricError({
            query: url,
            message: `${url} is not a Prometheus text exposition: ${parsed.failure.message}`,
            cause: parsed.failure,
          })
        }
        const samples = new Map<string, Array<PrometheusSample>>()
        const types = new Map<string, PrometheusMetricType>()
        for (const family of parsed.success) {
          types.set(family.name, family.type)
          for (const sample of family.samples) {
            const list = samples.get(sample.name) ?? []
            list.push(sample)
            samples.set(sample.name, list)
          }
        }
        const snapshot: Snapshot = { at, samples, types }
        history.push(snapshot)
        // Keep everything inside retention plus the newest scrape before it, which is the
        // baseline of a window as long as the retention.
        const cutoff = at - retentionMs
        const firstInside = history.findIndex((s) => s.at >= cutoff)
        if (firstInside > 1) history.splice(0, firstInside - 1)
        return snapshot
      })

      const current = lock.withPermits(1)(
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const last = history.at(-1)
          return last !== undefined && now - last.at < FRESH_MS ? last : yield* scrape
        }),
      )

      if (scrapeEvery !== undefined) {
        // Background scrapes build the history that windows are measured against; a
        // failed scrape is only a gap in it (queries report their own failures).
        yield* lock
          .withPermits(1)(scrape)
          .pipe(Effect.ignore, Effect.repeat(Schedule.spaced(scrapeEvery)), Effect.forkScoped)
      }

      const answer = (query: MetricQuery, now: Snapshot): MetricResult => {
        const { metric, window } = query
        const match: Record<string, string> = { [revisionLabel]: query.revision }
        if (appLabel !== undefined) match[appLabel] = query.app
        const matches = (labels: Readonly<Record<string, string>>, extra: Record<string, string> = {}) =>
          Object.entries({ ...match, ...extra }).every(([k, v]) => labels[k] === v)
        const range = `[${formatDuration(window)}]`

        const older = history.filter((s) => s.at < now.at)
        const baseline = older.findLast((s) => s.at <= now.at - window) ?? older[0]
        const coverage =
          baseline === undefined
            ? " (no earlier scrape yet)"
            : now.at - baseline.at < window
              ? ` (history covers ${formatDuration(now.at - baseline.at)})`
              : ""
        const noData = (text: string): MetricResult => ({
          query: `${text} from ${url}${coverage}`,
          value: null,
          count: 0,
        })

        // Σ increase over the window of the matching series, treating a drop as a reset.
        const increase = (name: string, extra: Record<string, string> = {}): number => {
          if (baseline === undefined) return 0
          const before = new Map(
            (baseline.samples.get(name) ?? [])
              .filter((s) => matches(s.labels, extra))
              .map((s) => [seriesKey(s.labels), s.value]),
          )
          let total = 0
          for (const sample of now.samples.get(name) ?? []) {
            if (!matches(sample.labels, extra)) continue
            const previous = before.get(seriesKey(sample.labels)) ?? 0
            total += sample.value >= previous ? sample.value - previous : sample.value
          }
          return total
        }
        const bucketIncreases = (): Array<HistogramBucket> => {
          const byBound = new Map<number, number>()
          for (const sample of now.samples.get(`${durationMetric}_bucket`) ?? []) {
            if (!matches(sample.labels)) continue
            const le = sample.labels[metricNames.labels.le]
            if (le === undefined) continue
            const upperBound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le)
            if (Number.isNaN(upperBound) || byBound.has(upperBound)) continue
            byBound.set(upperBound, increase(`${durationMetric}_bucket`, { [metricNames.labels.le]: le }))
          }
          return [...byBound].map(([upperBound, count]) => ({ upperBound, count }))
        }

        const requestsQuery = `sum(increase(${selector(requestsMetric, match)}${range}))`
        const errorsQuery = `sum(increase(${selector(requestsMetric, { ...match, status_class: "5xx" })}${range}))`
        const bucketsQuery = `sum by (le) (increase(${selector(`${durationMetric}_bucket`, match)}${range}))`
        const percentile = PERCENTILE.exec(metric)

        if (percentile) {
          const q = Number(percentile[1]) / 100
          const text = `histogram_quantile(${q}, ${bucketsQuery}) * 1000`
          if (baseline === undefined) return noData(text)
          const buckets = bucketIncreases()
          const count = buckets.find((b) => b.upperBound === Number.POSITIVE_INFINITY)?.count ?? 0
          const seconds = histogramQuantile(q, buckets)
          return {
            query: `${text} from ${url}${coverage}`,
            value: count === 0 || Number.isNaN(seconds) ? null : seconds * 1000,
            count,
          }
        }
        switch (metric as MetricName) {
          case "requests": {
            if (baseline === undefined) return noData(requestsQuery)
            const requests = increase(requestsMetric)
            return { query: `${requestsQuery} from ${url}${coverage}`, value: requests, count: requests }
          }
          case "errors": {
            if (baseline === undefined) return noData(errorsQuery)
            return {
              query: `${errorsQuery} from ${url}${coverage}`,
              value: increase(requestsMetric, { status_class: "5xx" }),
              count: increase(requestsMetric),
            }
          }
          case "error_rate": {
            const text = `${errorsQuery} / ${requestsQuery}`
            if (baseline === undefined) return noData(text)
            const requests = increase(requestsMetric)
            const errors = increase(requestsMetric, { status_class: "5xx" })
            return {
              query: `${text} from ${url}${coverage}`,
              value: requests === 0 ? null : errors / requests,
              count: requests,
            }
          }
          case "latency": {
            const text = `${bucketsQuery} as samples at bucket midpoints (ms)`
            if (baseline === undefined) return noData(text)
            const samples = samplesFromBuckets(bucketIncreases(), maxSamples)
            const count = samples.length
            const sorted = [...samples].sort((a, b) => a - b)
            return {
              query: `${text} from ${url}${coverage}`,
              value: count === 0 ? null : sorted[Math.floor((count - 1) / 2)]!,
              count,
              samples,
            }
          }
        }
        // Any other metric: a counter's increase, or a gauge's current sum.
        const series = (now.samples.get(metric) ?? []).filter((s) => matches(s.labels))
        if (series.length === 0) return noData(selector(metric, match))
        const type = now.types.get(metric) ?? now.types.get(metric.replace(/_total$/, ""))
        if (type === "counter" || metric.endsWith("_total")) {
          const text = `sum(increase(${selector(metric, match)}${range}))`
          if (baseline === undefined) return noData(text)
          return { query: `${text} from ${url}${coverage}`, value: increase(metric), count: series.length }
        }
        return {
          query: `sum(${selector(metric, match)}) from ${url}`,
          value: series.reduce((sum, s) => sum + s.value, 0),
          count: series.length,
          samples: series.map((s) => s.value),
        }
      }

      return MetricSource.of({
        query: (query) => Effect.map(current, (snapshot) => answer(query, snapshot)),
      })
    }),
  )
}

/**
 * Rebuilds latency samples (ms) from per-bucket counts: each observation is placed at
 * its bucket's midpoint (the +Inf bucket's at its lower bound). Observations in one
 * bucket tie, which the tie-corrected Mann–Whitney test accounts for. Above `max`
 * samples, counts are scaled down proportionally (every non-empty bucket keeps ≥ 1).
 */
const samplesFromBuckets = (cumulative: ReadonlyArray<HistogramBucket>, max: number): Array<number> => {
  const sorted = [...cumulative].sort((a, b) => a.upperBound - b.upperBound)
  const total = Math.max(0, ...sorted.map((b) => b.count))
  const scale = total > max ? max / total : 1
  const samples: Array<number> = []
  let previousBound = 0
  let previousCount = 0
  for (const bucket of sorted) {
    const count = Math.max(0, bucket.count - previousCount)
    const lower = previousBound
    const at = bucket.upperBound === Number.POSITIVE_INFINITY ? lower : (lower + bucket.upperBound) / 2
    const n = count === 0 ? 0 : Math.max(1, Math.round(count * scale))
    // In whole microseconds, so 0.075 s reads as 75 ms rather than 75.00000000000001.
    const ms = Math.round(at * 1e6) / 1e3
    for (let i = 0; i < n; i++) samples.push(ms)
    previousBound = bucket.upperBound
    previousCount = Math.max(previousCount, bucket.count)
  }
  return samples
}
