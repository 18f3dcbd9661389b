/**
 * How a rollout ends: it succeeded or was rolled back (both normal outcomes, with the
 * journal's record), or the infrastructure failed so badly that even the rollback could
 * not be completed — the one case that needs a person.
 */
import { Data } from "effect"
import type { RolloutRecord } from "./RolloutRecord.ts"

/**
 * A rollout that ran to an end. `rolled-back` is an outcome, not an error: the engine did
 * its job (a gate failed, an operator aborted, the candidate never became ready).
 *
 * @example
 * import { Rollout, type RolloutOutcome } from "@slipway/core"
 * const summary = (o: RolloutOutcome) =>
 *   o.status === "succeeded" ? `${o.record.candidate.id} is live` : `rolled back: ${o.record.rollbackReason}`
 */
export interface RolloutOutcome {
  readonly status: "succeeded" | "rolled-back"
  readonly record: RolloutRecord
}

/**
 * The router or compute kept failing (after retries) while the engine was returning
 * traffic to the stable revision or retiring the old side, so the app may be left between
 * revisions. The journal still says where it stopped: running the rollout again (or
 * `slipway rollback`) finishes the job once the cause is fixed.
 *
 * @example
 * import { Rollout } from "@slipway/core"
 * import { Effect } from "effect"
 * const program = Rollout.run(options).pipe(
 *   Effect.catchTag("RolloutFailed", (e) => Effect.logError(e.message)),
 * )
 */
export class RolloutFailed extends Data.TaggedError("RolloutFailed")<{
  readonly app: string
  /** What failed, what state traffic may be in, and what to do. */
  readonly reason: string
  /** The journal's record as it was when the engine gave up. */
  readonly record: RolloutRecord
}> {
  override get message(): string {
    return `rollout of ${this.app} stopped: ${this.reason}`
  }
}
