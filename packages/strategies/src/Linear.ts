/**
 * Linear: equal traffic shifts at a fixed interval, CodeDeploy's `TimeBasedLinear`. The
 * first shift happens at once and 100% is reached after (shifts − 1) intervals.
 */
import type { DurationInput, Step, Strategy } from "@slipway/core"
import { complete, gateStep, MAX_STEPS } from "./internal/Build.ts"
import { Checker } from "./internal/Check.ts"
import { type CommonOptions, commonKeys, readPolicies } from "./Options.ts"

/**
 * Options for {@link linear}.
 *
 * @example
 * import { linear, type LinearOptions } from "@slipway/strategies"
 * const options: LinearOptions = { stepPercent: 20, interval: "2m" }
 * linear(options)
 */
export interface LinearOptions extends CommonOptions {
  /** Points of traffic moved per shift, a whole percent 1..100. */
  readonly stepPercent: number
  /** Time between shifts (`"1m"`, 60000). */
  readonly interval: DurationInput
  /** Gates checked before each shift (by name); every gate of the rollout when omitted. */
  readonly gates?: ReadonlyArray<string>
}

const keys = ["stepPercent", "interval", "gates", ...commonKeys] as const
const EXAMPLE = '{ stepPercent: 10, interval: "1m" }'

/** Strategy steps `linear` produces for a given step percent: 3 per intermediate weight, +1 scale, +1 final. */
const stepCount = (stepPercent: number): number => 3 * Math.floor(99 / stepPercent) + 2

/**
 * Builds a linear strategy: scale the candidate to full size, then move `stepPercent`
 * points of traffic every `interval`, checking gates before each move, until 100%.
 * When `stepPercent` does not divide 100, the last shift is smaller (30 → 30, 60, 90, 100).
 *
 * Throws `StrategyInvalid` naming every bad field.
 *
 * @example
 * import { linear } from "@slipway/strategies"
 * const strategy = linear({ stepPercent: 10, interval: "1m" })
 * // 10% at +0s, 20% at +1m, …, 100% at +9m — CodeDeploy's Linear10PercentEvery1Minute
 */
export const linear = (options: LinearOptions): Strategy => {
  const c = new Checker("linear")
  const o = c.options(options, EXAMPLE)
  c.knownKeys("", o, keys)
  const policies = readPolicies(c, o)
  const gates = o.gates === undefined ? undefined : c.gateNames("gates", o.gates)
  const stepPercent =
    o.stepPercent === undefined
      ? c.fail("stepPercent", "is required: the points of traffic moved per shift, e.g. 10")
      : c.percent("stepPercent", o.stepPercent, 1)
  const interval =
    o.interval === undefined
      ? c.fail("interval", 'is required: the time between shifts, e.g. "1m"')
      : c.duration("interval", o.interval, true)
  if (stepPercent !== undefined && stepCount(stepPercent) > MAX_STEPS) {
    let smallest = stepPercent
    while (stepCount(smallest) > MAX_STEPS) smallest++
    c.fail(
      "stepPercent",
      `${stepPercent}% per shift needs ${stepCount(stepPercent)} steps but a strategy holds at most ${MAX_STEPS}; use ${smallest} or more`,
    )
  }
  c.done()

  const steps: Array<Step> = [{ _tag: "Scale", percent: 100 }]
  for (let weight = stepPercent!; weight < 100; weight += stepPercent!) {
    steps.push({ _tag: "SetWeight", weight }, { _tag: "Pause", duration: interval! }, gateStep(gates))
  }
  steps.push({ _tag: "SetWeight", weight: 100 })
  const notes: Array<string> = []
  const remainder = 100 % stepPercent!
  if (remainder !== 0 && stepPercent! < 100) {
    notes.push(`linear: ${stepPercent} does not divide 100, so the last shift moves ${remainder} points`)
  }
  return complete("linear", steps, policies!, notes)
}
