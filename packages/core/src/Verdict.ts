/**
 * Health gates and their verdicts. A gate looks at something (a probe, a metric, an
 * alarm) and says Pass, Fail or Inconclusive, always with the evidence it looked at, so
 * that every decision a rollout takes can be explained afterwards.
 */
import { Data, type Effect } from "effect"
import type { Revision } from "./Revision.ts"

/** What a gate looked at: enough for a person to check the verdict by hand. */
export interface Evidence {
  /** The gate that produced it. */
  readonly gate: string
  /** The query or probe, as text (`GET http://…/healthz`, `error_rate{revision="…"}[1m]`). */
  readonly query?: string
  /** The value compared against the threshold; `null` when there was no data. */
  readonly observed?: number | null
  /** The threshold as text (`< 0.01`, `status 200`, `p < 0.02, |effect| > 0.2`). */
  readonly threshold?: string
  /** Raw values behind `observed`, when there are a few (long series are summarised). */
  readonly values?: ReadonlyArray<number>
  /** How many samples or requests the value rests on. */
  readonly sampleSize?: number
  /** Anything else worth keeping: a status line, a body excerpt, a p-value. */
  readonly detail?: string
}

/** A gate's decision. `reason` is one line a person can read. */
export type Verdict = Data.TaggedEnum<{
  Pass: { readonly reason: string; readonly evidence: ReadonlyArray<Evidence> }
  Fail: { readonly reason: string; readonly evidence: ReadonlyArray<Evidence> }
  Inconclusive: { readonly reason: string; readonly evidence: ReadonlyArray<Evidence> }
}>

/**
 * Constructors and matchers for verdicts.
 *
 * @example
 * import { Verdict } from "@slipway/core"
 * const v = Verdict.Fail({ reason: "error rate 4.2% ≥ 1%", evidence: [{ gate: "errors", observed: 0.042, threshold: "< 0.01" }] })
 * Verdict.$is("Fail")(v) // true
 */
export const Verdict = Data.taggedEnum<Verdict>()

/** What a gate is told about the rollout it is judging. */
export interface GateContext {
  readonly app: string
  readonly candidate: Revision
  /** `null` on a first deployment, when there is nothing to compare against. */
  readonly stable: Revision | null
  /** Candidate traffic percent at the time of the check. */
  readonly candidateWeight: number
  /** Index of the strategy step being judged. */
  readonly stepIndex: number
}

/** Timing facts a gate declares so that `explain` can compute detection times. */
export interface GateTiming {
  /** Time between the gate's samples (ms). */
  readonly interval?: number
  /** Failing samples tolerated before the gate fails. */
  readonly failureLimit?: number
  /** Width of the metric window each sample reads (ms), e.g. a CloudWatch period. */
  readonly period?: number
  /** Time before the first sample (ms). */
  readonly initialDelay?: number
}

/**
 * A named health check. `check` never fails: a gate that cannot evaluate says
 * Inconclusive (or Fail) with the reason, so errors become explainable verdicts.
 *
 * @example
 * import { Verdict, type Gate } from "@slipway/core"
 * import { Effect } from "effect"
 * const alwaysPass: Gate = {
 *   name: "always",
 *   check: () => Effect.succeed(Verdict.Pass({ reason: "nothing to check", evidence: [] })),
 * }
 */
export interface Gate<R = never> {
  readonly name: string
  readonly check: (context: GateContext) => Effect.Effect<Verdict, never, R>
  readonly timing?: GateTiming
  /** When true the verdict is recorded but never stops the rollout. */
  readonly dryRun?: boolean
}

/**
 * Type-level helpers for gates.
 *
 * @example
 * import type { Gate, MetricSource } from "@slipway/core"
 * import type { AlarmSource } from "@slipway/gates"
 * type Needs = Gate.Requirements<Gate<MetricSource> | Gate<AlarmSource>> // MetricSource | AlarmSource
 */
export declare namespace Gate {
  /**
   * The services a gate needs; for a union of gates (such as `Gates[number]` of a list),
   * the union of what each needs.
   */
  export type Requirements<G> = G extends Gate<infer R> ? R : never
}
