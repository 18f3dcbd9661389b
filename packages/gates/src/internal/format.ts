/**
 * How numbers, metrics and thresholds read in verdict reasons: "p95 412 ms",
 * "error rate 4.2%", "over 1m (n=318)". Internal: reasons are for people, evidence
 * carries the raw numbers.
 */
import { formatDuration, type MetricName } from "@slipway/core"

/** At most 3 significant digits, integers as they are, no exponent for everyday sizes. */
export const formatNumber = (x: number): string => {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "∞" : "-∞"
  if (Number.isInteger(x)) return String(x)
  const abs = Math.abs(x)
  if (abs >= 100) return String(Math.round(x))
  if (abs < 1e-4) return x.toExponential(2)
  return String(Number(x.toPrecision(3)))
}

/** A ratio as a percentage: 0.042 → "4.2%". */
export const formatPercent = (ratio: number): string => `${formatNumber(ratio * 100)}%`

const PERCENTILE = /^latency_p(\d+(?:\.\d+)?)$/

/** What people call a metric: `latency_p95` → "p95", `error_rate` → "error rate". */
export const metricLabel = (metric: MetricName): string => {
  const percentile = PERCENTILE.exec(metric)
  if (percentile) return `p${percentile[1]}`
  return metric.replace(/_/g, " ")
}

/** Whether a metric is measured in milliseconds. */
export const isLatencyMetric = (metric: MetricName): boolean =>
  metric === "latency" || PERCENTILE.test(metric)

/** A value in the metric's own unit: "412 ms", "4.2%", "318". */
export const formatValue = (metric: MetricName, value: number): string => {
  if (metric === "error_rate") return formatPercent(value)
  if (isLatencyMetric(metric)) return `${formatNumber(value)} ms`
  return formatNumber(value)
}

/** A signed difference in the metric's unit: "+112 ms", "+3.2 pts" (percentage points). */
export const formatDelta = (metric: MetricName, delta: number): string => {
  const sign = delta >= 0 ? "+" : "-"
  const abs = Math.abs(delta)
  if (metric === "error_rate") return `${sign}${formatNumber(abs * 100)} pts`
  if (isLatencyMetric(metric)) return `${sign}${formatNumber(abs)} ms`
  return `${sign}${formatNumber(abs)}`
}

/** " over 1m (n=318)" — the window and the sample size a value rests on. */
export const overWindow = (windowMs: number, count: number): string =>
  ` over ${formatDuration(windowMs)} (n=${count})`

/** Clips text to one readable line for evidence details. */
export const excerpt = (text: string, max = 200): string => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** Keeps evidence values short: long series are summarised by the caller, not dumped. */
export const shortValues = (
  values: ReadonlyArray<number> | undefined,
  max = 20,
): Array<number> | undefined =>
  values !== undefined && values.length > 0 && values.length <= max ? [...values] : undefined
