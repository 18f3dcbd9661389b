import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import type { ECSClient } from "@aws-sdk/client-ecs"
import { assert, describe, it } from "@effect/vitest"
import { MetricSource } from "@slipway/core"
import { AlarmSource } from "@slipway/gates"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import {
  CloudWatchAlarms,
  CloudWatchMetrics,
  EcsNativeDeployment,
  type MetricTarget,
} from "../src/runtime/index.ts"

interface Sent {
  readonly name: string
  // biome-ignore lint/suspicious/noExplicitAny: a stub answers every SDK command; each input has its own shape
  readonly input: any
}

/** A client whose `send` records each command's name and input and answers from `respond`. */
// biome-ignore lint/suspicious/noExplicitAny: as above
const stubClient = <C>(respond: (name: string, input: any) => unknown) => {
  const log: Array<Sent> = []
  const client = {
    send: (command: { constructor: { name: string }; input: unknown }) => {
      log.push({ name: command.constructor.name, input: structuredClone(command.input) })
      try {
        return Promise.resolve(respond(command.constructor.name, command.input))
      } catch (e) {
        return Promise.reject(e)
      }
    },
  }
  return { client: client as unknown as C, log }
}

const NOW = Date.UTC(2026, 0, 15, 12, 0, 42)
const END = new Date(Date.UTC(2026, 0, 15, 12, 0, 0))

const alb: MetricTarget = {
  kind: "alb",
  loadBalancer: "app/web/50dc6c495c0c9188",
  targetGroup: "targetgroup/web-green/2453ed029918f21f",
}
const albDimensions = [
  { Name: "LoadBalancer", Value: "app/web/50dc6c495c0c9188" },
  { Name: "TargetGroup", Value: "targetgroup/web-green/2453ed029918f21f" },
]
const lambda: MetricTarget = { kind: "lambda", functionName: "api", alias: "live", version: "7" }

const results = (values: Readonly<Record<string, ReadonlyArray<number>>>, NextToken?: string) => ({
  MetricDataResults: Object.entries(values).map(([Id, Values]) => ({ Id, Values, StatusCode: "Complete" })),
  ...(NextToken === undefined ? {} : { NextToken }),
})

describe("CloudWatchMetrics", () => {
  it.effect("asks GetMetricData for a target group's 5xx and requests over whole minutes, and divides", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const cw = stubClient<CloudWatchClient>(() => results({ errors: [42], requests: [8400] }))
      const metrics = CloudWatchMetrics.make({ client: cw.client, targets: { "web-green": alb } })
      const result = yield* metrics.query({
        app: "web",
        revision: "web-green",
        metric: "error_rate",
        window: 300_000,
      })
      assert.deepStrictEqual(cw.log, [
        {
          name: "GetMetricDataCommand",
          input: {
            MetricDataQueries: [
              {
                Id: "errors",
                MetricStat: {
                  Metric: {
                    Namespace: "AWS/ApplicationELB",
                    MetricName: "HTTPCode_Target_5XX_Count",
                    Dimensions: albDimensions,
                  },
                  Period: 300,
                  Stat: "Sum",
                },
                ReturnData: true,
              },
              {
                Id: "requests",
                MetricStat: {
                  Metric: {
                    Namespace: "AWS/ApplicationELB",
                    MetricName: "RequestCount",
                    Dimensions: albDimensions,
                  },
                  Period: 300,
                  Stat: "Sum",
                },
                ReturnData: true,
              },
            ],
            StartTime: new Date(END.getTime() - 300_000),
            EndTime: END,
            ScanBy: "TimestampDescending",
          },
        },
      ])
      assert.deepStrictEqual(result, {
        query: [
          "GetMetricData 2026-01-15T11:55:00.000Z..2026-01-15T12:00:00.000Z period 300s",
          "  errors = AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum {LoadBalancer=app/web/50dc6c495c0c9188, TargetGroup=targetgroup/web-green/2453ed029918f21f}",
          "  requests = AWS/ApplicationELB RequestCount Sum {LoadBalancer=app/web/50dc6c495c0c9188, TargetGroup=targetgroup/web-green/2453ed029918f21f}",
          "  value = errors / requests",
        ].join("\n"),
        value: 0.005,
        count: 8400,
      })
    }),
  )

  it.effect("counts missing 5xx datapoints as zero errors (ALB publishes none for a zero count)", () =>
    Effect.gen(function* () {
      const cw = stubClient<CloudWatchClient>(() => results({ errors: [], requests: [120] }))
      const metrics = CloudWatchMetrics.make({ client: cw.client, targets: { "web-green": alb } })
      const rate = yield* metrics.query({
        app: "web",
        revision: "web-green",
        metric: "error_rate",
        window: 60_000,
      })
      assert.deepStrictEqual([rate.value, rate.count], [0, 120])
      const errors = yield* metrics.query({
        app: "web",
        revision: "web-green",
        metric: "errors",
        window: 60_000,
      })
      assert.deepStrictEqual([errors.value, errors.count], [0, 120])
    }),
  )

  it.effect("says there is no data rather than 0% when the revision had no requests", () =>
    Effect.gen(function* () {
      const cw = stubClient<CloudWatchClient>(() => results({ errors: [], requests: [] }))
      const metrics = CloudWatchMetrics.make({ client: cw.client, targets: { "web-green": alb } })
      const rate = yield* metrics.query({
        app: "web",
        revision: "web-green",
        metric: "error_rate",
        window: 60_000,
      })
      assert.deepStrictEqual([rate.value, rate.count], [null, 0])
    }),
  )

  it.effect("reads ALB latency percentiles in milliseconds, with a period of at least 60 s", () =>
    Effect.gen(function* () {
      const cw = stubClient<CloudWatchClient>(() => results({ latency: [0.183], requests: [900] }))
      const metrics = CloudWatchMetrics.make({ client: cw.client, targets: { "web-green": alb } })
      const p95 = yield* metrics.query({
        app: "web",
        revision: "web-green",
        metric: "latency_p95",
        window: 20_000,
      })
      assert.strictEqual(p95.value, 183)
      assert.strictEqual(p95.count, 900)
      const [latency] = cw.log[0]!.input.MetricDataQueries
      assert.deepStrictEqual(latency.MetricStat, {
        Metric: {
          Namespace: "AWS/ApplicationELB",
          MetricName: "TargetResponseTime",
          Dimensions: albDimensions,
        },
        Period: 60,
        Stat: "p95",
      })
    }),
  )

  it.effect("reads a Lambda version behind an alias by ExecutedVersion, duration already in ms", () =>
    Effect.gen(function* () {
      const cw = stubClient<CloudWatchClient>(() => results({ latency: [412.5], requests: [77] }))
      const metrics = CloudWatchMetrics.make({ client: cw.client, targets: () => lambda })
      const p99 = yield* metrics.query({
        app: "api",
        revision: "api-7",
        metric: "latency_p99",
        window: 120_000,
      })
      assert.strictEqual(p99.value, 412.5)
      assert.deepStrictEqual(
        cw.log[0]!.input.MetricDataQueries.map((q: { MetricStat: unknown }) => q.MetricStat),
        [
          {
            Metric: {
              Namespace: "AWS/Lambda",
              MetricName: "Duration",
              Dimensions: [
                { Name: "FunctionName", Value: "api" },
                { Name: "Resource", Value: "api:live" },
                { Name: "ExecutedVersion", Value: "7" },
              ],
            },
            Period: 120,
            Stat: "p99",
          },
          {
            Metric: {
              Namespace: "AWS/Lambda",
              MetricName: "Invocations",
              Dimensions: [
                { Name: "FunctionName", Value: "api" },
                { Name: "Resource", Value: "api:live" },
                { Name: "ExecutedVersion", Value: "7" },
              ],
            },
            Period: 120,
            Stat: "Sum",
          },
        ],
      )
    }),
  )

  it.effect("uses Resource=function:version for a version invoked directly", () =>
    Effect.gen(function* () {
      const cw = stubClient<CloudWatchClient>(() => results({ errors: [3], requests: [300] }))
      const metrics = CloudWatchMetrics.make({
        client: cw.client,
        targets: { "api-7": { kind: "lambda", functionName: "api", version: "7" } },
      })
      const rate = yield* metrics.query({
        app: "api",
        revision: "api-7",
        metric: "error_rate",
        window: 60_000,
      })
      assert.strictEqual(rate.value, 0.01)
      assert.deepStrictEqual(cw.log[0]!.input.MetricDataQueries[0].MetricStat.Metric, {
        Namespace: "AWS/Lambda",
        MetricName: "Errors",
        Dimensions: [
          { Name: "FunctionName", Value: "api" },
          { Name: "Resource", Value: "api:7" },
        ],
      })
    }),
  )

  it.effect("follows NextToken and sums the pages", () =>
    Effect.gen(function* () {
      const pages = [results({ requests: [100] }, "page-2"), results({ requests: [50] })]
      const cw = stubClient<CloudWatchClient>(() => pages.shift())
      const metrics = CloudWatchMetrics.make({ client: cw.client, targets: { "web-green": alb } })
      const requests = yield* metrics.query({
        app: "web",
        revision: "web-green",
        metric: "requests",
        window: 60_000,
      })
      assert.strictEqual(requests.value, 150)
      assert.strictEqual(cw.log[1]!.input.NextToken, "page-2")
    }),
  )

  it.effect("refuses metrics CloudWatch cannot serve, and revisions it does not know", () =>
    Effect.gen(function* () {
      const cw = stubClient<CloudWatchClient>(() => results({}))
      const metrics = CloudWatchMetrics.make({ client: cw.client, targets: { "web-green": alb } })
      const samples = yield* Effect.flip(
        metrics.query({ app: "web", revision: "web-green", metric: "latency", window: 60_000 }),
      )
      assert.strictEqual(
        samples.message,
        "CloudWatch serves requests, errors, error_rate and latency_pNN (e.g. latency_p95), not latency (it keeps no individual samples)",
      )
      const unknown = yield* Effect.flip(
        metrics.query({ app: "web", revision: "web-blue", metric: "errors", window: 60_000 }),
      )
      assert.strictEqual(unknown.message, "no CloudWatch target for revision web-blue; add it to targets")
      assert.deepStrictEqual(cw.log, [])
    }),
  )

  it.effect("provides the core MetricSource", () =>
    Effect.gen(function* () {
      const cw = stubClient<CloudWatchClient>(() => results({ requests: [5] }))
      const value = yield* Effect.gen(function* () {
        const source = yield* MetricSource
        return (yield* source.query({
          app: "web",
          revision: "web-green",
          metric: "requests",
          window: 60_000,
        })).value
      }).pipe(Effect.provide(CloudWatchMetrics.layer({ client: cw.client, targets: { "web-green": alb } })))
      assert.strictEqual(value, 5)
    }),
  )
})

describe("CloudWatchAlarms", () => {
  const updated = new Date(Date.UTC(2026, 0, 15, 11, 58, 0))

  it.effect("reads an alarm's state, reason and time with DescribeAlarms (metric and composite)", () =>
    Effect.gen(function* () {
      const cw = stubClient<CloudWatchClient>((_, input) =>
        input.AlarmNames[0] === "web-5xx"
          ? {
              MetricAlarms: [
                {
                  AlarmName: "web-5xx",
                  StateValue: "ALARM",
                  StateReason: "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).",
                  StateUpdatedTimestamp: updated,
                },
              ],
              CompositeAlarms: [],
            }
          : {
              MetricAlarms: [],
              CompositeAlarms: [
                {
                  AlarmName: "web-health",
                  StateValue: "OK",
                  StateReason: "",
                  StateUpdatedTimestamp: updated,
                },
              ],
            },
      )
      const alarms = CloudWatchAlarms.make({ client: cw.client })
      assert.deepStrictEqual(yield* alarms.state("web-5xx"), {
        state: "ALARM",
        reason: "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).",
        updatedAt: updated,
      })
      assert.strictEqual((yield* alarms.state("web-health")).state, "OK")
      assert.deepStrictEqual(cw.log[0], {
        name: "DescribeAlarmsCommand",
        input: { AlarmNames: ["web-5xx"], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] },
      })
    }),
  )

  it.effect("names a missing alarm", () =>
    Effect.gen(function* () {
      const cw = stubClient<CloudWatchClient>(() => ({ MetricAlarms: [], CompositeAlarms: [] }))
      const error = yield* Effect.flip(
        Effect.gen(function* () {
          const alarms = yield* AlarmSource
          return yield* alarms.state("web-typo")
        }).pipe(Effect.provide(CloudWatchAlarms.layer({ client: cw.client }))),
      )
      assert.strictEqual(error._tag, "AlarmError")
      assert.strictEqual(
        error.message,
        "no CloudWatch alarm named web-typo in this account and region; check the name and the client's region",
      )
    }),
  )
})

describe("EcsNativeDeployment", () => {
  const DEPLOYMENT = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/EZe5RNVLH6PPzHXINuP28"
  const fakeEcs = (hooks: ReadonlyArray<Record<string, unknown>>) =>
    stubClient<ECSClient>((name) => {
      switch (name) {
        case "ListServiceDeploymentsCommand":
          return { serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT, status: "IN_PROGRESS" }] }
        case "DescribeServiceDeploymentsCommand":
          return {
            serviceDeployments: [
              {
                serviceDeploymentArn: DEPLOYMENT,
                lifecycleStage: "POST_TEST_TRAFFIC_SHIFT",
                lifecycleHookDetails: hooks,
              },
            ],
          }
        case "ContinueServiceDeploymentCommand":
          return { serviceDeploymentArn: DEPLOYMENT }
        default:
          throw new Error(`unexpected ${name}`)
      }
    })

  it.effect("promotes the deployment waiting at its PAUSE hook with ContinueServiceDeployment", () =>
    Effect.gen(function* () {
      const ecs = fakeEcs([
        { hookId: "h-lambda", targetType: "AWS_LAMBDA", status: "SUCCEEDED" },
        { hookId: "h-pause", targetType: "PAUSE", status: "AWAITING_ACTION", timeoutAction: "ROLLBACK" },
      ])
      const web = EcsNativeDeployment.make({ client: ecs.client, cluster: "prod", service: "web" })
      const promoted = yield* web.promote
      assert.deepStrictEqual(promoted, {
        serviceDeploymentArn: DEPLOYMENT,
        hookId: "h-pause",
        lifecycleStage: "POST_TEST_TRAFFIC_SHIFT",
      })
      assert.deepStrictEqual(ecs.log, [
        {
          name: "ListServiceDeploymentsCommand",
          input: { cluster: "prod", service: "web", status: ["IN_PROGRESS"] },
        },
        { name: "DescribeServiceDeploymentsCommand", input: { serviceDeploymentArns: [DEPLOYMENT] } },
        {
          name: "ContinueServiceDeploymentCommand",
          input: { serviceDeploymentArn: DEPLOYMENT, hookId: "h-pause", action: "CONTINUE" },
        },
      ])
    }),
  )

  it.effect("aborts with ROLLBACK", () =>
    Effect.gen(function* () {
      const ecs = fakeEcs([{ hookId: "h-pause", targetType: "PAUSE", status: "AWAITING_ACTION" }])
      yield* EcsNativeDeployment.make({ client: ecs.client, cluster: "prod", service: "web" }).abort
      assert.deepStrictEqual(ecs.log[2]!.input, {
        serviceDeploymentArn: DEPLOYMENT,
        hookId: "h-pause",
        action: "ROLLBACK",
      })
    }),
  )

  it.effect("refuses to promote when nothing waits, without calling ContinueServiceDeployment", () =>
    Effect.gen(function* () {
      const ecs = fakeEcs([{ hookId: "h-lambda", targetType: "AWS_LAMBDA", status: "IN_PROGRESS" }])
      const error = yield* Effect.flip(
        EcsNativeDeployment.make({ client: ecs.client, cluster: "prod", service: "web" }).promote,
      )
      assert.strictEqual(
        error.message,
        "no deployment of web in prod is waiting at a PAUSE hook; nothing to promote",
      )
      assert.notInclude(
        ecs.log.map((s) => s.name),
        "ContinueServiceDeploymentCommand",
      )
    }),
  )
})
