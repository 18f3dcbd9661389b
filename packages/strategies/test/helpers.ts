// Shorthands so expected step lists read like the plan they describe.
import type { Step } from "@slipway/core"
import { StrategyInvalid } from "../src/index.ts"

export const scale = (percent: number): Step => ({ _tag: "Scale", percent })
export const replicas = (n: number): Step => ({ _tag: "Scale", replicas: n })
export const weight = (w: number): Step => ({ _tag: "SetWeight", weight: w })
export const pause = (duration?: number): Step =>
  duration === undefined ? { _tag: "Pause" } : { _tag: "Pause", duration }
export const gate = (...gates: Array<string>): Step =>
  gates.length === 0 ? { _tag: "Gate" } : { _tag: "Gate", gates }

export const MIN = 60_000

/** The issues a builder throws, as `path: message` lines; fails the test if it does not throw. */
export const issuesOf = (build: () => unknown): Array<string> => {
  try {
    build()
  } catch (e) {
    if (e instanceof StrategyInvalid) return e.issues.map((i) => `${i.path}: ${i.message}`)
    throw e
  }
  throw new Error("expected StrategyInvalid, but the strategy was built")
}
