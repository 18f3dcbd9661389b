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
import type { Compilation } from "./Native.ts"
import {
  bakeOf,
  compileWith,
  gatesIn,
  manualPausesIn,
  pathOf,
  planTraffic,
  planWeights,
  refuse,
  scalesIn,
  timedPausesIn,
  tracksTraffic,
  wholeSeconds,
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

const MAX_ALARMS = 10
const MAX_CHECKPOINT_DELAY_SECONDS = 172_800

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
    const plan = planTraffic(strategy)
    const segments = [plan.pre, ...plan.plateaus, plan.final]
    const alarms = options.alarms ?? []
    if (alarms.length > MAX_ALARMS) {
      refuse(`${alarms.length} alarms given; an instance refresh watches at most ${MAX_ALARMS}`, {
        path: "alarms",
        fix: "combine them into a composite alarm",
      })
    }
    for (const segment of segments) {
      const manual = manualPausesIn(segment)[0]
      if (manual !== undefined) {
        refuse(
          `steps[${manual.index}] pauses until promoted; instance refresh checkpoints wait a fixed checkpointDelay and cannot wait for a person`,
          { path: `steps[${manual.index}]`, fix: "use a timed pause" },
        )
      }
      for (const scale of scalesIn(segment)) {
        if (!tracksTraffic(strategy, scale)) {
          refuse(
            `steps[${scale.index}] sizes the candidate ${scale.step.percent === undefined ? `to ${scale.step.replicas} replicas` : `to ${scale.step.percent}%`} ahead of its traffic, beside an untouched old fleet; an instance refresh replaces old instances in place, each new one taking traffic as it comes in service`,
            {
              path: `steps[${scale.index}]`,
              fix: "drop the Scale step or use rolling() (capacity moves with traffic)",
            },
          )
        }
      }
    }
    const preStep = [...gatesIn(plan.pre), ...timedPausesIn(plan.pre)].sort((a, b) => a.index - b.index)[0]
    if (preStep !== undefined) {
      refuse(
        `steps[${preStep.index}] ${preStep.step._tag === "Gate" ? "gates" : "waits"} before any traffic; an instance refresh has no stage before new instances serve`,
        { path: `steps[${preStep.index}]` },
      )
    }
    const finalStep = [...gatesIn(plan.final), ...timedPausesIn(plan.final)].sort(
      (a, b) => a.index - b.index,
    )[0]
    if (finalStep !== undefined) {
      refuse(
        `steps[${finalStep.index}] ${finalStep.step._tag === "Gate" ? "gates" : "waits"} after 100%; an instance refresh ends with its last replacement and watches nothing after it`,
        { path: `steps[${finalStep.index}]`, fix: "gate and bake before the last SetWeight" },
      )
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
    const bakes = plan.plateaus.map(bakeOf)
    if (new Set(bakes).size > 1) {
      const odd = plan.plateaus[bakes.findIndex((b) => b !== bakes[0])]
      refuse(
        `an instance refresh waits the same checkpointDelay at every checkpoint; this strategy bakes ${bakes.map(formatDuration).join(", ")}`,
        { path: pathOf(undefined, odd) ?? "steps", fix: "use one bake for every step" },
      )
    }
    const delaySeconds =
      bakes[0] === undefined
        ? undefined
        : wholeSeconds(
            bakes[0],
            "the checkpoint bake",
            pathOf(timedPausesIn(plan.plateaus[0]!)[0], plan.plateaus[0]),
          )
    if (delaySeconds !== undefined && delaySeconds > MAX_CHECKPOINT_DELAY_SECONDS) {
      refuse(
        `the checkpoint bake is ${formatDuration(bakes[0]!)}; checkpointDelay is at most 48h (172800 s)`,
        {
          path: pathOf(timedPausesIn(plan.plateaus[0]!)[0]) ?? "steps",
          fix: "bake 48h or less",
        },
      )
    }
    // Launch before terminating: capacity never drops below 100%, and each batch adds at most one step's worth.
    const largestStep = Math.max(...weights.map((w, i) => w - (i === 0 ? 0 : weights[i - 1]!)))
    const maxHealthyPercentage = Math.min(200, 100 + largestStep)
    if (plan.plateaus.length > 0) {
      notes.push(
        `weights ${weights.join(", ")} → checkpoints at ${weights.join(", ")}% of instances replaced`,
      )
      notes.push(`bake ${formatDuration(bakes[0]!)} at each checkpoint → checkpointDelay "${delaySeconds}"`)
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
