/**
 * The rollout report: one self-contained HTML file (inline CSS and SVG, no script, no
 * external assets) that explains a rollout after the fact — what moved when, what each
 * gate saw, and why the rollout went on or rolled back. Every verdict is shown with its
 * evidence (query, observed value, threshold, sample size), because a verdict nobody can
 * check is a verdict nobody trusts.
 */
import type { RolloutEvent } from "../Events.ts"
import {
  describeStep,
  formatElapsed,
  formatInstant,
  formatNumber,
  formatObserved,
  formatPercent,
  verdictLabel,
} from "./format.ts"
import { escapeHtml as esc } from "./html.ts"
import { toJsonLine } from "./JsonLines.ts"
import { type RolloutSummary, summarize } from "./Summary.ts"
import { renderTimelineSvg } from "./Timeline.ts"

/** Options for `renderHtmlReport`. */
export interface HtmlReportOptions {
  /** The page title and heading (default: `<app> rollout <rolloutId>`). */
  readonly title?: string
}

const MAX_VALUES_SHOWN = 12

const CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa;
  --line: #d1d9e0; --pass: #1a7f37; --fail: #cf222e; --inconclusive: #9a6700; --candidate: #0969da;
  --pause: rgba(154, 103, 0, 0.12); }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --line: #3d444d;
    --pass: #3fb950; --fail: #f85149; --inconclusive: #d29922; --candidate: #4493f8;
    --pause: rgba(210, 153, 34, 0.16); }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); max-width: 1240px; }
h1 { font-size: 22px; margin: 0 0 4px; word-break: break-word; }
h2 { font-size: 16px; margin: 32px 0 8px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.route { font-size: 16px; margin: 0 0 12px; }
.route .rev { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel);
  border: 1px solid var(--line); border-radius: 4px; padding: 1px 6px; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12.5px; font-weight: 600;
  color: #fff; vertical-align: 2px; margin-left: 8px; white-space: nowrap; }
td .badge { margin-left: 0; }
.badge.succeeded, .badge.pass { background: var(--pass); }
.badge.rolled-back, .badge.fail { background: var(--fail); }
.badge.in-progress, .badge.inconclusive { background: var(--inconclusive); }
.badge.dry { background: transparent; color: var(--muted); border: 1px solid var(--line); font-weight: 500; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 8px 24px; margin: 0; }
dl.facts div { border-left: 3px solid var(--line); padding-left: 8px; }
dl.facts dt { color: var(--muted); font-size: 12px; }
dl.facts dd { margin: 0; word-break: break-word; }
.callout { margin: 16px 0 0; padding: 10px 14px; border-radius: 6px; border: 1px solid var(--fail);
  background: color-mix(in srgb, var(--fail) 8%, transparent); }
.callout strong { color: var(--fail); }
figure { margin: 0; }
svg.timeline { width: 100%; height: auto; display: block; }
svg.timeline text { font-size: 11px; fill: var(--muted); }
svg.timeline .panel-title { fill: var(--fg); font-weight: 600; }
svg.timeline .y-label { text-anchor: end; dominant-baseline: middle; }
svg.timeline .x-label { text-anchor: middle; }
svg.timeline .grid { stroke: var(--line); stroke-width: 0.5; }
svg.timeline .axis, svg.timeline .tick { stroke: var(--muted); stroke-width: 1; }
svg.timeline .panel { fill: none; stroke: var(--line); }
svg.timeline .pause { fill: var(--pause); }
svg.timeline .step-mark line { stroke: var(--muted); stroke-width: 0.75; stroke-dasharray: 2 3; }
svg.timeline .step-label { text-anchor: middle; font-weight: 600; }
svg.timeline .weight-line { fill: none; stroke: var(--candidate); stroke-width: 2.5; stroke-linejoin: round; }
svg.timeline .series { fill: none; stroke: var(--muted); stroke-width: 1.25; }
svg.timeline .threshold { stroke: var(--fail); stroke-width: 1; stroke-dasharray: 5 4; opacity: 0.7; }
svg.timeline circle { stroke: var(--bg); stroke-width: 1.5; }
svg.timeline .m-pass { fill: var(--pass); }
svg.timeline .m-fail { fill: var(--fail); }
svg.timeline .m-inconclusive { fill: var(--inconclusive); }
svg.timeline .nodata, svg.timeline .dry { fill: var(--bg); stroke-width: 2; }
svg.timeline .nodata.m-pass, svg.timeline .dry.m-pass { stroke: var(--pass); }
svg.timeline .nodata.m-fail, svg.timeline .dry.m-fail { stroke: var(--fail); }
svg.timeline .nodata.m-inconclusive, svg.timeline .dry.m-inconclusive { stroke: var(--inconclusive); }
svg.timeline .rollback line { stroke: var(--fail); stroke-width: 2; }
svg.timeline .rollback text { fill: var(--fail); font-weight: 700; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; color: var(--muted); font-size: 12.5px; margin: 6px 0 0 64px; }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 6px;
  vertical-align: -1px; border-radius: 50%; }
.legend .l-weight::before { border-radius: 0; height: 3px; vertical-align: 3px; background: var(--candidate); }
.legend .l-pass::before { background: var(--pass); }
.legend .l-fail::before { background: var(--fail); }
.legend .l-inconclusive::before { background: var(--inconclusive); }
.legend .l-nodata::before { border: 2px solid var(--muted); width: 6px; height: 6px; }
.legend .l-pause::before { border-radius: 0; background: var(--pause); border: 1px solid var(--line); }
.legend .l-rollback::before { border-radius: 0; width: 2px; height: 12px; background: var(--fail); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; font-size: 12px; background: var(--panel); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
td code { word-break: break-all; }
td.gate { white-space: nowrap; }
tr.verdict-fail td.reason { color: var(--fail); }
.muted { color: var(--muted); }
.status-rolled-back { color: var(--fail); font-weight: 600; }
.status-running, .status-promoted { color: var(--inconclusive); font-weight: 600; }
.status-completed { color: var(--pass); }
details { margin-top: 32px; }
details pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px;
  overflow-x: auto; font-size: 12px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
`

const OUTCOME_TEXT: Record<RolloutSummary["outcome"], string> = {
  succeeded: "succeeded",
  "rolled-back": "rolled back",
  "in-progress": "in progress",
}

const fact = (term: string, value: string): string => `<div><dt>${esc(term)}</dt><dd>${value}</dd></div>`

const header = (s: RolloutSummary, title: string): string => {
  const counts = `${s.verdicts.pass} pass · ${s.verdicts.fail} fail · ${s.verdicts.inconclusive} inconclusive${s.dryRunVerdicts > 0 ? ` (${s.dryRunVerdicts} dry run)` : ""}`
  const facts = [
    fact("App", esc(s.app)),
    fact("Rollout", `<code>${esc(s.rolloutId)}</code>`),
    fact("Strategy", esc(s.strategyKind ?? "unknown")),
    fact("Started", `<span class="mono">${esc(formatInstant(s.startedAt))}</span>`),
    fact(
      "Ended",
      s.endedAt !== undefined
        ? `<span class="mono">${esc(formatInstant(s.endedAt))}</span>`
        : `<span class="muted">not yet</span>`,
    ),
    fact(
      "Duration",
      s.durationMs !== undefined ? esc(formatElapsed(s.durationMs)) : `<span class="muted">—</span>`,
    ),
    fact("Steps completed", esc(`${s.stepsCompleted} of ${s.totalSteps ?? s.steps.length}`)),
    fact("Candidate traffic", esc(formatPercent(s.candidateWeight))),
    fact("Verdicts", esc(counts)),
    ...(s.timeToRollbackMs !== undefined
      ? [fact("Time to rollback", esc(formatElapsed(s.timeToRollbackMs)))]
      : []),
  ]
  const callout =
    s.rollbackReason !== undefined
      ? `<p class="callout"><strong>Rolled back:</strong> ${esc(s.rollbackReason)}${
          s.timeToRollbackMs !== undefined
            ? ` — traffic was back on stable ${esc(formatElapsed(s.timeToRollbackMs))} after ${s.firstFailureAt !== undefined ? "the first failing verdict" : "the rollback started"}.`
            : ""
        }</p>`
      : ""
  return `<header>
<h1>${esc(title)}<span class="badge ${s.outcome}">${esc(OUTCOME_TEXT[s.outcome])}</span></h1>
<p class="route"><span class="rev">${esc(s.stable ?? "(first deploy)")}</span> → <span class="rev">${esc(s.candidate)}</span>${s.resumed ? ` <span class="muted">(resumed from the journal)</span>` : ""}</p>
<dl class="facts">
${facts.join("\n")}
</dl>
${callout}
</header>`
}

const legend = `<div class="legend"><span class="l-weight">candidate traffic</span><span class="l-pass">pass</span><span class="l-fail">fail</span><span class="l-inconclusive">inconclusive</span><span class="l-nodata">no data / dry run</span><span class="l-pause">paused</span><span class="l-rollback">rollback</span></div>`

const stepsTable = (s: RolloutSummary): string => {
  if (s.steps.length === 0) return `<p class="muted">No step has started.</p>`
  const rows = s.steps.map(
    (step) => `<tr>
<td class="num">${step.index + 1}</td>
<td>${esc(step.label)}</td>
<td class="time">${esc(formatInstant(step.startedAt))}<br><span class="muted">+${esc(formatElapsed(step.startedAt - s.startedAt))}</span></td>
<td class="time">${step.endedAt !== undefined ? esc(formatInstant(step.endedAt)) : `<span class="muted">—</span>`}</td>
<td class="num">${step.durationMs !== undefined ? esc(formatElapsed(step.durationMs)) : `<span class="muted">—</span>`}</td>
<td class="num">${esc(formatPercent(step.candidateWeight))}</td>
<td class="num">${step.verdicts.pass} ✓ · ${step.verdicts.fail} ✗ · ${step.verdicts.inconclusive} ?</td>
<td class="status-${step.status}">${esc(step.status)}</td>
</tr>`,
  )
  return `<table class="steps">
<thead><tr><th>#</th><th>Step</th><th>Started (UTC)</th><th>Ended (UTC)</th><th>Duration</th><th>Candidate</th><th>Verdicts</th><th>Status</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`
}

const valuesText = (values: ReadonlyArray<number>): string => {
  const shown = values.slice(0, MAX_VALUES_SHOWN).map(formatNumber).join(", ")
  return values.length > MAX_VALUES_SHOWN ? `${shown}, … (${values.length - MAX_VALUES_SHOWN} more)` : shown
}

const orDash = (html: string | undefined): string =>
  html === undefined ? `<span class="muted">—</span>` : html

const verdictsTable = (events: ReadonlyArray<RolloutEvent>, s: RolloutSummary): string => {
  const evaluations = events.filter(
    (e): e is Extract<RolloutEvent, { _tag: "GateEvaluated" }> =>
      e._tag === "GateEvaluated" && e.rolloutId === s.rolloutId,
  )
  if (evaluations.length === 0) return `<p class="muted">No gate was evaluated.</p>`
  const stepLabels = new Map(s.steps.map((step) => [step.index, step.label]))
  const rows = evaluations.map((e, n) => {
    const label = verdictLabel[e.verdict._tag]
    const evidence = e.verdict.evidence.length > 0 ? e.verdict.evidence : [undefined]
    const span = evidence.length > 1 ? ` rowspan="${evidence.length}"` : ""
    const step = stepLabels.get(e.index)
    const lead = `<td class="num"${span}>${n + 1}</td>
<td class="time"${span}>${esc(formatInstant(e.at))}<br><span class="muted">+${esc(formatElapsed(e.at - s.startedAt))}</span></td>
<td${span}>${e.index + 1}${step !== undefined ? ` <span class="muted">${esc(step)}</span>` : ""}</td>
<td class="gate"${span}><strong>${esc(e.gate)}</strong></td>
<td${span}><span class="badge ${label.word}">${esc(`${label.symbol} ${label.word}`)}</span>${e.dryRun ? ` <span class="badge dry">dry run</span>` : ""}</td>
<td class="reason"${span}>${esc(e.verdict.reason)}</td>`
    return evidence
      .map((ev, i) => {
        const cells = [
          ev === undefined
            ? `<td colspan="5" class="muted">no evidence recorded</td>`
            : [
                `<td>${ev.gate !== e.gate ? `<span class="muted">${esc(ev.gate)}:</span> ` : ""}${orDash(ev.query !== undefined ? `<code>${esc(ev.query)}</code>` : undefined)}</td>`,
                `<td class="num">${ev.observed === undefined ? orDash(undefined) : esc(formatObserved(ev.observed))}</td>`,
                `<td class="num">${orDash(ev.threshold !== undefined ? `<code>${esc(ev.threshold)}</code>` : undefined)}</td>`,
                `<td class="num">${orDash(ev.sampleSize !== undefined ? esc(formatNumber(ev.sampleSize)) : undefined)}</td>`,
                `<td>${orDash(
                  [
                    ...(ev.values !== undefined && ev.values.length > 0
                      ? [
                          `<span class="muted">values</span> <span class="mono">${esc(valuesText(ev.values))}</span>`,
                        ]
                      : []),
                    ...(ev.detail !== undefined ? [esc(ev.detail)] : []),
                  ].join("<br>") || undefined,
                )}</td>`,
              ].join("\n"),
        ].join("\n")
        return `<tr class="verdict-${label.word}">${i === 0 ? `\n${lead}` : ""}\n${cells}\n</tr>`
      })
      .join("\n")
  })
  return `<table class="verdicts">
<thead><tr><th>#</th><th>At (UTC)</th><th>Step</th><th>Gate</th><th>Verdict</th><th>Reason</th><th>Query</th><th>Observed</th><th>Threshold</th><th>Sample size</th><th>Values &amp; detail</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`
}

/**
 * Renders a rollout's events as a self-contained HTML report: a header (app, stable →
 * candidate, outcome, start, end, duration), an SVG timeline of candidate traffic and
 * every gate's observed values (verdicts coloured, pauses shaded, the rollback marked),
 * a table of steps with their timing and a table of every verdict with its evidence.
 * All event text is escaped; times come from the events (UTC ISO), so the same events
 * always give the same bytes.
 *
 * @throws NoRolloutEvents when `events` is empty.
 *
 * @example
 * import { renderHtmlReport } from "@slipway/core"
 * import { writeFileSync } from "node:fs"
 * writeFileSync("rollout.html", renderHtmlReport(events, { title: "shop: v41 → v42" }))
 */
export const renderHtmlReport = (
  events: ReadonlyArray<RolloutEvent>,
  options?: HtmlReportOptions,
): string => {
  const s = summarize(events)
  const own = events.filter((e) => e.rolloutId === s.rolloutId)
  const title = options?.title ?? `${s.app} rollout ${s.rolloutId}`
  const firstStart = own.find((e) => e._tag === "RolloutStarted")
  const plan =
    firstStart?._tag === "RolloutStarted" && firstStart.strategy.steps.length > 0
      ? `<p class="muted">Plan: ${firstStart.strategy.steps.map((step, i) => `${i + 1}. ${esc(describeStep(step))}`).join(" · ")}</p>`
      : ""
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Slipway">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${header(s, title)}
<section>
<h2>Timeline</h2>
<figure>
${renderTimelineSvg(own, s)}
<figcaption>${legend}</figcaption>
</figure>
</section>
<section>
<h2>Steps</h2>
${plan}
${stepsTable(s)}
</section>
<section>
<h2>Gate verdicts</h2>
${verdictsTable(own, s)}
</section>
<details>
<summary>All ${own.length} events (JSON lines)</summary>
<pre>${esc(own.map(toJsonLine).join("\n"))}</pre>
</details>
<footer>Generated by Slipway from ${own.length} events of rollout <code>${esc(s.rolloutId)}</code>. Times are UTC.</footer>
</body>
</html>
`
}
