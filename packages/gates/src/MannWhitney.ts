/**
 * Kayenta's judge for one metric: compare the candidate's samples with the stable
 * revision's using the Mann–Whitney U test, after dropping NaNs and far outliers, and
 * classify the difference as High, Low, Pass or NoData. A difference counts only when it
 * is both significant (p below 1 − confidence) and large (|Cliff's delta| at least the
 * minimum effect size), so a large sample cannot fail a release over a trivial shift.
 */
import {
  type DurationInput,
  formatDuration,
  type Gate,
  type MetricName,
  type MetricSource,
  Verdict,
} from "@slipway/core"
import { Effect, Result } from "effect"
import { GateConfigError } from "./GateConfigError.ts"
import { formatNumber, formatValue, metricLabel } from "./internal/format.ts"
import { readCandidateAndStable } from "./internal/metrics.ts"
import { countOption, numberOption, positiveDurationOption } from "./internal/options.ts"
import { guard } from "./internal/verdicts.ts"
import {
  type CleanedSamples,
  cleanSamples,
  type MannWhitneyResult,
  mannWhitneyU,
  quantile,
} from "./Statistics.ts"

/**
 * Kayenta's classes: the candidate is significantly higher, lower, not different, or there is too little data.
 *
 * @example
 * import { judge } from "@slipway/gates"
 * const { classification } = judge([310, 320, 330], [200, 210, 220], { minSamples: 3 })
 * // "High" | "Low" | "Pass" | "NoData"
 */
export type Classification = "High" | "Low" | "Pass" | "NoData"

/**
 * Which difference fails the gate.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const anyChange = Gate.mannWhitney({ window: "5m", metric: "payload_bytes", direction: "either" })
 */
export type MannWhitneyDirection = "higher-is-worse" | "lower-is-worse" | "either"

/**
 * How {@link judge} decides.
 *
 * @example
 * import { judge } from "@slipway/gates"
 * const strict = (c: number[], s: number[]) => judge(c, s, { confidence: 0.99, minEffectSize: 0.1, minSamples: 50 })
 */
export interface JudgeOptions {
  /** 1 − significance level (default 0.98, Kayenta's): a difference needs p < 0.02. */
  readonly confidence?: number
  /** Smallest |Cliff's delta| that counts as a real difference (default 0.2). */
  readonly minEffectSize?: number
  /** Tukey fence multiplier for dropping outliers (default 3: IQR × 3). */
  readonly outlierFactor?: number
  /** Fewer cleaned samples than this on either side is NoData (default 10). */
  readonly minSamples?: number
}

/**
 * The judgement of one metric, with everything behind it.
 *
 * @example
 * import { judge } from "@slipway/gates"
 * const j = judge(candidateLatencies, stableLatencies)
 * console.log(j.classification, j.test?.pValue, j.candidateMedian, j.stableMedian)
 */
export interface Judgement {
  readonly classification: Classification
  readonly candidate: CleanedSamples
  readonly stable: CleanedSamples
  /** Absent when there was too little data to test. */
  readonly test?: MannWhitneyResult
  readonly candidateMedian: number
  readonly stableMedian: number
}

/**
 * Classifies candidate samples against stable samples as Kayenta does: drop NaNs and
 * outliers beyond IQR × 3, run the Mann–Whitney U test, and call the candidate High or
 * Low only when p < 1 − confidence and |effect size| ≥ minEffectSize.
 *
 * @example
 * import { judge } from "@slipway/gates"
 * const slower = Array.from({ length: 40 }, (_, i) => 300 + i)
 * const usual = Array.from({ length: 40 }, (_, i) => 200 + i)
 * judge(slower, usual).classification // "High"
 * judge(usual, usual).classification // "Pass" (p = 1)
 */
export const judge = (
  candidate: ReadonlyArray<number>,
  stable: ReadonlyArray<number>,
  options: JudgeOptions = {},
): Judgement => {
  const confidence = options.confidence ?? 0.98
  const minEffectSize = options.minEffectSize ?? 0.2
  const minSamples = Math.max(1, options.minSamples ?? 10)
  const cleanCandidate = cleanSamples(candidate, options.outlierFactor ?? 3)
  const cleanStable = cleanSamples(stable, options.outlierFactor ?? 3)
  const base = {
    candidate: cleanCandidate,
    stable: cleanStable,
    candidateMedian: quantile(cleanCandidate.kept, 0.5),
    stableMedian: quantile(cleanStable.kept, 0.5),
  }
  if (cleanCandidate.kept.length < minSamples || cleanStable.kept.length < minSamples) {
    return { ...base, classification: "NoData" }
  }
  const test = mannWhitneyU(cleanCandidate.kept, cleanStable.kept)
  const significant = test.pValue < 1 - confidence && Math.abs(test.effectSize) >= minEffectSize
  const classification: Classification = !significant ? "Pass" : test.effectSize > 0 ? "High" : "Low"
  return { ...base, classification, test }
}

/**
 * Options of {@link mannWhitney}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const options: Gate.MannWhitneyGateOptions = { window: "10m", confidence: 0.95, minEffectSize: 0.3, minSamples: 30 }
 * const gate = Gate.mannWhitney(options)
 */
export interface MannWhitneyGateOptions extends JudgeOptions {
  readonly window: DurationInput
  /** A metric whose source returns raw samples (default `latency`). */
  readonly metric?: MetricName
  /** Default `higher-is-worse`: only a significantly higher candidate fails. */
  readonly direction?: MannWhitneyDirection
  /** Gate name (default `mann-whitney latency`). */
  readonly name?: string
}

const FAILS: Record<MannWhitneyDirection, ReadonlyArray<Classification>> = {
  "higher-is-worse": ["High"],
  "lower-is-worse": ["Low"],
  either: ["High", "Low"],
}

/**
 * Baseline-versus-canary statistics: fails when the candidate's samples (latency by
 * default) are significantly and substantially worse than the stable revision's over the
 * same window. Inconclusive when there is no stable revision or too few samples.
 * Evidence records U, z, the p-value, the effect size, n1, n2 and both medians.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const noSlower = Gate.mannWhitney({ window: "5m", confidence: 0.98, minEffectSize: 0.2 })
 */
export const mannWhitney = (options: MannWhitneyGateOptions): Gate<MetricSource> => {
  const metric = options.metric ?? "latency"
  const name = options.name ?? `mann-whitney ${metric}`
  const windowMs = positiveDurationOption(name, "window", options.window)
  const confidence = numberOption(name, "confidence", options.confidence ?? 0.98)
  if (confidence <= 0 || confidence >= 1) {
    throw new GateConfigError({
      gate: name,
      field: "confidence",
      problem: `${confidence} is not between 0 and 1 (e.g. 0.98)`,
    })
  }
  const minEffectSize = numberOption(name, "minEffectSize", options.minEffectSize ?? 0.2)
  if (minEffectSize < 0 || minEffectSize > 1) {
    throw new GateConfigError({
      gate: name,
      field: "minEffectSize",
      problem: `${minEffectSize} is not between 0 and 1 (Cliff's delta ranges over −1…1)`,
    })
  }
  const outlierFactor = numberOption(name, "outlierFactor", options.outlierFactor ?? 3)
  const minSamples = countOption(name, "minSamples", options.minSamples ?? 10, 1)
  const direction = options.direction ?? "higher-is-worse"
  const alpha = 1 - confidence
  const label = metricLabel(metric)
  const threshold = `p < ${formatNumber(alpha)} and |δ| ≥ ${minEffectSize} (${direction})`
  const judgeOptions = { confidence, minEffectSize, outlierFactor, minSamples }

  return {
    name,
    timing: { period: windowMs },
    check: (context) =>
      guard(
        name,
        Effect.gen(function* () {
          const read = yield* readCandidateAndStable({
            gate: name,
            label,
            threshold,
            metric,
            windowMs,
            context,
          })
          if (Result.isFailure(read)) return read.failure
          const { candidate: candidateResult, stable: stableResult } = read.success
          const judgement = judge(candidateResult.samples ?? [], stableResult.samples ?? [], judgeOptions)
          const { test } = judgement
          const n1 = judgement.candidate.kept.length
          const n2 = judgement.stable.kept.length
          const medians = Number.isNaN(judgement.candidateMedian)
            ? "no candidate samples"
            : Number.isNaN(judgement.stableMedian)
              ? "no stable samples"
              : `median ${formatValue(metric, judgement.candidateMedian)} vs ${formatValue(metric, judgement.stableMedian)}`
          const dropped = (side: CleanedSamples) => `${side.nonFinite} NaN, ${side.outliers} outliers`
          const detail = [
            test === undefined
              ? undefined
              : `U=${formatNumber(test.u)} z=${test.z.toFixed(3)} p=${formatNumber(test.pValue)} (${test.method}) ` +
                `δ=${test.effectSize.toFixed(3)}`,
            `n1=${n1} n2=${n2}`,
            medians,
            `dropped: candidate ${dropped(judgement.candidate)}; stable ${dropped(judgement.stable)}`,
            `classification ${judgement.classification}`,
          ]
            .filter((part) => part !== undefined)
            .join("; ")
          const evidence = [
            {
              gate: name,
              query: `${candidateResult.query} vs ${stableResult.query}`,
              observed: test === undefined ? null : test.effectSize,
              threshold,
              sampleSize: n1 + n2,
              detail,
            },
          ]
          const window = ` over ${formatDuration(windowMs)}`
          const over = `${window} (n=${n1}/${n2})`
          if (test === undefined) {
            return Verdict.Inconclusive({
              reason: `too few ${label} samples to compare: need ${minSamples} on each side, have ${n1} candidate and ${n2} stable${window}`,
              evidence,
            })
          }
          const stats = `p=${formatNumber(test.pValue)}, δ=${test.effectSize.toFixed(2)}`
          switch (judgement.classification) {
            case "Pass":
              return Verdict.Pass({
                reason: `${label} not different from stable: ${medians} (${stats})${over}`,
                evidence,
              })
            default: {
              const higher = judgement.classification === "High"
              const text = `${label} ${higher ? "higher" : "lower"} on the candidate: ${medians} (${stats})${over}`
              return FAILS[direction].includes(judgement.classification)
                ? Verdict.Fail({ reason: text, evidence })
                : Verdict.Pass({ reason: text, evidence })
            }
          }
        }),
      ),
  }
}
