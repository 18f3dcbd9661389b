/**
 * Renderers of the rollout event stream: terminal progress, JSON lines, the HTML report
 * and the summary they share. Internal helpers (formatting, escaping, the SVG timeline)
 * stay unexported.
 */
export { type HtmlReportOptions, renderHtmlReport } from "./HtmlReport.ts"
export { type JsonLineIssue, JsonLinesInvalid, parseJsonLines, toJsonLine } from "./JsonLines.ts"
export {
  NoRolloutEvents,
  type PauseSummary,
  type RolloutSummary,
  type StepSummary,
  summarize,
  type VerdictCounts,
} from "./Summary.ts"
export { makeTtyRenderer, renderTty, type TtyRenderer, type TtyRendererOptions } from "./Tty.ts"
