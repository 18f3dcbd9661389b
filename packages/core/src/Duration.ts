/**
 * Durations at the edges of Slipway are written the way people write them ("30s",
 * "5m", "1h30m", "250ms", "5 minutes") or as milliseconds; inside, they are always
 * milliseconds so that specs stay plain, JSON-serialisable data.
 */
import { Duration as EffectDuration, Option } from "effect"

/** A duration as a user writes it: milliseconds, or text such as `"30s"`, `"5m"`, `"1h30m"`, `"5 minutes"`. */
export type DurationInput = number | string

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

const COMPACT = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d))+$/
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g

/**
 * Parses a duration into milliseconds, or `undefined` when the text is not a duration.
 *
 * @example
 * import { parseDuration } from "@slipway/core"
 * parseDuration("1m30s") // 90000
 * parseDuration("5 minutes") // 300000
 * parseDuration(250) // 250
 */
export const parseDuration = (input: DurationInput): number | undefined => {
  if (typeof input === "number") return Number.isFinite(input) ? input : undefined
  const text = input.trim()
  if (text.length === 0) return undefined
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text)
  if (COMPACT.test(text)) {
    let total = 0
    for (const [, n, unit] of text.matchAll(PART)) total += Number(n) * UNIT_MS[unit!]!
    return total
  }
  // effect's own forms: "5 minutes", "250 millis", "2 hours"
  const decoded = EffectDuration.fromInput(text as EffectDuration.Input)
  return Option.isSome(decoded) ? EffectDuration.toMillis(decoded.value) : undefined
}

/**
 * Formats milliseconds the way a person reads them: `90000` → `"1m30s"`.
 *
 * @example
 * import { formatDuration } from "@slipway/core"
 * formatDuration(5_400_000) // "1h30m"
 */
export const formatDuration = (ms: number): string => {
  if (!Number.isFinite(ms)) return "∞"
  if (ms < 1_000) return `${Math.round(ms)}ms`
  const parts: Array<string> = []
  let rest = Math.round(ms)
  for (const [unit, size] of [
    ["d", UNIT_MS.d!],
    ["h", UNIT_MS.h!],
    ["m", UNIT_MS.m!],
    ["s", UNIT_MS.s!],
  ] as const) {
    const n = Math.floor(rest / size)
    if (n > 0) parts.push(`${n}${unit}`)
    rest -= n * size
  }
  if (rest > 0 && parts.length === 0) parts.push(`${rest}ms`)
  return parts.join("")
}
