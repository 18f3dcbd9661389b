/**
 * What each way of running a rollout accepts. Driven rollouts (the engine moves traffic)
 * take any plan; native mechanisms run server-side but have fixed shapes and limits.
 */
import type { TrafficShape } from "./Shape.ts"

/**
 * Where a strategy runs: `driven` by the Slipway engine (any plan), or natively by ECS
 * (`deploymentConfiguration`), CodeDeploy for Lambda, or EC2 Auto Scaling instance refresh.
 *
 * @example
 * import { explain, canary10Percent5Minutes, type Backend } from "@slipway/strategies"
 * const backend: Backend = "codedeploy-lambda"
 * explain(canary10Percent5Minutes, [], { backend }).warnings
 */
export type Backend = "driven" | "ecs-native" | "codedeploy-lambda" | "asg-refresh"

/**
 * One backend's limits, as documented by AWS.
 *
 * @example
 * import { backendLimits } from "@slipway/strategies"
 * backendLimits["ecs-native"].maxPauseMs // 86400000 (1440 minutes)
 */
export interface BackendLimits {
  readonly title: string
  /** Longest timed pause, and what the backend calls it. `null`: no limit. */
  readonly maxPauseMs: number | null
  readonly pauseTerm: string
  /** Pauses are expressed in whole units of this many ms (minutes for ECS and CodeDeploy). */
  readonly granularityMs: number
  /** The unit `granularityMs` is, for messages ("minutes"). */
  readonly granularity: string
  /** Whether the backend can wait for a person before continuing. */
  readonly manualApproval: boolean
  readonly shapes: ReadonlyArray<TrafficShape["_tag"]>
  /** Longest time the old side can be kept after the switch, and what the backend calls it. */
  readonly maxScaleDownDelayMs: number | null
  readonly scaleDownTerm: string
}

const MINUTE = 60_000

/**
 * Limits per backend: ECS bake time ≤ 1440 min, CodeDeploy canary/linear intervals
 * ≤ 2880 min, instance refresh checkpoint delay ≤ 48 h.
 *
 * @example
 * import { backendLimits } from "@slipway/strategies"
 * backendLimits["codedeploy-lambda"].shapes // ["AllAtOnce", "Canary", "Linear"]
 */
export const backendLimits: Readonly<Record<Backend, BackendLimits>> = Object.freeze({
  driven: {
    title: "driven by the Slipway engine",
    maxPauseMs: null,
    pauseTerm: "pause",
    granularityMs: 1,
    granularity: "milliseconds",
    manualApproval: true,
    shapes: ["AllAtOnce", "Canary", "Linear", "Stepped"],
    maxScaleDownDelayMs: null,
    scaleDownTerm: "scale-down delay",
  },
  "ecs-native": {
    title: "ECS deploymentConfiguration (BLUE_GREEN / CANARY / LINEAR)",
    maxPauseMs: 1440 * MINUTE,
    pauseTerm: "bake time (≤ 1440 minutes)",
    granularityMs: MINUTE,
    granularity: "minutes",
    manualApproval: false,
    shapes: ["AllAtOnce", "Canary", "Linear"],
    maxScaleDownDelayMs: 1440 * MINUTE,
    scaleDownTerm: "bakeTimeInMinutes (≤ 1440)",
  },
  "codedeploy-lambda": {
    title: "CodeDeploy for Lambda (TimeBasedCanary / TimeBasedLinear / AllAtOnce)",
    maxPauseMs: 2880 * MINUTE,
    pauseTerm: "canary/linear interval (≤ 2880 minutes)",
    granularityMs: MINUTE,
    granularity: "minutes",
    manualApproval: false,
    shapes: ["AllAtOnce", "Canary", "Linear"],
    maxScaleDownDelayMs: null,
    scaleDownTerm: "scale-down delay",
  },
  "asg-refresh": {
    title: "EC2 Auto Scaling instance refresh (checkpoints)",
    maxPauseMs: 48 * 60 * MINUTE,
    pauseTerm: "checkpoint delay (≤ 48 hours)",
    granularityMs: 1_000,
    granularity: "seconds",
    manualApproval: false,
    shapes: ["AllAtOnce", "Canary", "Linear", "Stepped"],
    maxScaleDownDelayMs: null,
    scaleDownTerm: "scale-down delay",
  },
})
