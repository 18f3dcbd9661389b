/**
 * The report's SVG timeline: candidate traffic over time as a step line, then one small
 * panel per gate with the observed values its verdicts rested on (markers coloured by
 * verdict, the threshold dashed when it is a plain number), pauses shaded across every
 * panel and the rollback marked. Internal to the HTML report; styled by the report's CSS
 * classes, so the SVG holds no colours of its own and needs no script.
 */
import type { RolloutEvent } from "../Events.ts"
import {
  describeEvidence,
  formatElapsed,
  formatNumber,
  formatObserved,
  formatPercent,
  formatTimeOfDay,
  verdictLabel,
} from "./format.ts"
import { escapeHtml } from "./html.ts"
import type { RolloutSummary } from "./Summary.ts"

const WIDTH = 960
const LEFT = 64
const RIGHT = 24
const TOP = 30
const WEIGHT_HEIGHT = 150
const GATE_GAP = 44
const GATE_HEIGHT = 84
const AXIS_HEIGHT = 34
const PLOT_WIDTH = WIDTH - LEFT - RIGHT

const TICK_STEPS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
]

type VerdictTag = "Pass" | "Fail" | "Inconclusive"

interface GatePoint {
  readonly at: number
  readonly observed: number | null
  readonly tag: VerdictTag
  readonly dryRun: boolean
  readonly title: string
  readonly threshold?: number
}

interface GateSeries {
  readonly name: string
  readonly thresholdText?: string
  readonly points: ReadonlyArray<GatePoint>
}

// One decimal is finer than a pixel: enough for a stable, compact, byte-identical output.
const round = (n: number): string => String(Math.round(n * 10) / 10)

// `< 0.01`, `<= 250`, `≥ 0.95`: a plain number we can draw. Percent and other units are
// left as text, since the observed value's unit is not known.
const parseThreshold = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const match = /^\s*(?:<=|>=|<|>|≤|≥|=)?\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*$/i.exec(text)
  if (match === null) return undefined
  const value = Number(match[1])
  return Number.isFinite(value) ? value : undefined
}

const gateSeries = (events: ReadonlyArray<RolloutEvent>): Array<GateSeries> => {
  const byName = new Map<string, { thresholdText?: string; points: Array<GatePoint> }>()
  const add = (name: string, point: GatePoint, thresholdText: string | undefined) => {
    const series = byName.get(name) ?? { points: [] }
    if (thresholdText !== undefined) series.thresholdText = thresholdText
    series.points.push(point)
    byName.set(name, series)
  }
  for (const e of events) {
    if (e._tag !== "GateEvaluated") continue
    const label = verdictLabel[e.verdict._tag]
    const head = `${formatTimeOfDay(e.at)}  ${label.symbol} ${label.word}${e.dryRun ? " (dry run)" : ""}  ${e.gate}: ${e.verdict.reason}`
    const evidence = describeEvidence(e.gate, e.verdict.evidence)
    const title = evidence.length > 0 ? `${head}\n${evidence}` : head
    if (e.verdict.evidence.length === 0) {
      add(e.gate, { at: e.at, observed: null, tag: e.verdict._tag, dryRun: e.dryRun, title }, undefined)
      continue
    }
    for (const ev of e.verdict.evidence) {
      // A combinator's parts get their own panel, named after the gate that holds them.
      const name = ev.gate === e.gate ? e.gate : `${e.gate} › ${ev.gate}`
      const observed = ev.observed === undefined || !Number.isFinite(ev.observed) ? null : ev.observed
      const threshold = parseThreshold(ev.threshold)
      add(
        name,
        {
          at: e.at,
          observed,
          tag: e.verdict._tag,
          dryRun: e.dryRun,
          title,
          ...(threshold !== undefined ? { threshold } : {}),
        },
        ev.threshold,
      )
    }
  }
  return [...byName].map(([name, s]) => ({
    name,
    points: s.points,
    ...(s.thresholdText !== undefined ? { thresholdText: s.thresholdText } : {}),
  }))
}

const markerClass = (tag: VerdictTag): string =>
  tag === "Pass" ? "m-pass" : tag === "Fail" ? "m-fail" : "m-inconclusive"

/**
 * Renders the timeline for one rollout's events as an `<svg>` element (a string). Times
 * come from the events only, so the same events always give the same bytes.
 */
export const renderTimelineSvg = (events: ReadonlyArray<RolloutEvent>, summary: RolloutSummary): string => {
  const own = events.filter((e) => e.rolloutId === summary.rolloutId)
  const t0 = summary.startedAt
  const lastAt = own.reduce((max, e) => Math.max(max, e.at), t0)
  const t1 = Math.max(summary.endedAt ?? lastAt, lastAt, t0 + 1_000)
  const x = (at: number) => LEFT + ((at - t0) / (t1 - t0)) * PLOT_WIDTH

  const series = gateSeries(own)
  const height = TOP + WEIGHT_HEIGHT + series.length * (GATE_GAP + GATE_HEIGHT) + AXIS_HEIGHT
  const plotBottom = height - AXIS_HEIGHT
  const out: Array<string> = []
  const label = `Timeline of ${summary.app} rollout ${summary.rolloutId}: candidate traffic and gate metrics over ${formatElapsed(t1 - t0)}`
  out.push(
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(label)}">`,
    `<title>${escapeHtml(label)}</title>`,
  )

  // Behind everything: pauses, shaded across all panels.
  for (const p of summary.pauses) {
    const from = x(p.from)
    const to = x(p.to ?? t1)
    const what =
      p.reason === "manual"
        ? "paused by an operator"
        : p.reason === "inconclusive"
          ? "paused: inconclusive"
          : "paused"
    out.push(
      `<rect class="pause" x="${round(from)}" y="${TOP}" width="${round(Math.max(1, to - from))}" height="${plotBottom - TOP}"><title>${escapeHtml(`${what}, step ${p.index + 1}, ${formatElapsed((p.to ?? t1) - p.from)}`)}</title></rect>`,
    )
  }

  // Step boundaries, numbered as people count them. Steps that start a few pixels apart
  // (a weight change right after a gate) share one label, `3–4`, instead of overprinting.
  const clusters: Array<{ x: number; first: number; last: number }> = []
  for (const s of summary.steps) {
    const sx = x(s.startedAt)
    out.push(
      `<g class="step-mark"><line x1="${round(sx)}" y1="${TOP}" x2="${round(sx)}" y2="${plotBottom}"/><title>${escapeHtml(`step ${s.index + 1}: ${s.label}`)}</title></g>`,
    )
    const previous = clusters.at(-1)
    if (previous !== undefined && sx - previous.x < 18) previous.last = s.index + 1
    else clusters.push({ x: sx, first: s.index + 1, last: s.index + 1 })
  }
  for (const c of clusters) {
    out.push(
      `<text class="step-label" x="${round(c.x)}" y="${TOP - 16}">${c.first === c.last ? c.first : `${c.first}–${c.last}`}</text>`,
    )
  }

  // Candidate weight: a step line from the start to the end.
  const wy = (w: number) => TOP + (1 - w / 100) * WEIGHT_HEIGHT
  out.push(`<text class="panel-title" x="${LEFT}" y="${TOP - 4}">candidate traffic</text>`)
  for (const w of [0, 25, 50, 75, 100]) {
    const gy = round(wy(w))
    out.push(
      `<line class="grid" x1="${LEFT}" y1="${gy}" x2="${LEFT + PLOT_WIDTH}" y2="${gy}"/><text class="y-label" x="${LEFT - 8}" y="${gy}">${w}%</text>`,
    )
  }
  const points: Array<[number, number]> = [[x(t0), wy(0)]]
  let weight = 0
  for (const e of own) {
    if (e._tag !== "WeightSet") continue
    points.push([x(e.at), wy(weight)], [x(e.at), wy(e.candidateWeight)])
    weight = e.candidateWeight
  }
  points.push([x(t1), wy(weight)])
  const weightPoints = points
    .map(([px, py]) => `${round(px)},${round(py)}`)
    .filter((p, i, all) => i === 0 || p !== all[i - 1])
    .join(" ")
  out.push(
    `<polyline class="weight-line" points="${weightPoints}"><title>${escapeHtml(`candidate traffic, ending at ${formatPercent(weight)}`)}</title></polyline>`,
  )

  // One small panel per gate series.
  series.forEach((s, i) => {
    const top = TOP + WEIGHT_HEIGHT + GATE_GAP + i * (GATE_GAP + GATE_HEIGHT)
    const bottom = top + GATE_HEIGHT
    const values = s.points.flatMap((p) => [
      ...(p.observed !== null ? [p.observed] : []),
      ...(p.threshold !== undefined ? [p.threshold] : []),
    ])
    let lo = Math.min(0, ...values)
    let hi = Math.max(0, ...values)
    if (hi === lo) hi = lo + 1
    hi += (hi - lo) * 0.1
    if (lo < 0) lo -= (hi - lo) * 0.1
    const gy = (v: number) => bottom - ((v - lo) / (hi - lo)) * GATE_HEIGHT
    const title = s.thresholdText !== undefined ? `${s.name}  (threshold ${s.thresholdText})` : s.name
    out.push(
      `<g class="gate-panel"><text class="panel-title" x="${LEFT}" y="${top - 8}">${escapeHtml(title)}</text>`,
      `<rect class="panel" x="${LEFT}" y="${top}" width="${PLOT_WIDTH}" height="${GATE_HEIGHT}"/>`,
    )
    // A scale only when there is something numeric to read against it (a probe has none).
    if (values.length > 0) {
      out.push(
        `<text class="y-label" x="${LEFT - 8}" y="${round(gy(hi))}">${escapeHtml(formatNumber(Number(hi.toPrecision(3))))}</text>`,
        `<text class="y-label" x="${LEFT - 8}" y="${round(gy(lo))}">${escapeHtml(formatNumber(Number(lo.toPrecision(3))))}</text>`,
      )
    }
    const thresholds = [...new Set(s.points.flatMap((p) => (p.threshold !== undefined ? [p.threshold] : [])))]
    for (const t of thresholds) {
      const ty = round(gy(t))
      out.push(
        `<line class="threshold" x1="${LEFT}" y1="${ty}" x2="${LEFT + PLOT_WIDTH}" y2="${ty}"><title>${escapeHtml(`threshold ${formatNumber(t)}`)}</title></line>`,
      )
    }
    const observed = s.points.filter((p) => p.observed !== null)
    if (observed.length > 1) {
      out.push(
        `<polyline class="series" points="${observed.map((p) => `${round(x(p.at))},${round(gy(p.observed!))}`).join(" ")}"/>`,
      )
    }
    for (const p of s.points) {
      const cx = round(x(p.at))
      // No data is not zero: drawn hollow on the panel's floor.
      const cy = round(p.observed === null ? bottom : gy(p.observed))
      const classes = [
        markerClass(p.tag),
        ...(p.observed === null ? ["nodata"] : []),
        ...(p.dryRun ? ["dry"] : []),
      ]
      out.push(
        `<circle class="${classes.join(" ")}" cx="${cx}" cy="${cy}" r="4.5"><title>${escapeHtml(`${p.title}\nobserved ${formatObserved(p.observed)}`)}</title></circle>`,
      )
    }
    out.push(`</g>`)
  })

  // The rollback: where traffic started going back to stable.
  const rollbackAt = own.find((e) => e._tag === "RollbackStarted" || e._tag === "RolledBack")?.at
  if (rollbackAt !== undefined) {
    const rx = round(x(rollbackAt))
    const anchor = x(rollbackAt) > LEFT + PLOT_WIDTH - 80 ? "end" : "start"
    out.push(
      `<g class="rollback"><line x1="${rx}" y1="${TOP}" x2="${rx}" y2="${plotBottom}"/><text x="${rx}" y="${TOP + 12}" dx="${anchor === "end" ? -4 : 4}" text-anchor="${anchor}">rollback</text><title>${escapeHtml(`rollback at ${formatTimeOfDay(rollbackAt)}${summary.rollbackReason !== undefined ? `: ${summary.rollbackReason}` : ""}`)}</title></g>`,
    )
  }

  // Time axis, relative to the start.
  const span = t1 - t0
  const tick = TICK_STEPS_MS.find((step) => span / step <= 8) ?? Math.ceil(span / 8 / 86_400_000) * 86_400_000
  out.push(
    `<line class="axis" x1="${LEFT}" y1="${plotBottom}" x2="${LEFT + PLOT_WIDTH}" y2="${plotBottom}"/>`,
  )
  for (let at = 0; at <= span; at += tick) {
    const tx = round(x(t0 + at))
    out.push(
      `<line class="tick" x1="${tx}" y1="${plotBottom}" x2="${tx}" y2="${plotBottom + 5}"/><text class="x-label" x="${tx}" y="${plotBottom + 20}">+${formatElapsed(at)}</text>`,
    )
  }
  out.push("</svg>")
  return out.join("\n")
}
