/** How combinators keep `timing` honest for `explain`. Internal. */
import { defaultAnalysis, type Gate, type GateTiming } from "@slipway/core"

const FIELDS = ["interval", "failureLimit", "period", "initialDelay"] as const

/**
 * The timing of a gate made of several: field by field, the slowest child's, so that
 * detection times computed from it are upper bounds rather than promises.
 */
export const slowest = (timings: ReadonlyArray<GateTiming | undefined>): GateTiming | undefined => {
  const merged: { -readonly [K in keyof GateTiming]: GateTiming[K] } = {}
  for (const field of FIELDS) {
    const values = timings.map((t) => t?.[field]).filter((v): v is number => v !== undefined)
    if (values.length > 0) merged[field] = Math.max(...values)
  }
  return Object.keys(merged).length === 0 ? undefined : merged
}

/** Time between repeated samples of a gate: its declared interval, else the analysis default. */
export const spacingOf = (gate: Gate<unknown>): number => gate.timing?.interval ?? defaultAnalysis.interval

/** `{ timing }` when there is one, nothing otherwise (optional properties stay absent). */
export const timingField = (timing: GateTiming | undefined): { readonly timing?: GateTiming } =>
  timing === undefined ? {} : { timing }
