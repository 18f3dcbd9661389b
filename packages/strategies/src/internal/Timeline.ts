/**
 * A strategy laid out on a clock: when each step starts at the earliest (manual approvals
 * taken as instant, and counted), and the "holds" — each stretch of time the candidate
 * spends at one weight, from its SetWeight to the next.
 */
import type { Step, Strategy } from "@slipway/core"

export interface TimedStep {
  readonly index: number
  readonly step: Step
  /** Candidate traffic percent while this step runs (after it, for a SetWeight). */
  readonly candidateWeight: number
  /** Earliest start, ms after the rollout starts, with manual approvals taken as instant. */
  readonly startsAt: number
  /** Earliest end; `null` for a pause that waits for a person. */
  readonly endsAt: number | null
  /** Manual approvals that must happen before this step starts. */
  readonly afterApprovals: number
}

export interface Hold {
  readonly weight: number
  /** Index of the SetWeight that began it; -1 for the time before any traffic moved. */
  readonly from: number
  /** Indices of the steps that run at this weight (not the SetWeight itself). */
  readonly steps: ReadonlyArray<number>
  /** Time spent at this weight; `null` when a manual pause makes it open-ended. */
  readonly durationMs: number | null
  readonly last: boolean
}

export interface Timeline {
  readonly steps: ReadonlyArray<TimedStep>
  readonly holds: ReadonlyArray<Hold>
  readonly minimumTotalMs: number
  readonly manualApprovals: number
}

export const timeline = (strategy: Strategy): Timeline => {
  const steps: Array<TimedStep> = []
  let t = 0
  let weight = 0
  let approvals = 0
  strategy.steps.forEach((step, index) => {
    const startsAt = t
    const afterApprovals = approvals
    let endsAt: number | null = t
    if (step._tag === "SetWeight") weight = step.weight
    if (step._tag === "Pause") {
      if (step.duration === undefined) {
        approvals++
        endsAt = null
      } else {
        t += step.duration
        endsAt = t
      }
    }
    steps.push({ index, step, candidateWeight: weight, startsAt, endsAt, afterApprovals })
  })

  const holds: Array<Hold> = []
  let current = { weight: 0, from: -1, steps: [] as Array<number>, duration: 0 as number | null }
  const close = (last: boolean) =>
    holds.push({
      weight: current.weight,
      from: current.from,
      steps: current.steps,
      durationMs: current.duration,
      last,
    })
  for (const s of steps) {
    if (s.step._tag === "SetWeight") {
      close(false)
      current = { weight: s.step.weight, from: s.index, steps: [], duration: 0 }
    } else {
      current.steps.push(s.index)
      if (s.step._tag === "Pause") {
        current.duration =
          s.step.duration === undefined || current.duration === null
            ? null
            : current.duration + s.step.duration
      }
    }
  }
  close(true)
  return { steps, holds, minimumTotalMs: t, manualApprovals: approvals }
}
