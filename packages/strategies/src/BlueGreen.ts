/**
 * Blue-green: the candidate comes up at full size beside the stable revision without
 * traffic (a preview), is checked, and then takes all traffic in one switch — after a
 * person promotes it, after a fixed wait, or as soon as its preview gates pass.
 */
import type { DurationInput, Step, Strategy } from "@slipway/core"
import { complete, gateStep } from "./internal/Build.ts"
import { Checker } from "./internal/Check.ts"
import { type CommonOptions, commonKeys, readPolicies } from "./Options.ts"

/**
 * Options for {@link blueGreen}.
 *
 * @example
 * import { blueGreen, type BlueGreenOptions } from "@slipway/strategies"
 * const options: BlueGreenOptions = { previewGates: ["smoke"], autoPromote: false }
 * blueGreen(options)
 */
export interface BlueGreenOptions extends CommonOptions {
  /** Gates checked against the preview before the switch; every gate of the rollout when omitted. */
  readonly previewGates?: ReadonlyArray<string>
  /**
   * Switch without a person: at once when the preview gates pass, or after `promoteAfter`.
   * Default `true` (Argo Rollouts' default), or `false` to wait for `slipway promote`.
   */
  readonly autoPromote?: boolean
  /** Keep the preview this long before switching (implies `autoPromote`). */
  readonly promoteAfter?: DurationInput
}

const keys = ["previewGates", "autoPromote", "promoteAfter", ...commonKeys] as const

/**
 * Builds a blue-green strategy: `Scale` the candidate to 100% of the stable size, `Gate`
 * on the preview gates, then `Pause` until promoted (`autoPromote: false`) or for
 * `promoteAfter`, then `SetWeight 100`. The old side is kept for `scaleDownDelay` after
 * the switch, so a rollback is one weight change.
 *
 * Throws `StrategyInvalid` naming every bad field.
 *
 * @example
 * import { blueGreen } from "@slipway/strategies"
 * blueGreen({ previewGates: ["smoke"], autoPromote: false, scaleDownDelay: "10m" }) // a person promotes
 * blueGreen({ previewGates: ["smoke"], promoteAfter: "15m" }) // switches 15m after the preview passed
 */
export const blueGreen = (options?: BlueGreenOptions): Strategy => {
  const c = new Checker("blueGreen")
  const o = c.options(options, '{ previewGates: ["smoke"], autoPromote: false }', true)
  c.knownKeys("", o, keys)
  const policies = readPolicies(c, o)
  const previewGates = o.previewGates === undefined ? undefined : c.gateNames("previewGates", o.previewGates)
  const autoPromote = o.autoPromote === undefined ? undefined : c.boolean("autoPromote", o.autoPromote)
  const promoteAfter =
    o.promoteAfter === undefined ? undefined : c.duration("promoteAfter", o.promoteAfter, true)
  if (autoPromote === false && o.promoteAfter !== undefined) {
    c.fail(
      "promoteAfter",
      "cannot be combined with autoPromote: false (a person promotes, so no timer would apply); remove one of them",
    )
  }
  c.done()

  const steps: Array<Step> = [{ _tag: "Scale", percent: 100 }, gateStep(previewGates)]
  if (autoPromote === false) steps.push({ _tag: "Pause" })
  else if (promoteAfter !== undefined) steps.push({ _tag: "Pause", duration: promoteAfter })
  steps.push({ _tag: "SetWeight", weight: 100 })
  return complete("blueGreen", steps, policies!)
}
