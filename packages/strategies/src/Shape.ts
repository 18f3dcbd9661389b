/**
 * The traffic shape of a strategy, in the terms native mechanisms understand: all at once,
 * a one-step canary, equal linear steps, or anything else ("stepped"). Native backends
 * (ECS deploymentConfiguration, CodeDeploy, instance refresh) can only run some shapes;
 * `explain` and the AWS compilers use this to say so instead of approximating.
 */
import type { Strategy } from "@slipway/core"
import { timeline } from "./internal/Timeline.ts"

/**
 * What the candidate's traffic does over time. `previewMs` is the time spent at 0% before
 * the first shift (`null`: until a person promotes).
 *
 * @example
 * import { canary, trafficShape } from "@slipway/strategies"
 * trafficShape(canary({ steps: [{ weight: 10, bake: "5m" }] }))
 * // { _tag: "Canary", percent: 10, bakeMs: 300000, previewMs: 0 }
 */
export type TrafficShape =
  | { readonly _tag: "AllAtOnce"; readonly previewMs: number | null }
  | {
      readonly _tag: "Canary"
      readonly percent: number
      readonly bakeMs: number | null
      readonly previewMs: number | null
    }
  | {
      readonly _tag: "Linear"
      readonly stepPercent: number
      readonly intervalMs: number
      readonly previewMs: number | null
    }
  | { readonly _tag: "Stepped"; readonly weights: ReadonlyArray<number>; readonly previewMs: number | null }

/**
 * Classifies a (valid) strategy's traffic schedule. Scale and Gate steps do not change
 * the shape; a linear shape needs at least three shifts of equal size (the last may be
 * smaller) with equal, timed holds.
 *
 * @example
 * import { linear, trafficShape } from "@slipway/strategies"
 * trafficShape(linear({ stepPercent: 10, interval: "1m" }))
 * // { _tag: "Linear", stepPercent: 10, intervalMs: 60000, previewMs: 0 }
 */
export const trafficShape = (strategy: Strategy): TrafficShape => {
  const { holds } = timeline(strategy)
  const previewMs = holds
    .filter((h) => h.weight === 0)
    .reduce<number | null>((sum, h) => (sum === null || h.durationMs === null ? null : sum + h.durationMs), 0)
  const moving = holds.filter((h) => h.weight > 0)
  // Repeated SetWeights of the same value do not change traffic.
  const distinct = moving.filter((h, i) => i === 0 || h.weight !== moving[i - 1]!.weight)
  const weights = distinct.map((h) => h.weight)
  const [first, second] = distinct
  if (weights.length === 1 && weights[0] === 100) return { _tag: "AllAtOnce", previewMs }
  if (weights.length === 2 && first !== undefined && second?.weight === 100) {
    return { _tag: "Canary", percent: first.weight, bakeMs: first.durationMs, previewMs }
  }
  if (weights.length >= 3 && first !== undefined) {
    const step = first.weight
    const interval = first.durationMs
    const middle = distinct.slice(0, -1)
    const equalSteps = middle.every((h, i) => h.weight === step * (i + 1))
    const lastShift = 100 - middle[middle.length - 1]!.weight
    const equalHolds = middle.every((h) => h.durationMs !== null && h.durationMs === interval)
    if (equalSteps && lastShift <= step && equalHolds && interval !== null) {
      return { _tag: "Linear", stepPercent: step, intervalMs: interval, previewMs }
    }
  }
  return { _tag: "Stepped", weights, previewMs }
}
