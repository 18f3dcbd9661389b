/**
 * Gate evaluation and what the verdicts mean for a rollout. One evaluation round checks
 * a set of gates concurrently; the round's outcome is the worst verdict among the gates
 * that are not dry runs, counted against the strategy's analysis policy:
 *
 * - a round with a Fail counts one failure; more than `failureLimit` failures → roll back;
 * - a round with an Inconclusive (and no Fail) counts one more consecutive inconclusive;
 *   more than `inconclusiveLimit` in a row → `onInconclusiveLimit` (hold or roll back);
 * - an all-Pass round resets the consecutive-inconclusive count.
 */
import { Effect } from "effect"
import type { VerdictData } from "./Events.ts"
import type { Analysis } from "./Strategy.ts"
import { type Gate, type GateContext, Verdict } from "./Verdict.ts"

/**
 * One gate's verdict in a round.
 *
 * @example
 * import { type GateResult, Verdict } from "@slipway/core"
 * const r: GateResult = { gate: "errors", dryRun: false, verdict: Verdict.Pass({ reason: "0.1% < 1%", evidence: [] }) }
 */
export interface GateResult {
  readonly gate: string
  readonly dryRun: boolean
  readonly verdict: Verdict
}

/**
 * What a round decided: go on, hold for an operator, or roll back (with the reason).
 *
 * @example
 * import type { Judgement } from "@slipway/core"
 * const say = (j: Judgement) => (j._tag === "Continue" ? "ok" : `${j._tag}: ${j.reason}`)
 */
export type Judgement =
  | { readonly _tag: "Continue" }
  | { readonly _tag: "Hold"; readonly reason: string }
  | { readonly _tag: "Rollback"; readonly reason: string }

/**
 * Fail verdicts so far and Inconclusive verdicts in a row, as the journal keeps them.
 *
 * @example
 * import type { Counters } from "@slipway/core"
 * const fresh: Counters = { failures: 0, inconclusives: 0 }
 */
export interface Counters {
  readonly failures: number
  readonly inconclusives: number
}

/** Checks gates concurrently; a gate that dies is reported Inconclusive rather than crashing the rollout. */
export const evaluateGates = <R>(
  gates: ReadonlyArray<Gate<R>>,
  context: GateContext,
): Effect.Effect<ReadonlyArray<GateResult>, never, R> =>
  Effect.forEach(
    gates,
    (gate) =>
      gate.check(context).pipe(
        Effect.catchDefect((defect) =>
          Effect.succeed(
            Verdict.Inconclusive({
              reason: `gate ${gate.name} crashed: ${defect instanceof Error ? defect.message : String(defect)}`,
              evidence: [{ gate: gate.name }],
            }),
          ),
        ),
        Effect.map((verdict): GateResult => ({ gate: gate.name, dryRun: gate.dryRun === true, verdict })),
      ),
    { concurrency: "unbounded" },
  )

/**
 * A verdict as the event schema carries it (only the known evidence fields).
 *
 * @example
 * import { Verdict, verdictData } from "@slipway/core"
 * verdictData(Verdict.Fail({ reason: "503", evidence: [{ gate: "probe", observed: 503 }] }))
 * // { _tag: "Fail", reason: "503", evidence: [{ gate: "probe", observed: 503 }] }
 */
export const verdictData = (verdict: Verdict): VerdictData => ({
  _tag: verdict._tag,
  reason: verdict.reason,
  evidence: verdict.evidence.map((e) => ({
    gate: e.gate,
    ...(e.query !== undefined ? { query: e.query } : {}),
    ...(e.observed !== undefined ? { observed: e.observed } : {}),
    ...(e.threshold !== undefined ? { threshold: e.threshold } : {}),
    ...(e.values !== undefined ? { values: [...e.values] } : {}),
    ...(e.sampleSize !== undefined ? { sampleSize: e.sampleSize } : {}),
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
  })),
})

const describe = (results: ReadonlyArray<GateResult>): string =>
  results.map((r) => `${r.gate}: ${r.verdict.reason}`).join("; ")

/**
 * Applies a round's verdicts to the counters and decides what the rollout does next.
 *
 * @example
 * import { defaultAnalysis, judge, Verdict } from "@slipway/core"
 * const fail = { gate: "errors", dryRun: false, verdict: Verdict.Fail({ reason: "4% ≥ 1%", evidence: [] }) }
 * judge([fail], { failures: 0, inconclusives: 0 }, defaultAnalysis).judgement
 * // { _tag: "Rollback", reason: "gate failed: errors: 4% ≥ 1%" }
 */
export const judge = (
  results: ReadonlyArray<GateResult>,
  counters: Counters,
  analysis: Analysis,
): { readonly counters: Counters; readonly judgement: Judgement } => {
  const binding = results.filter((r) => !r.dryRun)
  const failed = binding.filter((r) => r.verdict._tag === "Fail")
  if (failed.length > 0) {
    const failures = counters.failures + 1
    const next = { ...counters, failures }
    if (failures <= analysis.failureLimit) return { counters: next, judgement: { _tag: "Continue" } }
    const budget =
      analysis.failureLimit > 0 ? ` (${failures} failed checks, limit ${analysis.failureLimit})` : ""
    return {
      counters: next,
      judgement: { _tag: "Rollback", reason: `gate failed: ${describe(failed)}${budget}` },
    }
  }
  const unsure = binding.filter((r) => r.verdict._tag === "Inconclusive")
  if (unsure.length === 0)
    return { counters: { ...counters, inconclusives: 0 }, judgement: { _tag: "Continue" } }
  const inconclusives = counters.inconclusives + 1
  const next = { ...counters, inconclusives }
  if (inconclusives <= analysis.inconclusiveLimit) return { counters: next, judgement: { _tag: "Continue" } }
  const reason = `${inconclusives} inconclusive checks in a row (limit ${analysis.inconclusiveLimit}): ${describe(unsure)}`
  return {
    counters: next,
    judgement:
      analysis.onInconclusiveLimit === "fail" ? { _tag: "Rollback", reason } : { _tag: "Hold", reason },
  }
}
