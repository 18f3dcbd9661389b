/**
 * The last stage every constructor shares: turn checked values into a `Strategy`, make sure
 * it ends at 100%, run core's own validation as a safety net, freeze it and remember what
 * was done on the user's behalf.
 */
import { type Step, type Strategy, StrategyInvalid, strategyIssues } from "@slipway/core"
import { remember } from "./Provenance.ts"

/** The most steps core accepts in one strategy. */
export const MAX_STEPS = 100

export const gateStep = (gates: ReadonlyArray<string> | undefined): Step =>
  gates === undefined ? { _tag: "Gate" } : { _tag: "Gate", gates: [...gates] }

export const pauseStep = (duration: number | "manual"): Step =>
  duration === "manual" ? { _tag: "Pause" } : { _tag: "Pause", duration }

/** The candidate weight after the last SetWeight of `steps` (0 if none). */
export const lastWeight = (steps: ReadonlyArray<Step>): number => {
  let weight = 0
  for (const step of steps) if (step._tag === "SetWeight") weight = step.weight
  return weight
}

/**
 * Appends `SetWeight 100` when the steps stop short of full traffic, and says so in a note
 * (`explain` shows it): a plan that never promotes would otherwise be rejected.
 */
export const endAtFull = (kind: string, steps: Array<Step>, notes: Array<string>): number | undefined => {
  const weight = lastWeight(steps)
  if (weight >= 100) return undefined
  steps.push({ _tag: "SetWeight", weight: 100 })
  notes.push(
    `${kind}: the steps stop at ${weight}%, so a final SetWeight 100 was appended (step ${steps.length - 1}); ` +
      `traffic goes from ${weight}% to 100% in one move once the last step passes`,
  )
  return steps.length - 1
}

export interface Policies {
  readonly analysis: Strategy["analysis"]
  readonly scaleDownDelay: number
  readonly progressDeadline: number
}

/** Assembles, double-checks against core, freezes and remembers the strategy. */
export const complete = (
  kind: string,
  steps: ReadonlyArray<Step>,
  policies: Policies,
  notes: ReadonlyArray<string> = [],
  appendedStep?: number,
): Strategy => {
  const strategy: Strategy = {
    kind,
    steps,
    analysis: policies.analysis,
    scaleDownDelay: policies.scaleDownDelay,
    progressDeadline: policies.progressDeadline,
  }
  // The builders check everything they accept; this only fires if one of them produced a
  // plan core would refuse, and then it still names the field.
  const issues = strategyIssues(strategy)
  if (issues.length > 0) {
    throw new StrategyInvalid({
      issues: issues.map((i) => ({ path: `${kind}.${i.path}`, message: i.message })),
    })
  }
  return remember(strategy, appendedStep === undefined ? { notes } : { notes, appendedStep })
}
