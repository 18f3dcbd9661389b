/**
 * Driven compute on EC2 Auto Scaling: each revision is its own Auto Scaling group (its own
 * launch template version), registered in its own target group. `ensure` sets the desired
 * capacity and polls (bounded) until that many instances are InService and Healthy and no
 * others are still launching or leaving.
 */
import {
  type AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from "@aws-sdk/client-auto-scaling"
import { Compute, ComputeError, type RevisionHealth } from "@slipway/core"
import { type Duration, Effect, Layer } from "effect"
import { type AwsCallError, type AwsCallPolicy, callAws } from "./AwsCall.ts"
import { makePollingCompute } from "./PollingCompute.ts"
import type { RevisionMap } from "./RevisionMap.ts"

/**
 * Which Auto Scaling group runs which revision.
 *
 * @example
 * import type { AsgComputeConfig } from "@slipway/aws"
 * const config: AsgComputeConfig = { client, groups: { "web-aaa": "web-blue", "web-bbb": "web-green" }, readyTimeout: "20 minutes" }
 */
export interface AsgComputeConfig {
  readonly client: AutoScalingClient
  /** Revision id → Auto Scaling group name. */
  readonly groups: RevisionMap
  readonly call?: AwsCallPolicy
  /** Time between DescribeAutoScalingGroups polls while waiting (default 15 s). */
  readonly pollInterval?: Duration.Input
  /** Longest `ensure` waits (default 15 minutes: instances boot slower than tasks). */
  readonly readyTimeout?: Duration.Input
}

const observe = (revision: string, group: AutoScalingGroup, desired: number) => {
  const instances = group.Instances ?? []
  const ready = instances.filter((i) => i.LifecycleState === "InService" && i.HealthStatus === "Healthy")
  const others = instances.filter((i) => !ready.includes(i))
  const health: RevisionHealth = {
    revision,
    desired: group.DesiredCapacity ?? desired,
    ready: ready.length,
    restarts: instances.filter((i) => i.HealthStatus === "Unhealthy").length,
    ...(others.length > 0
      ? { lastError: others.map((i) => `${i.InstanceId} ${i.LifecycleState}/${i.HealthStatus}`).join(", ") }
      : {}),
  }
  return { health, steady: ready.length === desired && instances.length === desired }
}

/**
 * Builds the Auto Scaling compute operations.
 *
 * @example
 * import { makeAsgCompute } from "@slipway/aws"
 * import { AutoScalingClient } from "@aws-sdk/client-auto-scaling"
 * const compute = makeAsgCompute({ client: new AutoScalingClient({ maxAttempts: 1 }), groups: { "web-aaa": "web-blue" } })
 */
export const makeAsgCompute = (config: AsgComputeConfig): Compute["Service"] => {
  const { client } = config
  const computeError = (revision: string, name: string) => (e: AwsCallError) =>
    new ComputeError({
      revision,
      message: `Auto Scaling group ${name}: ${e.message}${e.code === "ValidationError" ? " (is the capacity within the group's MinSize..MaxSize?)" : ""}`,
      cause: e,
    })

  return makePollingCompute({
    span: "AsgCompute",
    resources: config.groups,
    unmapped: (revision) => `no Auto Scaling group for revision ${revision}; add it to the groups map`,
    resize: (revision, name, capacity) =>
      callAws(
        "SetDesiredCapacity",
        (abortSignal) =>
          client.send(
            // HonorCooldown false: a rollout decides the size; a scaling cooldown must not veto it.
            new SetDesiredCapacityCommand({
              AutoScalingGroupName: name,
              DesiredCapacity: capacity,
              HonorCooldown: false,
            }),
            { abortSignal },
          ),
        config.call,
      ).pipe(Effect.asVoid, Effect.mapError(computeError(revision, name))),
    describe: (revision, name, desired) =>
      callAws(
        "DescribeAutoScalingGroups",
        (abortSignal) =>
          client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }), {
            abortSignal,
          }),
        config.call,
      ).pipe(
        Effect.mapError(computeError(revision, name)),
        Effect.flatMap((out) => {
          const group = out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name)
          return group === undefined
            ? Effect.fail(
                new ComputeError({ revision, message: `Auto Scaling group ${name} does not exist` }),
              )
            : Effect.succeed(observe(revision, group, desired ?? group.DesiredCapacity ?? 0))
        }),
      ),
    pollInterval: config.pollInterval ?? "15 seconds",
    readyTimeout: config.readyTimeout ?? "15 minutes",
    notReady: (name, replicas, within, last) =>
      `Auto Scaling group ${name} did not reach ${replicas} healthy instance(s) within ${within}: ${last === undefined ? "no answer" : `${last.health.ready} healthy${last.health.lastError === undefined ? "" : `; ${last.health.lastError}`}`}`,
  })
}

/**
 * `Compute` on Auto Scaling groups, one group per revision.
 *
 * @example
 * import { AsgCompute } from "@slipway/aws"
 * const ComputeLive = AsgCompute.layer({ client, groups: { "web-aaa": "web-blue", "web-bbb": "web-green" } })
 */
export const AsgCompute = {
  make: makeAsgCompute,
  layer: (config: AsgComputeConfig): Layer.Layer<Compute> => Layer.succeed(Compute, makeAsgCompute(config)),
} as const
