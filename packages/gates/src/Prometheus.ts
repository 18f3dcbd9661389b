/**
 * The Prometheus text exposition format (version 0.0.4), read without a Prometheus
 * server: parse a `/metrics` page into families of samples, and estimate quantiles from
 * histogram buckets exactly as PromQL's `histogram_quantile` does.
 */
import { Data, Result } from "effect"

/**
 * Metric types the format declares with `# TYPE`.
 *
 * @example
 * import { parsePrometheusText } from "@slipway/gates"
 * import { Result } from "effect"
 * const [family] = Result.getOrThrow(parsePrometheusText("# TYPE up gauge\nup 1"))
 * family?.type // "gauge"
 */
export type PrometheusMetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped"

/**
 * One line of data: `name{labels} value [timestamp]`.
 *
 * @example
 * import type { PrometheusSample } from "@slipway/gates"
 * const sample: PrometheusSample = { name: "slipway_requests_total", labels: { revision: "api-1", status_class: "2xx" }, value: 318 }
 */
export interface PrometheusSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
  /** Milliseconds since the epoch, when the exposition gives one. */
  readonly timestamp?: number
}

/**
 * A metric family: the samples of one metric (a histogram's `_bucket`, `_sum` and `_count` together).
 *
 * @example
 * import { parsePrometheusText } from "@slipway/gates"
 * import { Result } from "effect"
 * for (const family of Result.getOrThrow(parsePrometheusText(text))) console.log(family.name, family.type, family.samples.length)
 */
export interface PrometheusFamily {
  readonly name: string
  readonly type: PrometheusMetricType
  readonly help?: string
  readonly samples: ReadonlyArray<PrometheusSample>
}

/**
 * A line of an exposition could not be parsed.
 *
 * @example
 * import { parsePrometheusText } from "@slipway/gates"
 * import { Result } from "effect"
 * const parsed = parsePrometheusText('up{job="api" 1')
 * if (Result.isFailure(parsed)) parsed.failure.message // 'line 1: label set is not closed with "}": up{job="api" 1'
 */
export class PrometheusParseError extends Data.TaggedError("PrometheusParseError")<{
  /** 1-based line number. */
  readonly line: number
  readonly text: string
  readonly problem: string
}> {
  override get message(): string {
    return `line ${this.line}: ${this.problem}: ${this.text}`
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const TYPES: ReadonlySet<string> = new Set(["counter", "gauge", "histogram", "summary", "untyped"])

const parseValue = (token: string): number | undefined => {
  switch (token.toLowerCase()) {
    case "+inf":
    case "inf":
      return Number.POSITIVE_INFINITY
    case "-inf":
      return Number.NEGATIVE_INFINITY
    case "nan":
      return Number.NaN
  }
  return NUMBER.test(token) ? Number(token) : undefined
}

const unescapeHelp = (text: string): string =>
  text.replace(/\\(\\|n)/g, (_match, c: string) => (c === "n" ? "\n" : "\\"))

interface MutableFamily {
  name: string
  type: PrometheusMetricType
  help?: string
  samples: Array<PrometheusSample>
}

// `_bucket`/`_sum`/`_count` belong to a histogram (or summary) declared under the base
// name; `_total` to a counter declared without it (OpenMetrics style).
const familyOf = (families: Map<string, MutableFamily>, sampleName: string): MutableFamily => {
  const exact = families.get(sampleName)
  if (exact !== undefined) return exact
  const suffix = /^(.*)_(bucket|sum|count|created|total)$/.exec(sampleName)
  if (suffix) {
    const base = families.get(suffix[1]!)
    const kind = suffix[2]!
    if (base !== undefined) {
      if (base.type === "histogram" && ["bucket", "sum", "count", "created"].includes(kind)) return base
      if (base.type === "summary" && ["sum", "count", "created"].includes(kind)) return base
      if (base.type === "counter" && ["total", "created"].includes(kind)) return base
    }
  }
  const family: MutableFamily = { name: sampleName, type: "untyped", samples: [] }
  families.set(sampleName, family)
  return family
}

type Parsed<A> =
  | { readonly ok: true; readonly value: A; readonly rest: string }
  | { readonly ok: false; readonly problem: string }

const parseLabels = (input: string): Parsed<Record<string, string>> => {
  const labels: Record<string, string> = {}
  let rest = input.slice(1) // after "{"
  for (;;) {
    rest = rest.trimStart()
    if (rest.startsWith("}")) return { ok: true, value: labels, rest: rest.slice(1) }
    const name = LABEL_NAME.exec(rest)
    if (!name) {
      return {
        ok: false,
        problem: rest.length === 0 ? 'label set is not closed with "}"' : "expected a label name",
      }
    }
    rest = rest.slice(name[0].length).trimStart()
    if (!rest.startsWith("=")) return { ok: false, problem: `expected "=" after label ${name[0]}` }
    rest = rest.slice(1).trimStart()
    if (!rest.startsWith('"')) return { ok: false, problem: `expected a quoted value for label ${name[0]}` }
    let value = ""
    let i = 1
    for (; i < rest.length && rest[i] !== '"'; i++) {
      if (rest[i] === "\\") {
        const next = rest[++i]
        value += next === "n" ? "\n" : next === '"' ? '"' : next === "\\" ? "\\" : `\\${next ?? ""}`
      } else value += rest[i]
    }
    if (i >= rest.length)
      return { ok: false, problem: `value of label ${name[0]} is not closed with a quote` }
    if (Object.hasOwn(labels, name[0])) return { ok: false, problem: `label ${name[0]} appears twice` }
    labels[name[0]] = value
    rest = rest.slice(i + 1).trimStart()
    if (rest.startsWith(",")) rest = rest.slice(1)
    else if (!rest.startsWith("}")) return { ok: false, problem: 'label set is not closed with "}"' }
  }
}

/**
 * Parses a Prometheus text exposition into metric families, in the order they appear.
 * Histogram samples (`_bucket{le}`, `_sum`, `_count`) are grouped under the family their
 * `# TYPE` line declares; samples without a `# TYPE` form `untyped` families.
 *
 * @example
 * import { parsePrometheusText } from "@slipway/gates"
 * import { Result } from "effect"
 * const families = Result.getOrThrow(parsePrometheusText([
 *   "# TYPE slipway_requests_total counter",
 *   'slipway_requests_total{revision="api-1",status_class="2xx"} 318',
 * ].join("\n")))
 * families[0]?.samples[0]?.value // 318
 */
export const parsePrometheusText = (
  text: string,
): Result.Result<ReadonlyArray<PrometheusFamily>, PrometheusParseError> => {
  const families = new Map<string, MutableFamily>()
  const lines = text.split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!
    const line = raw.trim()
    if (line.length === 0) continue
    const fail = (problem: string) =>
      Result.fail(new PrometheusParseError({ line: index + 1, text: raw, problem }))

    if (line.startsWith("#")) {
      const meta = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line)
      if (!meta) continue // a comment (or OpenMetrics' "# EOF")
      const [, keyword, name, argument = ""] = meta
      const family = families.get(name!) ?? { name: name!, type: "untyped" as const, samples: [] }
      families.set(name!, family)
      if (keyword === "TYPE") {
        const type = argument.trim()
        if (!TYPES.has(type)) return fail(`unknown metric type ${JSON.stringify(type)}`)
        family.type = type as PrometheusMetricType
      } else family.help = unescapeHelp(argument)
      continue
    }

    const name = METRIC_NAME.exec(line)
    if (!name) return fail("expected a metric name")
    let rest = line.slice(name[0].length)
    let labels: Record<string, string> = {}
    if (rest.startsWith("{")) {
      const parsed = parseLabels(rest)
      if (!parsed.ok) return fail(parsed.problem)
      labels = parsed.value
      rest = parsed.rest
    }
    const tokens = rest
      .trim()
      .split(/\s+/)
      .filter((t) => t.length > 0)
    if (tokens.length === 0) return fail("missing value")
    if (tokens.length > 2) return fail("unexpected text after the value and timestamp")
    const value = parseValue(tokens[0]!)
    if (value === undefined) return fail(`${JSON.stringify(tokens[0])} is not a number`)
    let timestamp: number | undefined
    if (tokens[1] !== undefined) {
      timestamp = Number(tokens[1])
      if (!/^-?\d+$/.test(tokens[1]))
        return fail(`${JSON.stringify(tokens[1])} is not a timestamp in milliseconds`)
    }
    familyOf(families, name[0]).samples.push({
      name: name[0],
      labels,
      value,
      ...(timestamp === undefined ? {} : { timestamp }),
    })
  }
  return Result.succeed([...families.values()])
}

/**
 * A cumulative histogram bucket: observations ≤ `upperBound`.
 *
 * @example
 * import { histogramQuantile, type HistogramBucket } from "@slipway/gates"
 * const buckets: ReadonlyArray<HistogramBucket> = [{ upperBound: 0.25, count: 90 }, { upperBound: Number.POSITIVE_INFINITY, count: 100 }]
 * histogramQuantile(0.5, buckets) // 0.1388…
 */
export interface HistogramBucket {
  /** The `le` label as a number (`+Inf` for the last bucket). */
  readonly upperBound: number
  /** Cumulative count of observations ≤ `upperBound`. */
  readonly count: number
}

/**
 * Estimates the q-quantile from cumulative histogram buckets the way PromQL's
 * `histogram_quantile` does: find the bucket the rank falls in and interpolate linearly
 * inside it (from 0 for the first bucket); a rank in the `+Inf` bucket returns the
 * highest finite bound. Buckets may come unsorted or repeated (their counts are added);
 * counts that decrease are raised to keep them cumulative. `NaN` without a `+Inf`
 * bucket or without observations; −∞ for q < 0 and +∞ for q > 1.
 *
 * @example
 * import { histogramQuantile } from "@slipway/gates"
 * histogramQuantile(0.5, [
 *   { upperBound: 0.1, count: 50 },
 *   { upperBound: 0.5, count: 90 },
 *   { upperBound: Number.POSITIVE_INFINITY, count: 100 },
 * ]) // 0.1
 */
export const histogramQuantile = (q: number, input: ReadonlyArray<HistogramBucket>): number => {
  if (Number.isNaN(q)) return Number.NaN
  if (q < 0) return Number.NEGATIVE_INFINITY
  if (q > 1) return Number.POSITIVE_INFINITY
  const merged = new Map<number, number>()
  for (const { upperBound, count } of input) merged.set(upperBound, (merged.get(upperBound) ?? 0) + count)
  const buckets = [...merged]
    .map(([upperBound, count]) => ({ upperBound, count }))
    .sort((a, b) => a.upperBound - b.upperBound)
  const last = buckets.at(-1)
  if (last === undefined || last.upperBound !== Number.POSITIVE_INFINITY || buckets.length < 2)
    return Number.NaN
  let max = 0
  for (const bucket of buckets) {
    max = Math.max(max, bucket.count)
    bucket.count = max
  }
  const observations = last.count
  if (observations === 0) return Number.NaN
  let rank = q * observations
  let b = buckets.findIndex((bucket, i) => i < buckets.length - 1 && bucket.count >= rank)
  if (b === -1) b = buckets.length - 1
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.upperBound
  const bucket = buckets[b]!
  if (b === 0 && bucket.upperBound <= 0) return bucket.upperBound
  let start = 0
  let count = bucket.count
  if (b > 0) {
    const previous = buckets[b - 1]!
    start = previous.upperBound
    count -= previous.count
    rank -= previous.count
  }
  return start + (bucket.upperBound - start) * (rank / count)
}
