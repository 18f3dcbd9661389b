/**
 * CodeDeploy's predefined deployment configurations as Slipway strategies, under their
 * short names and their full CodeDeploy names (`CodeDeployDefault.ECSCanary10Percent5Minutes`),
 * so a team moving from CodeDeploy keeps its vocabulary and its timings.
 */
import type { Strategy } from "@slipway/core"
import { allAtOnce } from "./AllAtOnce.ts"
import { canary } from "./Canary.ts"
import { relabel } from "./internal/Provenance.ts"
import { linear } from "./Linear.ts"

/**
 * CodeDeploy's `trafficRoutingConfig`, in the CodeDeploy API's shape (intervals in minutes).
 *
 * @example
 * import type { CodeDeployTrafficRouting } from "@slipway/strategies"
 * const routing: CodeDeployTrafficRouting = {
 *   type: "TimeBasedCanary",
 *   timeBasedCanary: { canaryPercentage: 10, canaryInterval: 5 },
 * }
 */
export type CodeDeployTrafficRouting =
  | { readonly type: "AllAtOnce" }
  | {
      readonly type: "TimeBasedCanary"
      readonly timeBasedCanary: { readonly canaryPercentage: number; readonly canaryInterval: number }
    }
  | {
      readonly type: "TimeBasedLinear"
      readonly timeBasedLinear: { readonly linearPercentage: number; readonly linearInterval: number }
    }

/**
 * A preset: its short name, the CodeDeploy configurations it equals, and the strategy.
 *
 * @example
 * import { presetCatalog } from "@slipway/strategies"
 * for (const p of presetCatalog) console.log(p.name, p.codeDeployNames.join(", "), p.summary)
 */
export interface Preset {
  readonly name: string
  /** The CodeDeploy configurations with this behaviour (ECS and/or Lambda). */
  readonly codeDeployNames: ReadonlyArray<string>
  readonly summary: string
  readonly trafficRouting: CodeDeployTrafficRouting
  readonly strategy: Strategy
}

const CD = "CodeDeployDefault."

const canaryPreset = (minutes: number, platforms: ReadonlyArray<"ECS" | "Lambda">): Preset => {
  const name = `canary10Percent${minutes}Minutes`
  const codeDeployNames = platforms.map((p) => `${CD}${p}Canary10Percent${minutes}Minutes`)
  const strategy = canary({
    steps: [
      { weight: 10, bake: minutes * 60_000 },
      { weight: 100, bake: 0 },
    ],
  })
  relabel(strategy, `${name} (${codeDeployNames.join(", ")})`)
  return {
    name,
    codeDeployNames,
    summary: `10% for ${minutes} minutes, then the remaining 90%`,
    trafficRouting: {
      type: "TimeBasedCanary",
      timeBasedCanary: { canaryPercentage: 10, canaryInterval: minutes },
    },
    strategy,
  }
}

// CodeDeploy spells the Lambda one-minute config in the singular and the ECS one in the plural.
const linearPreset = (minutes: number, codeDeployNames: ReadonlyArray<string>): Preset => {
  const name = `linear10PercentEvery${minutes}Minute${minutes === 1 ? "" : "s"}`
  const strategy = linear({ stepPercent: 10, interval: minutes * 60_000 })
  relabel(strategy, `${name} (${codeDeployNames.join(", ")})`)
  return {
    name,
    codeDeployNames,
    summary: `10% more every ${minutes} minute${minutes === 1 ? "" : "s"}: 100% after ${9 * minutes} minutes`,
    trafficRouting: {
      type: "TimeBasedLinear",
      timeBasedLinear: { linearPercentage: 10, linearInterval: minutes },
    },
    strategy,
  }
}

const allAtOncePreset = (): Preset => {
  const codeDeployNames = [`${CD}ECSAllAtOnce`, `${CD}LambdaAllAtOnce`]
  const strategy = relabel(allAtOnce(), `allAtOnce (${codeDeployNames.join(", ")})`)
  return {
    name: "allAtOnce",
    codeDeployNames,
    summary: "all traffic at once",
    trafficRouting: { type: "AllAtOnce" },
    strategy,
  }
}

const c5 = canaryPreset(5, ["ECS", "Lambda"])
const c10 = canaryPreset(10, ["Lambda"])
const c15 = canaryPreset(15, ["ECS", "Lambda"])
const c30 = canaryPreset(30, ["Lambda"])
const l1 = linearPreset(1, [`${CD}ECSLinear10PercentEvery1Minutes`, `${CD}LambdaLinear10PercentEvery1Minute`])
const l2 = linearPreset(2, [`${CD}LambdaLinear10PercentEvery2Minutes`])
const l3 = linearPreset(3, [
  `${CD}ECSLinear10PercentEvery3Minutes`,
  `${CD}LambdaLinear10PercentEvery3Minutes`,
])
const l10 = linearPreset(10, [`${CD}LambdaLinear10PercentEvery10Minutes`])
const all = allAtOncePreset()

/**
 * 10% of traffic for 5 minutes, then the remaining 90% (`CodeDeployDefault.ECSCanary10Percent5Minutes`,
 * `CodeDeployDefault.LambdaCanary10Percent5Minutes`).
 *
 * @example
 * import { canary10Percent5Minutes, explain } from "@slipway/strategies"
 * explain(canary10Percent5Minutes).minimumTotalMs // 300000
 */
export const canary10Percent5Minutes: Strategy = c5.strategy
/**
 * 10% for 10 minutes, then 90% (`CodeDeployDefault.LambdaCanary10Percent10Minutes`).
 *
 * @example
 * import { canary10Percent10Minutes } from "@slipway/strategies"
 * canary10Percent10Minutes.steps // Scale 100%, SetWeight 10, Pause 600000, Gate, SetWeight 100
 */
export const canary10Percent10Minutes: Strategy = c10.strategy
/**
 * 10% for 15 minutes, then 90% (`CodeDeployDefault.ECSCanary10Percent15Minutes`, `…LambdaCanary10Percent15Minutes`).
 *
 * @example
 * import { canary10Percent15Minutes } from "@slipway/strategies"
 * const strategy = canary10Percent15Minutes
 */
export const canary10Percent15Minutes: Strategy = c15.strategy
/**
 * 10% for 30 minutes, then 90% (`CodeDeployDefault.LambdaCanary10Percent30Minutes`).
 *
 * @example
 * import { canary10Percent30Minutes } from "@slipway/strategies"
 * const strategy = canary10Percent30Minutes
 */
export const canary10Percent30Minutes: Strategy = c30.strategy
/**
 * 10% more every minute, 100% after 9 minutes (`CodeDeployDefault.ECSLinear10PercentEvery1Minutes`,
 * `CodeDeployDefault.LambdaLinear10PercentEvery1Minute`).
 *
 * @example
 * import { explain, linear10PercentEvery1Minute } from "@slipway/strategies"
 * explain(linear10PercentEvery1Minute).minimumTotalMs // 540000
 */
export const linear10PercentEvery1Minute: Strategy = l1.strategy
/**
 * 10% more every 2 minutes (`CodeDeployDefault.LambdaLinear10PercentEvery2Minutes`).
 *
 * @example
 * import { linear10PercentEvery2Minutes } from "@slipway/strategies"
 * const strategy = linear10PercentEvery2Minutes
 */
export const linear10PercentEvery2Minutes: Strategy = l2.strategy
/**
 * 10% more every 3 minutes (`CodeDeployDefault.ECSLinear10PercentEvery3Minutes`, `…LambdaLinear10PercentEvery3Minutes`).
 *
 * @example
 * import { linear10PercentEvery3Minutes } from "@slipway/strategies"
 * const strategy = linear10PercentEvery3Minutes
 */
export const linear10PercentEvery3Minutes: Strategy = l3.strategy
/**
 * 10% more every 10 minutes (`CodeDeployDefault.LambdaLinear10PercentEvery10Minutes`).
 *
 * @example
 * import { linear10PercentEvery10Minutes } from "@slipway/strategies"
 * const strategy = linear10PercentEvery10Minutes
 */
export const linear10PercentEvery10Minutes: Strategy = l10.strategy

/**
 * Every preset with its CodeDeploy names, summary and CodeDeploy `trafficRoutingConfig`
 * (what a native CodeDeploy deployment config would be created with).
 *
 * @example
 * import { presetCatalog } from "@slipway/strategies"
 * presetCatalog.find((p) => p.name === "linear10PercentEvery3Minutes")?.trafficRouting
 * // { type: "TimeBasedLinear", timeBasedLinear: { linearPercentage: 10, linearInterval: 3 } }
 */
export const presetCatalog: ReadonlyArray<Preset> = Object.freeze([c5, c10, c15, c30, l1, l2, l3, l10, all])

/**
 * Preset strategies keyed by short name (`canary10Percent5Minutes`, `allAtOnce`) and by
 * full CodeDeploy name (`CodeDeployDefault.ECSCanary10Percent5Minutes`).
 *
 * @example
 * import { presets } from "@slipway/strategies"
 * presets["CodeDeployDefault.LambdaLinear10PercentEvery1Minute"] === presets.linear10PercentEvery1Minute // true
 */
export const presets: Readonly<Record<string, Strategy>> = Object.freeze(
  Object.fromEntries(
    presetCatalog.flatMap((p) => [
      [p.name, p.strategy] as const,
      ...p.codeDeployNames.map((n) => [n, p.strategy] as const),
    ]),
  ),
)
