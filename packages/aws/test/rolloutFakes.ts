/**
 * Fakes for the rollout tests: SDK clients stubbed at `send`, each recording the commands
 * it receives (name and input, in order) and answering from a small in-memory model of
 * the service — S3 objects honouring `IfNoneMatch`/`IfMatch` (412 PreconditionFailed), an
 * ALB listener, ECS services, Auto Scaling groups, a Lambda alias and CloudWatch alarms.
 */
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling"
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import type { ECSClient } from "@aws-sdk/client-ecs"
import type { Action, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2"
import type { LambdaClient } from "@aws-sdk/client-lambda"
import type { S3Client } from "@aws-sdk/client-s3"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { AwsClients } from "../src/rollout/DrivenRuntime.ts"

/** One command a stub client received. */
export interface Sent {
  /** The command's class name without `Command`, e.g. `PutObject`. */
  readonly name: string
  // biome-ignore lint/suspicious/noExplicitAny: each SDK command has its own input shape; tests read fields by name
  readonly input: any
}

export const awsError = (name: string, status: number, message = name) =>
  Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
  })

// biome-ignore lint/suspicious/noExplicitAny: as above
type Respond = (name: string, input: any) => unknown

/** A client whose `send` logs into `log` and answers with `respond` (a throw becomes a rejection). */
const stub = <C>(log: Array<Sent>, respond: Respond, gate?: () => Promise<void> | undefined): C =>
  ({
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      const name = command.constructor.name.replace(/Command$/, "")
      const input = structuredClone(command.input)
      const wait = gate?.()
      if (wait !== undefined) await wait
      log.push({ name, input })
      return respond(name, input)
    },
  }) as unknown as C

// ---------------------------------------------------------------- S3

export interface FakeS3 {
  readonly client: S3Client
  readonly log: Array<Sent>
  readonly objects: Map<string, { text: string; etag: string }>
  /** The object's JSON, parsed (`undefined` when absent). */
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON
  readonly json: (key: string) => any
  /** Makes the next `times` calls of `name` fail with `error`. */
  readonly failNext: (name: string, error: Error, times?: number) => void
  /**
   * From now on every call hangs (as if the process died mid-call); `revive` undoes it.
   * Lets a test kill a run without the lock's release reaching S3.
   */
  readonly freeze: () => void
  readonly revive: () => void
}

export const fakeS3 = (log: Array<Sent> = []): FakeS3 => {
  const objects = new Map<string, { text: string; etag: string }>()
  const faults: Array<{ name: string; error: Error; left: number }> = []
  let version = 0
  let frozen = false
  const nextEtag = () => `"v${++version}"`
  const client = stub<S3Client>(
    log,
    (name, input) => {
      const fault = faults.find((f) => f.name === name)
      if (fault !== undefined) {
        fault.left -= 1
        if (fault.left <= 0) faults.splice(faults.indexOf(fault), 1)
        throw fault.error
      }
      const key: string = input.Key
      const existing = objects.get(key)
      switch (name) {
        case "GetObject": {
          if (existing === undefined) throw awsError("NoSuchKey", 404, "The specified key does not exist.")
          return {
            ETag: existing.etag,
            Body: { transformToString: async () => existing.text },
          }
        }
        case "PutObject": {
          if (input.IfNoneMatch === "*" && existing !== undefined) {
            throw awsError(
              "PreconditionFailed",
              412,
              "At least one of the pre-conditions you specified did not hold",
            )
          }
          if (input.IfMatch !== undefined) {
            if (existing === undefined) throw awsError("NoSuchKey", 404)
            if (existing.etag !== input.IfMatch) throw awsError("PreconditionFailed", 412)
          }
          const etag = nextEtag()
          objects.set(key, { text: String(input.Body), etag })
          return { ETag: etag }
        }
        case "DeleteObject": {
          if (input.IfMatch !== undefined) {
            if (existing === undefined) throw awsError("NoSuchKey", 404)
            if (existing.etag !== input.IfMatch) throw awsError("PreconditionFailed", 412)
          }
          objects.delete(key)
          return {}
        }
        case "ListObjectsV2": {
          const all = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? "")).sort()
          const start = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken)
          const page = all.slice(start, start + (input.MaxKeys ?? 1000))
          const more = start + page.length < all.length
          return {
            Contents: page.map((Key) => ({ Key })),
            IsTruncated: more,
            ...(more ? { NextContinuationToken: String(start + page.length) } : {}),
          }
        }
        default:
          throw new Error(`the fake S3 does not answer ${name}`)
      }
    },
    () => (frozen ? new Promise<void>(() => {}) : undefined),
  )
  return {
    client,
    log,
    objects,
    json: (key) => {
      const o = objects.get(key)
      return o === undefined ? undefined : JSON.parse(o.text)
    },
    failNext: (name, error, times = 1) => {
      faults.push({ name, error, left: times })
    },
    freeze: () => {
      frozen = true
    },
    revive: () => {
      frozen = false
    },
  }
}

// ---------------------------------------------------------------- ALB, ECS, Auto Scaling, Lambda, CloudWatch

export const LISTENER =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
export const BLUE_TG =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/73e2d6bc24d8a067"
export const GREEN_TG =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/2453ed029918f21f"

const forward = (groups: ReadonlyArray<readonly [string, number]>): Action => ({
  Type: "forward",
  ForwardConfig: { TargetGroups: groups.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) },
})

export interface FakeAws {
  readonly clients: AwsClients
  readonly s3: FakeS3
  /** Every non-S3 command, in order. */
  readonly log: Array<Sent>
  /** Target group ARN → weight, as the listener forwards now. */
  readonly weights: () => Readonly<Record<string, number>>
  readonly ecs: Map<string, { taskDefinition: string; desiredCount: number }>
  readonly groups: Map<string, { launchTemplateId: string; version: string; desired: number }>
  readonly alias: { functionVersion: string; extra: Record<string, number> }
  readonly alarms: Map<string, "OK" | "ALARM" | "INSUFFICIENT_DATA">
}

export const fakeAws = (
  options: {
    /** Listener weights before the test (default: blue 1, green 0, as the component creates them). */
    readonly listener?: ReadonlyArray<readonly [string, number]>
    readonly services?: Readonly<Record<string, { taskDefinition: string; desiredCount: number }>>
    readonly groups?: Readonly<Record<string, { launchTemplateId: string; version: string; desired: number }>>
    readonly alias?: { functionVersion: string }
    readonly alarms?: Readonly<Record<string, "OK" | "ALARM" | "INSUFFICIENT_DATA">>
  } = {},
): FakeAws => {
  const log: Array<Sent> = []
  const s3 = fakeS3()
  let actions: ReadonlyArray<Action> = [
    forward(
      options.listener ?? [
        [BLUE_TG, 1],
        [GREEN_TG, 0],
      ],
    ),
  ]
  const ecs = new Map(Object.entries(options.services ?? {}).map(([k, v]) => [k, { ...v }]))
  const groups = new Map(Object.entries(options.groups ?? {}).map(([k, v]) => [k, { ...v }]))
  const alias = {
    functionVersion: options.alias?.functionVersion ?? "1",
    extra: {} as Record<string, number>,
  }
  const alarms = new Map(Object.entries(options.alarms ?? {}))

  const elbv2 = stub<ElasticLoadBalancingV2Client>(log, (name, input) => {
    switch (name) {
      case "DescribeListeners":
        return { Listeners: [{ ListenerArn: LISTENER, DefaultActions: structuredClone(actions) }] }
      case "ModifyListener":
        actions = structuredClone(input.DefaultActions)
        return {}
      case "DescribeTargetHealth":
        return {
          TargetHealthDescriptions: [
            { Target: { Id: "10.0.1.5", Port: 8080 }, TargetHealth: { State: "healthy" } },
          ],
        }
      default:
        throw new Error(`the fake ELB does not answer ${name}`)
    }
  })
  const ecsClient = stub<ECSClient>(log, (name, input) => {
    switch (name) {
      case "DescribeServices":
        return {
          services: (input.services as Array<string>).flatMap((serviceName) => {
            const s = ecs.get(serviceName)
            return s === undefined
              ? []
              : [
                  {
                    serviceName,
                    status: "ACTIVE",
                    taskDefinition: s.taskDefinition,
                    desiredCount: s.desiredCount,
                    runningCount: s.desiredCount,
                    pendingCount: 0,
                    deployments: [
                      { status: "PRIMARY", runningCount: s.desiredCount, rolloutState: "COMPLETED" },
                    ],
                  },
                ]
          }),
        }
      case "UpdateService": {
        const s = ecs.get(input.service)
        if (s === undefined) throw awsError("ServiceNotFoundException", 400)
        if (input.taskDefinition !== undefined) s.taskDefinition = input.taskDefinition
        if (input.desiredCount !== undefined) s.desiredCount = input.desiredCount
        return {}
      }
      default:
        throw new Error(`the fake ECS does not answer ${name}`)
    }
  })
  const autoScaling = stub<AutoScalingClient>(log, (name, input) => {
    switch (name) {
      case "DescribeAutoScalingGroups":
        return {
          AutoScalingGroups: (input.AutoScalingGroupNames as Array<string>).flatMap(
            (AutoScalingGroupName) => {
              const g = groups.get(AutoScalingGroupName)
              return g === undefined
                ? []
                : [
                    {
                      AutoScalingGroupName,
                      DesiredCapacity: g.desired,
                      LaunchTemplate: { LaunchTemplateId: g.launchTemplateId, Version: g.version },
                      Instances: Array.from({ length: g.desired }, (_, i) => ({
                        InstanceId: `i-${AutoScalingGroupName}-${i}`,
                        LifecycleState: "InService",
                        HealthStatus: "Healthy",
                      })),
                    },
                  ]
            },
          ),
        }
      case "SetDesiredCapacity": {
        const g = groups.get(input.AutoScalingGroupName)!
        g.desired = input.DesiredCapacity
        return {}
      }
      case "UpdateAutoScalingGroup": {
        const g = groups.get(input.AutoScalingGroupName)!
        g.launchTemplateId = input.LaunchTemplate.LaunchTemplateId
        g.version = input.LaunchTemplate.Version
        return {}
      }
      default:
        throw new Error(`the fake Auto Scaling does not answer ${name}`)
    }
  })
  const lambda = stub<LambdaClient>(log, (name, input) => {
    switch (name) {
      case "GetAlias":
        return {
          FunctionVersion: alias.functionVersion,
          RoutingConfig: { AdditionalVersionWeights: { ...alias.extra } },
        }
      case "UpdateAlias":
        alias.functionVersion = input.FunctionVersion
        alias.extra = { ...(input.RoutingConfig?.AdditionalVersionWeights ?? {}) }
        return {}
      case "GetFunctionConfiguration":
        return { State: "Active", LastUpdateStatus: "Successful", Version: input.Qualifier }
      default:
        throw new Error(`the fake Lambda does not answer ${name}`)
    }
  })
  const cloudWatch = stub<CloudWatchClient>(log, (name, input) => {
    if (name !== "DescribeAlarms") throw new Error(`the fake CloudWatch does not answer ${name}`)
    const alarmName = input.AlarmNames[0] as string
    const state = alarms.get(alarmName)
    return state === undefined
      ? { MetricAlarms: [] }
      : {
          MetricAlarms: [
            {
              AlarmName: alarmName,
              StateValue: state,
              StateReason:
                state === "ALARM"
                  ? "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)"
                  : "Threshold not crossed",
              StateUpdatedTimestamp: new Date(0),
            },
          ],
        }
  })

  return {
    clients: { s3: s3.client, elbv2, ecs: ecsClient, autoScaling, lambda, cloudWatch },
    s3,
    log,
    weights: () => {
      const groupsNow = actions.find((a) => a.Type === "forward")?.ForwardConfig?.TargetGroups ?? []
      return Object.fromEntries(groupsNow.map((g) => [g.TargetGroupArn ?? "?", g.Weight ?? 0]))
    },
    ecs,
    groups,
    alias,
    alarms,
  }
}

/** Listener weights each ModifyListener wrote, by target group, in order. */
export const modifiedWeights = (log: ReadonlyArray<Sent>): Array<Record<string, number>> =>
  log
    .filter((s) => s.name === "ModifyListener")
    .map((s) =>
      Object.fromEntries(
        (
          s.input.DefaultActions[0].ForwardConfig.TargetGroups as Array<{
            TargetGroupArn: string
            Weight: number
          }>
        ).map((g) => [
          g.TargetGroupArn === BLUE_TG ? "blue" : g.TargetGroupArn === GREEN_TG ? "green" : g.TargetGroupArn,
          g.Weight,
        ]),
      ),
    )

/** Runs an effect to its end, advancing virtual time a second at a time (bounded). */
export const runWithClock = <A, E>(effect: Effect.Effect<A, E>, limitSeconds = 7_200) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(effect)
    for (let s = 0; s < limitSeconds && fiber.pollUnsafe() === undefined; s++) {
      yield* Effect.yieldNow
      yield* TestClock.adjust("1 second")
    }
    return yield* Fiber.await(fiber)
  })

/** Advances virtual time second by second until `done` holds (bounded), letting fibers run. */
export const advanceUntil = (done: () => boolean, limitSeconds = 7_200) =>
  Effect.gen(function* () {
    for (let s = 0; s < limitSeconds && !done(); s++) {
      yield* Effect.yieldNow
      yield* TestClock.adjust("1 second")
    }
  })
