import { assert, describe, it } from "@effect/vitest"
import * as aws from "@pulumi/aws"
import { PulumiProgramError, type ResourceRecord, runPulumiProgram } from "@slipway/testing"
import { ComponentArgsInvalid, ServiceAlarms, type ServiceAlarmsArgs } from "../src/index.ts"

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"

/** A load balancer, a target group and a function, watched with `args`. */
const build = (
  args: Omit<ServiceAlarmsArgs, "targetGroups" | "functions"> & { only?: "alb" | "lambda" } = {},
) =>
  runPulumiProgram(
    () => {
      const alb = new aws.lb.LoadBalancer("web", { subnets: ["subnet-1", "subnet-2"] })
      const tg = new aws.lb.TargetGroup("web-green", { port: 8080, protocol: "HTTP", targetType: "ip" })
      const fn = new aws.lambda.Function("api", {
        role: "arn:aws:iam::123456789012:role/api",
        runtime: "nodejs22.x",
        handler: "index.handler",
        publish: true,
      })
      const { only, ...rest } = args
      const alarms = new ServiceAlarms("svc", {
        ...rest,
        ...(only === "lambda"
          ? {}
          : {
              targetGroups: [
                { label: "green", loadBalancerArnSuffix: alb.arnSuffix, targetGroupArnSuffix: tg.arnSuffix },
              ],
            }),
        ...(only === "alb"
          ? {}
          : {
              functions: [
                {
                  label: "api",
                  functionName: fn.name,
                  qualifier: "live",
                  executedVersion: fn.version,
                  timeout: "10s",
                },
              ],
            }),
      })
      return { names: alarms.alarmNames, arns: alarms.alarmArns, url: alarms.dashboardUrl }
    },
    { project: "shop", stack: "prod" },
  )

const alarm = (alarms: ReadonlyArray<ResourceRecord>, name: string): ResourceRecord => {
  const found = alarms.find((a) => a.name === name)
  assert.isDefined(found, `alarm ${name}`)
  return found!
}

describe("ServiceAlarms", () => {
  it("alarms on a target group's 5xx rate with metric math over 5xx count and request count", async () => {
    const run = await build({ only: "alb" })
    const alb = run.get("aws:lb/loadBalancer:LoadBalancer")
    const tg = run.get("aws:lb/targetGroup:TargetGroup")
    const rate = alarm(run.byType(ALARM), "svc-green-errorRate")
    const dims = { LoadBalancer: alb.outputs.arnSuffix, TargetGroup: tg.outputs.arnSuffix }
    assert.deepInclude(rate.inputs, {
      name: "shop-prod-svc-green-errorRate",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0.05,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: "notBreaching",
    })
    const [e, r, expr] = rate.inputs.metricQueries
    assert.deepStrictEqual(e.metric, {
      namespace: "AWS/ApplicationELB",
      metricName: "HTTPCode_Target_5XX_Count",
      dimensions: dims,
      stat: "Sum",
      period: 60,
    })
    assert.strictEqual(r.metric.metricName, "RequestCount")
    assert.deepStrictEqual(r.metric.dimensions, dims)
    assert.deepInclude(expr, { id: "rate", expression: "IF(r >= 10, FILL(e, 0) / r, 0)", returnData: true })
    assert.isFalse(e.returnData)
  })

  it("alarms on p95 and p99 target response time in seconds, ignoring low sample counts", async () => {
    const run = await build({ only: "alb", thresholds: { latencyP95: "400ms", latencyP99: "1.5s" } })
    const p95 = alarm(run.byType(ALARM), "svc-green-latencyP95")
    const p99 = alarm(run.byType(ALARM), "svc-green-latencyP99")
    assert.deepInclude(p95.inputs, {
      namespace: "AWS/ApplicationELB",
      metricName: "TargetResponseTime",
      extendedStatistic: "p95",
      threshold: 0.4,
      evaluateLowSampleCountPercentiles: "ignore",
    })
    assert.isUndefined(p95.inputs.statistic)
    assert.deepInclude(p99.inputs, { extendedStatistic: "p99", threshold: 1.5 })
  })

  it("alarms as soon as one target is unhealthy", async () => {
    const run = await build({ only: "alb" })
    const hosts = alarm(run.byType(ALARM), "svc-green-unhealthyHosts")
    assert.deepInclude(hosts.inputs, {
      metricName: "UnHealthyHostCount",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
    })
  })

  it("watches a Lambda alias per executed version: error rate, throttles, p99 duration at 80% of the timeout", async () => {
    const run = await build({ only: "lambda", thresholds: { errorRate: 0.02, minRequests: 20 } })
    const fn = run.get("aws:lambda/function:Function")
    const versioned = {
      FunctionName: fn.outputs.name,
      Resource: `${fn.outputs.name}:live`,
      ExecutedVersion: "1",
    }
    const alarms = run.byType(ALARM)
    assert.deepStrictEqual(alarms.map((a) => a.name).sort(), [
      "svc-api-durationP99",
      "svc-api-errorRate",
      "svc-api-throttles",
    ])

    const errors = alarm(alarms, "svc-api-errorRate")
    assert.strictEqual(errors.inputs.threshold, 0.02)
    const [e, i, expr] = errors.inputs.metricQueries
    assert.deepInclude(e.metric, { namespace: "AWS/Lambda", metricName: "Errors", dimensions: versioned })
    assert.deepInclude(i.metric, { metricName: "Invocations", dimensions: versioned })
    assert.strictEqual(expr.expression, "IF(r >= 20, FILL(e, 0) / r, 0)")

    const throttles = alarm(alarms, "svc-api-throttles")
    assert.deepInclude(throttles.inputs, { metricName: "Throttles", statistic: "Sum", threshold: 0 })
    assert.deepStrictEqual(throttles.inputs.dimensions, {
      FunctionName: fn.outputs.name,
      Resource: `${fn.outputs.name}:live`,
    })

    const duration = alarm(alarms, "svc-api-durationP99")
    assert.deepInclude(duration.inputs, { metricName: "Duration", extendedStatistic: "p99", threshold: 8000 })
  })

  it("names alarms before deployment and reports their ARNs after", async () => {
    const run = await build()
    assert.deepStrictEqual(run.outputs.names, [
      "shop-prod-svc-green-errorRate",
      "shop-prod-svc-green-latencyP95",
      "shop-prod-svc-green-latencyP99",
      "shop-prod-svc-green-unhealthyHosts",
      "shop-prod-svc-api-errorRate",
      "shop-prod-svc-api-throttles",
      "shop-prod-svc-api-durationP99",
    ])
    assert.deepStrictEqual(
      run.outputs.arns,
      run.outputs.names.map((n) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${n}`),
    )
    const component = run.get("slipway:aws:Alarms")
    assert.deepStrictEqual(component.outputs.alarmNames, run.outputs.names)
  })

  it("turns an alarm off with false and notifies the given actions", async () => {
    const run = await build({
      only: "alb",
      thresholds: { latencyP95: false, unhealthyHosts: false },
      alarmActions: ["arn:aws:sns:us-east-1:123456789012:oncall"],
    })
    const alarms = run.byType(ALARM)
    assert.deepStrictEqual(alarms.map((a) => a.name).sort(), ["svc-green-errorRate", "svc-green-latencyP99"])
    assert.isTrue(
      alarms.every((a) => a.inputs.alarmActions[0] === "arn:aws:sns:us-east-1:123456789012:oncall"),
    )
  })

  it("draws a dashboard of the same metrics with the alarms on top", async () => {
    const run = await build()
    const dashboard = run.get(DASHBOARD)
    assert.strictEqual(dashboard.inputs.dashboardName, "shop-prod-svc")
    const body = JSON.parse(dashboard.inputs.dashboardBody)
    const [alarms, ...metrics] = body.widgets
    assert.strictEqual(alarms.type, "alarm")
    assert.deepStrictEqual(alarms.properties.alarms, run.outputs.arns)
    assert.deepStrictEqual(
      metrics.map((w: { properties: { title: string } }) => w.properties.title),
      [
        "green: requests and 5xx",
        "green: target response time",
        "green: targets",
        "api: invocations",
        "api: duration",
        "api: concurrency",
      ],
    )
    const latency = metrics[1].properties
    assert.strictEqual(latency.region, "us-east-1")
    assert.deepStrictEqual(latency.annotations.horizontal, [
      { label: "p95 alarm", value: 1 },
      { label: "p99 alarm", value: 2 },
    ])
    const tg = run.get("aws:lb/targetGroup:TargetGroup")
    assert.include(latency.metrics[0], tg.outputs.arnSuffix)
    assert.strictEqual(
      run.outputs.url,
      "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=shop-prod-svc",
    )
  })

  describe("refuses settings that cannot work", () => {
    const refused = async (args: ServiceAlarmsArgs): Promise<ComponentArgsInvalid> => {
      const error = await runPulumiProgram(() => new ServiceAlarms("svc", args)).then(
        () => assert.fail("expected a refusal"),
        (e: unknown) => e,
      )
      assert.instanceOf(error, PulumiProgramError)
      assert.deepStrictEqual(error.resources, [])
      assert.instanceOf(error.cause, ComponentArgsInvalid)
      return error.cause
    }
    const tg = { label: "web", loadBalancerArnSuffix: "app/x/1", targetGroupArnSuffix: "targetgroup/y/2" }
    const cases: ReadonlyArray<[string, ServiceAlarmsArgs, string]> = [
      ["nothing to watch", {}, "targetGroups"],
      [
        "an error rate of 5 (not a fraction)",
        { targetGroups: [tg], thresholds: { errorRate: 5 } },
        "thresholds.errorRate",
      ],
      [
        "a latency that is not a duration",
        { targetGroups: [tg], thresholds: { latencyP99: "fast" } },
        "thresholds.latencyP99",
      ],
      [
        "a 30 s period on per-minute metrics",
        { targetGroups: [tg], evaluation: { period: 30 } },
        "evaluation.period",
      ],
      [
        "more datapoints to alarm than evaluated",
        { targetGroups: [tg], evaluation: { evaluationPeriods: 2, datapointsToAlarm: 3 } },
        "evaluation.datapointsToAlarm",
      ],
      ["a repeated label", { targetGroups: [tg, tg] }, "label"],
      ["a label with spaces", { targetGroups: [{ ...tg, label: "my web" }] }, "label"],
    ]
    for (const [what, args, arg] of cases) {
      it(`refuses ${what}`, async () => {
        const error = await refused(args)
        assert.include(
          error.problems.map((p) => p.arg),
          arg,
        )
      })
    }
  })
})
