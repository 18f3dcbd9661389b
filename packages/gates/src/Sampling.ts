/**
 * Combinators that sample a gate more than once within one check, spaced by the gate's
 * interval (`timing.interval`, else the analysis default of 10s): require several passes
 * in a row, tolerate a few failures or inconclusive samples, or wait before the first
 * sample. They sleep on effect's Clock, so tests run them on virtual time.
 */
import {
  type DurationInput,
  type Evidence,
  formatDuration,
  type Gate,
  type GateContext,
  Verdict,
} from "@slipway/core"
import { Clock, Effect } from "effect"
import { countOption, durationOption } from "./internal/options.ts"
import { spacingOf } from "./internal/timing.ts"
import { annotate, guard, sameKind } from "./internal/verdicts.ts"

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

/**
 * Passes only when `n` samples in a row pass, taken `interval` apart within one check —
 * a flapping probe (200, 503, 200) does not pass `consecutive(3, …)`. Stops at the
 * first sample that does not pass and returns its verdict.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const steady = Gate.consecutive(3, Gate.interval("1s", Gate.http("/healthz")))
 */
export const consecutive = <R>(n: number, gate: Gate<R>): Gate<R> => {
  countOption(gate.name, "consecutive", n, 1)
  const spacing = spacingOf(gate)
  return {
    ...gate,
    check: (context) =>
      guard(
        gate.name,
        Effect.gen(function* () {
          const evidence: Array<Evidence> = []
          let last: Verdict | undefined
          for (let sample = 1; sample <= n; sample++) {
            if (sample > 1) yield* Effect.sleep(spacing)
            const verdict = yield* gate.check(context)
            evidence.push(...annotate(verdict.evidence, `sample ${sample}/${n}`))
            if (verdict._tag !== "Pass") {
              const what = verdict._tag === "Fail" ? "failed" : "inconclusive"
              return sameKind(verdict, `sample ${sample}/${n} ${what}: ${verdict.reason}`, evidence)
            }
            last = verdict
          }
          const apart = n > 1 ? `, ${formatDuration(spacing)} apart` : ""
          return Verdict.Pass({
            reason: `${n} consecutive ${n === 1 ? "pass" : "passes"}${apart}: ${last?.reason ?? ""}`,
            evidence,
          })
        }),
      ),
  }
}

/**
 * Tolerates up to `n` failing samples: on Fail, samples again after the interval, and
 * fails only on the (n+1)-th failing sample. Pass or Inconclusive ends the check with
 * that verdict (the tolerated failures stay in the evidence). Argo's `failureLimit`.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * // One blip is forgiven; two in a row roll back.
 * const probe = Gate.failureLimit(1, Gate.interval("5s", Gate.http("/healthz")))
 */
export const failureLimit = <R>(n: number, gate: Gate<R>): Gate<R> => {
  countOption(gate.name, "failureLimit", n, 0)
  const spacing = spacingOf(gate)
  const inner = gate.timing?.failureLimit ?? 0
  return {
    ...gate,
    // Each retried sample may itself tolerate `inner` failures before failing.
    timing: { ...gate.timing, interval: spacing, failureLimit: (n + 1) * (inner + 1) - 1 },
    check: (context) =>
      guard(
        gate.name,
        Effect.gen(function* () {
          const evidence: Array<Evidence> = []
          for (let failures = 0; ; ) {
            const verdict = yield* gate.check(context)
            if (verdict._tag !== "Fail") {
              const tolerated =
                failures === 0 ? "" : ` (after ${plural(failures, "failing sample")}, limit ${n})`
              return sameKind(verdict, `${verdict.reason}${tolerated}`, [...evidence, ...verdict.evidence])
            }
            failures++
            evidence.push(...annotate(verdict.evidence, `failure ${failures}/${n + 1}`))
            if (failures > n) {
              return Verdict.Fail({
                reason: `failed ${plural(failures, "time")} (limit ${n}): ${verdict.reason}`,
                evidence,
              })
            }
            yield* Effect.sleep(spacing)
          }
        }),
      ),
  }
}

/**
 * Options of {@link inconclusiveLimit}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.inconclusiveLimit(5, Gate.mannWhitney({ window: "5m" }), { onLimit: "fail" })
 */
export interface InconclusiveLimitOptions {
  /** What the check says past the limit (default `inconclusive`: let a person decide; `fail`: roll back). */
  readonly onLimit?: "inconclusive" | "fail"
}

/**
 * Tolerates up to `n` inconclusive samples: on Inconclusive, samples again after the
 * interval. Past the limit the check is Inconclusive (or Fail with `onLimit: "fail"`).
 * Useful to wait out a short lack of data inside one check.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const errors = Gate.inconclusiveLimit(3, Gate.interval("10s", Gate.errorRate({ max: 0.01, window: "1m" })), { onLimit: "fail" })
 */
export const inconclusiveLimit = <R>(
  n: number,
  gate: Gate<R>,
  options: InconclusiveLimitOptions = {},
): Gate<R> => {
  countOption(gate.name, "inconclusiveLimit", n, 0)
  const spacing = spacingOf(gate)
  const onLimit = options.onLimit ?? "inconclusive"
  return {
    ...gate,
    timing: { ...gate.timing, interval: spacing },
    check: (context) =>
      guard(
        gate.name,
        Effect.gen(function* () {
          const evidence: Array<Evidence> = []
          for (let inconclusive = 0; ; ) {
            const verdict = yield* gate.check(context)
            if (verdict._tag !== "Inconclusive") {
              return sameKind(verdict, verdict.reason, [...evidence, ...verdict.evidence])
            }
            inconclusive++
            evidence.push(...annotate(verdict.evidence, `inconclusive ${inconclusive}/${n + 1}`))
            if (inconclusive > n) {
              const reason = `inconclusive ${plural(inconclusive, "time")} (limit ${n}): ${verdict.reason}`
              return onLimit === "fail"
                ? Verdict.Fail({ reason, evidence })
                : Verdict.Inconclusive({ reason, evidence })
            }
            yield* Effect.sleep(spacing)
          }
        }),
      ),
  }
}

// Entries older than this are forgotten, so a long-lived program does not accumulate them.
const FORGET_AFTER = 24 * 3_600_000

/**
 * Waits `delay` before the gate's first sample at each step of a rollout — time for the
 * metrics to reflect a new traffic split. The delay counts from the first check of this
 * gate for that candidate at that step; later checks at the same step (background
 * sampling during a pause) wait only for what remains of it, then not at all.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const p95 = Gate.initialDelay("1m", Gate.latency({ max: 300, window: "1m" }))
 */
export const initialDelay = <R>(delay: DurationInput, gate: Gate<R>): Gate<R> => {
  const delayMs = durationOption(gate.name, "initialDelay", delay)
  const firstAsked = new Map<string, number>()
  const key = (context: GateContext) =>
    `${context.app}\u0000${context.candidate.id}\u0000${context.stepIndex}`
  return {
    ...gate,
    timing: { ...gate.timing, initialDelay: delayMs + (gate.timing?.initialDelay ?? 0) },
    check: (context) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        for (const [k, at] of firstAsked) if (now - at > delayMs + FORGET_AFTER) firstAsked.delete(k)
        const id = key(context)
        const first = firstAsked.get(id) ?? now
        firstAsked.set(id, first)
        const remaining = first + delayMs - now
        if (remaining > 0) yield* Effect.sleep(remaining)
        return yield* gate.check(context)
      }),
  }
}
