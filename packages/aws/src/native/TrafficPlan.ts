/**
 * A strategy's steps regrouped the way native mechanisms think about them: what happens
 * before any production traffic reaches the candidate, at each intermediate weight (a
 * plateau), and once it has 100%. Compilers read this instead of the raw step list.
 * Internal to the native compilers.
 */
import { formatDuration, type Step, type Strategy, strategyIssues } from "@slipway/core"
import { type Compilation, drivenAlternative, type NativeBackend } from "./Native.ts"

/** A step and where it sits in the strategy. */
export interface Located<S extends Step = Step> {
  readonly index: number
  readonly step: S
}

export type ScaleStep = Extract<Step, { readonly _tag: "Scale" }>

/** The steps run while the candidate holds one production weight. */
export interface Segment {
  readonly weight: number
  /** Index of the SetWeight step that opened the segment; -1 for the pre-traffic segment. */
  readonly openedAt: number
  readonly steps: ReadonlyArray<Located>
}

export interface TrafficPlan {
  /** Weight 0: before any production traffic (preview, scale-up, pre-traffic gates). */
  readonly pre: Segment
  /** Intermediate weights, 0 < weight < 100, in order. */
  readonly plateaus: ReadonlyArray<Segment>
  /** Weight 100: after the full shift, before the old side is retired. */
  readonly final: Segment
}

/** Internal early exit: a compiler throws this, `compileWith` turns it into a `Refused`. */
class Refusal {
  readonly reason: string
  readonly path: string | undefined
  readonly fix: string | undefined
  constructor(reason: string, path: string | undefined, fix: string | undefined) {
    this.reason = reason
    this.path = path
    this.fix = fix
  }
}

/**
 * Stops compilation with a refusal. `fix`, when given, is offered before the driven
 * alternative ("pass `alarms`…, or run it driven…").
 */
export const refuse = (
  reason: string,
  options: { readonly path?: string; readonly fix?: string } = {},
): never => {
  throw new Refusal(reason, options.path, options.fix)
}

/** Runs a compiler body, turning a `refuse` into a `Refused` and a return into `Compiled`. */
export const compileWith = <S>(backend: NativeBackend, body: (notes: Array<string>) => S): Compilation<S> => {
  const notes: Array<string> = []
  try {
    return { _tag: "Compiled", backend, settings: body(notes), notes }
  } catch (e) {
    if (!(e instanceof Refusal)) throw e
    const driven = drivenAlternative[backend]
    return {
      _tag: "Refused",
      backend,
      reason: e.reason,
      alternative: e.fix === undefined ? driven : `${e.fix}, or ${driven}`,
      ...(e.path === undefined ? {} : { path: e.path }),
    }
  }
}

/** Splits a strategy into pre-traffic, plateaus and final segments; refuses an invalid strategy. */
export const planTraffic = (strategy: Strategy): TrafficPlan => {
  const issues = strategyIssues(strategy)
  if (issues.length > 0) {
    refuse(`the strategy is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, {
      path: issues[0]!.path,
      fix: "fix the fields named above",
    })
  }
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
  const final = rest[rest.length - 1]!
  return { pre: pre!, plateaus: rest.slice(0, -1), final }
}

/** Every weight the plan moves through, ending with 100: `[10, 25, 50, 100]`. */
export const planWeights = (plan: TrafficPlan): ReadonlyArray<number> => [
  ...plan.plateaus.map((s) => s.weight),
  100,
]

export const gatesIn = (segment: Segment): ReadonlyArray<Located> =>
  segment.steps.filter((s) => s.step._tag === "Gate")

export const manualPausesIn = (segment: Segment): ReadonlyArray<Located> =>
  segment.steps.filter((s) => s.step._tag === "Pause" && s.step.duration === undefined)

export const timedPausesIn = (segment: Segment): ReadonlyArray<Located> =>
  segment.steps.filter((s) => s.step._tag === "Pause" && s.step.duration !== undefined)

export const scalesIn = (segment: Segment): ReadonlyArray<Located<ScaleStep>> =>
  segment.steps.filter((s): s is Located<ScaleStep> => s.step._tag === "Scale")

/** Total time the segment's timed pauses hold the weight (ms). */
export const bakeOf = (segment: Segment): number =>
  timedPausesIn(segment).reduce((sum, s) => sum + (s.step._tag === "Pause" ? (s.step.duration ?? 0) : 0), 0)

/**
 * The order in which a segment waits: `hold` (gates and timed pauses, which a check loop
 * can run) and `manual` (a wait for a person), consecutive repeats collapsed.
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
 * A Scale step that sizes the candidate for the weight it is about to receive (`Scale 25%`
 * then `SetWeight 25`, or `Scale 3 replicas` then `SetWeight 30` when the size is known):
 * capacity and traffic move together, as in a rolling replacement.
 */
export const tracksTraffic = (strategy: Strategy, scale: Located<ScaleStep>): boolean => {
  const next = strategy.steps[scale.index + 1]
  if (next?._tag !== "SetWeight") return false
  return scale.step.percent === undefined || next.weight === scale.step.percent
}

/** `ms` as whole minutes, refusing anything else: ECS and CodeDeploy take minutes, and rounding would change the plan. */
export const wholeMinutes = (ms: number, what: string, path: string | undefined): number => {
  if (ms % 60_000 !== 0) {
    refuse(
      `${what} is ${formatDuration(ms)}, which is not a whole number of minutes; the mechanism counts minutes and Slipway does not round a bake`,
      {
        ...(path === undefined ? {} : { path }),
        fix: `use a duration of ${formatDuration(Math.ceil(ms / 60_000) * 60_000)} or ${formatDuration(Math.max(60_000, Math.floor(ms / 60_000) * 60_000))}`,
      },
    )
  }
  return ms / 60_000
}

/** `ms` as whole seconds, refusing fractions. */
export const wholeSeconds = (ms: number, what: string, path: string | undefined): number => {
  if (ms % 1_000 !== 0) {
    refuse(`${what} is ${ms}ms, which is not a whole number of seconds`, {
      ...(path === undefined ? {} : { path }),
      fix: `use ${Math.round(ms / 1_000)}s`,
    })
  }
  return ms / 1_000
}

/** Where a segment's first step of interest sits, for refusal paths. */
export const pathOf = (located: Located | undefined, segment?: Segment): string | undefined =>
  located !== undefined
    ? `steps[${located.index}]`
    : segment !== undefined && segment.openedAt >= 0
      ? `steps[${segment.openedAt}]`
      : undefined

/**
 * Equal steps: weights `s, 2s, …` up to the last multiple of `s` below 100 (then 100).
 * Returns `s`, or `undefined` when the weights are not evenly spaced that way.
 */
export const equalStep = (weights: ReadonlyArray<number>): number | undefined => {
  const step = weights[0]
  if (step === undefined) return undefined
  const even = weights.every((w, i) => w === step * (i + 1))
  const last = weights[weights.length - 1]!
  return even && last + step >= 100 ? step : undefined
}

/** `+10, +15, +25, +50` — the increments between weights, for messages. */
export const increments = (weights: ReadonlyArray<number>): string =>
  weights.map((w, i) => `+${w - (i === 0 ? 0 : weights[i - 1]!)}`).join(", ")
