/**
 * All at once: the candidate is scaled to full size and takes all traffic in one switch —
 * CodeDeploy's `AllAtOnce`. Optionally verified afterwards while the old side is still
 * running, so a bad release can still be switched back.
 */
import type { DurationInput, Step, Strategy } from "@slipway/core"
import { complete, gateStep } from "./internal/Build.ts"
import { Checker } from "./internal/Check.ts"
import { type CommonOptions, commonKeys, readPolicies } from "./Options.ts"

/**
 * Options for {@link allAtOnce}.
 *
 * @example
 * import { allAtOnce, type AllAtOnceOptions } from "@slipway/strategies"
 * const options: AllAtOnceOptions = { bake: "5m", gates: ["errors"], scaleDownDelay: "10m" }
 * allAtOnce(options)
 */
export interface AllAtOnceOptions extends CommonOptions {
  /** Watch the candidate at 100% this long after the switch (gates sampling); none by default. */
  readonly bake?: DurationInput
  /** Gates checked after the switch (and after `bake`); every gate of the rollout when omitted. */
  readonly gates?: ReadonlyArray<string>
}

const keys = ["bake", "gates", ...commonKeys] as const

/**
 * Builds an all-at-once strategy: `Scale` to 100%, `SetWeight 100`; with `bake` or
 * `gates`, a `Pause` and a `Gate` follow so the switch can still be rolled back while
 * the old side is kept (choose `scaleDownDelay` ≥ `bake`).
 *
 * Throws `StrategyInvalid` naming every bad field.
 *
 * @example
 * import { allAtOnce } from "@slipway/strategies"
 * allAtOnce() // [Scale 100%, SetWeight 100]
 * allAtOnce({ bake: "5m", scaleDownDelay: "10m" }) // then watch it for 5 minutes
 */
export const allAtOnce = (options?: AllAtOnceOptions): Strategy => {
  const c = new Checker("allAtOnce")
  const o = c.options(options, '{ bake: "5m" }', true)
  c.knownKeys("", o, keys)
  const policies = readPolicies(c, o)
  const bake = o.bake === undefined ? 0 : c.duration("bake", o.bake, false)
  const gates = o.gates === undefined ? undefined : c.gateNames("gates", o.gates)
  c.done()

  const steps: Array<Step> = [
    { _tag: "Scale", percent: 100 },
    { _tag: "SetWeight", weight: 100 },
  ]
  if (bake! > 0) steps.push({ _tag: "Pause", duration: bake! })
  if (bake! > 0 || gates !== undefined) steps.push(gateStep(gates))
  return complete("allAtOnce", steps, policies!)
}
