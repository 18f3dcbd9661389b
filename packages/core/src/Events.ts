/**
 * The rollout event stream: everything a rollout does, as typed data. Renderers turn it
 * into TTY progress, JSON lines and the HTML report; the journal keeps it so a report
 * can be written after the fact. Events are schemas so they survive a round trip
 * through JSON (JSON lines, the journal, the local agent's socket).
 */
import { Schema } from "effect"
import { Step, Strategy } from "./Strategy.ts"

const EvidenceSchema = Schema.Struct({
  gate: Schema.String,
  query: Schema.optionalKey(Schema.String),
  observed: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  threshold: Schema.optionalKey(Schema.String),
  values: Schema.optionalKey(Schema.Array(Schema.Number)),
  sampleSize: Schema.optionalKey(Schema.Number),
  detail: Schema.optionalKey(Schema.String),
})

/** A verdict as data (the `Verdict` enum's shape, for serialisation). */
export const VerdictData = Schema.Struct({
  _tag: Schema.Literals(["Pass", "Fail", "Inconclusive"]),
  reason: Schema.String,
  evidence: Schema.Array(EvidenceSchema),
})
export type VerdictData = typeof VerdictData.Type

const WeightsSchema = Schema.Record(Schema.String, Schema.Number)

// Fields every event carries.
const base = {
  rolloutId: Schema.String,
  app: Schema.String,
  /** Epoch milliseconds from effect's Clock (virtual under TestClock). */
  at: Schema.Number,
}

export const RolloutStarted = Schema.TaggedStruct("RolloutStarted", {
  ...base,
  stable: Schema.NullOr(Schema.String),
  candidate: Schema.String,
  strategy: Strategy,
  /** True when this run continues a rollout found in the journal. */
  resumed: Schema.Boolean,
})
export const StepStarted = Schema.TaggedStruct("StepStarted", { ...base, index: Schema.Number, step: Step })
export const StepCompleted = Schema.TaggedStruct("StepCompleted", { ...base, index: Schema.Number })
export const WeightSet = Schema.TaggedStruct("WeightSet", {
  ...base,
  weights: WeightsSchema,
  /** Candidate traffic percent after the change. */
  candidateWeight: Schema.Number,
})
export const Scaled = Schema.TaggedStruct("Scaled", {
  ...base,
  revision: Schema.String,
  replicas: Schema.Number,
})
export const GateEvaluated = Schema.TaggedStruct("GateEvaluated", {
  ...base,
  index: Schema.Number,
  gate: Schema.String,
  verdict: VerdictData,
  dryRun: Schema.Boolean,
})
export const Paused = Schema.TaggedStruct("Paused", {
  ...base,
  index: Schema.Number,
  /** `step`: a Pause step; `manual`: an operator; `inconclusive`: too many Inconclusive verdicts. */
  reason: Schema.Literals(["step", "manual", "inconclusive"]),
  /** When a timed pause ends (epoch ms); absent when waiting for promotion. */
  until: Schema.optionalKey(Schema.Number),
})
export const Resumed = Schema.TaggedStruct("Resumed", { ...base, index: Schema.Number })
export const Promoted = Schema.TaggedStruct("Promoted", {
  ...base,
  index: Schema.Number,
  full: Schema.Boolean,
})
export const RollbackStarted = Schema.TaggedStruct("RollbackStarted", { ...base, reason: Schema.String })
export const RolledBack = Schema.TaggedStruct("RolledBack", { ...base, reason: Schema.String })
export const Succeeded = Schema.TaggedStruct("Succeeded", { ...base, revision: Schema.String })

/** Everything a rollout can report. */
export const RolloutEvent = Schema.Union([
  RolloutStarted,
  StepStarted,
  StepCompleted,
  WeightSet,
  Scaled,
  GateEvaluated,
  Paused,
  Resumed,
  Promoted,
  RollbackStarted,
  RolledBack,
  Succeeded,
])
export type RolloutEvent = typeof RolloutEvent.Type
