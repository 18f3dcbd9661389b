/**
 * What the journal keeps about one rollout: enough to explain it afterwards (its events)
 * and to continue it after a crash (the step being executed, whether that step's action
 * was already taken, pauses in progress, counters). A schema, so that it survives the
 * round trip through a JSON file unchanged and a damaged file is recognised as such.
 */
import { Schema } from "effect"
import { RolloutEvent } from "./Events.ts"
import type { Revision } from "./Revision.ts"
import { Strategy } from "./Strategy.ts"

/**
 * A {@link Revision} as data.
 *
 * @example
 * import { RevisionData } from "@slipway/core"
 * import { Schema } from "effect"
 * const revision = Schema.decodeUnknownSync(RevisionData)(JSON.parse(text))
 */
export const RevisionData = Schema.Struct({
  id: Schema.String,
  app: Schema.String,
  artifact: Schema.Struct({ digest: Schema.String, uri: Schema.String }),
  config: Schema.Record(Schema.String, Schema.Unknown),
})

/**
 * Where a rollout is: moving forward, held, returning traffic to stable, or finished.
 *
 * @example
 * import type { RolloutStatus } from "@slipway/core"
 * const done = (s: RolloutStatus) => s === "succeeded" || s === "rolled-back"
 */
export const RolloutStatus = Schema.Literals([
  "progressing",
  "paused",
  "rolling-back",
  "succeeded",
  "rolled-back",
])
export type RolloutStatus = typeof RolloutStatus.Type

/**
 * A pause in progress. `reason: "step"` is a Pause step running (`until` when timed);
 * `manual` and `inconclusive` hold the rollout until an operator resumes or promotes it.
 *
 * @example
 * import type { PauseState } from "@slipway/core"
 * const left = (p: PauseState, now: number) => (p.until !== undefined ? p.until - now : p.remaining)
 */
export const PauseState = Schema.Struct({
  reason: Schema.Literals(["step", "manual", "inconclusive"]),
  /**
   * For a running timed Pause step: when it effectively started (shifted forward by any
   * time spent paused), so `duration - (now - startedAt)` is what is left. Otherwise: when
   * the hold began.
   */
  startedAt: Schema.Number,
  /** When a running timed Pause step ends (epoch ms). */
  until: Schema.optionalKey(Schema.Number),
  /** While held: what was left of the interrupted timed Pause step (ms). */
  remaining: Schema.optionalKey(Schema.Number),
})
export type PauseState = typeof PauseState.Type

/** The journal's record of a rollout. */
export const RolloutRecord = Schema.Struct({
  rolloutId: Schema.String,
  app: Schema.String,
  /** What served traffic before the rollout; `null` on a first deployment. */
  stable: Schema.NullOr(RevisionData),
  candidate: RevisionData,
  strategy: Strategy,
  /** Replica count the candidate runs at when fully promoted. */
  replicas: Schema.Number,
  /**
   * The step being executed. `strategy.steps.length` means every step is done and the
   * engine is retiring the old stable revision.
   */
  stepIndex: Schema.Number,
  /** `before`: written before acting (the action may or may not have happened); `after`: it has. */
  stepPhase: Schema.Literals(["before", "after"]),
  status: RolloutStatus,
  pause: Schema.optionalKey(PauseState),
  /** Last weights known to be in effect. */
  weights: Schema.Record(Schema.String, Schema.Number),
  /** Fail verdicts counted against `analysis.failureLimit`. */
  failures: Schema.Number,
  /** Consecutive Inconclusive verdicts counted against `analysis.inconclusiveLimit`. */
  inconclusives: Schema.Number,
  rollbackReason: Schema.optionalKey(Schema.String),
  /**
   * When traffic has left the old side (candidate on rollback, stable on success) and it
   * is due to be scaled down (epoch ms). Set once the weights are in effect.
   */
  scaleDownAt: Schema.optionalKey(Schema.Number),
  /** Who started it (`slipway deploy`, a CI job, …), for lock messages and history. */
  owner: Schema.optionalKey(Schema.String),
  /** Every event of the rollout, for reports and history. */
  events: Schema.Array(RolloutEvent),
  startedAt: Schema.Number,
  updatedAt: Schema.Number,
})
type RolloutRecordType = typeof RolloutRecord.Type

/**
 * The journal's record of a rollout.
 *
 * @example
 * import { type RolloutRecord, isFinished } from "@slipway/core"
 * const describe = (r: RolloutRecord) =>
 *   isFinished(r) ? `${r.candidate.id}: ${r.status}` : `${r.candidate.id}: step ${r.stepIndex + 1}/${r.strategy.steps.length}`
 */
export interface RolloutRecord extends RolloutRecordType {}

/**
 * Whether a rollout has reached an end (`succeeded` or `rolled-back`) and nothing is left to do.
 *
 * @example
 * import { isFinished } from "@slipway/core"
 * if (!isFinished(record)) console.log("an unfinished rollout will be resumed")
 */
export const isFinished = (record: RolloutRecord): boolean =>
  record.status === "succeeded" || record.status === "rolled-back"

/**
 * The revision serving the app according to a finished record: the candidate when it
 * succeeded; the previous stable when it was rolled back — or, for a first deployment
 * rolled back after it took traffic, the candidate, which kept serving. `null` when
 * nothing serves, or when the record is unfinished.
 *
 * @example
 * import { servingRevision } from "@slipway/core"
 * const current = last === undefined ? null : servingRevision(last)
 */
export const servingRevision = (record: RolloutRecord): Revision | null => {
  if (record.status === "succeeded") return record.candidate
  if (record.status !== "rolled-back") return null
  if (record.stable !== null) return record.stable
  return (record.weights[record.candidate.id] ?? 0) > 0 ? record.candidate : null
}

const decodeRecord = Schema.decodeUnknownEffect(RolloutRecord)

/**
 * Decodes a record read from storage (JSON already parsed), failing with the schema's
 * description of what is wrong.
 *
 * @example
 * import { decodeRolloutRecord } from "@slipway/core"
 * const record = decodeRolloutRecord(JSON.parse(text))
 */
export const decodeRolloutRecord = (input: unknown) => decodeRecord(input, { errors: "all" })
