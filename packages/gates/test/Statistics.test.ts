import { assert, describe, it } from "@effect/vitest"
import { cleanSamples, erfc, judge, mannWhitneyU, median, normalSf, quantile } from "../src/index.ts"

// Reference values come from scipy 1.17 (scipy.stats.mannwhitneyu, math.erfc) and were
// cross-checked by hand: for x=[1..5], y=[6..10], U=0, μ=12.5, σ=√(25·11/12)=4.7871,
// z=(0−12.5+0.5)/σ=−2.50672, p=2·Φ(−2.50672)=0.012186; the exact p is 2/C(10,5)=2/252.
const close = (actual: number, expected: number, relative = 1e-9) =>
  assert.approximately(actual, expected, Math.abs(expected) * relative + 1e-15)

describe("erfc and the normal tail", () => {
  it("matches math.erfc across the series and continued-fraction ranges", () => {
    const reference: ReadonlyArray<readonly [number, number]> = [
      [0, 1],
      [0.1, 0.8875370839817152],
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028513],
      [2, 0.004677734981047265],
      [2.5, 0.0004069520174449589],
      [3, 2.2090496998585438e-5],
      [5, 1.5374597944280351e-12],
      [10, 2.088487583762545e-45],
      [-1, 1.842700792949715],
    ]
    for (const [x, expected] of reference) close(erfc(x), expected, 1e-11)
  })

  it("gives the familiar 1.96 → 2.5% upper tail", () => {
    close(normalSf(1.959963984540054), 0.025, 1e-9)
    close(normalSf(0), 0.5)
  })
})

describe("quantiles and cleaning", () => {
  it("interpolates linearly between ranks like numpy's default", () => {
    assert.strictEqual(quantile([1, 2, 3, 4], 0.5), 2.5)
    assert.strictEqual(quantile([1, 2, 3, 4], 0.25), 1.75)
    assert.strictEqual(quantile([7], 0.95), 7)
    assert.isNaN(quantile([], 0.5))
    assert.strictEqual(median([5, 1, 3]), 3)
  })

  it("drops NaN, infinities and values beyond IQR × 3", () => {
    const cleaned = cleanSamples([10, 11, 12, 13, 1000, Number.NaN, Number.POSITIVE_INFINITY])
    assert.deepStrictEqual(cleaned.kept, [10, 11, 12, 13])
    assert.strictEqual(cleaned.nonFinite, 2)
    assert.strictEqual(cleaned.outliers, 1)
    // Q1 = 11, Q3 = 13 over the finite values, IQR = 2 → fences [11 − 6, 13 + 6]
    assert.deepStrictEqual(cleaned.fences, [5, 19])
  })

  it("keeps everything inside the fences, including moderate outliers (beyond 1.5 IQR)", () => {
    const cleaned = cleanSamples([10, 11, 12, 13, 17])
    assert.strictEqual(cleaned.outliers, 0)
  })
})

describe("Mann–Whitney U", () => {
  it("x=[1..5] vs y=[6..10]: U=0, asymptotic p≈0.012186 (continuity-corrected)", () => {
    const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], { method: "asymptotic" })
    assert.strictEqual(r.u, 0)
    assert.strictEqual(r.u2, 25)
    close(r.z, -2.5067182457620487)
    close(r.pValue, 0.012185780355344813)
    assert.strictEqual(r.effectSize, -1)
    assert.strictEqual(r.method, "asymptotic")
  })

  it("uses the exact distribution for small samples without ties, as scipy's auto does (p = 2/252)", () => {
    const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert.strictEqual(r.method, "exact")
    close(r.pValue, 2 / 252)
  })

  it("matches scipy on unequal sizes, exact and asymptotic", () => {
    const x = [19, 22, 16, 29, 24]
    const y = [20, 11, 17, 12]
    const exact = mannWhitneyU(x, y)
    assert.strictEqual(exact.u, 17)
    close(exact.pValue, 0.1111111111111111)
    close(mannWhitneyU(x, y, { method: "asymptotic" }).pValue, 0.11134688653314041)
    assert.strictEqual(exact.effectSize, 0.7)
  })

  it("corrects the variance for ties and then switches to the normal approximation", () => {
    const r = mannWhitneyU([1, 1, 2, 2, 3, 3, 4], [2, 3, 3, 4, 5, 5, 6, 6])
    assert.isTrue(r.ties)
    assert.strictEqual(r.method, "asymptotic")
    assert.strictEqual(r.u, 8.5)
    close(r.pValue, 0.025414962900292104)
    close(r.z, -2.235036342853185)
  })

  it("matches scipy on larger samples with ties (U=60, p≈0.52)", () => {
    const r = mannWhitneyU([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5, 9])
    assert.strictEqual(r.u, 60)
    close(r.pValue, 0.5200007496800839)
  })

  it("gives p = 1 and no effect when every value ties", () => {
    const r = mannWhitneyU([5, 5, 5, 5], [5, 5, 5])
    assert.strictEqual(r.u, 6)
    assert.strictEqual(r.z, 0)
    assert.strictEqual(r.pValue, 1)
    assert.strictEqual(r.effectSize, 0)
  })

  it("is antisymmetric: swapping the samples swaps U and negates the effect size", () => {
    const x = [12, 15, 11, 19, 14, 13, 18, 16, 17, 20]
    const y = [9, 8, 14, 10, 7, 12, 11, 6, 13, 5]
    const forward = mannWhitneyU(x, y)
    const backward = mannWhitneyU(y, x)
    assert.strictEqual(forward.u, backward.u2)
    assert.strictEqual(forward.effectSize, -backward.effectSize)
    close(forward.pValue, backward.pValue)
  })

  it("refuses an empty sample", () => {
    assert.throws(() => mannWhitneyU([], [1]), /at least one value/)
  })
})

describe("judge (Kayenta's classification)", () => {
  const ramp = (from: number, n = 40) => Array.from({ length: n }, (_, i) => from + i)

  it("classifies a clearly slower candidate as High", () => {
    const j = judge(ramp(300), ramp(200))
    assert.strictEqual(j.classification, "High")
    assert.isBelow(j.test!.pValue, 0.02)
    assert.strictEqual(j.test!.effectSize, 1)
  })

  it("classifies a clearly faster candidate as Low", () => {
    assert.strictEqual(judge(ramp(100), ramp(200)).classification, "Low")
  })

  it("passes identical samples with p = 1", () => {
    const j = judge(ramp(200), ramp(200))
    assert.strictEqual(j.classification, "Pass")
    assert.strictEqual(j.test!.pValue, 1)
  })

  it("passes a significant but small shift (effect size below the bound)", () => {
    // 2000 samples each, shifted by 50 on a range of 1000: p ≈ 9.3e-8 (scipy agrees), δ ≈ 0.098.
    const base = Array.from({ length: 2000 }, (_, i) => i % 1000)
    const j = judge(
      base.map((v) => v + 50),
      base,
    )
    close(j.test!.pValue, 9.314353611697286e-8, 1e-6)
    assert.approximately(j.test!.effectSize, 0.0975, 1e-12)
    assert.strictEqual(j.classification, "Pass")
    // The same shift with a lower effect-size bound is a real difference.
    assert.strictEqual(
      judge(
        base.map((v) => v + 50),
        base,
        { minEffectSize: 0.05 },
      ).classification,
      "High",
    )
  })

  it("says NoData when a side has fewer clean samples than minSamples", () => {
    assert.strictEqual(judge([Number.NaN, Number.NaN], ramp(200)).classification, "NoData")
    assert.strictEqual(judge([], ramp(200), { minSamples: 1 }).classification, "NoData")
    assert.strictEqual(judge(ramp(300, 5), ramp(200, 5), { minSamples: 5 }).classification, "High")
  })

  it("drops NaNs and a far outlier before testing", () => {
    const j = judge([...ramp(200), Number.NaN, 100_000], ramp(200))
    assert.strictEqual(j.candidate.nonFinite, 1)
    assert.strictEqual(j.candidate.outliers, 1)
    assert.strictEqual(j.classification, "Pass")
  })
})
