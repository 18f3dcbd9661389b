/**
 * What each way of running a rollout accepts. Driven rollouts (the engine moves traffic)
 * take any plan; native mechanisms run server-side but have fixed shapes and limits.
 *
 * This table is the one place those limits are written down: `backendIssues` (and through
 * it `explain` and the `@slipway/aws` compilers) read their numbers from here, and the AWS
 * package's specification test checks that every strategy it compiles fits the table.
 */
import type { TrafficShape } from "./Shape.ts"

/**
 * Where a strategy runs: `driven` by the Slipway engine (any plan), or natively by ECS
 * (`deploymentConfiguration`), CodeDeploy for Lambda, or EC2 Auto Scaling instance refresh.
 *
 * @example
 * import { explain, canary10Percent5Minutes, type Backend } from "@slipway/strategies"
 * const backend: Backend = "codedeploy-lambda"
 * explain(canary10Percent5Minutes, [], { backend }).errors // []
 */
export type Backend = "driven" | "ecs-native" | "codedeploy-lambda" | "asg-refresh"

/**
 * A stage of a rollout: before the candidate has production traffic, at an intermediate
 * weight, or once it has 100%.
 *
 * @example
 * import { backendLimits } from "@slipway/strategies"
 * backendLimits["ecs-native"].manualApprovalAt // ["beforeTraffic", "atFull"]
 */
export type BackendStage = "beforeTraffic" | "betweenShifts" | "atFull"

/**
 * How a backend treats `Scale` steps: `any` (the engine sizes the candidate as told),
 * `ignored` (Lambda scales itself), `full-size-or-with-traffic` (ECS: the whole new revision
 * before any shift, or — ROLLING — each Scale sizing the candidate for the SetWeight right
 * after it), `with-traffic` (instance refresh: only the latter; new instances serve as soon
 * as they are in service, so a candidate cannot be sized ahead of its traffic).
 *
 * @example
 * import { backendLimits } from "@slipway/strategies"
 * backendLimits["asg-refresh"].scaling // "with-traffic"
 */
export type BackendScaling = "any" | "ignored" | "full-size-or-with-traffic" | "with-traffic"

/**
 * One backend's limits, as documented by AWS and enforced by Slipway's compilers.
 *
 * @example
 * import { backendLimits } from "@slipway/strategies"
 * backendLimits["ecs-native"].maxPauseMs // 86400000 (1440 minutes)
 */
export interface BackendLimits {
  readonly title: string
  /** Longest hold at one weight (the sum of its timed pauses), and what the backend calls it. `null`: no limit. */
  readonly maxPauseMs: number | null
  /** Shortest hold at an intermediate weight (CodeDeploy waits at least a minute between shifts). */
  readonly minPauseMs: number
  readonly pauseTerm: string
  /** Holds are expressed in whole units of this many ms (minutes for ECS and CodeDeploy); Slipway refuses to round them. */
  readonly granularityMs: number
  /** The unit `granularityMs` is, for messages ("minutes"). */
  readonly granularity: string
  /** Whether the backend can wait for a person at all (see `manualApprovalAt` for where). */
  readonly manualApproval: boolean
  /** Stages at which a pause until promoted can run. */
  readonly manualApprovalAt: ReadonlyArray<BackendStage>
  /** Stages at which timed pauses can run. */
  readonly pausesAt: ReadonlyArray<BackendStage>
  /** Stages at which Gate steps can run (through hooks or alarms the service wires). */
  readonly gatesAt: ReadonlyArray<BackendStage>
  /** Traffic shapes (`trafficShape`) some strategy of which the backend runs, within the rules here. */
  readonly shapes: ReadonlyArray<TrafficShape["_tag"]>
  /** Whether several intermediate weights must be evenly spaced (s, 2s, 3s, …, 100). */
  readonly equalSteps: boolean
  /** Smallest even step (ECS LINEAR: 3%). */
  readonly minStepPercent: number
  /** Whether every intermediate weight must be held for the same time. */
  readonly equalHolds: boolean
  readonly scaling: BackendScaling
  /** Longest time the old side can be kept after the switch, and what the backend calls it. */
  readonly maxScaleDownDelayMs: number | null
  readonly scaleDownTerm: string
  /** Most CloudWatch alarms the mechanism watches; `null`: no limit Slipway enforces. */
  readonly maxAlarms: number | null
  /** How to run the same strategy driven instead (the service argument to set); `null` for `driven` itself. */
  readonly drivenAlternative: string | null
}

const MINUTE = 60_000
const everyStage: ReadonlyArray<BackendStage> = ["beforeTraffic", "betweenShifts", "atFull"]

/**
 * Limits per backend: ECS bake time ≤ 1440 min in whole minutes (LINEAR steps ≥ 3%),
 * CodeDeploy canary/linear intervals 1–2880 whole minutes, instance refresh checkpoint
 * delay ≤ 48 h in whole seconds with the candidate never sized ahead of its traffic.
 *
 * @example
 * import { backendLimits } from "@slipway/strategies"
 * backendLimits["codedeploy-lambda"].shapes // ["AllAtOnce", "Canary", "Linear"]
 */
export const backendLimits: Readonly<Record<Backend, BackendLimits>> = Object.freeze({
  driven: {
    title: "driven by the Slipway engine",
    maxPauseMs: null,
    minPauseMs: 0,
    pauseTerm: "pause",
    granularityMs: 1,
    granularity: "milliseconds",
    manualApproval: true,
    manualApprovalAt: everyStage,
    pausesAt: everyStage,
    gatesAt: everyStage,
    shapes: ["AllAtOnce", "Canary", "Linear", "Stepped"],
    equalSteps: false,
    minStepPercent: 1,
    equalHolds: false,
    scaling: "any",
    maxScaleDownDelayMs: null,
    scaleDownTerm: "scale-down delay",
    maxAlarms: null,
    drivenAlternative: null,
  },
  "ecs-native": {
    title: "ECS deploymentConfiguration (BLUE_GREEN / CANARY / LINEAR / ROLLING)",
    maxPauseMs: 1440 * MINUTE,
    minPauseMs: 0,
    pauseTerm: "bake time (≤ 1440 minutes)",
    granularityMs: MINUTE,
    granularity: "minutes",
    // PAUSE lifecycle hooks: before traffic, and first thing after the full shift.
    manualApproval: true,
    manualApprovalAt: ["beforeTraffic", "atFull"],
    // Before traffic, pauses and gates run in the lifecycle hook function.
    pausesAt: everyStage,
    gatesAt: everyStage,
    // Stepped: only ROLLING batches that differ by at most a point (33, 66, 100).
    shapes: ["AllAtOnce", "Canary", "Linear", "Stepped"],
    equalSteps: true,
    minStepPercent: 3,
    equalHolds: true,
    scaling: "full-size-or-with-traffic",
    // bakeTimeInMinutes: the pauses after 100% plus scaleDownDelay rounded up to minutes.
    maxScaleDownDelayMs: 1440 * MINUTE,
    scaleDownTerm: "bakeTimeInMinutes (≤ 1440)",
    maxAlarms: null,
    drivenAlternative:
      'run it driven: set rollout: { mode: "driven" } on the FargateService (Slipway shifts ALB weighted target groups itself)',
  },
  "codedeploy-lambda": {
    title: "CodeDeploy for Lambda (TimeBasedCanary / TimeBasedLinear / AllAtOnce)",
    maxPauseMs: 2880 * MINUTE,
    minPauseMs: MINUTE,
    pauseTerm: "canary/linear interval (1–2880 minutes)",
    granularityMs: MINUTE,
    granularity: "minutes",
    manualApproval: false,
    manualApprovalAt: [],
    pausesAt: ["betweenShifts"],
    // Before traffic: a BeforeAllowTraffic hook; at 100%: an AfterAllowTraffic hook.
    gatesAt: everyStage,
    shapes: ["AllAtOnce", "Canary", "Linear"],
    equalSteps: true,
    minStepPercent: 1,
    equalHolds: true,
    scaling: "ignored",
    maxScaleDownDelayMs: null,
    scaleDownTerm: "scale-down delay",
    maxAlarms: 10,
    drivenAlternative:
      'run it driven: set rollout: { mode: "driven" } on the LambdaService (Slipway shifts the live alias\'s routing weights itself)',
  },
  "asg-refresh": {
    title: "EC2 Auto Scaling instance refresh (checkpoints)",
    maxPauseMs: 48 * 60 * MINUTE,
    minPauseMs: 0,
    pauseTerm: "checkpoint delay (≤ 48 hours)",
    granularityMs: 1_000,
    granularity: "seconds",
    manualApproval: false,
    manualApprovalAt: [],
    pausesAt: ["betweenShifts"],
    gatesAt: ["betweenShifts"],
    // Any weights become checkpoints, but canary() and linear() scale the candidate to full
    // size before traffic, which an in-place refresh cannot do: use rolling() or custom().
    shapes: ["AllAtOnce", "Canary", "Linear", "Stepped"],
    equalSteps: false,
    minStepPercent: 1,
    equalHolds: true,
    scaling: "with-traffic",
    maxScaleDownDelayMs: null,
    scaleDownTerm: "scale-down delay",
    maxAlarms: 10,
    drivenAlternative:
      'run it driven: set rollout: { mode: "driven" } on the Ec2Service (two Auto Scaling groups behind ALB weighted target groups)',
  },
})
