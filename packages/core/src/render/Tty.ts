/**
 * Terminal progress for a rollout. Every event that matters becomes an append-only line
 * (so CI logs and pipes read well); on a real terminal (`interactive: true`) one live
 * status line is kept under them — current step, traffic bar, time left in a pause —
 * redrawn in place with a carriage return only, never cursor movement across lines, so
 * interleaved output cannot corrupt it. `color: false` means no ANSI codes at all.
 */
import type { RolloutEvent } from "../Events.ts"
import {
  describeEvidence,
  describeStep,
  formatElapsed,
  formatPercent,
  formatTimeOfDay,
  plural,
  verdictLabel,
} from "./format.ts"
import { type RolloutSummary, summarize } from "./Summary.ts"

/** How a TTY renderer writes and what the terminal can do. */
export interface TtyRendererOptions {
  /** Receives the output, already split into lines ending in `\n` (plus the live line when interactive). */
  readonly write: (s: string) => void
  /** ANSI colours. When false the output holds no escape codes at all. */
  readonly color: boolean
  /** Terminal width in columns (default 80): sizes the traffic bar and truncates the live line. */
  readonly width?: number
  /**
   * Keep a live status line under the log, redrawn with `\r` (default false). Pass
   * `process.stdout.isTTY`: anything else (CI, a pipe, a file) must stay append-only.
   */
  readonly interactive?: boolean
  /** The clock for the live line's countdowns and an unfinished rollout's elapsed time (default `Date.now`). */
  readonly now?: () => number
}

/** A stateful renderer for one rollout's events. */
export interface TtyRenderer {
  /** Render one event. */
  readonly onEvent: (event: RolloutEvent) => void
  /** Redraw the live line (countdowns move with the clock); a no-op when not interactive. Call it every second or so. */
  readonly tick: () => void
  /** Clear the live line and print the final summary. Later calls do nothing. */
  readonly finish: () => void
}

const ESC = "\u001b["
type Paint = (text: string) => string

const palette = (color: boolean) => {
  const sgr =
    (open: number, close: number): Paint =>
    (text) =>
      color && text.length > 0 ? `${ESC}${open}m${text}${ESC}${close}m` : text
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    cyan: sgr(36, 39),
  }
}

// Width as the terminal counts it: without escape codes, one column per code point
// (every glyph used here is single-width).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\u001b\[[0-9;]*m/g
const visibleWidth = (text: string): number => [...text.replace(ANSI, "")].length

// Cut a coloured string to `max` visible columns, keeping escape codes (and closing them).
const truncateVisible = (text: string, max: number, color: boolean): string => {
  if (visibleWidth(text) <= max) return text
  let out = ""
  let width = 0
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape codes are what this splits on
  for (const token of text.split(/(\u001b\[[0-9;]*m)/)) {
    if (token.startsWith(ESC)) {
      out += token
      continue
    }
    for (const ch of token) {
      if (width >= max - 1) return `${out}…${color ? `${ESC}0m` : ""}`
      out += ch
      width++
    }
  }
  return out
}

/**
 * Creates a renderer that turns rollout events into terminal progress: a line per step,
 * traffic as a bar, every gate verdict with its reason and evidence, pauses with the
 * time left or the command that ends them, rollbacks in red, and a summary at the end.
 *
 * @example
 * import { makeTtyRenderer } from "@slipway/core"
 * const tty = makeTtyRenderer({
 *   write: (s) => process.stdout.write(s),
 *   color: process.stdout.isTTY && !process.env.NO_COLOR,
 *   interactive: process.stdout.isTTY,
 *   width: process.stdout.columns,
 * })
 * const timer = setInterval(tty.tick, 1000)
 * for await (const event of events) tty.onEvent(event)
 * clearInterval(timer)
 * tty.finish()
 * // step 1/5  setWeight 20%
 * //   stable ████████████████░░░░ candidate 20%
 * // step 1/5  setWeight 20%  ✓ 0s
 */
export const makeTtyRenderer = (options: TtyRendererOptions): TtyRenderer => {
  const { write, color } = options
  const width = Math.max(20, Math.floor(options.width ?? 80))
  const interactive = options.interactive ?? false
  const now = options.now ?? Date.now
  const paint = palette(color)
  const barCells = Math.max(10, Math.min(20, width - 34))

  const seen: Array<RolloutEvent> = []
  let totalSteps: number | undefined
  let stable: string | null = null
  let step: { readonly index: number; readonly label: string; readonly startedAt: number } | undefined
  let weight = 0
  let pause: { readonly from: number; readonly until?: number; readonly reason: string } | undefined
  let rollingBack = false
  let finished = false
  let footerWidth = 0

  const stepName = (index: number) => `step ${index + 1}/${totalSteps ?? "?"}`

  const bar = (candidateWeight: number, cells = barCells): string => {
    let candidateCells = Math.round((candidateWeight / 100) * cells)
    // Any traffic at all shows; all-but-none does too.
    if (candidateWeight > 0) candidateCells = Math.max(1, candidateCells)
    if (candidateWeight < 100) candidateCells = Math.min(cells - 1, candidateCells)
    const stableCells = cells - candidateCells
    return `stable ${paint.blue("█".repeat(stableCells))}${paint.cyan("░".repeat(candidateCells))} candidate ${paint.bold(formatPercent(candidateWeight))}`
  }

  const footer = (): string => {
    const parts: Array<string> = []
    if (rollingBack) parts.push(paint.red("rolling back"))
    else if (step !== undefined) parts.push(`${stepName(step.index)}  ${step.label}`)
    // What moves goes first, so a narrow terminal cuts the bar rather than the countdown.
    if (pause !== undefined) {
      parts.push(
        pause.until !== undefined
          ? paint.yellow(`paused, ${formatElapsed(Math.max(0, pause.until - now()))} left`)
          : paint.yellow(`paused for ${formatElapsed(now() - pause.from)}`),
      )
    }
    parts.push(bar(weight, Math.min(10, barCells)))
    return truncateVisible(parts.join(paint.dim("  │  ")), width - 1, color)
  }

  // Erase the live line with spaces rather than an escape code, so `color: false` stays escape-free.
  const clearFooter = (): string => (footerWidth > 0 ? `\r${" ".repeat(footerWidth)}\r` : "")

  const drawFooter = (): string => {
    if (finished || seen.length === 0) {
      footerWidth = 0
      return ""
    }
    const text = footer()
    footerWidth = visibleWidth(text)
    return text
  }

  const emit = (lines: ReadonlyArray<string>) => {
    if (lines.length === 0) return
    const body = `${lines.join("\n")}\n`
    if (!interactive) {
      write(body)
      return
    }
    const clear = clearFooter()
    write(`${clear}${body}${drawFooter()}`)
  }

  const gateLine = (e: Extract<RolloutEvent, { _tag: "GateEvaluated" }>): string => {
    const label = verdictLabel[e.verdict._tag]
    const tint =
      e.verdict._tag === "Pass" ? paint.green : e.verdict._tag === "Fail" ? paint.red : paint.yellow
    const evidence = describeEvidence(e.gate, e.verdict.evidence)
    const dry = e.dryRun ? paint.dim(" [dry run]") : ""
    return `  ${tint(`${label.symbol} ${label.word}`)}  ${paint.bold(e.gate)}${dry}: ${e.verdict.reason}${evidence.length > 0 ? paint.dim(`  (${evidence})`) : ""}`
  }

  const lines = (e: RolloutEvent): Array<string> => {
    switch (e._tag) {
      case "RolloutStarted": {
        totalSteps = e.strategy.steps.length
        stable = e.stable
        const from = e.stable ?? "first deploy"
        const head = `${paint.bold(e.app)}  ${from} → ${paint.bold(e.candidate)}  ${e.strategy.kind}, ${plural(totalSteps, "step")}  ${paint.dim(`rollout ${e.rolloutId}`)}`
        return [e.resumed ? `${head}  ${paint.yellow("(resumed from the journal)")}` : head]
      }
      case "StepStarted":
        step = { index: e.index, label: describeStep(e.step), startedAt: e.at }
        return [`${paint.bold(stepName(e.index))}  ${step.label}`]
      case "StepCompleted": {
        const label = step?.index === e.index ? step.label : undefined
        const took = step?.index === e.index ? ` ${paint.dim(formatElapsed(e.at - step.startedAt))}` : ""
        if (pause?.reason === "step") pause = undefined
        return [
          `${paint.bold(stepName(e.index))}${label !== undefined ? `  ${label}` : ""}  ${paint.green("✓")}${took}`,
        ]
      }
      case "WeightSet":
        weight = e.candidateWeight
        return [`  ${bar(e.candidateWeight)}`]
      case "Scaled":
        return [`  scaled ${e.revision} to ${plural(e.replicas, "replica")}`]
      case "GateEvaluated":
        return [gateLine(e)]
      case "Paused": {
        pause = { from: e.at, reason: e.reason, ...(e.until !== undefined ? { until: e.until } : {}) }
        const why =
          e.reason === "manual"
            ? "paused by an operator"
            : e.reason === "inconclusive"
              ? "paused: too many inconclusive verdicts"
              : "paused"
        if (e.until !== undefined) {
          return [
            `  ${paint.yellow(why)}  ${formatElapsed(e.until - e.at)} left ${paint.dim(`(until ${formatTimeOfDay(e.until)})`)}`,
          ]
        }
        const waitingFor =
          e.reason === "manual"
            ? "`slipway resume`"
            : e.reason === "inconclusive"
              ? "`slipway promote` (or `slipway abort`)"
              : "`slipway promote`"
        return [`  ${paint.yellow(why)}  waiting for ${waitingFor}`]
      }
      case "Resumed": {
        const after = pause !== undefined ? ` after ${formatElapsed(e.at - pause.from)}` : ""
        pause = undefined
        return [`  resumed${after}`]
      }
      case "Promoted": {
        const after = pause !== undefined ? ` after ${formatElapsed(e.at - pause.from)}` : ""
        pause = undefined
        return [
          e.full
            ? `  ${paint.green("promoted")}${after}: skipping the remaining steps to 100%`
            : `  ${paint.green("promoted")}${after}: on to the next step`,
        ]
      }
      case "RollbackStarted":
        rollingBack = true
        pause = undefined
        return [paint.red(`✗ rolling back: ${e.reason}`)]
      case "RolledBack":
        rollingBack = false
        step = undefined
        return [
          paint.red(`✗ rolled back: ${e.reason}`),
          ...(stable !== null ? [`  all traffic on ${paint.bold(stable)}`] : []),
        ]
      case "Succeeded":
        step = undefined
        pause = undefined
        return [paint.green(`✓ ${e.revision} is live: 100% of traffic`)]
    }
  }

  const summaryLines = (s: RolloutSummary): Array<string> => {
    const route = `${s.stable ?? "first deploy"} → ${s.candidate}`
    const steps = `${s.stepsCompleted}/${s.totalSteps ?? s.steps.length} steps`
    const counts = `verdicts ${s.verdicts.pass} pass, ${s.verdicts.fail} fail, ${s.verdicts.inconclusive} inconclusive`
    const pausedMs = s.pauses.reduce((sum, p) => sum + ((p.to ?? now()) - p.from), 0)
    const facts = [steps, counts, ...(pausedMs > 0 ? [`paused ${formatElapsed(pausedMs)}`] : [])].join(" · ")
    switch (s.outcome) {
      case "succeeded":
        return [
          paint.green(paint.bold(`✓ succeeded  ${s.app}  ${route} in ${formatElapsed(s.durationMs ?? 0)}`)),
          `  ${facts}`,
        ]
      case "rolled-back":
        return [
          paint.red(
            paint.bold(`✗ rolled back  ${s.app}  ${route} after ${formatElapsed(s.durationMs ?? 0)}`),
          ),
          ...(s.rollbackReason !== undefined ? [`  reason: ${s.rollbackReason}`] : []),
          ...(s.timeToRollbackMs !== undefined
            ? [
                `  time to rollback: ${formatElapsed(s.timeToRollbackMs)} (${s.firstFailureAt !== undefined ? "first failing verdict" : "rollback start"} → 0% candidate)`,
              ]
            : []),
          `  ${facts}`,
        ]
      case "in-progress": {
        const where = step !== undefined ? `, at ${stepName(step.index)}` : ""
        const state = rollingBack ? "rolling back" : "in progress"
        return [
          paint.yellow(
            paint.bold(
              `… ${state}  ${s.app}  ${route} for ${formatElapsed(now() - s.startedAt)}${where}, candidate ${formatPercent(s.candidateWeight)}`,
            ),
          ),
          `  ${facts}`,
        ]
      }
    }
  }

  return {
    onEvent: (event) => {
      if (finished) return
      seen.push(event)
      emit(lines(event))
    },
    tick: () => {
      if (!interactive || finished || seen.length === 0) return
      write(`${clearFooter()}${drawFooter()}`)
    },
    finish: () => {
      if (finished) return
      finished = true
      const clear = interactive ? clearFooter() : ""
      footerWidth = 0
      const body = seen.length > 0 ? `${summaryLines(summarize(seen)).join("\n")}\n` : ""
      if (clear.length > 0 || body.length > 0) write(`${clear}${body}`)
    },
  }
}

/**
 * Renders a whole event list as plain, append-only terminal text (no live line): for
 * `slipway history`, logs, and printing a finished rollout.
 *
 * @example
 * import { renderTty } from "@slipway/core"
 * console.log(renderTty(events, { color: false }))
 * // shop  v1 → v2  canary, 5 steps  rollout r-1
 * // step 1/5  setWeight 20%
 * // …
 * // ✓ succeeded  shop  v1 → v2 in 2m15s
 */
export const renderTty = (
  events: ReadonlyArray<RolloutEvent>,
  options: { readonly color: boolean; readonly width?: number; readonly now?: () => number },
): string => {
  let out = ""
  const last = events.at(-1)
  const renderer = makeTtyRenderer({
    ...options,
    // Without a clock, an unfinished rollout is described as of its last event: the output stays deterministic.
    now: options.now ?? (() => last?.at ?? 0),
    interactive: false,
    write: (s) => {
      out += s
    },
  })
  for (const event of events) renderer.onEvent(event)
  renderer.finish()
  return out
}
