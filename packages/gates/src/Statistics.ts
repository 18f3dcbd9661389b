/**
 * The statistics behind baseline-versus-canary comparison: quantiles, Tukey outlier
 * fences, the normal tail, and the Mann–Whitney U test with tie correction. Pure
 * functions over plain arrays, so a verdict can be re-computed by hand from its evidence.
 */

/**
 * Complementary error function, erfc(x) = 1 − erf(x), to about 1e-15 relative error.
 * A power series serves small |x| and a continued fraction the tail, where 1 − erf(x)
 * would lose every digit to cancellation.
 *
 * @example
 * import { erfc } from "@slipway/gates"
 * erfc(0) // 1
 * erfc(1) // 0.15729920705028513
 */
export const erfc = (x: number): number => {
  if (Number.isNaN(x)) return Number.NaN
  if (x < 0) return 2 - erfc(-x)
  if (x < 2.5) return 1 - erfSeries(x)
  if (x > 27) return 0
  return erfcContinuedFraction(x)
}

// erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): every term is positive, so
// no cancellation; converges quickly for the x < 2.5 it is used for.
const erfSeries = (x: number): number => {
  let term = x
  let sum = x
  for (let n = 1; n < 200; n++) {
    term *= (2 * x * x) / (2 * n + 1)
    sum += term
    if (term < sum * 1e-17) break
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum
}

// erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated with
// the modified Lentz algorithm.
const erfcContinuedFraction = (x: number): number => {
  const tiny = 1e-300
  let f = x
  let c = x
  let d = 0
  for (let n = 1; n < 500; n++) {
    const a = n / 2
    d = x + a * d
    d = Math.abs(d) < tiny ? tiny : d
    c = x + a / c
    c = Math.abs(c) < tiny ? tiny : c
    d = 1 / d
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f
}

/**
 * Upper tail of the standard normal distribution, P(Z ≥ z).
 *
 * @example
 * import { normalSf } from "@slipway/gates"
 * normalSf(1.959963984540054) // 0.025
 */
export const normalSf = (z: number): number => 0.5 * erfc(z / Math.SQRT2)

/**
 * The q-quantile (0 ≤ q ≤ 1) of values sorted ascending, interpolating linearly between
 * closest ranks (numpy's and R's default, "type 7"). `NaN` for an empty array.
 *
 * @example
 * import { quantile } from "@slipway/gates"
 * quantile([1, 2, 3, 4], 0.5) // 2.5
 * quantile([1, 2, 3, 4], 0.25) // 1.75
 */
export const quantile = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q))
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  const low = sorted[lower]!
  return low + (sorted[upper]! - low) * (position - lower)
}

/**
 * Median of unsorted values (`NaN` when empty).
 *
 * @example
 * import { median } from "@slipway/gates"
 * median([5, 1, 3]) // 3
 */
export const median = (values: ReadonlyArray<number>): number =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  )

/**
 * Samples after cleaning, and what was dropped.
 *
 * @example
 * import { cleanSamples } from "@slipway/gates"
 * const { kept, nonFinite, outliers } = cleanSamples([12, 13, Number.NaN, 11, 900])
 */
export interface CleanedSamples {
  /** Kept values, sorted ascending. */
  readonly kept: ReadonlyArray<number>
  /** NaN and ±Infinity values dropped. */
  readonly nonFinite: number
  /** Values dropped outside the fences. */
  readonly outliers: number
  /** The fences `[Q1 − k·IQR, Q3 + k·IQR]` applied (absent when nothing was left to fence). */
  readonly fences?: readonly [number, number]
}

/**
 * Kayenta's cleaning step: drops NaN and infinite values, then values beyond Tukey's
 * fences `Q1 − k·IQR` and `Q3 + k·IQR` (k = 3 by default: only far-out values, the kind a
 * GC pause or a cold start produces).
 *
 * @example
 * import { cleanSamples } from "@slipway/gates"
 * cleanSamples([10, 11, 12, 13, 1000, Number.NaN])
 * // { kept: [10, 11, 12, 13], nonFinite: 1, outliers: 1, fences: [5, 19] }
 */
export const cleanSamples = (values: ReadonlyArray<number>, k = 3): CleanedSamples => {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  const nonFinite = values.length - finite.length
  if (finite.length === 0) return { kept: finite, nonFinite, outliers: 0 }
  const q1 = quantile(finite, 0.25)
  const q3 = quantile(finite, 0.75)
  const iqr = q3 - q1
  const fences = [q1 - k * iqr, q3 + k * iqr] as const
  const kept = finite.filter((v) => v >= fences[0] && v <= fences[1])
  return { kept, nonFinite, outliers: finite.length - kept.length, fences }
}

/**
 * Everything the Mann–Whitney U test computed, for evidence.
 *
 * @example
 * import { mannWhitneyU } from "@slipway/gates"
 * const { u, z, pValue, effectSize, n1, n2 } = mannWhitneyU([310, 320, 330], [200, 210, 220])
 */
export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, plus half the ties. */
  readonly u: number
  /** U of the second sample (`n1·n2 − u`). */
  readonly u2: number
  /** Standard score of `u` under the null hypothesis (continuity- and tie-corrected); 0 when every value ties. */
  readonly z: number
  /** Two-sided p-value. */
  readonly pValue: number
  /**
   * Cliff's delta, equal to the rank-biserial correlation: `(u − u2) / (n1·n2)`, in −1…1.
   * Positive when the first sample tends to be larger.
   */
  readonly effectSize: number
  readonly n1: number
  readonly n2: number
  /** Whether `pValue` comes from the exact distribution of U or the normal approximation. */
  readonly method: "exact" | "asymptotic"
  /** True when some values tie (which rules out the exact method). */
  readonly ties: boolean
}

/**
 * How to compute the p-value: as scipy's `mannwhitneyu` does.
 *
 * @example
 * import { mannWhitneyU } from "@slipway/gates"
 * mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], { method: "asymptotic", continuity: true }).pValue // 0.01219
 */
export interface MannWhitneyOptions {
  /**
   * `auto` (default): exact when there are no ties and either sample has at most 8
   * values, the normal approximation otherwise — scipy's rule.
   */
  readonly method?: "auto" | "exact" | "asymptotic"
  /** Continuity correction for the normal approximation (default true, like scipy). */
  readonly continuity?: boolean
}

/**
 * Two-sided Mann–Whitney U test of `x` against `y`, with the tie-corrected variance and
 * the normal approximation with continuity correction, or the exact distribution of U
 * for small samples without ties. Matches `scipy.stats.mannwhitneyu(x, y)`.
 * Both samples must be non-empty and free of NaN (see {@link cleanSamples}).
 *
 * @example
 * import { mannWhitneyU } from "@slipway/gates"
 * mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], { method: "asymptotic" })
 * // { u: 0, u2: 25, z: -2.5067…, pValue: 0.01219…, effectSize: -1, n1: 5, n2: 5, … }
 * mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).pValue // 0.00794 (exact: 2/252)
 */
export const mannWhitneyU = (
  x: ReadonlyArray<number>,
  y: ReadonlyArray<number>,
  options: MannWhitneyOptions = {},
): MannWhitneyResult => {
  const n1 = x.length
  const n2 = y.length
  if (n1 === 0 || n2 === 0) throw new RangeError("mannWhitneyU needs at least one value in each sample")
  const pooled = [
    ...x.map((value) => ({ value, first: true })),
    ...y.map((value) => ({ value, first: false })),
  ]
  pooled.sort((a, b) => a.value - b.value)

  // Mid-ranks for ties, and Σ(t³ − t) over tie groups for the variance correction.
  let rankSumX = 0
  let tieTerm = 0
  for (let i = 0; i < pooled.length; ) {
    let j = i
    while (j + 1 < pooled.length && pooled[j + 1]!.value === pooled[i]!.value) j++
    const t = j - i + 1
    const midRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) if (pooled[k]!.first) rankSumX += midRank
    if (t > 1) tieTerm += t * t * t - t
    i = j + 1
  }

  const u = rankSumX - (n1 * (n1 + 1)) / 2
  const u2 = n1 * n2 - u
  const n = n1 + n2
  const mean = (n1 * n2) / 2
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1) || 1))
  const sd = Math.sqrt(Math.max(0, variance))
  const continuity = options.continuity ?? true
  const distance = Math.abs(u - mean)
  const corrected = Math.max(0, distance - (continuity ? 0.5 : 0))
  const z = sd === 0 ? 0 : (Math.sign(u - mean) * corrected) / sd

  const ties = tieTerm > 0
  const method = options.method ?? "auto"
  const exact = method === "exact" || (method === "auto" && !ties && (n1 <= 8 || n2 <= 8))
  const pValue = exact
    ? Math.min(1, 2 * exactLowerTail(Math.min(u, u2), n1, n2))
    : sd === 0
      ? 1
      : Math.min(1, 2 * normalSf(corrected / sd))
  return {
    u,
    u2,
    z,
    pValue,
    effectSize: (u - u2) / (n1 * n2),
    n1,
    n2,
    method: exact ? "exact" : "asymptotic",
    ties,
  }
}

/**
 * P(U ≤ u) under the null hypothesis, from the exact distribution of U: the number of
 * arrangements with a given U is a coefficient of the Gaussian binomial [m+n choose m]_q,
 * built one factor (1 − q^(n+i)) / (1 − q^i) at a time so that every intermediate is
 * itself a Gaussian binomial with non-negative coefficients.
 */
const exactLowerTail = (u: number, n1: number, n2: number): number => {
  const m = Math.min(n1, n2)
  const n = Math.max(n1, n2)
  const size = m * n + 1
  let coefficients = new Float64Array(size)
  coefficients[0] = 1
  for (let i = 1; i <= m; i++) {
    const next = new Float64Array(size)
    const shift = n + i
    for (let k = 0; k < size; k++) next[k] = coefficients[k]! - (k >= shift ? coefficients[k - shift]! : 0)
    for (let k = i; k < size; k++) next[k] = next[k]! + next[k - i]!
    coefficients = next
  }
  let total = 0
  let below = 0
  const limit = Math.floor(u + 1e-9)
  for (let k = 0; k < size; k++) {
    total += coefficients[k]!
    if (k <= limit) below += coefficients[k]!
  }
  return below / total
}
