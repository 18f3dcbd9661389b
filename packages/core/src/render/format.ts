/**
 * Text formatting shared by the renderers (TTY, HTML, summary). Internal: the public
 * surface is the renderers themselves; keeping one formatter means the terminal, the
 * report and the CLI describe a step, a number or an instant in the same words.
 */
import { formatDuration } from "../Duration.ts"
import type { VerdictData } from "../Events.ts"
import type { Step } from "../Strategy.ts"

type EvidenceData = VerdictData["evidence"][number]

/** A step in the words a strategy is written in: `setWeight 25%`, `pause 5m`, `gate errors, latency`. */
export const describeStep = (step: Step): string => {
  switch (step._tag) {
    case "SetWeight":
      return `setWeight ${formatPercent(step.weight)}`
    case "Pause":
      return step.duration === undefined ? "pause until promoted" : `pause ${formatDuration(step.duration)}`
    case "Gate":
      return step.gates === undefined ? "gate (all gates)" : `gate ${step.gates.join(", ")}`
    case "Scale":
      return step.replicas !== undefined
        ? `scale to ${step.replicas} ${step.replicas === 1 ? "replica" : "replicas"}`
        : `scale to ${formatPercent(step.percent ?? 0)} of stable`
  }
}

/** `25` → `25%`; fractional weights keep at most one decimal. */
export const formatPercent = (percent: number): string => `${Math.round(percent * 10) / 10}%`

/**
 * A metric value as a person reads it: four significant digits, no float noise
 * (`0.1 + 0.2` → `0.3`), and words for the values JSON cannot hold.
 */
export const formatNumber = (n: number): string => {
  if (Number.isNaN(n)) return "NaN"
  if (!Number.isFinite(n)) return n > 0 ? "∞" : "-∞"
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n)
  return String(Number(n.toPrecision(4)))
}

/** An observed value; `null` means the gate found no data, which is different from 0. */
export const formatObserved = (observed: number | null | undefined): string =>
  observed === null || observed === undefined ? "no data" : formatNumber(observed)

/**
 * Milliseconds as a duration: `0s` for no time at all, tenths of a second under a minute
 * (`1.5s`: how fast a rollback was is worth that precision), `formatDuration` above.
 */
export const formatElapsed = (ms: number): string => {
  if (!(ms > 0)) return "0s"
  if (ms < 1_000) return `${Math.round(ms)}ms`
  if (ms < 60_000 && ms % 1_000 !== 0) return `${Math.round(ms / 100) / 10}s`
  return formatDuration(ms)
}

/** An instant in UTC ISO 8601 (`2025-01-15T12:00:00Z`; milliseconds only when there are some). */
export const formatInstant = (at: number): string => {
  if (!Number.isFinite(at)) return "—"
  return new Date(at).toISOString().replace(".000Z", "Z")
}

/** The time of day in UTC (`12:04:30Z`), for lines where the date is already known. */
export const formatTimeOfDay = (at: number): string => formatInstant(at).slice(11)

/**
 * The evidence of a verdict on one line: `observed 0.042 vs < 0.01, n=1200`. Entries
 * that name another gate (a combinator's parts) are prefixed with that gate.
 */
export const describeEvidence = (gate: string, evidence: ReadonlyArray<EvidenceData>): string =>
  evidence
    .map((e) => {
      const parts: Array<string> = []
      if (e.observed !== undefined || e.threshold !== undefined) {
        const observed = `observed ${formatObserved(e.observed)}`
        parts.push(e.threshold === undefined ? observed : `${observed} vs ${e.threshold}`)
      }
      if (e.sampleSize !== undefined) parts.push(`n=${formatNumber(e.sampleSize)}`)
      if (parts.length === 0) return ""
      const text = parts.join(", ")
      return e.gate === gate ? text : `${e.gate}: ${text}`
    })
    .filter((text) => text.length > 0)
    .join("; ")

/** The word and symbol for a verdict, in the same spelling everywhere. */
export const verdictLabel = {
  Pass: { symbol: "✓", word: "pass" },
  Fail: { symbol: "✗", word: "fail" },
  Inconclusive: { symbol: "?", word: "inconclusive" },
} as const satisfies Record<VerdictData["_tag"], { symbol: string; word: string }>

/** `1 replica`, `3 replicas`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`
