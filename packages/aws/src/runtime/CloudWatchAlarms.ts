/**
 * Alarm states from CloudWatch (`DescribeAlarms`), for alarm gates in driven rollouts: the
 * same alarms a native rollout hands to ECS, CodeDeploy or an instance refresh.
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch"
import { AlarmError, AlarmSource, type AlarmState } from "@slipway/gates"
import { Effect, Layer } from "effect"
import { type AwsCallPolicy, callAws } from "./AwsCall.ts"

/**
 * The CloudWatch client alarms are read with.
 *
 * @example
 * import type { CloudWatchAlarmsConfig } from "@slipway/aws"
 * const config: CloudWatchAlarmsConfig = { client: new CloudWatchClient({ region: "eu-west-1", maxAttempts: 1 }) }
 */
export interface CloudWatchAlarmsConfig {
  readonly client: CloudWatchClient
  readonly call?: AwsCallPolicy
}

/**
 * Builds the CloudWatch alarm source.
 *
 * @example
 * import { makeCloudWatchAlarms } from "@slipway/aws"
 * import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
 * const alarms = makeCloudWatchAlarms({ client: new CloudWatchClient({ maxAttempts: 1 }) })
 * // alarms.state("api-5xx") → { state: "OK", reason: "Threshold Crossed: …", updatedAt: Date }
 */
export const makeCloudWatchAlarms = (config: CloudWatchAlarmsConfig): AlarmSource["Service"] => ({
  state: (name) =>
    callAws(
      "DescribeAlarms",
      (abortSignal) =>
        config.client.send(
          // Both types: DescribeAlarms returns only metric alarms unless asked for composites too.
          new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
          { abortSignal },
        ),
      config.call,
    ).pipe(
      Effect.mapError((e) => new AlarmError({ alarm: name, message: e.message, cause: e })),
      Effect.flatMap((out) => {
        const alarm = out.MetricAlarms?.[0] ?? out.CompositeAlarms?.[0]
        if (alarm === undefined) {
          return Effect.fail(
            new AlarmError({
              alarm: name,
              message: `no CloudWatch alarm named ${name} in this account and region; check the name and the client's region`,
            }),
          )
        }
        const state = alarm.StateValue
        if (state !== "OK" && state !== "ALARM" && state !== "INSUFFICIENT_DATA") {
          return Effect.fail(
            new AlarmError({
              alarm: name,
              message: `alarm ${name} reports an unknown state ${String(state)}`,
            }),
          )
        }
        return Effect.succeed<AlarmState>({
          state,
          reason: alarm.StateReason ?? "",
          updatedAt: alarm.StateUpdatedTimestamp ?? new Date(0),
        })
      }),
    ),
})

/**
 * `AlarmSource` (from `@slipway/gates`) on CloudWatch.
 *
 * @example
 * import { CloudWatchAlarms } from "@slipway/aws"
 * const AlarmsLive = CloudWatchAlarms.layer({ client })
 */
export const CloudWatchAlarms = {
  make: makeCloudWatchAlarms,
  layer: (config: CloudWatchAlarmsConfig): Layer.Layer<AlarmSource> =>
    Layer.succeed(AlarmSource, makeCloudWatchAlarms(config)),
} as const
