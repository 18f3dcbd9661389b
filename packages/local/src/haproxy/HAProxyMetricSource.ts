/**
 * core `MetricSource` for a host that already runs HAProxy: samples `show stat` of the
 * app's backend on an interval and answers a gate's windowed question from the change of
 * each server's counters between two samples — "5xx over the last 30 s" is the newest
 * sample minus the one taken 30 s before it, summed over the revision's servers.
 *
 * What HAProxy can and cannot tell. Response counts by status class (`hrsp_1xx`…`hrsp_5xx`,
 * `hrsp_other`) are exact counters, so `requests`, `errors`, `error_rate` and the counts by
 * class are as good as the local proxy's (at the sampling interval's resolution). Latency
 * is not: HAProxy keeps only averages (`rtime`, `ttime`) over each server's last 1024
 * requests, no histogram — so `latency_mean` is answered, honestly labelled, and every
 * percentile (`latency_p95` …) and the `latency` samples fail with a `MetricError` saying
 * so, which a gate reports as Inconclusive with that reason rather than passing.
 *
 * A counter that goes down means HAProxy restarted (a reload starts a new process with
 * counters at 0): the server's increase since the previous sample is then its current
 * value, as PromQL's `increase` does — never a negative count.
 */
import {
  type DurationInput,
  formatDuration,
  MetricError,
  type MetricQuery,
  type MetricResult,
  MetricSource,
  parseDuration,
} from "@slipway/core"
import { Clock, Effect, Layer, Schedule } from "effect"
import { checkBackend, type HAProxyBackend } from "./Backend.ts"
import { HAProxyConfigError, type StatRow } from "./HAProxyRuntime.ts"

/**
 * Metric names the HAProxy source answers: `requests`, `errors` (5xx), `error_rate`,
 * `requests_1xx` … `requests_5xx`, `requests_other` (HAProxy's `hrsp_other`: responses it
 * could not classify), `rps`, `latency_mean` (`rtime`: ms to the server's response) and
 * `total_time_mean` (`ttime`: ms of the whole request). Percentiles and `latency` are
 * refused with the reason (see the module comment).
 *
 * @example
 * import { HAProxyMetricSource } from "@slipway/local"
 * HAProxyMetricSource.METRIC_NAMES.includes("latency_p95") // false
 */
export const METRIC_NAMES: ReadonlyArray<string> = [
  "requests",
  "errors",
  "error_rate",
  "requests_1xx",
  "requests_2xx",
  "requests_3xx",
  "requests_4xx",
  "requests_5xx",
  "requests_other",
  "rps",
  "latency_mean",
  "total_time_mean",
]

/**
 * Options of {@link layer}: the backend and its slots (as for `HAProxyTrafficRouter`),
 * how often to sample and how long to keep samples.
 *
 * @example
 * import type { HAProxyMetricSource } from "@slipway/local"
 * const options: HAProxyMetricSource.HAProxyMetricOptions = {
 *   socket: "/run/haproxy/admin.sock",
 *   backend: "hello",
 *   servers: { "hello-3f9c2a7b1d0e": ["blue1"], "hello-9d41e0c2aa17": ["green1"] },
 *   interval: "5s",
 *   retention: "10m",
 * }
 */
export interface HAProxyMetricOptions extends HAProxyBackend {
  /** Sampling interval (default `"5s"`): the resolution of every window. */
  readonly interval?: DurationInput
  /** How long samples are kept (default `"10m"`): the longest window answered in full. */
  readonly retention?: DurationInput
}

const CLASSES = ["hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"] as const
type Counter = (typeof CLASSES)[number]
type Counters = Record<Counter, number>

const zero = (): Counters => ({
  hrsp_1xx: 0,
  hrsp_2xx: 0,
  hrsp_3xx: 0,
  hrsp_4xx: 0,
  hrsp_5xx: 0,
  hrsp_other: 0,
})
const total = (c: Counters): number => CLASSES.reduce((s, k) => s + c[k], 0)

/**
 * One server in one sample: the counters HAProxy reported, the same made monotonic across
 * restarts, and HAProxy's averages.
 */
interface ServerSample {
  readonly raw: Counters
  readonly counters: Counters
  readonly rtime: number
  readonly ttime: number
}

interface Snapshot {
  readonly at: number
  readonly servers: ReadonlyMap<string, ServerSample>
}

const PERCENTILE = /^latency_p\d+(?:\.\d+)?$/

const durationOption = (field: string, input: DurationInput): number => {
  const ms = parseDuration(input)
  if (ms === undefined || ms <= 0) {
    throw new HAProxyConfigError({ field, problem: `${JSON.stringify(input)} is not a positive duration` })
  }
  return ms
}

/**
 * `MetricSource` over an HAProxy backend's `show stat`, sampled every `interval` (the
 * first sample when the layer starts) into a bounded ring of snapshots per revision.
 * A revision with no requests in the window gives `count: 0` (and `null` for rates and
 * means); a window longer than the samples held says how much it covers; a failing
 * sample makes queries fail with HAProxy's error until a sample succeeds again, so a gate
 * never reads stale numbers as current. Throws `HAProxyConfigError` for a bad configuration.
 *
 * @example
 * import { MetricSource } from "@slipway/core"
 * import { HAProxyMetricSource } from "@slipway/local"
 * import { Effect } from "effect"
 * const metrics = HAProxyMetricSource.layer({
 *   socket: "/run/haproxy/admin.sock",
 *   backend: "hello",
 *   servers: { "hello-3f9c2a7b1d0e": ["blue1"], "hello-9d41e0c2aa17": ["green1"] },
 * })
 * const program = Effect.gen(function* () {
 *   const r = yield* (yield* MetricSource).query({
 *     app: "hello", revision: "hello-9d41e0c2aa17", metric: "error_rate", window: 30_000,
 *   })
 *   // r.value: 0.004, r.count: 1250
 * }).pipe(Effect.provide(metrics))
 */
export const layer = (options: HAProxyMetricOptions): Layer.Layer<MetricSource> => {
  const slots = checkBackend(options)
  const intervalMs = durationOption("interval", options.interval ?? "5s")
  const retentionMs = durationOption("retention", options.retention ?? "10m")
  const { runtime, backend, revisions, owner } = slots
  // Every snapshot inside retention, plus one older: the baseline of a full-length window.
  const capacity = Math.ceil(retentionMs / intervalMs) + 2

  return Layer.effect(
    MetricSource,
    Effect.gen(function* () {
      // Every mapped server in each sample; a revision's window reads its own servers.
      const ring: Array<Snapshot> = []
      let failure: string | undefined

      const record = (at: number, rows: ReadonlyArray<StatRow>) => {
        const byName = new Map(rows.map((row) => [row.svname, row]))
        const missing = [...owner.keys()].filter((s) => !byName.has(s))
        if (missing.length > 0) {
          throw new Error(`backend ${backend} has no server ${missing.join(", ")}`)
        }
        const last = ring.at(-1)?.servers
        const samples = new Map<string, ServerSample>()
        for (const server of owner.keys()) {
          const row = byName.get(server)!
          const raw = zero()
          for (const k of CLASSES) raw[k] = row[k]
          const before = last?.get(server)
          // No earlier sample, or any counter gone down (HAProxy restarted): counted from 0.
          const fromZero = before === undefined || CLASSES.some((k) => raw[k] < before.raw[k])
          const counters = zero()
          for (const k of CLASSES) {
            counters[k] = (before?.counters[k] ?? 0) + (fromZero ? raw[k] : raw[k] - before.raw[k])
          }
          samples.set(server, { raw, counters, rtime: row.rtime, ttime: row.ttime })
        }
        ring.push({ at, servers: samples })
        if (ring.length > capacity) ring.splice(0, ring.length - capacity)
      }

      const sample = Effect.gen(function* () {
        // Stamped when the command goes out: the counters describe that moment.
        const at = yield* Clock.currentTimeMillis
        const rows = yield* runtime.showStat(backend)
        yield* Effect.try({ try: () => record(at, rows), catch: (e) => e as Error })
        failure = undefined
      }).pipe(
        // A failed sample is a gap in the ring; queries report it until the next success.
        Effect.catch((e: { readonly message: string }) =>
          Effect.sync(() => {
            failure = e.message
          }),
        ),
      )

      yield* sample
      yield* Effect.sleep(intervalMs).pipe(
        Effect.andThen(Effect.repeat(sample, Schedule.spaced(intervalMs))),
        Effect.forkScoped,
      )

      const query = (q: MetricQuery): Effect.Effect<MetricResult, MetricError> =>
        Effect.suspend(() => {
          const servers = revisions.find((r) => r.revision === q.revision)?.servers
          const window = Math.min(Math.max(0, q.window), retentionMs)
          const capped = q.window > retentionMs ? `, capped at ${formatDuration(retentionMs)} retention` : ""
          const where = `backend ${backend} server${servers !== undefined && servers.length > 1 ? "s" : ""} ${servers?.join(",") ?? "?"} at ${runtime.socket}`
          const text = (what: string) =>
            `${q.metric}{revision="${q.revision}"}[${formatDuration(window)}] = ${what} of ${where}${capped}`
          const refuse = (message: string) =>
            Effect.fail(new MetricError({ query: text("show stat"), message }))

          if (slots.app !== undefined && q.app !== slots.app) {
            return refuse(`HAProxy backend ${backend} serves app ${slots.app}, not ${q.app}`)
          }
          if (servers === undefined) {
            return refuse(
              `revision ${q.revision} has no servers in HAProxy backend ${backend}; mapped: ${revisions.map((r) => r.revision).join(", ")}`,
            )
          }
          if (PERCENTILE.test(q.metric) || q.metric === "latency") {
            return refuse(
              `${q.metric} is not available from HAProxy: its runtime API keeps only average times (rtime/ttime over each server's last 1024 requests), no latency distribution. Use latency_mean, or a source with a histogram (MetricSources.prometheus over an exporter)`,
            )
          }
          if (!METRIC_NAMES.includes(q.metric)) {
            return refuse(
              `HAProxy source has no metric "${q.metric}"; use one of: ${METRIC_NAMES.join(", ")}`,
            )
          }
          if (failure !== undefined) {
            return refuse(`no current sample of HAProxy (the last one failed: ${failure})`)
          }

          const latest = ring.at(-1)!
          const older = ring.slice(0, -1)
          const baseline = older.findLast((s) => s.at <= latest.at - window) ?? older[0]
          const coverage =
            baseline === undefined
              ? " (no earlier sample yet)"
              : latest.at - baseline.at < window
                ? ` (samples cover ${formatDuration(latest.at - baseline.at)})`
                : ""
          const delta = (server: string): Counters => {
            const now = latest.servers.get(server)!.counters
            const then = baseline?.servers.get(server)?.counters ?? now
            const d = zero()
            for (const k of CLASSES) d[k] = now[k] - then[k]
            return d
          }
          const deltas = servers.map((s) => [s, delta(s)] as const)
          const sum = (k: Counter) => deltas.reduce((s, [, d]) => s + d[k], 0)
          const requests = deltas.reduce((s, [, d]) => s + total(d), 0)
          const counted = (what: string, value: number | null, count = requests): MetricResult => ({
            query: `${text(what)}${coverage}`,
            value: baseline === undefined ? null : value,
            count: baseline === undefined ? 0 : count,
          })
          const span = baseline === undefined ? 0 : latest.at - baseline.at

          switch (q.metric) {
            case "requests":
              return Effect.succeed(counted("Δ(hrsp_1xx…hrsp_5xx + hrsp_other)", requests))
            case "errors":
              return Effect.succeed(counted("Δhrsp_5xx", sum("hrsp_5xx")))
            case "error_rate":
              return Effect.succeed(
                counted(
                  "Δhrsp_5xx / Δ(hrsp_1xx…hrsp_5xx + hrsp_other)",
                  requests === 0 ? null : sum("hrsp_5xx") / requests,
                ),
              )
            case "rps":
              return Effect.succeed(counted("Δrequests / s", span === 0 ? null : requests / (span / 1000)))
            case "latency_mean":
            case "total_time_mean": {
              const field = q.metric === "latency_mean" ? "rtime" : "ttime"
              // HAProxy's own average over each server's last 1024 requests, weighted by
              // the server's requests in the window: not a mean over the window itself.
              const weighted = deltas.reduce(
                (s, [server, d]) => s + latest.servers.get(server)![field] * total(d),
                0,
              )
              return Effect.succeed(
                counted(
                  `${field} (HAProxy's mean over each server's last 1024 requests, weighted by requests in the window)`,
                  requests === 0 ? null : weighted / requests,
                ),
              )
            }
            default: {
              const k = `hrsp_${q.metric.slice("requests_".length)}` as Counter
              const n = sum(k)
              return Effect.succeed(counted(`Δ${k}`, n, n))
            }
          }
        })

      return MetricSource.of({ query })
    }),
  )
}
