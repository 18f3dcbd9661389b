/**
 * What a constructor knows about the strategy it built that the plain data cannot say
 * (the core schema forbids extra fields): the preset it is, and what was added on the
 * user's behalf. `explain` reads it; a strategy that went through JSON simply has none.
 */
import type { Strategy } from "@slipway/core"

export interface Provenance {
  /** A preset name, e.g. `canary10Percent5Minutes (CodeDeployDefault.ECSCanary10Percent5Minutes)`. */
  readonly label?: string
  /** Things done on the user's behalf, e.g. an appended final SetWeight 100. */
  readonly notes: ReadonlyArray<string>
  /** Index of the SetWeight 100 added because the user's steps stopped short. */
  readonly appendedStep?: number
}

const table = new WeakMap<Strategy, Provenance>()

const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** Freezes the strategy (presets are shared constants) and remembers where it came from. */
export const remember = (strategy: Strategy, provenance: Provenance): Strategy => {
  deepFreeze(strategy)
  table.set(strategy, provenance)
  return strategy
}

export const provenanceOf = (strategy: Strategy): Provenance | undefined => table.get(strategy)

export const relabel = (strategy: Strategy, label: string): Strategy => {
  table.set(strategy, { ...(table.get(strategy) ?? { notes: [] }), label })
  return strategy
}
