/**
 * Strategies by name, for the CLI (`slipway deploy --strategy canary`) and config files:
 * the five kinds with sensible defaults, and every preset by short or CodeDeploy name.
 * Names match case-insensitively and ignore `-`, `_` and spaces (`blue-green`, `blueGreen`,
 * `BLUE_GREEN`); a near miss gets a "did you mean".
 */
import { closest, type Strategy, StrategyInvalid } from "@slipway/core"
import { allAtOnce } from "./AllAtOnce.ts"
import { blueGreen } from "./BlueGreen.ts"
import { canary } from "./Canary.ts"
import { show } from "./internal/Check.ts"
import { linear } from "./Linear.ts"
import { presetCatalog } from "./Presets.ts"
import { rolling } from "./Rolling.ts"

/**
 * The strategy kinds the CLI accepts and what each builds with no options.
 *
 * @example
 * import { strategyKinds } from "@slipway/strategies"
 * Object.keys(strategyKinds) // ["canary", "blue-green", "rolling", "linear", "all-at-once"]
 */
export const strategyKinds: Readonly<
  Record<string, { readonly summary: string; readonly build: () => Strategy }>
> = Object.freeze({
  canary: {
    summary: "10% for 5m, 50% for 5m, then 100% (gates after each bake)",
    build: () =>
      canary({
        steps: [
          { weight: 10, bake: "5m" },
          { weight: 50, bake: "5m" },
        ],
      }),
  },
  "blue-green": {
    summary: "full-size preview, gates, then switch all traffic",
    build: () => blueGreen(),
  },
  rolling: {
    summary: "25% of capacity and traffic per batch, 1m between batches",
    build: () => rolling(),
  },
  linear: {
    summary: "10% more every minute, 100% after 9m",
    build: () => linear({ stepPercent: 10, interval: "1m" }),
  },
  "all-at-once": {
    summary: "all traffic at once",
    build: () => allAtOnce(),
  },
})

/**
 * Every name `fromName` accepts that is worth listing: the kinds, then the short preset
 * names (full CodeDeploy names are accepted too).
 *
 * @example
 * import { strategyNames } from "@slipway/strategies"
 * strategyNames.includes("canary10Percent5Minutes") // true
 */
export const strategyNames: ReadonlyArray<string> = Object.freeze([
  ...Object.keys(strategyKinds),
  ...presetCatalog.map((p) => p.name),
])

const normalize = (name: string): string => name.toLowerCase().replace(/[-_\s]/g, "")

// normalized name → how to build it; CodeDeploy names also without their prefix.
const table = new Map<string, () => Strategy>()
for (const [name, kind] of Object.entries(strategyKinds)) table.set(normalize(name), kind.build)
for (const preset of presetCatalog) {
  const get = () => preset.strategy
  table.set(normalize(preset.name), get)
  for (const full of preset.codeDeployNames) {
    table.set(normalize(full), get)
    table.set(normalize(full.replace(/^CodeDeployDefault\./, "")), get)
  }
}
const everyName = [
  ...strategyNames,
  ...presetCatalog.flatMap((p) =>
    p.codeDeployNames.flatMap((n) => [n, n.replace(/^CodeDeployDefault\./, "")]),
  ),
]

/**
 * The strategy for a name: a kind (`canary`, `blue-green`, `rolling`, `linear`,
 * `all-at-once`) built with its defaults, or a preset (`canary10Percent5Minutes`,
 * `CodeDeployDefault.ECSLinear10PercentEvery1Minutes`, `LambdaCanary10Percent30Minutes`).
 *
 * Throws `StrategyInvalid` at path `strategy` listing the valid names, with a suggestion
 * when the name is a near miss.
 *
 * @example
 * import { fromName } from "@slipway/strategies"
 * fromName("blue-green").kind // "blueGreen"
 * fromName("CodeDeployDefault.ECSCanary10Percent5Minutes") // the canary10Percent5Minutes preset
 * fromName("canry") // throws: strategy: unknown strategy "canry" (did you mean "canary"?); valid: canary, blue-green, …
 */
export const fromName = (name: string): Strategy => {
  const build = typeof name === "string" ? table.get(normalize(name)) : undefined
  if (build !== undefined) return build()
  const guess = typeof name === "string" ? closest(name, everyName, normalize) : undefined
  throw new StrategyInvalid({
    issues: [
      {
        path: "strategy",
        message:
          `unknown strategy ${show(name)}${guess ? ` (did you mean "${guess}"?)` : ""}; ` +
          `valid: ${strategyNames.join(", ")}, or a CodeDeploy name such as CodeDeployDefault.ECSCanary10Percent5Minutes`,
      },
    ],
  })
}
