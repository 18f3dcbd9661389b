/**
 * What a rollout's event stream adds up to: outcome, timing, steps, verdicts, pauses and
 * how quickly traffic went back to stable. The HTML report, the CLI's summary line and
 * the demo all read this, so they never disagree about what happened.
 */
import { Data } from "effect"
import type { RolloutEvent } from "../Events.ts"
import type { Step } from "../Strategy.ts"
import { describeStep } from "./format.ts"

/** How many verdicts of each kind. */
export interface VerdictCounts {
  readonly pass: number
  readonly fail: number
  readonly inconclusive: number
}

/** One strategy step as it ran. */
export interface StepSummary {
  /** 0-based, as in the events and the strategy (people see `index + 1`). */
  readonly index: number
  readonly step: Step
  /** The step in words: `setWeight 25%`, `pause 5m`, `gate errors`. */
  readonly label: string
  readonly startedAt: number
  /** When the step completed, or was cut short by a rollback, a promotion or the end of the rollout. */
  readonly endedAt?: number
  readonly durationMs?: number
  /**
   * `completed`; `running` (the rollout is still on it); `rolled-back` (a rollback cut it
   * short); `promoted` (an operator promoted past it before it completed).
   */
  readonly status: "completed" | "running" | "rolled-back" | "promoted"
  /** Candidate traffic percent when the step ended (or now, while it runs). */
  readonly candidateWeight: number
  readonly verdicts: VerdictCounts
}

/** A stretch of time a rollout spent paused. */
export interface PauseSummary {
  readonly index: number
  readonly reason: "step" | "manual" | "inconclusive"
  readonly from: number
  /** When the pause ended (resume, promotion, rollback or the end); absent while still paused. */
  readonly to?: number
  /** When a timed pause was due to end. */
  readonly until?: number
}

/** A rollout, summarised from its events. */
export interface RolloutSummary {
  readonly app: string
  readonly rolloutId: string
  /** `in-progress` also covers a rollback that has started but not finished. */
  readonly outcome: "succeeded" | "rolled-back" | "in-progress"
  /** `null` on a first deployment (or when the stream lacks its `RolloutStarted`). */
  readonly stable: string | null
  readonly candidate: string
  /** The strategy's kind (`canary`, `linear`, …), when the stream has its `RolloutStarted`. */
  readonly strategyKind?: string
  /** Number of steps in the strategy, when known. */
  readonly totalSteps?: number
  readonly startedAt: number
  readonly endedAt?: number
  readonly durationMs?: number
  readonly steps: ReadonlyArray<StepSummary>
  readonly stepsCompleted: number
  readonly verdicts: VerdictCounts
  /** Verdicts recorded by dry-run gates (also counted in `verdicts`); they never stop a rollout. */
  readonly dryRunVerdicts: number
  readonly pauses: ReadonlyArray<PauseSummary>
  /** Candidate traffic percent after the last weight change. */
  readonly candidateWeight: number
  /** When the first failing verdict of a gate that is not a dry run came in. */
  readonly firstFailureAt?: number
  /** Why the rollout rolled back (or is rolling back). */
  readonly rollbackReason?: string
  /**
   * From the first failing (non-dry-run) verdict — or, for an operator's abort, from the
   * start of the rollback — to the moment the candidate's traffic reached 0%.
   */
  readonly timeToRollbackMs?: number
  /** True when this stream contains a run that continued a rollout found in the journal. */
  readonly resumed: boolean
}

/** `summarize` was given no events at all: there is no rollout to describe. */
export class NoRolloutEvents extends Data.TaggedError("NoRolloutEvents")<{}> {
  override get message(): string {
    return "no rollout events to summarize: pass the events of one rollout (from the journal or a JSON lines file)"
  }
}

const zeroCounts: VerdictCounts = { pass: 0, fail: 0, inconclusive: 0 }

const countVerdict = (counts: VerdictCounts, tag: "Pass" | "Fail" | "Inconclusive"): VerdictCounts => {
  switch (tag) {
    case "Pass":
      return { ...counts, pass: counts.pass + 1 }
    case "Fail":
      return { ...counts, fail: counts.fail + 1 }
    case "Inconclusive":
      return { ...counts, inconclusive: counts.inconclusive + 1 }
  }
}

interface MutableStep {
  index: number
  step: Step
  startedAt: number
  endedAt?: number
  completed: boolean
  candidateWeight: number
  verdicts: VerdictCounts
}

interface MutablePause {
  index: number
  reason: PauseSummary["reason"]
  from: number
  to?: number
  until?: number
}

const stepStatus = (
  s: MutableStep,
  rolledBack: boolean,
  outcome: RolloutSummary["outcome"],
): StepSummary["status"] => {
  if (s.completed) return "completed"
  if (rolledBack) return "rolled-back"
  // Cut short without a rollback: an operator promoted past it (or the rollout succeeded around it).
  if (s.endedAt !== undefined || outcome === "succeeded") return "promoted"
  return "running"
}

/**
 * Summarises the events of one rollout. Events of other rollouts in the same list (a
 * whole journal, say) are ignored: the rollout is the one of the first event.
 *
 * @throws NoRolloutEvents when `events` is empty.
 *
 * @example
 * import { summarize } from "@slipway/core"
 * const s = summarize(events)
 * if (s.outcome === "rolled-back") {
 *   console.log(`${s.app}: rolled back in ${s.timeToRollbackMs}ms because ${s.rollbackReason}`)
 * }
 */
export const summarize = (events: ReadonlyArray<RolloutEvent>): RolloutSummary => {
  const first = events[0]
  if (first === undefined) throw new NoRolloutEvents()
  const own = events.filter((e) => e.rolloutId === first.rolloutId)

  let stable: string | null = null
  let candidate: string | undefined
  let strategyKind: string | undefined
  let totalSteps: number | undefined
  let resumed = false
  let weight = 0
  let verdicts = zeroCounts
  let dryRunVerdicts = 0
  let firstFailAt: number | undefined
  let rollbackStartedAt: number | undefined
  let rollbackReason: string | undefined
  let backToStableAt: number | undefined
  let terminal: { readonly at: number; readonly outcome: "succeeded" | "rolled-back" } | undefined
  const steps = new Map<number, MutableStep>()
  const pauses: Array<MutablePause> = []
  let current: MutableStep | undefined

  // A step that did not complete ends when the next thing that supersedes it happens.
  const cutCurrent = (at: number) => {
    if (current !== undefined && !current.completed && current.endedAt === undefined) current.endedAt = at
  }
  const endPauses = (at: number, index?: number) => {
    for (const p of pauses) if (p.to === undefined && (index === undefined || p.index === index)) p.to = at
  }

  for (const e of own) {
    switch (e._tag) {
      case "RolloutStarted":
        // A resumed run repeats RolloutStarted; the rollout began with the first one.
        if (candidate === undefined) {
          stable = e.stable
          strategyKind = e.strategy.kind
          totalSteps = e.strategy.steps.length
        }
        candidate = e.candidate
        resumed = resumed || e.resumed
        break
      case "StepStarted": {
        cutCurrent(e.at)
        const existing = steps.get(e.index)
        // A step re-run after a crash keeps its first start: that is when it began to take effect.
        const step: MutableStep = existing ?? {
          index: e.index,
          step: e.step,
          startedAt: e.at,
          completed: false,
          candidateWeight: weight,
          verdicts: zeroCounts,
        }
        if (existing !== undefined) delete step.endedAt
        steps.set(e.index, step)
        current = step
        break
      }
      case "StepCompleted": {
        const step = steps.get(e.index)
        if (step !== undefined) {
          step.completed = true
          step.endedAt = e.at
          step.candidateWeight = weight
        }
        endPauses(e.at, e.index)
        break
      }
      case "WeightSet":
        weight = e.candidateWeight
        // A step cut short by a rollback keeps the weight it ended at, not the rollback's 0%.
        if (current !== undefined && !current.completed && current.endedAt === undefined) {
          current.candidateWeight = weight
        }
        if (rollbackStartedAt !== undefined && backToStableAt === undefined && weight === 0)
          backToStableAt = e.at
        break
      case "Scaled":
        break
      case "GateEvaluated": {
        verdicts = countVerdict(verdicts, e.verdict._tag)
        if (e.dryRun) dryRunVerdicts++
        const step = steps.get(e.index)
        if (step !== undefined) step.verdicts = countVerdict(step.verdicts, e.verdict._tag)
        if (e.verdict._tag === "Fail" && !e.dryRun && firstFailAt === undefined) firstFailAt = e.at
        break
      }
      case "Paused":
        endPauses(e.at)
        pauses.push({
          index: e.index,
          reason: e.reason,
          from: e.at,
          ...(e.until !== undefined ? { until: e.until } : {}),
        })
        break
      case "Resumed":
        endPauses(e.at)
        break
      case "Promoted":
        endPauses(e.at)
        if (e.full) cutCurrent(e.at)
        break
      case "RollbackStarted":
        endPauses(e.at)
        cutCurrent(e.at)
        rollbackStartedAt ??= e.at
        rollbackReason ??= e.reason
        if (weight === 0) backToStableAt ??= e.at
        break
      case "RolledBack":
        endPauses(e.at)
        cutCurrent(e.at)
        rollbackStartedAt ??= e.at
        rollbackReason ??= e.reason
        // Without a WeightSet to 0 in the stream, the end of the rollback is the best we know.
        backToStableAt ??= e.at
        terminal = { at: e.at, outcome: "rolled-back" }
        break
      case "Succeeded":
        endPauses(e.at)
        cutCurrent(e.at)
        candidate ??= e.revision
        terminal = { at: e.at, outcome: "succeeded" }
        break
    }
  }

  const outcome = terminal?.outcome ?? "in-progress"
  const startedAt = own[0]!.at
  const stepSummaries: Array<StepSummary> = [...steps.values()]
    .sort((a, b) => a.index - b.index)
    .map((s) => ({
      index: s.index,
      step: s.step,
      label: describeStep(s.step),
      startedAt: s.startedAt,
      ...(s.endedAt !== undefined ? { endedAt: s.endedAt, durationMs: s.endedAt - s.startedAt } : {}),
      status: stepStatus(s, rollbackStartedAt !== undefined, outcome),
      candidateWeight: s.candidateWeight,
      verdicts: s.verdicts,
    }))
  const detectedAt = firstFailAt ?? rollbackStartedAt
  const timeToRollbackMs =
    detectedAt !== undefined && backToStableAt !== undefined && backToStableAt >= detectedAt
      ? backToStableAt - detectedAt
      : undefined

  return {
    app: first.app,
    rolloutId: first.rolloutId,
    outcome,
    stable,
    candidate: candidate ?? "(unknown)",
    ...(strategyKind !== undefined ? { strategyKind } : {}),
    ...(totalSteps !== undefined ? { totalSteps } : {}),
    startedAt,
    ...(terminal !== undefined ? { endedAt: terminal.at, durationMs: terminal.at - startedAt } : {}),
    steps: stepSummaries,
    stepsCompleted: stepSummaries.filter((s) => s.status === "completed").length,
    verdicts,
    dryRunVerdicts,
    pauses: pauses.map((p) => ({ ...p })),
    candidateWeight: weight,
    ...(firstFailAt !== undefined ? { firstFailureAt: firstFailAt } : {}),
    ...(rollbackReason !== undefined ? { rollbackReason } : {}),
    ...(timeToRollbackMs !== undefined ? { timeToRollbackMs } : {}),
    resumed,
  }
}
