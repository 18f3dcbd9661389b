/** Internal: checks shared by the traffic routers before they touch anything. */
import type { Weights } from "@slipway/core"

/** What is wrong with a weights table (whole percents 0..100 summing to 100), or undefined. */
export const weightsProblem = (weights: Weights): string | undefined => {
  const entries = Object.entries(weights)
  if (entries.length === 0) return "no revision given; pass at least one revision with weight 100"
  for (const [revision, w] of entries) {
    if (!Number.isInteger(w) || w < 0 || w > 100) {
      return `weight ${w} for ${revision} is not a whole percent 0..100`
    }
  }
  const sum = entries.reduce((s, [, w]) => s + w, 0)
  return sum === 100
    ? undefined
    : `weights sum to ${sum}, not 100 (${entries.map(([r, w]) => `${r}=${w}`).join(", ")})`
}

/** `{ a: 90, b: 10 }` → `a=90 b=10`, for messages. */
export const showWeights = (weights: Readonly<Record<string, number>>): string =>
  Object.entries(weights)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ")
