/**
 * @slipway/core — Slipway's model (capabilities, revisions, strategies, verdicts, events),
 * the rollout engine, its journal and lock, the event stream, and in-memory capability
 * layers for tests.
 *
 * @example
 * import { Journal, Memory, Rollout, RolloutEvents } from "@slipway/core"
 */
export * from "./Capabilities.ts"
export * from "./Duration.ts"
export * from "./Events.ts"
export { acquireFileLock, isProcessAlive } from "./FileLock.ts"
export { Journal, type JournalShape } from "./Journal.ts"
export { JournalError, RolloutLocked } from "./JournalError.ts"
export { HISTORY_LIMIT, makeFileJournal } from "./JournalFile.ts"
/** In-memory capability layers over an inspectable world: `Memory.layer`, `Memory.makeWorld`, `Memory.layerWorld`. */
export * as Memory from "./Memory.ts"
export { type Fault, type MemoryOperation, MemoryWorld, type MetricValue } from "./Memory.ts"
export * from "./Revision.ts"
export type { ResumeOptions, RunOptions } from "./Rollout.ts"
/** The rollout engine: `Rollout.run`, `Rollout.resume`. */
export * as Rollout from "./Rollout.ts"
export { type Counters, type GateResult, type Judgement, judge, verdictData } from "./RolloutAnalysis.ts"
export { type ControlCommand, RolloutControl } from "./RolloutControl.ts"
export {
  isTerminalEvent,
  RolloutEventBus,
  RolloutEventLog,
  RolloutEvents,
  type RolloutEventsShape,
} from "./RolloutEvents.ts"
export { RolloutFailed, type RolloutOutcome } from "./RolloutOutcome.ts"
export {
  decodeRolloutRecord,
  isFinished,
  PauseState,
  RevisionData,
  RolloutRecord,
  RolloutStatus,
  servingRevision,
} from "./RolloutRecord.ts"
export { gateReferenceIssues, type RolloutSpec, rolloutIssues, validateRollout } from "./RolloutValidation.ts"
/** Renderers of the event stream: terminal progress, JSON lines, the HTML report, summaries. */
export * from "./render/index.ts"
export { closest, editDistance } from "./Similar.ts"
export * from "./Strategy.ts"
export * from "./Verdict.ts"
