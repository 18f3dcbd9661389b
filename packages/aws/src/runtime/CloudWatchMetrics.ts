/**
 * Per-revision metrics from CloudWatch, for gates in driven rollouts: an ALB target group's
 * request count, 5xx count and response-time percentiles, or a Lambda version's invocations,
 * errors and duration percentiles.
 *
 * One GetMetricData call per query, with a single period covering the whole look-back
 * window (rounded up to whole minutes: standard-resolution metrics have 60 s granularity),
 * ending at the last whole minute so a half-filled minute does not dilute the numbers. The
 * result's `query` is the MetricDataQueries as text, so a verdict can be checked by hand.
 */
import {
  type CloudWatchClient,
  type Dimension,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch"
import { MetricError, type MetricQuery, type MetricResult, MetricSource } from "@slipway/core"
import { Clock, Effect, Layer } from "effect"
import { type AwsCallPolicy, callAws } from "./AwsCall.ts"

/**
 * What a revision's metrics are published under.
 *
 * @example
 * import type { MetricTarget } from "@slipway/aws"
 * const green: MetricTarget = { kind: "alb", loadBalancer: "app/web/50dc6c495c0c9188", targetGroup: "targetgroup/web-green/73e2d6bc24d8a067" }
 * const v7: MetricTarget = { kind: "lambda", functionName: "api", alias: "live", version: "7" }
 */
export type MetricTarget =
  | {
      readonly kind: "alb"
      /** The `LoadBalancer` dimension: `app/<name>/<id>` (the ARN suffix). */
      readonly loadBalancer: string
      /** The `TargetGroup` dimension: `targetgroup/<name>/<id>` (the ARN suffix). */
      readonly targetGroup: string
    }
  | {
      readonly kind: "lambda"
      readonly functionName: string
      readonly version: string
      /**
       * When traffic reaches the version through an alias, its metrics are published under
       * `Resource=<function>:<alias>` with `ExecutedVersion=<version>`; without one, under
       * `Resource=<function>:<version>`.
       */
      readonly alias?: string
    }

/**
 * The CloudWatch client and where each revision's metrics are.
 *
 * @example
 * import type { CloudWatchMetricsConfig } from "@slipway/aws"
 * const config: CloudWatchMetricsConfig = { client, targets: (revision) => targetsByRevision.get(revision) }
 */
export interface CloudWatchMetricsConfig {
  readonly client: CloudWatchClient
  /** Revision id → where its metrics are. */
  readonly targets: Readonly<Record<string, MetricTarget>> | ((revision: string) => MetricTarget | undefined)
  readonly call?: AwsCallPolicy
}

const MINUTE = 60_000
const MAX_PAGES = 10

interface Series {
  readonly id: "requests" | "errors" | "latency"
  readonly namespace: string
  readonly metricName: string
  readonly stat: string
  readonly dimensions: ReadonlyArray<Dimension>
}

const seriesFor = (target: MetricTarget, id: Series["id"], percentile?: string): Series => {
  if (target.kind === "alb") {
    const dimensions = [
      { Name: "LoadBalancer", Value: target.loadBalancer },
      { Name: "TargetGroup", Value: target.targetGroup },
    ]
    const namespace = "AWS/ApplicationELB"
    if (id === "requests") return { id, namespace, metricName: "RequestCount", stat: "Sum", dimensions }
    if (id === "errors")
      return { id, namespace, metricName: "HTTPCode_Target_5XX_Count", stat: "Sum", dimensions }
    return { id, namespace, metricName: "TargetResponseTime", stat: `p${percentile}`, dimensions }
  }
  const dimensions =
    target.alias === undefined
      ? [
          { Name: "FunctionName", Value: target.functionName },
          { Name: "Resource", Value: `${target.functionName}:${target.version}` },
        ]
      : [
          { Name: "FunctionName", Value: target.functionName },
          { Name: "Resource", Value: `${target.functionName}:${target.alias}` },
          { Name: "ExecutedVersion", Value: target.version },
        ]
  const namespace = "AWS/Lambda"
  if (id === "requests") return { id, namespace, metricName: "Invocations", stat: "Sum", dimensions }
  if (id === "errors") return { id, namespace, metricName: "Errors", stat: "Sum", dimensions }
  return { id, namespace, metricName: "Duration", stat: `p${percentile}`, dimensions }
}

const showSeries = (s: Series): string =>
  `${s.id} = ${s.namespace} ${s.metricName} ${s.stat} {${s.dimensions.map((d) => `${d.Name}=${d.Value}`).join(", ")}}`

/**
 * Builds the CloudWatch metric source.
 *
 * @example
 * import { makeCloudWatchMetrics } from "@slipway/aws"
 * import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
 * const metrics = makeCloudWatchMetrics({
 *   client: new CloudWatchClient({ maxAttempts: 1 }),
 *   targets: { "web-bbb": { kind: "alb", loadBalancer: "app/web/50dc6c495c0c9188", targetGroup: "targetgroup/web-green/73e2d6bc24d8a067" } },
 * })
 * // metrics.query({ app: "web", revision: "web-bbb", metric: "error_rate", window: 300_000 })
 */
export const makeCloudWatchMetrics = (config: CloudWatchMetricsConfig): MetricSource["Service"] => {
  const { client } = config
  const targetOf = (revision: string) =>
    typeof config.targets === "function" ? config.targets(revision) : config.targets[revision]

  const query = Effect.fn("CloudWatchMetrics.query")(function* (q: MetricQuery) {
    const label = `${q.metric}{revision="${q.revision}"}`
    const target = targetOf(q.revision)
    if (target === undefined) {
      return yield* new MetricError({
        query: label,
        message: `no CloudWatch target for revision ${q.revision}; add it to targets`,
      })
    }
    const latency = /^latency_p(\d{1,2}(?:\.\d+)?)$/.exec(q.metric)
    let wanted: ReadonlyArray<Series>
    if (q.metric === "requests") wanted = [seriesFor(target, "requests")]
    else if (q.metric === "errors" || q.metric === "error_rate") {
      wanted = [seriesFor(target, "errors"), seriesFor(target, "requests")]
    } else if (latency !== null)
      wanted = [seriesFor(target, "latency", latency[1]), seriesFor(target, "requests")]
    else {
      return yield* new MetricError({
        query: label,
        message: `CloudWatch serves requests, errors, error_rate and latency_pNN (e.g. latency_p95), not ${q.metric}${q.metric === "latency" ? " (it keeps no individual samples)" : ""}`,
      })
    }

    const periodSeconds = Math.max(60, Math.ceil(q.window / MINUTE) * 60)
    const now = yield* Clock.currentTimeMillis
    const end = Math.floor(now / MINUTE) * MINUTE
    const start = end - periodSeconds * 1_000
    const queries: Array<MetricDataQuery> = wanted.map((s) => ({
      Id: s.id,
      MetricStat: {
        Metric: { Namespace: s.namespace, MetricName: s.metricName, Dimensions: [...s.dimensions] },
        Period: periodSeconds,
        Stat: s.stat,
      },
      ReturnData: true,
    }))
    const expression =
      q.metric === "error_rate"
        ? "value = errors / requests"
        : latency !== null && target.kind === "alb"
          ? "value = latency × 1000 (seconds → ms)"
          : `value = ${wanted[0]!.id}`
    const text = [
      `GetMetricData ${new Date(start).toISOString()}..${new Date(end).toISOString()} period ${periodSeconds}s`,
      ...wanted.map((s) => `  ${showSeries(s)}`),
      `  ${expression}`,
    ].join("\n")

    const values = new Map<string, Array<number>>()
    let token: string | undefined
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = yield* callAws(
        "GetMetricData",
        (abortSignal) =>
          client.send(
            new GetMetricDataCommand({
              MetricDataQueries: queries,
              StartTime: new Date(start),
              EndTime: new Date(end),
              ScanBy: "TimestampDescending",
              ...(token === undefined ? {} : { NextToken: token }),
            }),
            { abortSignal },
          ),
        config.call,
      ).pipe(Effect.mapError((e) => new MetricError({ query: text, message: e.message, cause: e })))
      for (const r of out.MetricDataResults ?? []) {
        if (r.Id !== undefined) values.set(r.Id, [...(values.get(r.Id) ?? []), ...(r.Values ?? [])])
      }
      token = out.NextToken
      if (token === undefined) break
    }

    const series = (id: Series["id"]) => values.get(id) ?? []
    const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)
    const requestPoints = series("requests")
    const requests = sum(requestPoints)
    // CloudWatch publishes no datapoint for a zero count, so "no 5xx datapoints" means 0 errors.
    const errors = sum(series("errors"))
    let value: number | null
    if (q.metric === "requests") value = requestPoints.length === 0 ? null : requests
    else if (q.metric === "errors")
      value = requestPoints.length === 0 && series("errors").length === 0 ? null : errors
    else if (q.metric === "error_rate") value = requests > 0 ? errors / requests : null
    else {
      const points = series("latency")
      // One period spans the window; should CloudWatch split it, the worst percentile is kept.
      const worst = points.length === 0 ? null : Math.max(...points)
      value = worst === null ? null : target.kind === "alb" ? worst * 1_000 : worst
    }
    return { query: text, value, count: requests } satisfies MetricResult
  })

  return { query }
}

/**
 * `MetricSource` on CloudWatch.
 *
 * @example
 * import { CloudWatchMetrics } from "@slipway/aws"
 * const MetricsLive = CloudWatchMetrics.layer({ client, targets: { "web-bbb": { kind: "lambda", functionName: "api", alias: "live", version: "7" } } })
 */
export const CloudWatchMetrics = {
  make: makeCloudWatchMetrics,
  layer: (config: CloudWatchMetricsConfig): Layer.Layer<MetricSource> =>
    Layer.succeed(MetricSource, makeCloudWatchMetrics(config)),
} as const
