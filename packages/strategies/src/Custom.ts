/**
 * Custom: any step list, written either as core's tagged steps (what strategies serialise
 * to) or in Argo Rollouts' shorthand (`{ setWeight: 20 }`, `{ pause: "5m" }`,
 * `{ pause: {} }`), so a rollout copied from Argo YAML reads the same here.
 */
import type { DurationInput, Step, Strategy } from "@slipway/core"
import { complete, endAtFull } from "./internal/Build.ts"
import { Checker, show } from "./internal/Check.ts"
import { type CommonOptions, commonKeys, readPolicies } from "./Options.ts"

/**
 * One step of {@link custom}: a tagged core step (durations may be written `"5m"`), or a
 * shorthand object with exactly one key.
 *
 * @example
 * import type { CustomStep } from "@slipway/strategies"
 * const steps: ReadonlyArray<CustomStep> = [
 *   { scale: { percent: 100 } },
 *   { setWeight: 20 },
 *   { pause: "5m" },               // or { pause: { duration: "5m" } }
 *   { gate: ["errors"] },          // or { gate: "all" }
 *   { setWeight: 50 },
 *   { pause: "manual" },           // or { pause: {} }: wait for `slipway promote`
 *   { _tag: "SetWeight", weight: 100 },
 * ]
 */
export type CustomStep =
  | { readonly _tag: "SetWeight"; readonly weight: number }
  | { readonly _tag: "Pause"; readonly duration?: DurationInput }
  | { readonly _tag: "Gate"; readonly gates?: ReadonlyArray<string> }
  | { readonly _tag: "Scale"; readonly replicas?: number; readonly percent?: number }
  | { readonly setWeight: number }
  | { readonly pause: DurationInput | "manual" | { readonly duration?: DurationInput } }
  | { readonly gate: "all" | ReadonlyArray<string> }
  | { readonly scale: { readonly replicas: number } | { readonly percent: number } }

const STEP_HELP =
  'use { setWeight: 20 }, { pause: "5m" }, { pause: "manual" }, { gate: "all" }, { gate: ["errors"] }, ' +
  '{ scale: { percent: 100 } } or a tagged step such as { _tag: "SetWeight", weight: 20 }'

const readPause = (c: Checker, at: string, value: unknown): Step | undefined => {
  if (value === undefined) return { _tag: "Pause" }
  const bake = c.bake(at, value)
  if (bake === undefined) return undefined
  if (bake === "manual") return { _tag: "Pause" }
  if (bake === 0)
    return c.fail(at, `${show(value)} is zero; a pause needs a duration above zero, or "manual"`)
  return { _tag: "Pause", duration: bake }
}

const readScale = (c: Checker, at: string, s: Record<string, unknown>): Step | undefined => {
  c.knownKeys(at, s, ["replicas", "percent", ...("_tag" in s ? ["_tag"] : [])])
  const hasReplicas = s.replicas !== undefined
  const hasPercent = s.percent !== undefined
  if (hasReplicas === hasPercent) {
    return c.fail(at, "a Scale step needs exactly one of `replicas` or `percent`, e.g. { percent: 100 }")
  }
  if (hasReplicas) {
    const replicas = c.wholeNumber(`${at}.replicas`, s.replicas, 0, "replicas")
    return replicas === undefined ? undefined : { _tag: "Scale", replicas }
  }
  const percent = c.percent(`${at}.percent`, s.percent)
  return percent === undefined ? undefined : { _tag: "Scale", percent }
}

const readTagged = (c: Checker, at: string, s: Record<string, unknown>): Step | undefined => {
  switch (s._tag) {
    case "SetWeight": {
      c.knownKeys(at, s, ["_tag", "weight"])
      const weight = c.percent(`${at}.weight`, s.weight)
      return weight === undefined ? undefined : { _tag: "SetWeight", weight }
    }
    case "Pause":
      c.knownKeys(at, s, ["_tag", "duration"])
      return readPause(c, `${at}.duration`, s.duration)
    case "Gate": {
      c.knownKeys(at, s, ["_tag", "gates"])
      if (s.gates === undefined) return { _tag: "Gate" }
      const gates = c.gateNames(`${at}.gates`, s.gates)
      return gates === undefined ? undefined : { _tag: "Gate", gates: [...gates] }
    }
    case "Scale":
      return readScale(c, at, s)
    default:
      return c.fail(
        `${at}._tag`,
        `${show(s._tag)} is not a step; use "SetWeight", "Pause", "Gate" or "Scale"`,
      )
  }
}

const readShorthand = (c: Checker, at: string, s: Record<string, unknown>): Step | undefined => {
  const keys = Object.keys(s)
  if (keys.length !== 1) {
    return c.fail(
      at,
      `${keys.length === 0 ? "an empty object" : `{ ${keys.join(", ")} }`} is not a step; ${STEP_HELP}`,
    )
  }
  const key = keys[0]!
  const value = s[key]
  switch (key) {
    case "setWeight": {
      const weight = c.percent(`${at}.setWeight`, value)
      return weight === undefined ? undefined : { _tag: "SetWeight", weight }
    }
    case "pause": {
      // Argo writes `pause: {}` (wait for promotion) and `pause: { duration: 5m }`.
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        const p = value as Record<string, unknown>
        c.knownKeys(`${at}.pause`, p, ["duration"])
        return readPause(c, `${at}.pause.duration`, p.duration)
      }
      return readPause(c, `${at}.pause`, value)
    }
    case "gate": {
      if (value === "all") return { _tag: "Gate" }
      const gates = c.gateNames(`${at}.gate`, value)
      return gates === undefined ? undefined : { _tag: "Gate", gates: [...gates] }
    }
    case "scale": {
      const s2 = c.record(`${at}.scale`, value, "{ percent: 100 }")
      return s2 === undefined ? undefined : readScale(c, `${at}.scale`, s2)
    }
    default:
      return c.fail(at, `{ ${key} } is not a step; ${STEP_HELP}`)
  }
}

/**
 * Builds a strategy from any list of steps. Weights must not decrease; a final
 * `SetWeight 100` is appended when the list stops short (`explain` says so). Unlike the
 * other constructors nothing else is added: scale the candidate yourself if your backend
 * needs it before traffic moves.
 *
 * Throws `StrategyInvalid` naming every bad step and field.
 *
 * @example
 * import { custom } from "@slipway/strategies"
 * // Argo Rollouts' shorthand, as in a Rollout's `spec.strategy.canary.steps`
 * custom([{ setWeight: 20 }, { pause: { duration: "10m" } }, { setWeight: 60 }, { pause: {} }], {
 *   analysis: { interval: "1m", failureLimit: 1 },
 * })
 * // → 20%, pause 10m, 60%, wait for promotion, 100% (appended)
 */
export const custom = (steps: ReadonlyArray<CustomStep>, options?: CommonOptions): Strategy => {
  const c = new Checker("custom")
  const o = c.options(options, '{ analysis: { interval: "1m" } }', true)
  c.knownKeys("", o, commonKeys)
  const policies = readPolicies(c, o)
  const out: Array<Step> = []
  const input: unknown = steps
  if (!Array.isArray(input)) {
    c.fail("steps", `expected a list of steps, got ${show(input)}; ${STEP_HELP}`)
  } else if (input.length === 0) {
    c.fail("steps", `is empty; ${STEP_HELP}`)
  } else {
    let weight = 0
    let ok = true
    input.forEach((raw: unknown, i) => {
      const at = `steps[${i}]`
      const s = c.record(at, raw, "{ setWeight: 20 }")
      const step = s === undefined ? undefined : "_tag" in s ? readTagged(c, at, s) : readShorthand(c, at, s)
      if (step === undefined) {
        ok = false
        return
      }
      if (step._tag === "SetWeight") {
        if (step.weight < weight) {
          const field = s !== undefined && "_tag" in s ? `${at}.weight` : `${at}.setWeight`
          c.fail(
            field,
            `${step.weight} is below the previous weight ${weight}; weights must not decrease (abort or roll back instead)`,
          )
        }
        weight = step.weight
      }
      out.push(step)
    })
    if (!ok) out.length = 0
  }
  c.done()
  const notes: Array<string> = []
  const appended = endAtFull("custom", out, notes)
  return complete("custom", out, policies!, notes, appended)
}
