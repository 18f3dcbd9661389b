/**
 * Canary: the candidate runs at full size beside the stable revision and receives a growing
 * share of traffic, baking at each weight while gates watch it. Argo Rollouts' `setWeight`
 * + `pause` list, with the gate check made explicit after every bake.
 */
import type { DurationInput, Step, Strategy } from "@slipway/core"
import { complete, endAtFull, gateStep, pauseStep } from "./internal/Build.ts"
import { Checker, type Manual, show } from "./internal/Check.ts"
import { type CommonOptions, commonKeys, readPolicies } from "./Options.ts"

/**
 * One canary step: send `weight`% of traffic to the candidate, then bake for a duration
 * (gates sampling meanwhile) or until promoted (`"manual"`), then check the gates.
 *
 * @example
 * import type { CanaryStep } from "@slipway/strategies"
 * const first: CanaryStep = { weight: 10, bake: "5m" }
 * const held: CanaryStep = { weight: 50, bake: "manual" } // wait for `slipway promote`
 */
export interface CanaryStep {
  /** Candidate share of traffic, a whole percent 0..100; each step must be above the previous one. */
  readonly weight: number
  /** How long to hold this weight (`"5m"`, 300000, 0 for not at all), or `"manual"` to wait for promotion. */
  readonly bake: DurationInput | Manual
}

/**
 * Options for {@link canary}.
 *
 * @example
 * import { canary, type CanaryOptions } from "@slipway/strategies"
 * const options: CanaryOptions = { steps: [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }], gates: ["errors"] }
 * canary(options)
 */
export interface CanaryOptions extends CommonOptions {
  /** The weights to go through, in increasing order; 100% is appended when they stop short. */
  readonly steps: ReadonlyArray<CanaryStep>
  /** Gates checked after each bake (by name); every gate of the rollout when omitted. */
  readonly gates?: ReadonlyArray<string>
}

const keys = ["steps", "gates", ...commonKeys] as const
const EXAMPLE = '{ steps: [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }] }'

/**
 * Builds a canary strategy. The candidate is scaled to full size first (as CodeDeploy and
 * ECS do, so that every traffic shift lands on ready capacity); then, for each step:
 * `SetWeight`, `Pause` for the bake, `Gate`. A final `SetWeight 100` is appended when the
 * steps stop short of 100% (`explain` says so).
 *
 * Throws `StrategyInvalid` (from `@slipway/core`) naming every bad field; use
 * `Strategies.validate` for an `Effect` instead.
 *
 * @example
 * import { canary } from "@slipway/strategies"
 * const strategy = canary({
 *   steps: [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }],
 *   gates: ["errors", "latency"],
 * })
 * // Scale 100% → 10% → bake 5m → gate → 50% → bake 10m → gate → 100%
 */
export const canary = (options: CanaryOptions): Strategy => {
  const c = new Checker("canary")
  const o = c.options(options, EXAMPLE)
  c.knownKeys("", o, keys)
  const policies = readPolicies(c, o)
  const gates = o.gates === undefined ? undefined : c.gateNames("gates", o.gates)

  const parsed: Array<{ weight: number; bake: number | Manual }> = []
  if (o.steps === undefined) {
    c.fail("steps", 'is required: a list such as [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }]')
  } else if (!Array.isArray(o.steps)) {
    c.fail("steps", `expected a list such as [{ weight: 10, bake: "5m" }], got ${show(o.steps)}`)
  } else if (o.steps.length === 0) {
    c.fail("steps", 'is empty; add at least one step such as { weight: 10, bake: "5m" }')
  } else {
    let previous: number | undefined
    o.steps.forEach((raw: unknown, i) => {
      const at = `steps[${i}]`
      const s = c.record(at, raw, '{ weight: 10, bake: "5m" }')
      if (s === undefined) return
      c.knownKeys(at, s, ["weight", "bake"])
      const weight =
        s.weight === undefined
          ? c.fail(`${at}.weight`, "is required: the candidate's share of traffic, a percent 0..100")
          : c.percent(`${at}.weight`, s.weight)
      const bake = c.bake(`${at}.bake`, s.bake)
      if (weight !== undefined && previous !== undefined && weight <= previous) {
        c.fail(
          `${at}.weight`,
          `${weight} is not above the previous step's ${previous}; canary weights must increase`,
        )
      }
      if (weight !== undefined) previous = weight
      if (weight !== undefined && bake !== undefined) parsed.push({ weight, bake })
    })
  }
  c.done()

  const steps: Array<Step> = [{ _tag: "Scale", percent: 100 }]
  for (const { weight, bake } of parsed) {
    steps.push({ _tag: "SetWeight", weight })
    if (bake === "manual" || bake > 0) steps.push(pauseStep(bake))
    // Nothing is left to protect once 100% is reached without a bake; with one, the
    // check is a post-promotion verification that can still roll back.
    if (weight < 100 || bake !== 0) steps.push(gateStep(gates))
  }
  const notes: Array<string> = []
  const appended = endAtFull("canary", steps, notes)
  return complete("canary", steps, policies!, notes, appended)
}
