/**
 * Compiles a strategy to CodeDeploy for Lambda: a deployment configuration (TimeBasedCanary,
 * TimeBasedLinear or AllAtOnce) that shifts an alias between two function versions, and the
 * deployment group settings that roll it back on failure or alarm.
 *
 * CodeDeploy's model is narrower than a strategy: one canary step or equal linear steps, in
 * whole minutes, no wait for a person, and nothing after the last shift except an
 * AfterAllowTraffic hook. Anything outside it is refused.
 */
import type { Strategy } from "@slipway/core"
import { backendLimits } from "@slipway/strategies"
import type { Compilation } from "./Native.ts"
import { bakeOf, compileWith, gatesIn, planTraffic, planWeights, refuse, scalesIn } from "./TrafficPlan.ts"

/**
 * Gate info for CodeDeploy. `Ref` is `string` or a Pulumi `Input<string>`.
 *
 * @example
 * import type { CodeDeployLambdaOptions } from "@slipway/aws"
 * const options: CodeDeployLambdaOptions = { alarms: ["api-errors"], beforeAllowTrafficHook: "api-smoke-test" }
 */
export interface CodeDeployLambdaOptions<Ref = string> {
  /** CloudWatch alarms that stand for the gates while traffic shifts (at most 10). */
  readonly alarms?: ReadonlyArray<Ref>
  /** Function CodeDeploy runs before any traffic reaches the new version (pre-traffic gates). */
  readonly beforeAllowTrafficHook?: Ref
  /** Function CodeDeploy runs after the last shift (gates after 100%). */
  readonly afterAllowTrafficHook?: Ref
}

/**
 * `aws.codedeploy.DeploymentConfig` `trafficRoutingConfig`.
 *
 * @example
 * import type { CodeDeployTrafficRoutingConfig } from "@slipway/aws"
 * const routing: CodeDeployTrafficRoutingConfig = { type: "TimeBasedCanary", timeBasedCanary: { percentage: 10, interval: 5 } }
 */
export type CodeDeployTrafficRoutingConfig =
  | { readonly type: "AllAtOnce" }
  | {
      readonly type: "TimeBasedCanary"
      readonly timeBasedCanary: { readonly percentage: number; readonly interval: number }
    }
  | {
      readonly type: "TimeBasedLinear"
      readonly timeBasedLinear: { readonly percentage: number; readonly interval: number }
    }

/**
 * Everything CodeDeploy needs to run the strategy for a Lambda alias.
 *
 * @example
 * import * as aws from "@pulumi/aws"
 * // settings: CodeDeployLambdaSettings from compileCodeDeployLambda
 * new aws.codedeploy.DeploymentConfig("api", settings.deploymentConfig)
 * new aws.codedeploy.DeploymentGroup("api", { ...settings.deploymentGroup, appName, serviceRoleArn, deploymentConfigName })
 */
export interface CodeDeployLambdaSettings<Ref = string> {
  /** `aws.codedeploy.DeploymentConfig` args. */
  readonly deploymentConfig: {
    readonly computePlatform: "Lambda"
    readonly trafficRoutingConfig: CodeDeployTrafficRoutingConfig
  }
  /** The built-in configuration with the same behaviour, when there is one (no custom config needed). */
  readonly predefinedConfigName?: string
  /** `aws.codedeploy.DeploymentGroup` settings. */
  readonly deploymentGroup: {
    readonly deploymentStyle: {
      readonly deploymentOption: "WITH_TRAFFIC_CONTROL"
      readonly deploymentType: "BLUE_GREEN"
    }
    readonly autoRollbackConfiguration: { readonly enabled: boolean; readonly events: Array<string> }
    readonly alarmConfiguration?: { readonly enabled: boolean; readonly alarms: Array<Ref> }
  }
  /** The AppSpec `Hooks` section for each deployment. */
  readonly appSpecHooks: Array<{ readonly BeforeAllowTraffic: Ref } | { readonly AfterAllowTraffic: Ref }>
}

const MAX_ALARMS = backendLimits["codedeploy-lambda"].maxAlarms!
const MINUTE = 60_000

const predefinedName = (routing: CodeDeployTrafficRoutingConfig): string | undefined => {
  switch (routing.type) {
    case "AllAtOnce":
      return "CodeDeployDefault.LambdaAllAtOnce"
    case "TimeBasedCanary": {
      const { percentage, interval } = routing.timeBasedCanary
      return percentage === 10 && [5, 10, 15, 30].includes(interval)
        ? `CodeDeployDefault.LambdaCanary10Percent${interval}Minutes`
        : undefined
    }
    case "TimeBasedLinear": {
      const { percentage, interval } = routing.timeBasedLinear
      if (percentage !== 10) return undefined
      if (interval === 1) return "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
      return [2, 3, 10].includes(interval)
        ? `CodeDeployDefault.LambdaLinear10PercentEvery${interval}Minutes`
        : undefined
    }
  }
}

/**
 * Compiles a strategy to a CodeDeploy deployment configuration and deployment group settings
 * for a Lambda alias, or refuses with the reason and the alternative.
 *
 * @example
 * import { compileCodeDeployLambda } from "@slipway/aws"
 * import { defaultAnalysis } from "@slipway/core"
 * const result = compileCodeDeployLambda(
 *   {
 *     kind: "canary",
 *     steps: [{ _tag: "SetWeight", weight: 10 }, { _tag: "Pause", duration: 300_000 }, { _tag: "SetWeight", weight: 100 }],
 *     analysis: defaultAnalysis, scaleDownDelay: 30_000, progressDeadline: 600_000,
 *   },
 *   { alarms: ["fn-errors"] },
 * )
 * // result.settings.predefinedConfigName === "CodeDeployDefault.LambdaCanary10Percent5Minutes"
 */
export const compileCodeDeployLambda = <Ref = string>(
  strategy: Strategy,
  options: CodeDeployLambdaOptions<Ref> = {},
): Compilation<CodeDeployLambdaSettings<Ref>> =>
  compileWith("codedeploy-lambda", (notes) => {
    // What the strategy alone rules out (waits for a person, waits before traffic or after
    // 100%, uneven steps, intervals outside 1–2880 whole minutes) is refused here, with explain's messages.
    const plan = planTraffic(strategy, "codedeploy-lambda")
    const segments = [plan.pre, ...plan.plateaus, plan.final]
    const alarms = options.alarms ?? []
    if (alarms.length > MAX_ALARMS) {
      refuse(`${alarms.length} alarms given; a CodeDeploy deployment group watches at most ${MAX_ALARMS}`, {
        path: "alarms",
        fix: "combine them into a composite alarm",
      })
    }
    if (segments.some((s) => scalesIn(s).length > 0)) {
      notes.push("Scale steps need nothing: Lambda runs as many instances of a version as its traffic needs")
    }

    const hooks: Array<{ readonly BeforeAllowTraffic: Ref } | { readonly AfterAllowTraffic: Ref }> = []
    const preGate = gatesIn(plan.pre)[0]
    if (preGate !== undefined) {
      if (options.beforeAllowTrafficHook === undefined) {
        refuse(
          `steps[${preGate.index}] gates the new version before traffic; CodeDeploy does that in a BeforeAllowTraffic hook function and none was given`,
          { path: `steps[${preGate.index}]`, fix: "pass beforeAllowTrafficHook" },
        )
      }
      hooks.push({ BeforeAllowTraffic: options.beforeAllowTrafficHook! })
      notes.push(`steps[${preGate.index}] (pre-traffic gate) → AppSpec BeforeAllowTraffic hook`)
    }
    for (const plateau of plan.plateaus) {
      const gate = gatesIn(plateau)[0]
      if (gate !== undefined && alarms.length === 0) {
        refuse(
          `steps[${gate.index}] is a Gate while the new version has ${plateau.weight}% of traffic; CodeDeploy judges traffic only through CloudWatch alarms and none were given`,
          { path: `steps[${gate.index}]`, fix: "pass `alarms` (the alarms that stand for the gates)" },
        )
      }
    }
    const finalGate = gatesIn(plan.final)[0]
    if (finalGate !== undefined) {
      if (options.afterAllowTrafficHook === undefined) {
        refuse(
          `steps[${finalGate.index}] gates after 100%; CodeDeploy stops watching alarms with the last shift, so only an AfterAllowTraffic hook function can judge then, and none was given`,
          { path: `steps[${finalGate.index}]`, fix: "pass afterAllowTrafficHook" },
        )
      }
      hooks.push({ AfterAllowTraffic: options.afterAllowTrafficHook! })
      notes.push(`steps[${finalGate.index}] (gate after 100%) → AppSpec AfterAllowTraffic hook`)
    }

    const weights = plan.plateaus.map((s) => s.weight)
    let routing: CodeDeployTrafficRoutingConfig
    if (weights.length === 0) {
      routing = { type: "AllAtOnce" }
      notes.push("0 → 100% in one move → AllAtOnce")
    } else if (weights.length === 1) {
      const plateau = plan.plateaus[0]!
      const interval = bakeOf(plateau) / MINUTE
      routing = { type: "TimeBasedCanary", timeBasedCanary: { percentage: plateau.weight, interval } }
      notes.push(`${plateau.weight}% for ${interval}m, then 100% → TimeBasedCanary`)
    } else {
      // Equal steps with one interval: backendIssues refused anything else.
      const step = weights[0]!
      const interval = bakeOf(plan.plateaus[0]!) / MINUTE
      routing = { type: "TimeBasedLinear", timeBasedLinear: { percentage: step, interval } }
      notes.push(`weights ${planWeights(plan).join(", ")} → TimeBasedLinear ${step}% every ${interval}m`)
    }
    notes.push("scaleDownDelay: nothing to scale down; the previous version stays published for rollback")

    const predefinedConfigName = predefinedName(routing)
    return {
      deploymentConfig: { computePlatform: "Lambda", trafficRoutingConfig: routing },
      ...(predefinedConfigName === undefined ? {} : { predefinedConfigName }),
      deploymentGroup: {
        deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" },
        autoRollbackConfiguration: {
          enabled: true,
          events:
            alarms.length > 0 ? ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] : ["DEPLOYMENT_FAILURE"],
        },
        ...(alarms.length > 0 ? { alarmConfiguration: { enabled: true, alarms: [...alarms] } } : {}),
      },
      appSpecHooks: hooks,
    }
  })
