/**
 * "Did you mean" for option keys, strategy names, gate names and CLI commands: the closest
 * candidate by edit distance, if it is close enough to be a plausible typo.
 */

/**
 * Optimal-string-alignment distance: Levenshtein plus adjacent transpositions.
 *
 * @example
 * import { editDistance } from "@slipway/core"
 * editDistance("canray", "canary") // 1
 */
export const editDistance = (a: string, b: string): number => {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  // Three rolling rows are enough for the transposition rule.
  let before = new Array<number>(b.length + 1).fill(0)
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  let current = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    current[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, before[j - 2]! + 1)
      }
      current[j] = best
    }
    ;[before, previous, current] = [previous, current, before]
  }
  return previous[b.length]!
}

const lower = (s: string): string => s.toLowerCase()

/**
 * The candidate closest to `input` (compared after `normalize`, lower-case by default), or
 * `undefined` when even the closest needs more edits than a typo would: about a third of
 * the input's length, and at least `minEdits` (default 2).
 *
 * @example
 * import { closest } from "@slipway/core"
 * closest("canray", ["canary", "linear"]) // "canary"
 * closest("kubectl", ["deploy", "status"]) // undefined
 */
export const closest = (
  input: string,
  candidates: Iterable<string>,
  normalize: (s: string) => string = lower,
  minEdits = 2,
): string | undefined => {
  const needle = normalize(input)
  if (needle.length === 0) return undefined
  const allowed = Math.max(minEdits, Math.floor(needle.length / 3))
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const d = editDistance(needle, normalize(candidate))
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= allowed ? best : undefined
}
