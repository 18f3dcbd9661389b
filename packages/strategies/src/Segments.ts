/**
 * A strategy's steps regrouped the way native mechanisms think about them: what happens
 * before any production traffic reaches the candidate, at each intermediate weight (a
 * plateau), and once it has 100%. The backend checks (`backendIssues`) and the AWS
 * compilers both read this, so they cannot disagree about which step runs where.
 */
import type { Step, Strategy } from "@slipway/core"

/**
 * A step and where it sits in the strategy.
 *
 * @example
 * import type { Segments } from "@slipway/strategies"
 * const located: Segments.Located = { index: 2, step: { _tag: "Pause", duration: 300_000 } }
 */
export interface Located<S extends Step = Step> {
  readonly index: number
  readonly step: S
}

/** A `Scale` step. */
export type ScaleStep = Extract<Step, { readonly _tag: "Scale" }>

/**
 * The steps run while the candidate holds one production weight.
 *
 * @example
 * import { canary, Segments } from "@slipway/strategies"
 * Segments.of(canary({ steps: [{ weight: 10, bake: "5m" }] })).plateaus[0]
 * // { weight: 10, openedAt: 1, steps: [{ index: 2, step: Pause 5m }, { index: 3, step: Gate }] }
 */
export interface Segment {
  readonly weight: number
  /** Index of the SetWeight step that opened the segment; -1 for the pre-traffic segment. */
  readonly openedAt: number
  readonly steps: ReadonlyArray<Located>
}

/**
 * Where a stage sits: before traffic, at an intermediate weight, or at 100%.
 *
 * @example
 * import { canary, Segments } from "@slipway/strategies"
 * const { pre, plateaus, final } = Segments.of(canary({ steps: [{ weight: 10, bake: "5m" }] }))
 */
export interface TrafficSegments {
  /** Weight 0: before any production traffic (preview, scale-up, pre-traffic gates). */
  readonly pre: Segment
  /** Intermediate weights, 0 < weight < 100, in order. */
  readonly plateaus: ReadonlyArray<Segment>
  /** Weight 100: after the full shift, before the old side is retired. */
  readonly final: Segment
}

/**
 * Splits a (valid) strategy into pre-traffic, plateau and final segments. A SetWeight that
 * repeats the current weight does not open a new segment.
 *
 * @example
 * import { linear, Segments } from "@slipway/strategies"
 * Segments.of(linear({ stepPercent: 25, interval: "1m" })).plateaus.map((s) => s.weight) // [25, 50, 75]
 */
export const of = (strategy: Strategy): TrafficSegments => {
  const segments: Array<{ weight: number; openedAt: number; steps: Array<Located> }> = [
    { weight: 0, openedAt: -1, steps: [] },
  ]
  strategy.steps.forEach((step, index) => {
    const current = segments[segments.length - 1]!
    if (step._tag === "SetWeight" && step.weight !== current.weight) {
      segments.push({ weight: step.weight, openedAt: index, steps: [] })
    } else if (step._tag !== "SetWeight") {
      current.steps.push({ index, step })
    }
  })
  const [pre, ...rest] = segments
  // A valid strategy ends at 100%; without any SetWeight the pre-traffic segment is all there is.
  const final = rest[rest.length - 1] ?? { weight: 100, openedAt: -1, steps: [] }
  return { pre: pre!, plateaus: rest.slice(0, -1), final }
}

/**
 * Every weight the plan moves through, ending with 100.
 *
 * @example
 * import { canary, Segments } from "@slipway/strategies"
 * Segments.weights(Segments.of(canary({ steps: [{ weight: 10, bake: "1m" }, { weight: 50, bake: "1m" }] }))) // [10, 50, 100]
 */
export const weights = (segments: TrafficSegments): ReadonlyArray<number> => [
  ...segments.plateaus.map((s) => s.weight),
  100,
]

/** The segment's Gate steps. */
export const gatesIn = (segment: Segment): ReadonlyArray<Located> =>
  segment.steps.filter((s) => s.step._tag === "Gate")

/** The segment's pauses until promoted. */
export const manualPausesIn = (segment: Segment): ReadonlyArray<Located> =>
  segment.steps.filter((s) => s.step._tag === "Pause" && s.step.duration === undefined)

/** The segment's timed pauses. */
export const timedPausesIn = (segment: Segment): ReadonlyArray<Located> =>
  segment.steps.filter((s) => s.step._tag === "Pause" && s.step.duration !== undefined)

/** The segment's Scale steps. */
export const scalesIn = (segment: Segment): ReadonlyArray<Located<ScaleStep>> =>
  segment.steps.filter((s): s is Located<ScaleStep> => s.step._tag === "Scale")

/**
 * Total time the segment's timed pauses hold the weight (ms).
 *
 * @example
 * import { canary, Segments } from "@slipway/strategies"
 * Segments.bakeOf(Segments.of(canary({ steps: [{ weight: 10, bake: "5m" }] })).plateaus[0]!) // 300000
 */
export const bakeOf = (segment: Segment): number =>
  segment.steps.reduce((sum, { step }) => sum + (step._tag === "Pause" ? (step.duration ?? 0) : 0), 0)

/**
 * The order in which a segment waits: `hold` (gates and timed pauses, which a check loop
 * can run) and `manual` (a wait for a person), consecutive repeats collapsed.
 *
 * @example
 * import { blueGreen, Segments } from "@slipway/strategies"
 * Segments.waitOrder(Segments.of(blueGreen({ autoPromote: false })).pre) // ["hold", "manual"]
 */
export const waitOrder = (segment: Segment): ReadonlyArray<"hold" | "manual"> => {
  const order: Array<"hold" | "manual"> = []
  for (const { step } of segment.steps) {
    const kind =
      step._tag === "Gate"
        ? "hold"
        : step._tag === "Pause"
          ? step.duration === undefined
            ? "manual"
            : "hold"
          : undefined
    if (kind !== undefined && order[order.length - 1] !== kind) order.push(kind)
  }
  return order
}

/**
 * Whether a Scale step sizes the candidate for the weight it is about to receive (`Scale 25%`
 * then `SetWeight 25`, or `Scale 3 replicas` then `SetWeight 30` when the size is known):
 * capacity and traffic move together, as in a rolling replacement.
 *
 * @example
 * import { rolling, Segments } from "@slipway/strategies"
 * const strategy = rolling({ batchPercent: 25 })
 * Segments.tracksTraffic(strategy, Segments.scalesIn(Segments.of(strategy).pre)[0]!) // true
 */
export const tracksTraffic = (strategy: Strategy, scale: Located<ScaleStep>): boolean => {
  const next = strategy.steps[scale.index + 1]
  if (next?._tag !== "SetWeight") return false
  return scale.step.percent === undefined || next.weight === scale.step.percent
}

/**
 * Where a step sits, for messages: `steps[i]` of the step given, else of the SetWeight
 * that opened the segment.
 *
 * @example
 * import { Segments } from "@slipway/strategies"
 * Segments.pathOf(undefined, { weight: 25, openedAt: 4, steps: [] }) // "steps[4]"
 */
export const pathOf = (located: Located | undefined, segment?: Segment): string | undefined =>
  located !== undefined
    ? `steps[${located.index}]`
    : segment !== undefined && segment.openedAt >= 0
      ? `steps[${segment.openedAt}]`
      : undefined

/**
 * Equal steps: weights `s, 2s, …` up to the last multiple of `s` below 100 (then 100).
 * Returns `s`, or `undefined` when the weights are not evenly spaced that way.
 *
 * @example
 * import { Segments } from "@slipway/strategies"
 * Segments.equalStep([30, 60, 90]) // 30
 * Segments.equalStep([10, 25, 50]) // undefined
 */
export const equalStep = (weights: ReadonlyArray<number>): number | undefined => {
  const step = weights[0]
  if (step === undefined) return undefined
  const even = weights.every((w, i) => w === step * (i + 1))
  const last = weights[weights.length - 1]!
  return even && last + step >= 100 ? step : undefined
}

/**
 * The increments between weights, for messages.
 *
 * @example
 * import { Segments } from "@slipway/strategies"
 * Segments.increments([10, 25, 50, 100]) // "+10, +15, +25, +50"
 */
export const increments = (weights: ReadonlyArray<number>): string =>
  weights.map((w, i) => `+${w - (i === 0 ? 0 : weights[i - 1]!)}`).join(", ")
