/**
 * Compiles a strategy to an Auto Scaling group instance refresh: instances are replaced in
 * place, pausing at checkpoints (the strategy's weights, as a percentage of instances
 * replaced — behind a load balancer, traffic follows the instance count), with alarms that
 * fail the refresh and roll it back.
 *
 * An instance refresh waits the same `checkpointDelay` at every checkpoint, cannot wait for a
 * person, has no stage before traffic (new instances serve as soon as they are in service)
 * and ends with the last replacement. Strategies needing more are refused.
 */
import { formatDuration, type Strategy } from "@slipway/core"
import { backendLimits } from "@slipway/strategies"
import type { Compilation } from "./Native.ts"
import {
  bakeOf,
  compileWith,
  gatesIn,
  largestIncrement,
  planTraffic,
  planWeights,
  refuse,
} from "./TrafficPlan.ts"

/**
 * Gate info and instance settings for an instance refresh. `Ref` is `string` or a Pulumi `Input<string>`.
 *
 * @example
 * import type { InstanceRefreshOptions } from "@slipway/aws"
 * const options: InstanceRefreshOptions = { alarms: ["web-5xx"], instanceWarmupSeconds: 120 }
 */
export interface InstanceRefreshOptions<Ref = string> {
  /** CloudWatch alarms that fail (and roll back) the refresh; at most 10. */
  readonly alarms?: ReadonlyArray<Ref>
  /** Seconds until a new instance is ready; default: the group's health check grace period. */
  readonly instanceWarmupSeconds?: number
  /** Skip instances already on the desired launch template (default true: revisions are content-addressed). */
  readonly skipMatching?: boolean
}

/**
 * `aws.autoscaling.Group` `instanceRefresh`.
 *
 * @example
 * import * as aws from "@pulumi/aws"
 * // settings: InstanceRefreshSettings from compileInstanceRefresh
 * new aws.autoscaling.Group("web", { ...groupArgs, instanceRefresh: settings })
 */
export interface InstanceRefreshSettings<Ref = string> {
  readonly strategy: "Rolling"
  readonly preferences: {
    readonly minHealthyPercentage: number
    readonly maxHealthyPercentage: number
    readonly checkpointPercentages?: Array<number>
    /** Seconds, as the provider schema takes it. */
    readonly checkpointDelay?: string
    readonly instanceWarmup?: string
    readonly autoRollback: boolean
    readonly alarmSpecification?: { readonly alarms: Array<Ref> }
    readonly skipMatching: boolean
  }
}

const MAX_ALARMS = backendLimits["asg-refresh"].maxAlarms!

/**
 * Compiles a strategy to an Auto Scaling group `instanceRefresh`, or refuses with the reason
 * and the alternative.
 *
 * @example
 * import { compileInstanceRefresh } from "@slipway/aws"
 * import { defaultAnalysis } from "@slipway/core"
 * const result = compileInstanceRefresh(
 *   {
 *     kind: "canary",
 *     steps: [
 *       { _tag: "SetWeight", weight: 20 }, { _tag: "Pause", duration: 600_000 },
 *       { _tag: "SetWeight", weight: 50 }, { _tag: "Pause", duration: 600_000 },
 *       { _tag: "SetWeight", weight: 100 },
 *     ],
 *     analysis: defaultAnalysis, scaleDownDelay: 30_000, progressDeadline: 600_000,
 *   },
 *   { alarms: ["web-5xx"] },
 * )
 * // result.settings.preferences: { checkpointPercentages: [20, 50, 100], checkpointDelay: "600", … }
 */
export const compileInstanceRefresh = <Ref = string>(
  strategy: Strategy,
  options: InstanceRefreshOptions<Ref> = {},
): Compilation<InstanceRefreshSettings<Ref>> =>
  compileWith("instance-refresh", (notes) => {
    // What the strategy alone rules out (waits for a person, a candidate sized ahead of its
    // traffic, anything before traffic or after 100%, uneven or out-of-range checkpoint
    // delays) is refused here, with explain's messages.
    const plan = planTraffic(strategy, "instance-refresh")
    const alarms = options.alarms ?? []
    if (alarms.length > MAX_ALARMS) {
      refuse(`${alarms.length} alarms given; an instance refresh watches at most ${MAX_ALARMS}`, {
        path: "alarms",
        fix: "combine them into a composite alarm",
      })
    }
    for (const plateau of plan.plateaus) {
      const gate = gatesIn(plateau)[0]
      if (gate !== undefined && alarms.length === 0) {
        refuse(
          `steps[${gate.index}] is a Gate at ${plateau.weight}% of instances; an instance refresh judges only through CloudWatch alarms and none were given`,
          { path: `steps[${gate.index}]`, fix: "pass `alarms` (the alarms that stand for the gates)" },
        )
      }
    }

    const weights = planWeights(plan)
    // One bake, in whole seconds, for every checkpoint.
    const bake = plan.plateaus[0] === undefined ? undefined : bakeOf(plan.plateaus[0])
    const delaySeconds = bake === undefined ? undefined : bake / 1_000
    // Launch before terminating: capacity never drops below 100%, and each batch adds at most one step's worth.
    const maxHealthyPercentage = Math.min(200, 100 + largestIncrement(weights))
    if (plan.plateaus.length > 0) {
      notes.push(
        `weights ${weights.join(", ")} → checkpoints at ${weights.join(", ")}% of instances replaced`,
      )
      notes.push(`bake ${formatDuration(bake!)} at each checkpoint → checkpointDelay "${delaySeconds}"`)
    } else {
      notes.push(
        "0 → 100% in one move → every instance replaced in one batch (launched before the old ones stop)",
      )
    }
    notes.push("scaleDownDelay: old instances stop as their replacements pass health checks")
    if (alarms.length > 0) notes.push(`${alarms.length} alarm(s) fail the refresh and roll it back`)

    return {
      strategy: "Rolling",
      preferences: {
        minHealthyPercentage: 100,
        maxHealthyPercentage,
        ...(plan.plateaus.length > 0
          ? { checkpointPercentages: [...weights], checkpointDelay: String(delaySeconds) }
          : {}),
        ...(options.instanceWarmupSeconds === undefined
          ? {}
          : { instanceWarmup: String(options.instanceWarmupSeconds) }),
        autoRollback: true,
        ...(alarms.length > 0 ? { alarmSpecification: { alarms: [...alarms] } } : {}),
        skipMatching: options.skipMatching ?? true,
      },
    }
  })
