/**
 * A strategy's steps regrouped the way native mechanisms think about them (before traffic,
 * each intermediate weight, 100%), and the refusal plumbing the compilers share. What a
 * backend cannot run is decided by `backendIssues` in `@slipway/strategies` — the checks
 * `explain` reports — so a compiler only maps what passed them, plus the checks that depend
 * on its own options (alarms, hook functions). Internal to the native compilers.
 */
import type { Step, Strategy } from "@slipway/core"
import { backendIssues, Segments } from "@slipway/strategies"
import { type Compilation, drivenAlternative, type NativeBackend, strategiesBackend } from "./Native.ts"

export type Located<S extends Step = Step> = Segments.Located<S>
export type Segment = Segments.Segment
export type TrafficPlan = Segments.TrafficSegments

export const {
  bakeOf,
  gatesIn,
  manualPausesIn,
  pathOf,
  scalesIn,
  timedPausesIn,
  waitOrder,
  weights: planWeights,
} = Segments

/** The largest share one move adds (`[25, 50, 100]` → 50): what a batch replaces at most. */
export const largestIncrement = (weights: ReadonlyArray<number>): number =>
  Math.max(...weights.map((w, i) => w - (i === 0 ? 0 : weights[i - 1]!)))

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
 * alternative ("pass `alarms`…, or run it driven…"), as `backendIssues` does.
 */
export const refuse = (
  reason: string,
  options: { readonly path?: string | undefined; readonly fix?: string | undefined } = {},
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

/**
 * Refuses with the first thing `backend` cannot run of the strategy (exactly what `explain`
 * reports as its first error), else splits it into pre-traffic, plateau and final segments.
 */
export const planTraffic = (strategy: Strategy, backend: NativeBackend): TrafficPlan => {
  const [first] = backendIssues(strategy, strategiesBackend[backend])
  if (first !== undefined) refuse(first.reason, { path: first.path, fix: first.fix })
  return Segments.of(strategy)
}
