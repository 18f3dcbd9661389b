/**
 * Compiles a strategy to ECS's own deployment controller (`deploymentConfiguration`
 * strategies BLUE_GREEN, CANARY, LINEAR and ROLLING, lifecycle hooks, alarms), so the
 * rollout runs server-side and survives a closed laptop.
 *
 * Mapping, and why:
 * - no intermediate weight → BLUE_GREEN: the new revision is scaled up fully, then gets 100%
 *   of production traffic at once. That is exactly all-at-once (ROLLING would mix versions in
 *   proportion to task counts while it replaces them).
 * - one intermediate weight → CANARY `canaryPercent`, its bake → `canaryBakeTimeInMinutes`.
 * - evenly spaced weights with equal bakes → LINEAR `stepPercent` / `stepBakeTimeInMinutes`.
 * - Scale steps that size the candidate to the weight it is about to get (`Scale 25%`,
 *   `SetWeight 25`, …) and no pauses → ROLLING with `deploymentMaximumPercent` = 100 + step.
 * - gates before traffic → a Lambda hook at POST_TEST_TRAFFIC_SHIFT (the test listener sends
 *   it the new revision); gates during or after the shift → CloudWatch alarms ECS watches
 *   (rollback on ALARM); pauses after 100% plus `scaleDownDelay` → `bakeTimeInMinutes`.
 * - a pause until promoted → a PAUSE hook; `ContinueServiceDeployment` promotes it
 *   (`EcsNativeDeployment.promote`), its timeout rolls back.
 */
import { formatDuration, type Strategy } from "@slipway/core"
import { ecsDeploymentStrategy } from "@slipway/strategies"
import type { EcsHookPolicy } from "./ecsHookHandler.ts"
import type { Compilation } from "./Native.ts"
import {
  bakeOf,
  compileWith,
  gatesIn,
  type Located,
  largestIncrement,
  manualPausesIn,
  pathOf,
  planTraffic,
  planWeights,
  refuse,
  type Segment,
  type TrafficPlan,
  timedPausesIn,
  waitOrder,
} from "./TrafficPlan.ts"

/**
 * Where the strategy's gates and load balancer pieces come from. `Ref` is `string` or a Pulumi `Input<string>`.
 *
 * @example
 * import type { EcsNativeOptions } from "@slipway/aws"
 * const options: EcsNativeOptions = {
 *   roleArn: "arn:aws:iam::123456789012:role/ecs-infrastructure",
 *   alternateTargetGroupArn: green.arn,
 *   productionListenerRuleArn: prodRule.arn,
 *   alarms: ["web-5xx"],
 * }
 */
export interface EcsNativeOptions<Ref = string> {
  /** ECS infrastructure role that lets ECS modify the listener rules and target groups. */
  readonly roleArn: Ref
  /** Target group the new revision is registered in while the old one keeps the primary. */
  readonly alternateTargetGroupArn: Ref
  readonly productionListenerRuleArn: Ref
  /** Listener rule that sends test traffic to the new revision before production traffic (needed by pre-traffic gates). */
  readonly testListenerRuleArn?: Ref
  /** CloudWatch alarms standing for the gates while traffic shifts; ECS rolls back when one fires. */
  readonly alarms?: ReadonlyArray<Ref>
  /** The lifecycle hook function (`ecsHookHandler`) that runs pre-traffic gates. */
  readonly hookFunctionArn?: Ref
  /** Role ECS assumes to invoke `hookFunctionArn`. */
  readonly hookRoleArn?: Ref
  /** How long a pause until promoted waits before ECS rolls back (1–20160 minutes, default 1440). */
  readonly pauseTimeoutMinutes?: number
}

/**
 * An ECS lifecycle hook, in the `aws.ecs.Service` `deploymentConfiguration.lifecycleHooks[]` shape.
 *
 * @example
 * import type { EcsLifecycleHook } from "@slipway/aws"
 * const pause: EcsLifecycleHook = { targetType: "PAUSE", lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"], timeoutConfiguration: { action: "ROLLBACK", timeoutInMinutes: "1440" } }
 */
export interface EcsLifecycleHook<Ref = string> {
  readonly targetType: "AWS_LAMBDA" | "PAUSE"
  readonly lifecycleStages: Array<EcsLifecycleStage>
  readonly hookTargetArn?: Ref
  readonly roleArn?: Ref
  /** JSON passed to the hook function on every invocation. */
  readonly hookDetails?: string
  readonly timeoutConfiguration?: {
    readonly action: "ROLLBACK" | "CONTINUE"
    readonly timeoutInMinutes: string
  }
}

/**
 * ECS deployment lifecycle stages a hook can run at.
 *
 * @example
 * import type { EcsLifecycleStage } from "@slipway/aws"
 * const stage: EcsLifecycleStage = "POST_TEST_TRAFFIC_SHIFT"
 */
export type EcsLifecycleStage =
  | "RECONCILE_SERVICE"
  | "PRE_SCALE_UP"
  | "POST_SCALE_UP"
  | "TEST_TRAFFIC_SHIFT"
  | "POST_TEST_TRAFFIC_SHIFT"
  | "PRE_PRODUCTION_TRAFFIC_SHIFT"
  | "PRODUCTION_TRAFFIC_SHIFT"
  | "POST_PRODUCTION_TRAFFIC_SHIFT"

/**
 * `aws.ecs.Service` `deploymentConfiguration` (bake times are strings in the provider schema).
 *
 * @example
 * import type { EcsDeploymentConfiguration } from "@slipway/aws"
 * const canary: EcsDeploymentConfiguration = { strategy: "CANARY", canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: "5" }, bakeTimeInMinutes: "1" }
 */
export interface EcsDeploymentConfiguration<Ref = string> {
  readonly strategy: "ROLLING" | "BLUE_GREEN" | "CANARY" | "LINEAR"
  readonly bakeTimeInMinutes?: string
  readonly canaryConfiguration?: { readonly canaryPercent: number; readonly canaryBakeTimeInMinutes: string }
  readonly linearConfiguration?: { readonly stepPercent: number; readonly stepBakeTimeInMinutes: string }
  readonly lifecycleHooks?: Array<EcsLifecycleHook<Ref>>
}

/**
 * `aws.ecs.Service` `loadBalancers[].advancedConfiguration`.
 *
 * @example
 * import type { EcsAdvancedConfiguration } from "@slipway/aws"
 * const advanced: EcsAdvancedConfiguration = { alternateTargetGroupArn: green.arn, productionListenerRule: prodRule.arn, roleArn: ecsInfraRole.arn }
 */
export interface EcsAdvancedConfiguration<Ref = string> {
  readonly alternateTargetGroupArn: Ref
  readonly productionListenerRule: Ref
  readonly roleArn: Ref
  readonly testListenerRule?: Ref
}

/**
 * Everything the `aws.ecs.Service` needs to run the strategy natively.
 *
 * @example
 * import * as aws from "@pulumi/aws"
 * // settings: EcsNativeSettings<pulumi.Input<string>> from compileEcs
 * new aws.ecs.Service("web", {
 *   cluster: cluster.arn, taskDefinition: task.arn, desiredCount: 3,
 *   deploymentConfiguration: settings.deploymentConfiguration,
 *   deploymentCircuitBreaker: settings.deploymentCircuitBreaker,
 *   alarms: settings.alarms,
 *   loadBalancers: [{ targetGroupArn: blue.arn, containerName: "web", containerPort: 3000, advancedConfiguration: settings.advancedConfiguration }],
 * })
 */
export interface EcsNativeSettings<Ref = string> {
  readonly deploymentConfiguration: EcsDeploymentConfiguration<Ref>
  /** Set on the service's load balancer entry (absent for ROLLING, which needs none). */
  readonly advancedConfiguration?: EcsAdvancedConfiguration<Ref>
  /** `aws.ecs.Service` `alarms`. */
  readonly alarms?: { readonly alarmNames: Array<Ref>; readonly enable: boolean; readonly rollback: boolean }
  /** `aws.ecs.Service` `deploymentCircuitBreaker`: tasks that never become healthy roll the deployment back. */
  readonly deploymentCircuitBreaker: { readonly enable: boolean; readonly rollback: boolean }
  /** ROLLING only: keep full healthy capacity and replace one step's worth of tasks at a time. */
  readonly deploymentMinimumHealthyPercent?: number
  readonly deploymentMaximumPercent?: number
  /** The policy the pre-traffic hook enforces (also in its `hookDetails`). */
  readonly hookPolicy?: EcsHookPolicy
  /** How a person continues a pause (present when the strategy pauses until promoted). */
  readonly promotion?: string
}

const MINUTE = 60_000

const needAlarms = <Ref>(gate: Located, weight: number, options: EcsNativeOptions<Ref>): void => {
  if ((options.alarms?.length ?? 0) === 0) {
    refuse(
      `steps[${gate.index}] is a Gate while the candidate has ${weight}% of production traffic; ECS judges traffic only through CloudWatch alarms and none were given`,
      { path: `steps[${gate.index}]`, fix: "pass `alarms` (the alarms that stand for the gates)" },
    )
  }
}

const gateNames = (gates: ReadonlyArray<Located>): ReadonlyArray<string> | undefined => {
  const names = new Set<string>()
  for (const { step } of gates) {
    if (step._tag !== "Gate" || step.gates === undefined) return undefined
    for (const g of step.gates) names.add(g)
  }
  return [...names]
}

type EcsStrategy = EcsDeploymentConfiguration["strategy"]

// ROLLING: capacity and traffic move together, batch by batch, with no pause in between
// (backendIssues refused pauses, Scale steps apart from traffic and uneven batches).
const compileRolling = <Ref>(
  plan: TrafficPlan,
  options: EcsNativeOptions<Ref>,
  notes: Array<string>,
): EcsNativeSettings<Ref> => {
  for (const segment of [...plan.plateaus, plan.final]) {
    for (const gate of gatesIn(segment)) needAlarms(gate, segment.weight, options)
  }
  const weights = planWeights(plan)
  const step = Math.min(100, largestIncrement(weights))
  notes.push(
    `Scale steps track the weights (${weights.join(", ")}) → ROLLING, ${step}% of tasks replaced per batch (deploymentMaximumPercent ${100 + step})`,
  )
  notes.push(
    "scaleDownDelay: ROLLING stops old tasks as new ones become healthy; nothing is kept after the last batch",
  )
  return {
    deploymentConfiguration: { strategy: "ROLLING" },
    deploymentCircuitBreaker: { enable: true, rollback: true },
    deploymentMinimumHealthyPercent: 100,
    deploymentMaximumPercent: 100 + step,
    ...alarmSettings(options, notes),
  }
}

const alarmSettings = <Ref>(
  options: EcsNativeOptions<Ref>,
  notes: Array<string>,
): Pick<EcsNativeSettings<Ref>, "alarms"> => {
  const alarms = options.alarms ?? []
  if (alarms.length === 0) return {}
  notes.push(`${alarms.length} alarm(s) watched for the whole deployment and bake; ALARM rolls back`)
  return { alarms: { alarmNames: [...alarms], enable: true, rollback: true } }
}

const pauseHook = <Ref>(stage: EcsLifecycleStage, options: EcsNativeOptions<Ref>): EcsLifecycleHook<Ref> => {
  const timeout = options.pauseTimeoutMinutes ?? 1440
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 20_160) {
    refuse(`pauseTimeoutMinutes is ${timeout}; ECS accepts whole minutes 1–20160`, {
      path: "pauseTimeoutMinutes",
      fix: "use 1–20160",
    })
  }
  return {
    targetType: "PAUSE",
    lifecycleStages: [stage],
    timeoutConfiguration: { action: "ROLLBACK", timeoutInMinutes: String(timeout) },
  }
}

// Before traffic: gates and timed pauses run in one Lambda hook at POST_TEST_TRAFFIC_SHIFT;
// a pause until promoted becomes a PAUSE hook placed so the order of the steps is kept.
const preTrafficHooks = <Ref>(
  strategy: Strategy,
  pre: Segment,
  options: EcsNativeOptions<Ref>,
  notes: Array<string>,
): { hooks: Array<EcsLifecycleHook<Ref>>; policy?: EcsHookPolicy; paused: boolean } => {
  const hooks: Array<EcsLifecycleHook<Ref>> = []
  const order = waitOrder(pre)
  const gates = gatesIn(pre)
  const timed = timedPausesIn(pre)
  const holdIndex = order.indexOf("hold")
  let policy: EcsHookPolicy | undefined
  if (holdIndex >= 0) {
    const first = gates[0] ?? timed[0]
    if (options.hookFunctionArn === undefined || options.hookRoleArn === undefined) {
      refuse(
        `steps[${first!.index}] ${gates.length > 0 ? "gates" : "pauses"} the new revision before production traffic; ECS does that in a lifecycle hook function, and hookFunctionArn/hookRoleArn were not given`,
        { path: pathOf(first), fix: "pass hookFunctionArn and hookRoleArn (the ecsHookHandler function)" },
      )
    }
    if (gates.length > 0 && options.testListenerRuleArn === undefined) {
      refuse(
        `steps[${gates[0]!.index}] gates the new revision before production traffic; only a test listener rule can send it requests then, and testListenerRuleArn was not given`,
        { path: pathOf(gates[0]), fix: "pass testListenerRuleArn" },
      )
    }
    const names = gateNames(gates)
    policy = {
      holdSeconds: Math.ceil(bakeOf(pre) / 1_000),
      intervalSeconds: Math.max(1, Math.ceil(strategy.analysis.interval / 1_000)),
      failureLimit: strategy.analysis.failureLimit,
      inconclusiveLimit: strategy.analysis.inconclusiveLimit,
      onInconclusiveLimit: strategy.analysis.onInconclusiveLimit,
      requireChecks: gates.length > 0,
      ...(names === undefined ? {} : { gates: names }),
    }
    // Without a test listener there is no test traffic shift; a hold-only hook runs once the tasks are up.
    const stage: EcsLifecycleStage =
      options.testListenerRuleArn === undefined ? "POST_SCALE_UP" : "POST_TEST_TRAFFIC_SHIFT"
    hooks.push({
      targetType: "AWS_LAMBDA",
      hookTargetArn: options.hookFunctionArn!,
      roleArn: options.hookRoleArn!,
      lifecycleStages: [stage],
      hookDetails: JSON.stringify({ slipway: policy }),
    })
    notes.push(
      `steps ${[...gates, ...timed].map((s) => s.index).join(", ")} (pre-traffic ${gates.length > 0 ? "gates" : "hold"}) → Lambda hook at ${stage}, holding ${policy.holdSeconds}s, checking every ${policy.intervalSeconds}s`,
    )
  }
  const manualPositions = order.flatMap((kind, i) => (kind === "manual" ? [i] : []))
  for (const position of manualPositions) {
    const before = holdIndex >= 0 && position < holdIndex
    const after = holdIndex >= 0 && position > holdIndex
    let stage: EcsLifecycleStage
    if (before) stage = "POST_SCALE_UP"
    // Only BLUE_GREEN gets here (backendIssues): PRE_PRODUCTION_TRAFFIC_SHIFT runs once, before its one shift.
    else if (after) stage = "PRE_PRODUCTION_TRAFFIC_SHIFT"
    else stage = options.testListenerRuleArn === undefined ? "POST_SCALE_UP" : "POST_TEST_TRAFFIC_SHIFT"
    hooks.push(pauseHook(stage, options))
    notes.push(`pause until promoted (before traffic) → PAUSE hook at ${stage}`)
  }
  return { hooks, ...(policy === undefined ? {} : { policy }), paused: manualPositions.length > 0 }
}

/**
 * Compiles a strategy to the settings of an `aws.ecs.Service` that runs it natively, or
 * refuses with the reason and the alternative.
 *
 * @example
 * import { compileEcs } from "@slipway/aws"
 * import { defaultAnalysis } from "@slipway/core"
 * const result = compileEcs(
 *   {
 *     kind: "canary",
 *     steps: [{ _tag: "SetWeight", weight: 10 }, { _tag: "Pause", duration: 300_000 }, { _tag: "SetWeight", weight: 100 }],
 *     analysis: defaultAnalysis, scaleDownDelay: 60_000, progressDeadline: 600_000,
 *   },
 *   { roleArn, alternateTargetGroupArn, productionListenerRuleArn, alarms: ["api-5xx"] },
 * )
 * // result.settings.deploymentConfiguration:
 * // { strategy: "CANARY", canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: "5" }, bakeTimeInMinutes: "1" }
 */
export const compileEcs = <Ref = string>(
  strategy: Strategy,
  options: EcsNativeOptions<Ref>,
): Compilation<EcsNativeSettings<Ref>> =>
  compileWith("ecs", (notes) => {
    // What the strategy alone rules out is refused here, with explain's messages.
    const plan = planTraffic(strategy, "ecs")
    const ecsStrategy: EcsStrategy = ecsDeploymentStrategy(strategy)
    if (ecsStrategy === "ROLLING") return compileRolling(plan, options, notes)

    for (const plateau of plan.plateaus) {
      for (const gate of gatesIn(plateau)) needAlarms(gate, plateau.weight, options)
    }
    const pre = preTrafficHooks(strategy, plan.pre, options, notes)
    const hooks = [...pre.hooks]

    // After 100%: a pause until promoted happens at POST_PRODUCTION_TRAFFIC_SHIFT, before the bake.
    const finalManual = manualPausesIn(plan.final)
    if (finalManual.length > 0) {
      hooks.push(pauseHook("POST_PRODUCTION_TRAFFIC_SHIFT", options))
      notes.push(
        "pause until promoted (at 100%) → PAUSE hook at POST_PRODUCTION_TRAFFIC_SHIFT; the old revision keeps running",
      )
    }
    for (const gate of gatesIn(plan.final)) needAlarms(gate, 100, options)

    // Whole minutes within ECS's limits: backendIssues refused anything else.
    const pauseMinutes = bakeOf(plan.final) / MINUTE
    // scaleDownDelay is a floor on how long the old side stays up, so rounding it up keeps the promise.
    const keepMinutes = Math.ceil(strategy.scaleDownDelay / MINUTE)
    const bakeTimeInMinutes = String(pauseMinutes + keepMinutes)
    notes.push(
      `bake after 100%: ${pauseMinutes}m of pauses + scaleDownDelay ${formatDuration(strategy.scaleDownDelay)} (rounded up to ${keepMinutes}m) → bakeTimeInMinutes "${bakeTimeInMinutes}"`,
    )

    let deploymentConfiguration: EcsDeploymentConfiguration<Ref>
    if (ecsStrategy === "CANARY") {
      const plateau = plan.plateaus[0]!
      const bake = String(bakeOf(plateau) / MINUTE)
      deploymentConfiguration = {
        strategy: "CANARY",
        canaryConfiguration: { canaryPercent: plateau.weight, canaryBakeTimeInMinutes: bake },
        bakeTimeInMinutes,
      }
      notes.push(
        `steps[${plateau.openedAt}] ${plateau.weight}% for ${bake}m → CANARY canaryPercent ${plateau.weight}`,
      )
    } else if (ecsStrategy === "LINEAR") {
      const plateau = plan.plateaus[0]!
      const bake = String(bakeOf(plateau) / MINUTE)
      deploymentConfiguration = {
        strategy: "LINEAR",
        linearConfiguration: { stepPercent: plateau.weight, stepBakeTimeInMinutes: bake },
        bakeTimeInMinutes,
      }
      notes.push(
        `weights ${planWeights(plan).join(", ")} → LINEAR stepPercent ${plateau.weight}, ${bake}m per step`,
      )
    } else {
      deploymentConfiguration = { strategy: "BLUE_GREEN", bakeTimeInMinutes }
      notes.push("0 → 100% in one move → BLUE_GREEN (the new revision runs at full size before the switch)")
    }
    if (hooks.length > 0) deploymentConfiguration = { ...deploymentConfiguration, lifecycleHooks: hooks }

    const paused = pre.paused || finalManual.length > 0
    return {
      deploymentConfiguration,
      advancedConfiguration: {
        alternateTargetGroupArn: options.alternateTargetGroupArn,
        productionListenerRule: options.productionListenerRuleArn,
        roleArn: options.roleArn,
        ...(options.testListenerRuleArn === undefined
          ? {}
          : { testListenerRule: options.testListenerRuleArn }),
      },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      ...alarmSettings(options, notes),
      ...(pre.policy === undefined ? {} : { hookPolicy: pre.policy }),
      ...(paused
        ? {
            promotion:
              "ECS waits at a PAUSE hook: promote with ContinueServiceDeployment { serviceDeploymentArn, hookId, action: CONTINUE } (EcsNativeDeployment.promote), abort with action ROLLBACK; the pause times out into a rollback",
          }
        : {}),
    }
  })
