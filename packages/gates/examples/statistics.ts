// The statistics behind the gates, by hand: run with
// node --conditions=@slipway/source packages/gates/examples/statistics.ts
import { histogramQuantile, mannWhitneyU, metricNames, parsePrometheusText } from "@slipway/gates"
import { Result } from "effect"

const text = `# TYPE ${metricNames.requestDuration} histogram
${metricNames.requestDuration}_bucket{revision="api-1",le="0.1"} 40
${metricNames.requestDuration}_bucket{revision="api-1",le="0.25"} 90
${metricNames.requestDuration}_bucket{revision="api-1",le="0.5"} 98
${metricNames.requestDuration}_bucket{revision="api-1",le="+Inf"} 100
`
const [family] = Result.getOrThrow(parsePrometheusText(text))
const buckets = family!.samples
  .filter((s) => s.name.endsWith("_bucket"))
  .map((s) => ({ upperBound: Number(s.labels.le === "+Inf" ? Infinity : s.labels.le), count: s.value }))
console.log("p95 =", histogramQuantile(0.95, buckets), "s") // 0.25 + 0.25 × 5/8 = 0.40625

const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], { method: "asymptotic" })
console.log(`U=${r.u} z=${r.z.toFixed(4)} p=${r.pValue.toFixed(4)} δ=${r.effectSize}`) // U=0 z=-2.5067 p=0.0122 δ=-1
