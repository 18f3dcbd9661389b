/**
 * What a benchmark measures, as data: figures with their unit, the reference they are
 * compared with (measured in the same run, never a remembered number), the ratio between
 * the two, and the target they aim for. A target is reported as PASS or MISS; a missed
 * target never fails the run — benchmarks record, tests assert.
 */

/** A bound a figure aims for, on its value or on its ratio to the reference. */
export interface Target {
  readonly op: "<=" | ">="
  readonly limit: number
  /** What is compared: the figure's value (default) or its ratio to the reference. */
  readonly on?: "value" | "ratio"
}

/** A reference measured in the same run (or derived from the configuration of the run). */
export interface Reference {
  readonly label: string
  readonly value: number
}

/** One measured figure. */
export interface Figure {
  readonly label: string
  /** A number in `unit`, or a word (`yes`/`no`) for facts such as "identical bytes". */
  readonly value: number | string
  readonly unit: string
  readonly reference?: Reference
  /** `value / reference.value`, when both are numbers and the reference is not 0. */
  readonly ratio?: number
  readonly target?: Target
  /** PASS or MISS against `target`; absent without a target. */
  readonly status?: "PASS" | "MISS"
}

/** What one benchmark run produced. */
export interface BenchResult {
  readonly name: string
  readonly title: string
  /** ISO time the benchmark started. */
  readonly startedAt: string
  readonly durationMs: number
  /** The command that reproduces it. */
  readonly command: string
  readonly environment: Environment
  readonly figures: ReadonlyArray<Figure>
  /** Tools used, what was skipped and why, noise caveats. */
  readonly notes: ReadonlyArray<string>
  /** Set when the benchmark could not complete: what went wrong. */
  readonly error?: string
}

/** Where a result was measured: enough to judge how comparable two results are. */
export interface Environment {
  readonly node: string
  readonly platform: string
  readonly cpus: number
  readonly cpuModel: string
  readonly memoryGiB: number
  /** 1-minute load average when the benchmark started and when it ended. */
  readonly loadBefore: number
  readonly loadAfter: number
}

/**
 * Builds a figure, computing its ratio to the reference and its PASS/MISS status.
 *
 * @example
 * figure("throughput vs HAProxy", 6200, "req/s", {
 *   reference: { label: "HAProxy", value: 9000 },
 *   target: { op: ">=", limit: 0.6, on: "ratio" },
 * }) // ratio 0.689, status PASS
 */
export const figure = (
  label: string,
  value: number | string,
  unit: string,
  options: { readonly reference?: Reference; readonly target?: Target } = {},
): Figure => {
  const { reference, target } = options
  // A ratio that is not a number (a missing or infinite side) is no ratio: JSON would save it as null.
  const quotient =
    typeof value === "number" && reference !== undefined && reference.value !== 0
      ? value / reference.value
      : undefined
  const ratio = quotient !== undefined && Number.isFinite(quotient) ? quotient : undefined
  let status: Figure["status"]
  if (target !== undefined) {
    const compared = target.on === "ratio" ? ratio : typeof value === "number" ? value : undefined
    status =
      compared === undefined || !Number.isFinite(compared)
        ? "MISS"
        : (target.op === "<=" ? compared <= target.limit : compared >= target.limit)
          ? "PASS"
          : "MISS"
  }
  return {
    label,
    value,
    unit,
    ...(reference !== undefined ? { reference } : {}),
    ...(ratio !== undefined ? { ratio } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(status !== undefined ? { status } : {}),
  }
}

const grouped = (n: number, digits: number): string =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

/**
 * A number with its unit, rounded for reading: `12,345 req/s`, `1.23 ms`, `1.8 s`.
 *
 * @example
 * formatValue(1234.567, "ms") // "1,235 ms"
 * formatValue(0.0142, "ms") // "0.014 ms"
 * formatValue("yes", "") // "yes"
 */
export const formatValue = (value: number | string, unit: string): string => {
  if (typeof value === "string") return unit === "" ? value : `${value} ${unit}`
  if (!Number.isFinite(value)) return `${value}`
  const abs = Math.abs(value)
  const digits = Number.isInteger(value) || abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  const text = grouped(value, digits)
  return unit === "" ? text : `${text} ${unit}`
}

/** `0.69×`. */
export const formatRatio = (ratio: number | undefined): string =>
  ratio === undefined ? "" : `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`

/** `≥ 0.6× ref`, `≤ 1 ms`. */
export const formatTarget = (figure: Figure): string => {
  const t = figure.target
  if (t === undefined) return ""
  const op = t.op === "<=" ? "≤" : "≥"
  return t.on === "ratio" ? `${op} ${t.limit}× ref` : `${op} ${formatValue(t.limit, figure.unit)}`
}

const columns = ["benchmark", "figure", "value", "reference", "ratio", "target", ""] as const

const rowsOf = (results: ReadonlyArray<BenchResult>): Array<ReadonlyArray<string>> =>
  results.flatMap((r) => {
    if (r.error !== undefined && r.figures.length === 0) return [[r.name, "ERROR", r.error, "", "", "", ""]]
    return r.figures.map((f, i) => [
      i === 0 ? r.name : "",
      f.label,
      formatValue(f.value, f.unit),
      f.reference === undefined
        ? ""
        : `${f.reference.label}: ${formatValue(f.reference.value, f.unit === "×" ? "" : f.unit)}`,
      formatRatio(f.ratio),
      formatTarget(f),
      f.status ?? "",
    ])
  })

/**
 * The figures of a run as an aligned plain-text table (what the runner prints).
 *
 * @example
 * console.log(formatTable(results))
 * // benchmark  figure                value         reference  ratio  target  …
 */
export const formatTable = (results: ReadonlyArray<BenchResult>): string => {
  const rows = [columns as ReadonlyArray<string>, ...rowsOf(results)]
  const widths = columns.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? "").length)))
  const line = (row: ReadonlyArray<string>) =>
    row
      .map((cell, c) => (c === 2 || c === 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd()
  const rule = widths
    .map((w) => "─".repeat(w))
    .join("  ")
    .trimEnd()
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n")
}

const cell = (text: string): string => text.replace(/\|/g, "\\|")

/**
 * A markdown summary of saved results, one section per benchmark with its command,
 * environment, figures and notes.
 *
 * @example
 * writeFileSync("bench/results/latest.md", markdownSummary(results))
 */
export const markdownSummary = (results: ReadonlyArray<BenchResult>): string => {
  const out: Array<string> = [
    "# Slipway benchmarks — latest results",
    "",
    "Written by `pnpm bench` (bench/run.ts); one section per benchmark, from its saved",
    "`bench/results/<name>.json`. References are measured in the same run as the figure they",
    "are compared with. Targets are reported PASS/MISS and never fail the run.",
    "",
  ]
  for (const r of results) {
    const e = r.environment
    out.push(`## ${r.name} — ${r.title}`, "")
    out.push(
      `Measured ${r.startedAt} in ${(r.durationMs / 1000).toFixed(1)} s with \`${r.command}\` on ` +
        `Node ${e.node}, ${e.platform}, ${e.cpus} × ${e.cpuModel}, ${e.memoryGiB} GiB ` +
        `(load average ${e.loadBefore.toFixed(2)} → ${e.loadAfter.toFixed(2)}).`,
      "",
    )
    if (r.error !== undefined) out.push(`**Did not complete:** ${cell(r.error)}`, "")
    if (r.figures.length > 0) {
      out.push("| figure | value | reference | ratio | target | |", "| --- | ---: | --- | ---: | --- | --- |")
      for (const f of r.figures) {
        const reference =
          f.reference === undefined
            ? ""
            : `${f.reference.label}: ${formatValue(f.reference.value, f.unit === "×" ? "" : f.unit)}`
        out.push(
          `| ${cell(f.label)} | ${cell(formatValue(f.value, f.unit))} | ${cell(reference)} | ${formatRatio(f.ratio)} | ${cell(formatTarget(f))} | ${f.status ?? ""} |`,
        )
      }
      out.push("")
    }
    for (const note of r.notes) out.push(`- ${note}`)
    if (r.notes.length > 0) out.push("")
  }
  return `${out.join("\n").trimEnd()}\n`
}
