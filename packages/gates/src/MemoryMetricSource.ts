/**
 * An in-memory `MetricSource` with a handle to feed it: what tests (and the
 * `@slipway/testing` layers) use to play a rollout's traffic without a proxy. Requests
 * recorded per revision give the standard metrics; series pushed per metric give
 * anything else, or override a standard one.
 */
import { formatDuration, type MetricName, type MetricResult, MetricSource } from "@slipway/core"
import { Clock, Context, Effect, Layer } from "effect"
import { quantile } from "./Statistics.ts"

/**
 * One request a revision served.
 *
 * @example
 * import type { MetricSources } from "@slipway/gates"
 * const served: MetricSources.RecordedRequest = { status: 200, latency: 42 }
 */
export interface RecordedRequest {
  readonly status: number
  /** Milliseconds. */
  readonly latency: number
}

/**
 * What a revision starts with in {@link layerMemory}.
 *
 * @example
 * import { MetricSources } from "@slipway/gates"
 * const layer = MetricSources.layerMemory({ "api-1": { requests: [{ status: 200, latency: 42 }], series: { cpu: [0.3] } } })
 */
export interface MemoryRevisionData {
  readonly requests?: ReadonlyArray<RecordedRequest>
  /** Data points by metric name (e.g. `{ latency: [120, 130, Number.NaN] }`, `{ cpu: [0.4] }`). */
  readonly series?: Readonly<Record<string, ReadonlyArray<number>>>
}

/**
 * The handle of {@link layerMemory}: records what revisions did. Everything is stamped
 * with effect's Clock, so `TestClock.adjust` moves data in and out of windows.
 *
 * @example
 * import { MetricSources } from "@slipway/gates"
 * import { Effect } from "effect"
 * const traffic = Effect.gen(function* () {
 *   const metrics = yield* MetricSources.MemoryMetrics
 *   yield* metrics.recordRequests("api-2", [{ status: 200, latency: 41 }, { status: 503, latency: 12 }])
 *   yield* metrics.push("api-2", "cpu", [0.42])
 * })
 */
export class MemoryMetrics extends Context.Service<
  MemoryMetrics,
  {
    /** Requests the revision served now. */
    readonly recordRequests: (
      revision: string,
      requests: ReadonlyArray<RecordedRequest>,
    ) => Effect.Effect<void>
    /** Data points for any metric, now. Points pushed for a standard metric take precedence over requests. */
    readonly push: (
      revision: string,
      metric: MetricName,
      values: ReadonlyArray<number>,
    ) => Effect.Effect<void>
    /** Forgets everything about one revision, or about all. */
    readonly clear: (revision?: string) => Effect.Effect<void>
  }
>()("@slipway/gates/MemoryMetrics") {}

interface Stamped<A> {
  readonly at: number
  readonly value: A
}

interface RevisionStore {
  readonly requests: Array<Stamped<RecordedRequest>>
  readonly series: Map<string, Array<Stamped<number>>>
}

const PERCENTILE = /^latency_p(\d+(?:\.\d+)?)$/

// What a window of recorded requests says about a standard metric.
const fromRequests = (
  metric: MetricName,
  requests: ReadonlyArray<RecordedRequest>,
): Omit<MetricResult, "query"> | undefined => {
  const count = requests.length
  const errors = requests.filter((r) => r.status >= 500).length
  const latencies = requests.map((r) => r.latency)
  const sorted = latencies.filter(Number.isFinite).sort((a, b) => a - b)
  const percentile = PERCENTILE.exec(metric)
  if (percentile) {
    return {
      value: sorted.length === 0 ? null : quantile(sorted, Number(percentile[1]) / 100),
      count: sorted.length,
    }
  }
  switch (metric) {
    case "requests":
      return { value: count, count }
    case "errors":
      return { value: errors, count }
    case "error_rate":
      return { value: count === 0 ? null : errors / count, count }
    case "latency":
      return { value: sorted.length === 0 ? null : quantile(sorted, 0.5), count, samples: latencies }
    default:
      return undefined
  }
}

/**
 * An in-memory `MetricSource`, plus the {@link MemoryMetrics} handle that feeds it.
 * Standard metrics come from recorded requests in the window: `requests`, `errors`
 * (5xx), `error_rate`, `latency_pNN` (linear interpolation) and `latency` (raw samples,
 * median as value). A metric with pushed points answers with the latest point in the
 * window as value and all of them as samples. Nothing in the window: `value: null`
 * (0 for `requests` and `errors`).
 *
 * @example
 * import { MetricSources } from "@slipway/gates"
 * const layer = MetricSources.layerMemory({
 *   "api-1": { requests: [{ status: 200, latency: 80 }] },
 *   "api-2": { series: { latency: [91, 95, 102] } },
 * })
 */
export const layerMemory = (
  initial: Readonly<Record<string, MemoryRevisionData>> = {},
): Layer.Layer<MetricSource | MemoryMetrics> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const revisions = new Map<string, RevisionStore>()
      const store = (revision: string): RevisionStore => {
        let found = revisions.get(revision)
        if (found === undefined) {
          found = { requests: [], series: new Map() }
          revisions.set(revision, found)
        }
        return found
      }
      const recordRequests = (revision: string, requests: ReadonlyArray<RecordedRequest>) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) =>
          Effect.sync(() => {
            store(revision).requests.push(...requests.map((value) => ({ at, value })))
          }),
        )
      const push = (revision: string, metric: MetricName, values: ReadonlyArray<number>) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) =>
          Effect.sync(() => {
            const series = store(revision).series
            const points = series.get(metric) ?? []
            points.push(...values.map((value) => ({ at, value })))
            series.set(metric, points)
          }),
        )
      for (const [revision, data] of Object.entries(initial)) {
        yield* recordRequests(revision, data.requests ?? [])
        for (const [metric, values] of Object.entries(data.series ?? {}))
          yield* push(revision, metric, values)
      }

      const source = MetricSource.of({
        query: ({ app, revision, metric, window }) =>
          Effect.map(Clock.currentTimeMillis, (now): MetricResult => {
            const query = `memory:${metric}{app="${app}",revision="${revision}"}[${formatDuration(window)}]`
            const inWindow = <A>(points: ReadonlyArray<Stamped<A>>) =>
              points.filter((p) => p.at > now - window && p.at <= now).map((p) => p.value)
            const data = revisions.get(revision)
            const points = inWindow(data?.series.get(metric) ?? [])
            if (points.length > 0) {
              return { query, value: points.at(-1)!, count: points.length, samples: points }
            }
            const derived = fromRequests(metric, inWindow(data?.requests ?? []))
            return { query, ...(derived ?? { value: null, count: 0 }) }
          }),
      })
      const handle = MemoryMetrics.of({
        recordRequests,
        push,
        clear: (revision) =>
          Effect.sync(() => {
            if (revision === undefined) revisions.clear()
            else revisions.delete(revision)
          }),
      })
      return Context.make(MetricSource, source).pipe(Context.add(MemoryMetrics, handle))
    }),
  )
