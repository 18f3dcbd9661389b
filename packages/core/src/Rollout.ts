/**
 * The rollout engine's entry points. `run` moves an app from its stable revision to a
 * candidate by the strategy's steps, evaluating gates and obeying the operator; `resume`
 * continues whatever the journal says was left unfinished (after a crash or a reboot).
 *
 * Both validate first (nothing changes before the whole spec is known to be good), then
 * hold the app's journal lock for the whole run, so two rollouts of one app never
 * interleave.
 */
import { userInfo } from "node:os"
import { Clock, Effect, Option } from "effect"
import type { Compute, TrafficRouter } from "./Capabilities.ts"
import { Journal } from "./Journal.ts"
import type { JournalError, RolloutLocked } from "./JournalError.ts"
import type { Revision } from "./Revision.ts"
import { RolloutControl } from "./RolloutControl.ts"
import { drive } from "./RolloutEngine.ts"
import type { RolloutEvents } from "./RolloutEvents.ts"
import type { RolloutFailed, RolloutOutcome } from "./RolloutOutcome.ts"
import { isFinished, type RolloutRecord, servingRevision } from "./RolloutRecord.ts"
import { gateReferenceIssues, validateRollout } from "./RolloutValidation.ts"
import { type Strategy, StrategyInvalid } from "./Strategy.ts"
import type { Gate } from "./Verdict.ts"

export { RolloutFailed, type RolloutOutcome } from "./RolloutOutcome.ts"

/**
 * What `Rollout.run` needs.
 *
 * @example
 * import type { RunOptions } from "@slipway/core"
 * const options: RunOptions = { app: "hello", stable: null, candidate, strategy, replicas: 2 }
 */
export interface RunOptions<R = never> {
  readonly app: string
  /**
   * What serves the app now; `null` for a first deployment. When the journal knows the app
   * (its last rollout finished), the journal's answer wins: it was written by the rollout
   * that put that revision there.
   */
  readonly stable: Revision | null
  readonly candidate: Revision
  readonly strategy: Strategy
  /** The gates Gate steps and background analysis evaluate; Gate steps may name a subset. */
  readonly gates?: ReadonlyArray<Gate<R>>
  /** Replicas the candidate runs at when fully promoted (Scale steps' percentages are of this). */
  readonly replicas: number
  /** Lets an operator pause, resume, promote or abort from another fiber. */
  readonly control?: RolloutControl
  /** Who is rolling out, shown to anyone the lock refuses. */
  readonly owner?: string
}

/**
 * What `Rollout.resume` needs besides the journal's record.
 *
 * @example
 * import type { ResumeOptions } from "@slipway/core"
 * const options: ResumeOptions = { gates: [health], owner: "slipway agent" }
 */
export interface ResumeOptions<R = never> {
  readonly gates?: ReadonlyArray<Gate<R>>
  readonly control?: RolloutControl
  readonly owner?: string
}

type Requirements<R> = Compute | TrafficRouter | Journal | RolloutEvents | R

/**
 * A `gates` list, remembered as given so that what the gates need together is their
 * union. (Inferring `R` from `ReadonlyArray<Gate<R>>` cannot do that: TypeScript picks one
 * gate's `R` and rejects the others.)
 */
type GateList = ReadonlyArray<Gate<unknown>>

/** What the gates of a list need together. */
type Needs<Gates extends GateList> = Gate.Requirements<Gates[number]>

const defaultOwner = (): string => {
  try {
    return `${userInfo().username} (pid ${process.pid})`
  } catch {
    return `pid ${process.pid}`
  }
}

const rolloutIdFor = (candidate: Revision, startedAt: number): string =>
  `${candidate.id}-${startedAt.toString(36)}`

/**
 * Rolls `candidate` out by `strategy`.
 *
 * - Validates everything first (`StrategyInvalid`, with each bad field's path).
 * - Takes the app's journal lock (`RolloutLocked` when another rollout of the app runs).
 * - If the journal holds an unfinished rollout of the same candidate, continues it (with
 *   the strategy it started with); of another candidate, rolls that one back first (or,
 *   when it was past its last step, finishes it); if the candidate already serves the
 *   app, succeeds without changing anything. A candidate that was rolled back is tried
 *   again from the start.
 * - First deployment (`stable: null`): starts the candidate, sends it all traffic,
 *   evaluates the gates once. A failing gate then yields `rolled-back` with the reason,
 *   but nothing is changed: there is no earlier revision to send traffic back to.
 * - Otherwise interprets the steps; a failing gate, an abort, or a candidate that does
 *   not become ready within `progressDeadline` rolls back (traffic to stable first, the
 *   candidate scaled down after `scaleDownDelay`). After the last step the old stable is
 *   scaled down after `scaleDownDelay`.
 *
 * Fails with `RolloutFailed` only when the router or compute keep failing while traffic
 * is being returned or the old side retired.
 *
 * @example
 * import { defaultAnalysis, Journal, Memory, Rollout, RolloutEvents, type Strategy } from "@slipway/core"
 * import { Effect, Layer } from "effect"
 *
 * const strategy: Strategy = {
 *   kind: "canary",
 *   steps: [
 *     { _tag: "SetWeight", weight: 10 },
 *     { _tag: "Pause", duration: 300_000 },
 *     { _tag: "Gate" },
 *     { _tag: "SetWeight", weight: 100 },
 *   ],
 *   analysis: defaultAnalysis,
 *   scaleDownDelay: 30_000,
 *   progressDeadline: 600_000,
 * }
 * const outcome = Rollout.run({ app: "hello", stable, candidate, strategy, gates: [health], replicas: 2 }).pipe(
 *   Effect.provide(Layer.mergeAll(Memory.layer, Journal.layerFile(".slipway"), RolloutEvents.layerDiscard)),
 * )
 *
 * // Gates needing different services: the rollout needs all of them, inferred.
 * const guarded = Rollout.run({ app: "hello", stable, candidate, strategy, gates: [errorRate, alarm], replicas: 2 })
 * // Effect<RolloutOutcome, …, Compute | TrafficRouter | Journal | RolloutEvents | MetricSource | AlarmSource>
 */
export const run = <R = never, Gates extends GateList = ReadonlyArray<Gate<R>>>(
  // `R`, only ever given by hand (`run<MetricSource>(…)`), types the default gate list; the
  // requirement is always what the gates need, so `R` appears nowhere else.
  options: RunOptions<Needs<Gates>> & { readonly gates?: Gates },
): Effect.Effect<
  RolloutOutcome,
  RolloutFailed | RolloutLocked | StrategyInvalid | JournalError,
  Requirements<Needs<Gates>>
> =>
  Effect.scoped(
    Effect.gen(function* () {
      const strategy = yield* validateRollout(options)
      const gates: ReadonlyArray<Gate<Needs<Gates>>> = options.gates ?? []
      const journal = yield* Journal
      yield* journal.lock(options.app, options.owner ?? defaultOwner())
      const control = options.control ?? (yield* RolloutControl.make)

      let existing = yield* journal.load(options.app)
      if (Option.isSome(existing) && !isFinished(existing.value)) {
        const unfinished = existing.value
        if (unfinished.candidate.id === options.candidate.id) {
          // It continues with the strategy it started with: its gates must be there too.
          const issues = gateReferenceIssues(unfinished.strategy, gates)
          if (issues.length > 0) return yield* Effect.fail(new StrategyInvalid({ issues }))
          return yield* drive({ record: unfinished, gates, control, resumed: true })
        }
        // Another candidate's rollout was cut short: settle it before starting this one.
        // Past its last step it was promoted already, so it is finished rather than undone.
        const promoted =
          unfinished.status !== "rolling-back" && unfinished.stepIndex >= unfinished.strategy.steps.length
        yield* drive<never>({
          record: unfinished,
          gates: [],
          control,
          resumed: true,
          ...(promoted ? {} : { rollback: `superseded by ${options.candidate.id}` }),
        })
        existing = yield* journal.load(options.app)
      }

      const last = Option.getOrUndefined(existing)
      const known = last === undefined ? null : servingRevision(last)
      // A first deployment whose gates failed keeps serving; deploying it again retries it.
      const retryingFirst = last?.status === "rolled-back" && last.stable === null
      if (last !== undefined && known?.id === options.candidate.id && !retryingFirst) {
        return { status: "succeeded", record: last } satisfies RolloutOutcome
      }
      const stable = known === null ? options.stable : known.id === options.candidate.id ? null : known
      const startedAt = yield* Clock.currentTimeMillis
      const record: RolloutRecord = {
        rolloutId: rolloutIdFor(options.candidate, startedAt),
        app: options.app,
        stable,
        candidate: options.candidate,
        strategy,
        replicas: options.replicas,
        stepIndex: 0,
        stepPhase: "before",
        status: "progressing",
        weights: stable === null ? {} : { [stable.id]: 100 },
        failures: 0,
        inconclusives: 0,
        ...(options.owner !== undefined ? { owner: options.owner } : {}),
        events: [],
        startedAt,
        updatedAt: startedAt,
      }
      // Journal before acting: from here on a crash leaves a record to resume from.
      yield* journal.save(record)
      return yield* drive({ record, gates, control, resumed: false })
    }),
  )

/**
 * Continues the app's unfinished rollout from the journal (after a crash, a reboot, or a
 * `kill -9`), with the strategy it started with. `None` when there is nothing to continue.
 *
 * @example
 * import { Rollout } from "@slipway/core"
 * import { Effect, Option } from "effect"
 * const program = Rollout.resume("hello", { gates }).pipe(
 *   Effect.map(Option.match({ onNone: () => "nothing to resume", onSome: (o) => o.status })),
 * )
 */
export const resume = <R = never, Gates extends GateList = ReadonlyArray<Gate<R>>>(
  app: string,
  options: ResumeOptions<Needs<Gates>> & { readonly gates?: Gates } = {},
): Effect.Effect<
  Option.Option<RolloutOutcome>,
  RolloutFailed | RolloutLocked | StrategyInvalid | JournalError,
  Requirements<Needs<Gates>>
> =>
  Effect.scoped(
    Effect.gen(function* () {
      const gates: ReadonlyArray<Gate<Needs<Gates>>> = options.gates ?? []
      const journal = yield* Journal
      yield* journal.lock(app, options.owner ?? defaultOwner())
      const found = yield* journal.load(app)
      if (Option.isNone(found) || isFinished(found.value)) return Option.none()
      const record = found.value
      const issues = gateReferenceIssues(record.strategy, gates)
      if (issues.length > 0) return yield* Effect.fail(new StrategyInvalid({ issues }))
      const control = options.control ?? (yield* RolloutControl.make)
      return Option.some(yield* drive({ record, gates, control, resumed: true }))
    }),
  )
