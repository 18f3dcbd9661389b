/**
 * Observe: the CloudWatch alarms a service's health is judged by — ALB target 5xx rate,
 * p95/p99 target latency, unhealthy hosts; Lambda error rate, throttles, p99 duration —
 * and a dashboard showing the same metrics. The alarms are what native rollouts (ECS
 * deployment alarms, CodeDeploy, instance refresh) and alarm gates watch, so their
 * names are computed at construction and can be handed on without waiting for AWS.
 *
 * Defaults are chosen for gating rollouts: one-minute periods, 2 of 3 breaching
 * datapoints, missing data is not breaching, and rates are only judged once a period
 * has `minRequests` requests — a canary with no traffic yet is not failed for it.
 */
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import { type DurationInput, parseDuration } from "@slipway/core"
import {
  ArgProblems,
  componentTags,
  createChild,
  physicalName,
  type Tags,
  type Transform,
} from "./component.ts"

const TYPE = "slipway:aws:Alarms"

/**
 * An ALB target group to watch.
 *
 * @example
 * const green: TargetGroupTarget = { label: "green", loadBalancerArnSuffix: alb.arnSuffix, targetGroupArnSuffix: tg.arnSuffix }
 */
export interface TargetGroupTarget {
  /**
   * Short label used in alarm names and on the dashboard (letters, digits, `-`, `_`).
   *
   * @example
   * { label: "web" }
   */
  readonly label: string
  /**
   * The load balancer's ARN suffix (`app/<name>/<id>`), the `LoadBalancer` dimension.
   *
   * @example
   * { loadBalancerArnSuffix: alb.arnSuffix }
   */
  readonly loadBalancerArnSuffix: pulumi.Input<string>
  /**
   * The target group's ARN suffix (`targetgroup/<name>/<id>`), the `TargetGroup` dimension.
   *
   * @example
   * { targetGroupArnSuffix: targetGroup.arnSuffix }
   */
  readonly targetGroupArnSuffix: pulumi.Input<string>
}

/**
 * A Lambda function (optionally one alias or version of it) to watch.
 *
 * @example
 * const api: FunctionTarget = { label: "api", functionName: fn.name, qualifier: "live", timeout: "10s" }
 */
export interface FunctionTarget {
  /** @example { label: "api" } */
  readonly label: string
  /** @example { functionName: fn.name } */
  readonly functionName: pulumi.Input<string>
  /**
   * An alias or version: watch `Resource = <function>:<qualifier>` only.
   *
   * @example
   * { qualifier: "live" }
   */
  readonly qualifier?: pulumi.Input<string>
  /**
   * With an alias that splits traffic, watch only the invocations this version served
   * (the `ExecutedVersion` dimension) — how a canary version is judged apart from stable.
   *
   * @example
   * { qualifier: "live", executedVersion: fn.version }
   */
  readonly executedVersion?: pulumi.Input<string>
  /**
   * The function's timeout; the default p99 duration threshold is 80% of it (of 3 s,
   * Lambda's default, when not given).
   *
   * @example
   * { timeout: "10s" }
   */
  readonly timeout?: DurationInput
}

/**
 * Thresholds; `false` turns an alarm off.
 *
 * @example
 * const thresholds: AlarmThresholds = { errorRate: 0.01, latencyP99: "800ms", latencyP95: false }
 */
export interface AlarmThresholds {
  /** 5xx responses (or Lambda errors) as a fraction of requests (default 0.05). @example { errorRate: 0.01 } */
  readonly errorRate?: number | false
  /** Requests per period below which the rate is not judged (default 10). @example { minRequests: 50 } */
  readonly minRequests?: number
  /** Target p95 latency (default "1s"). @example { latencyP95: "500ms" } */
  readonly latencyP95?: DurationInput | false
  /** Target p99 latency (default "2s"). @example { latencyP99: "1s" } */
  readonly latencyP99?: DurationInput | false
  /** Unhealthy targets tolerated (default 0). @example { unhealthyHosts: 1 } */
  readonly unhealthyHosts?: number | false
  /** Lambda throttles tolerated per period (default 0). @example { throttles: 5 } */
  readonly throttles?: number | false
  /** Lambda p99 duration (default 80% of the function's timeout). @example { durationP99: "2s" } */
  readonly durationP99?: DurationInput | false
}

/**
 * How datapoints are judged.
 *
 * @example
 * const evaluation: AlarmEvaluation = { period: 60, evaluationPeriods: 5, datapointsToAlarm: 3 }
 */
export interface AlarmEvaluation {
  /** Seconds per datapoint, a multiple of 60 (ALB and Lambda metrics are per minute); default 60. @example { period: 60 } */
  readonly period?: number
  /** Datapoints looked at (default 3). @example { evaluationPeriods: 5 } */
  readonly evaluationPeriods?: number
  /** Breaching datapoints among them that raise the alarm (default 2). @example { datapointsToAlarm: 3 } */
  readonly datapointsToAlarm?: number
}

/**
 * Per-child transforms of `ServiceAlarms`.
 *
 * @example
 * const transform: ServiceAlarmsTransforms = { alarm: { actionsEnabled: false } }
 */
export interface ServiceAlarmsTransforms {
  /** Applies to every alarm. @example { alarm: { actionsEnabled: false } } */
  readonly alarm?: Transform<aws.cloudwatch.MetricAlarmArgs>
  /** @example { dashboard: (args, opts) => { opts.protect = true } } */
  readonly dashboard?: Transform<aws.cloudwatch.DashboardArgs>
}

/**
 * Arguments of `ServiceAlarms`: what to watch, how strictly, and who to tell.
 *
 * @example
 * const args: ServiceAlarmsArgs = {
 *   targetGroups: [{ label: "web", loadBalancerArnSuffix: alb.arnSuffix, targetGroupArnSuffix: tg.arnSuffix }],
 *   thresholds: { errorRate: 0.01, latencyP99: "800ms" },
 * }
 */
export interface ServiceAlarmsArgs {
  /** @example { targetGroups: [{ label: "web", loadBalancerArnSuffix: alb.arnSuffix, targetGroupArnSuffix: tg.arnSuffix }] } */
  readonly targetGroups?: ReadonlyArray<TargetGroupTarget>
  /** @example { functions: [{ label: "api", functionName: fn.name, qualifier: "live" }] } */
  readonly functions?: ReadonlyArray<FunctionTarget>
  /** @example { thresholds: { errorRate: 0.01 } } */
  readonly thresholds?: AlarmThresholds
  /** @example { evaluation: { evaluationPeriods: 5, datapointsToAlarm: 3 } } */
  readonly evaluation?: AlarmEvaluation
  /** SNS topics (or other actions) notified on ALARM. @example { alarmActions: [topic.arn] } */
  readonly alarmActions?: ReadonlyArray<pulumi.Input<string>>
  /** Actions notified on return to OK. @example { okActions: [topic.arn] } */
  readonly okActions?: ReadonlyArray<pulumi.Input<string>>
  /** Create a CloudWatch dashboard of the watched metrics (default true). @example { dashboard: false } */
  readonly dashboard?: boolean
  /** @example { tags: { team: "payments" } } */
  readonly tags?: Tags
  /** @example { transform: { alarm: { actionsEnabled: false } } } */
  readonly transform?: ServiceAlarmsTransforms
}

/**
 * What an alarm watches.
 *
 * @example
 * const kind: AlarmKind = "latencyP99"
 */
export type AlarmKind =
  | "errorRate"
  | "latencyP95"
  | "latencyP99"
  | "unhealthyHosts"
  | "throttles"
  | "durationP99"

/**
 * One alarm, with the name it was given (known before deployment).
 *
 * @example
 * const [first] = alarms.alarms
 * first?.name // "shop-prod-web-green-errorRate"
 */
export interface WatchedAlarm {
  /** The target's label. */
  readonly target: string
  readonly kind: AlarmKind
  /** The alarm's name in CloudWatch: `<project>-<stack>-<component>-<label>-<kind>`. */
  readonly name: string
  readonly alarm: aws.cloudwatch.MetricAlarm
}

const LABEL = /^[A-Za-z0-9_-]{1,64}$/

const ALB = "AWS/ApplicationELB"
const LAMBDA = "AWS/Lambda"

interface Settled {
  readonly errorRate: number | false
  readonly minRequests: number
  readonly latencyP95: number | false
  readonly latencyP99: number | false
  readonly unhealthyHosts: number | false
  readonly throttles: number | false
  readonly durationP99: ReadonlyMap<string, number | false>
  readonly period: number
  readonly evaluationPeriods: number
  readonly datapointsToAlarm: number
}

const settle = (name: string, args: ServiceAlarmsArgs): Settled => {
  const problems = new ArgProblems(TYPE, name)
  const t = args.thresholds ?? {}
  const e = args.evaluation ?? {}
  const targets = [...(args.targetGroups ?? []), ...(args.functions ?? [])]
  if (targets.length === 0) {
    problems.add("targetGroups", "nothing to watch", "pass targetGroups and/or functions")
  }
  const seen = new Set<string>()
  for (const target of targets) {
    if (!LABEL.test(target.label)) {
      problems.add(
        "label",
        `"${target.label}" cannot be part of an alarm name`,
        "use 1–64 letters, digits, - or _",
      )
    }
    if (seen.has(target.label))
      problems.add("label", `"${target.label}" is used twice`, "give each target its own label")
    seen.add(target.label)
  }
  const fraction = (arg: string, v: number | false | undefined, fallback: number): number | false => {
    if (v === false) return false
    const value = v ?? fallback
    if (!(value > 0 && value <= 1))
      problems.add(arg, `${value} is not a fraction`, "use a number in (0, 1], e.g. 0.01 for 1%")
    return value
  }
  const count = (arg: string, v: number | false | undefined, fallback: number): number | false => {
    if (v === false) return false
    const value = v ?? fallback
    if (!Number.isInteger(value) || value < 0)
      problems.add(arg, `${value} is not a count`, "use a whole number ≥ 0")
    return value
  }
  const ms = (arg: string, v: DurationInput | false | undefined, fallback: number): number | false => {
    if (v === false) return false
    const value = v === undefined ? fallback : parseDuration(v)
    if (value === undefined || !(value > 0)) {
      problems.add(arg, `${JSON.stringify(v)} is not a duration`, 'write e.g. "800ms", "2s" or 800')
      return false
    }
    return value
  }
  const durationP99 = new Map<string, number | false>()
  for (const fn of args.functions ?? []) {
    const timeout = fn.timeout === undefined ? 3_000 : parseDuration(fn.timeout)
    if (timeout === undefined || !(timeout > 0)) {
      problems.add(
        `functions.${fn.label}.timeout`,
        `${JSON.stringify(fn.timeout)} is not a duration`,
        'write e.g. "10s"',
      )
    }
    durationP99.set(
      fn.label,
      ms("thresholds.durationP99", t.durationP99, Math.round((timeout ?? 3_000) * 0.8)),
    )
  }
  const period = e.period ?? 60
  if (!Number.isInteger(period) || period <= 0 || period % 60 !== 0) {
    problems.add(
      "evaluation.period",
      `${period}s is not a whole number of minutes`,
      "use 60, 120, 300… (ALB and Lambda metrics are per minute)",
    )
  }
  const evaluationPeriods = e.evaluationPeriods ?? 3
  const datapointsToAlarm = e.datapointsToAlarm ?? Math.min(2, evaluationPeriods)
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) {
    problems.add(
      "evaluation.evaluationPeriods",
      `${evaluationPeriods} is not a positive count`,
      "use 1 or more",
    )
  }
  if (
    !Number.isInteger(datapointsToAlarm) ||
    datapointsToAlarm < 1 ||
    datapointsToAlarm > evaluationPeriods
  ) {
    problems.add(
      "evaluation.datapointsToAlarm",
      `${datapointsToAlarm} is not between 1 and evaluationPeriods (${evaluationPeriods})`,
      "lower it, or raise evaluationPeriods",
    )
  }
  const settled: Settled = {
    errorRate: fraction("thresholds.errorRate", t.errorRate, 0.05),
    minRequests: count("thresholds.minRequests", t.minRequests, 10) || 0,
    latencyP95: ms("thresholds.latencyP95", t.latencyP95, 1_000),
    latencyP99: ms("thresholds.latencyP99", t.latencyP99, 2_000),
    unhealthyHosts: count("thresholds.unhealthyHosts", t.unhealthyHosts, 0),
    throttles: count("thresholds.throttles", t.throttles, 0),
    durationP99,
    period,
    evaluationPeriods,
    datapointsToAlarm,
  }
  problems.throwIfAny()
  return settled
}

type Dimensions = Record<string, pulumi.Input<string>>

const lambdaDimensions = (fn: FunctionTarget, withVersion: boolean): Dimensions => {
  const dims: Dimensions = { FunctionName: fn.functionName }
  if (fn.qualifier !== undefined) dims.Resource = pulumi.interpolate`${fn.functionName}:${fn.qualifier}`
  if (withVersion && fn.executedVersion !== undefined) dims.ExecutedVersion = fn.executedVersion
  return dims
}

/**
 * CloudWatch alarms (and a dashboard) for ALB target groups and Lambda functions.
 *
 * Per target group: `errorRate` (metric math `HTTPCode_Target_5XX_Count / RequestCount`),
 * `latencyP95` and `latencyP99` (`TargetResponseTime` extended statistics),
 * `unhealthyHosts` (`UnHealthyHostCount`). Per function: `errorRate` (`Errors /
 * Invocations`), `throttles`, `durationP99`. Children: one
 * `aws:cloudwatch/metricAlarm:MetricAlarm` per alarm and an
 * `aws:cloudwatch/dashboard:Dashboard`.
 *
 * @example
 * import { ServiceAlarms } from "@slipway/aws"
 * import * as Gate from "@slipway/gates"
 *
 * const alarms = new ServiceAlarms("web", {
 *   targetGroups: [{ label: "green", loadBalancerArnSuffix: alb.arnSuffix, targetGroupArnSuffix: green.arnSuffix }],
 *   thresholds: { errorRate: 0.01, latencyP99: "800ms" },
 * })
 * const gates = alarms.alarmNames.map((n) => Gate.alarm(n)) // names are known before deployment
 * export const dashboard = alarms.dashboardUrl
 */
export class ServiceAlarms extends pulumi.ComponentResource {
  /** Every alarm, with its target and kind. */
  readonly alarms: ReadonlyArray<WatchedAlarm>
  /** The alarms' names — plain strings, known at construction. */
  readonly alarmNames: ReadonlyArray<string>
  readonly alarmArns: pulumi.Output<Array<string>>
  readonly dashboard: aws.cloudwatch.Dashboard | undefined
  readonly dashboardName: string | undefined
  readonly dashboardUrl: pulumi.Output<string> | undefined

  constructor(name: string, args: ServiceAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    const s = settle(name, args)
    super(TYPE, name, {}, opts)
    const parent = { parent: this }
    const tags = componentTags(TYPE, name, args.tags)
    const prefix = `${pulumi.getProject()}-${pulumi.getStack()}-${name}`
    const common = {
      evaluationPeriods: s.evaluationPeriods,
      datapointsToAlarm: s.datapointsToAlarm,
      treatMissingData: "notBreaching",
      alarmActions: args.alarmActions === undefined ? undefined : [...args.alarmActions],
      okActions: args.okActions === undefined ? undefined : [...args.okActions],
      tags,
    }
    const alarms: Array<WatchedAlarm> = []
    const add = (
      target: string,
      kind: AlarmKind,
      description: string,
      alarmArgs: aws.cloudwatch.MetricAlarmArgs,
    ) => {
      const alarmName = physicalName(`${prefix}-${target}-${kind}`, 255)
      const alarm = createChild(
        aws.cloudwatch.MetricAlarm,
        `${name}-${target}-${kind}`,
        { name: alarmName, alarmDescription: description, ...common, ...alarmArgs },
        parent,
        args.transform?.alarm,
      )
      alarms.push({ target, kind, name: alarmName, alarm })
    }
    const rate = (
      namespace: string,
      errors: string,
      total: string,
      dimensions: Dimensions,
      threshold: number,
    ): aws.cloudwatch.MetricAlarmArgs => ({
      comparisonOperator: "GreaterThanThreshold",
      threshold,
      metricQueries: [
        {
          id: "e",
          returnData: false,
          metric: { namespace, metricName: errors, dimensions, stat: "Sum", period: s.period },
        },
        {
          id: "r",
          returnData: false,
          metric: { namespace, metricName: total, dimensions, stat: "Sum", period: s.period },
        },
        {
          id: "rate",
          label: `${errors} / ${total}`,
          // Too few requests say nothing about a rate: 1 error in 2 requests is not 50% broken.
          expression: `IF(r >= ${s.minRequests}, FILL(e, 0) / r, 0)`,
          returnData: true,
        },
      ],
    })
    const percentile = (
      namespace: string,
      metricName: string,
      dimensions: Dimensions,
      p: "p95" | "p99",
      threshold: number,
    ): aws.cloudwatch.MetricAlarmArgs => ({
      namespace,
      metricName,
      dimensions,
      extendedStatistic: p,
      period: s.period,
      comparisonOperator: "GreaterThanThreshold",
      threshold,
      // A percentile of a handful of requests is noise: keep the state until there are enough.
      evaluateLowSampleCountPercentiles: "ignore",
    })

    for (const tg of args.targetGroups ?? []) {
      const dims: Dimensions = {
        LoadBalancer: tg.loadBalancerArnSuffix,
        TargetGroup: tg.targetGroupArnSuffix,
      }
      if (s.errorRate !== false) {
        add(
          tg.label,
          "errorRate",
          `${tg.label}: target 5xx responses above ${s.errorRate * 100}% of requests`,
          rate(ALB, "HTTPCode_Target_5XX_Count", "RequestCount", dims, s.errorRate),
        )
      }
      if (s.latencyP95 !== false) {
        add(
          tg.label,
          "latencyP95",
          `${tg.label}: p95 target response time above ${s.latencyP95} ms`,
          percentile(ALB, "TargetResponseTime", dims, "p95", s.latencyP95 / 1000),
        )
      }
      if (s.latencyP99 !== false) {
        add(
          tg.label,
          "latencyP99",
          `${tg.label}: p99 target response time above ${s.latencyP99} ms`,
          percentile(ALB, "TargetResponseTime", dims, "p99", s.latencyP99 / 1000),
        )
      }
      if (s.unhealthyHosts !== false) {
        add(tg.label, "unhealthyHosts", `${tg.label}: more than ${s.unhealthyHosts} unhealthy target(s)`, {
          namespace: ALB,
          metricName: "UnHealthyHostCount",
          dimensions: dims,
          statistic: "Maximum",
          period: s.period,
          comparisonOperator: "GreaterThanThreshold",
          threshold: s.unhealthyHosts,
        })
      }
    }

    for (const fn of args.functions ?? []) {
      const versioned = lambdaDimensions(fn, true)
      if (s.errorRate !== false) {
        add(
          fn.label,
          "errorRate",
          `${fn.label}: errors above ${s.errorRate * 100}% of invocations`,
          rate(LAMBDA, "Errors", "Invocations", versioned, s.errorRate),
        )
      }
      if (s.throttles !== false) {
        // Throttled requests never reach a version, so they are counted per function or alias.
        add(
          fn.label,
          "throttles",
          `${fn.label}: more than ${s.throttles} throttled invocation(s) per period`,
          {
            namespace: LAMBDA,
            metricName: "Throttles",
            dimensions: lambdaDimensions(fn, false),
            statistic: "Sum",
            period: s.period,
            comparisonOperator: "GreaterThanThreshold",
            threshold: s.throttles,
          },
        )
      }
      const duration = s.durationP99.get(fn.label) ?? false
      if (duration !== false) {
        add(
          fn.label,
          "durationP99",
          `${fn.label}: p99 duration above ${duration} ms`,
          percentile(LAMBDA, "Duration", versioned, "p99", duration),
        )
      }
    }

    this.alarms = alarms
    this.alarmNames = alarms.map((a) => a.name)
    this.alarmArns = pulumi.all(alarms.map((a) => a.alarm.arn))

    if (args.dashboard !== false) {
      const region = aws.getRegionOutput({}, parent).region
      const dashboardName = physicalName(prefix, 255)
      const body = dashboardBody(region, args, s, this.alarmArns)
      this.dashboard = createChild(
        aws.cloudwatch.Dashboard,
        `${name}-dashboard`,
        { dashboardName, dashboardBody: body },
        parent,
        args.transform?.dashboard,
      )
      this.dashboardName = dashboardName
      this.dashboardUrl = pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${dashboardName}`
    } else {
      this.dashboard = undefined
      this.dashboardName = undefined
      this.dashboardUrl = undefined
    }

    this.registerOutputs({
      alarmNames: this.alarmNames,
      alarmArns: this.alarmArns,
      dashboardName: this.dashboardName,
      dashboardUrl: this.dashboardUrl,
    })
  }

  /**
   * The alarms of one target, by kind.
   *
   * @example
   * const green = alarms.forTarget("green")
   * green.errorRate?.name // "shop-prod-web-green-errorRate"
   */
  forTarget(label: string): Partial<Record<AlarmKind, WatchedAlarm>> {
    return Object.fromEntries(this.alarms.filter((a) => a.target === label).map((a) => [a.kind, a]))
  }
}

// ---------------------------------------------------------------- dashboard

type MetricLine = Array<string | Record<string, unknown>>

const metric = (
  namespace: string,
  name: string,
  dims: Record<string, string>,
  options: Record<string, unknown>,
): MetricLine => [namespace, name, ...Object.entries(dims).flat(), options]

const widget = (
  title: string,
  region: string,
  metrics: ReadonlyArray<MetricLine>,
  period: number,
  thresholds: ReadonlyArray<{ label: string; value: number }> = [],
) => ({
  type: "metric",
  width: 8,
  height: 6,
  properties: {
    title,
    region,
    view: "timeSeries",
    stacked: false,
    period,
    metrics,
    ...(thresholds.length > 0 ? { annotations: { horizontal: thresholds } } : {}),
  },
})

const resolveDims = (dims: Dimensions): pulumi.Output<Record<string, string>> =>
  pulumi.output(dims) as unknown as pulumi.Output<Record<string, string>>

/** The dashboard JSON: an alarm status row, then a row per target group and per function. */
const dashboardBody = (
  region: pulumi.Output<string>,
  args: ServiceAlarmsArgs,
  s: Settled,
  alarmArns: pulumi.Output<Array<string>>,
): pulumi.Output<string> => {
  const tgs = (args.targetGroups ?? []).map((tg) =>
    resolveDims({ LoadBalancer: tg.loadBalancerArnSuffix, TargetGroup: tg.targetGroupArnSuffix }).apply(
      (dims) => ({ label: tg.label, dims }),
    ),
  )
  const fns = (args.functions ?? []).map((fn) =>
    pulumi
      .all([resolveDims(lambdaDimensions(fn, true)), resolveDims(lambdaDimensions(fn, false))])
      .apply(([dims, alias]) => ({ label: fn.label, dims, alias })),
  )
  return pulumi
    .all([region, alarmArns, pulumi.all(tgs), pulumi.all(fns)])
    .apply(([r, arns, tgRows, fnRows]) => {
      const p = s.period
      const widgets: Array<Record<string, unknown>> = [
        { type: "alarm", width: 24, height: 3, properties: { title: "Alarms", alarms: arns } },
      ]
      for (const { label, dims } of tgRows) {
        widgets.push(
          widget(
            `${label}: requests and 5xx`,
            r,
            [
              metric(ALB, "RequestCount", dims, { stat: "Sum", label: "requests" }),
              metric(ALB, "HTTPCode_Target_5XX_Count", dims, { stat: "Sum", label: "5xx", color: "#d62728" }),
            ],
            p,
          ),
          widget(
            `${label}: target response time`,
            r,
            (["p50", "p95", "p99"] as const).map((stat) =>
              metric(ALB, "TargetResponseTime", dims, { stat, label: stat }),
            ),
            p,
            [
              ...(s.latencyP95 === false ? [] : [{ label: "p95 alarm", value: s.latencyP95 / 1000 }]),
              ...(s.latencyP99 === false ? [] : [{ label: "p99 alarm", value: s.latencyP99 / 1000 }]),
            ],
          ),
          widget(
            `${label}: targets`,
            r,
            [
              metric(ALB, "HealthyHostCount", dims, { stat: "Maximum", label: "healthy" }),
              metric(ALB, "UnHealthyHostCount", dims, {
                stat: "Maximum",
                label: "unhealthy",
                color: "#d62728",
              }),
            ],
            p,
          ),
        )
      }
      for (const { label, dims, alias } of fnRows) {
        const duration = s.durationP99.get(label) ?? false
        widgets.push(
          widget(
            `${label}: invocations`,
            r,
            [
              metric(LAMBDA, "Invocations", dims, { stat: "Sum", label: "invocations" }),
              metric(LAMBDA, "Errors", dims, { stat: "Sum", label: "errors", color: "#d62728" }),
              metric(LAMBDA, "Throttles", alias, { stat: "Sum", label: "throttles", color: "#ff7f0e" }),
            ],
            p,
          ),
          widget(
            `${label}: duration`,
            r,
            (["p50", "p99"] as const).map((stat) => metric(LAMBDA, "Duration", dims, { stat, label: stat })),
            p,
            duration === false ? [] : [{ label: "p99 alarm", value: duration }],
          ),
          widget(
            `${label}: concurrency`,
            r,
            [metric(LAMBDA, "ConcurrentExecutions", alias, { stat: "Maximum", label: "concurrent" })],
            p,
          ),
        )
      }
      return JSON.stringify({ widgets })
    })
}
