/**
 * The interpreter behind `Rollout.run`: takes a journal record (new, or found unfinished
 * after a crash) and drives it to an end against the capabilities.
 *
 * Rules it keeps:
 * - The journal is written before every action (`stepPhase: "before"`) and after it
 *   (`"after"`); every action is idempotent, so resuming from a record re-executes at most
 *   the one action that may or may not have happened.
 * - Operator commands are taken in order. Abort interrupts anything; a full promotion
 *   interrupts anything after the candidate is ready; pause, resume and promote apply at
 *   waits (Pause and Gate steps, holds) or, when given during an action, right after it.
 * - Rollback returns traffic to stable first, then scales the candidate down after
 *   `scaleDownDelay`. The stable revision is only ever scaled down after promotion.
 * - All time comes from effect's Clock, so TestClock drives every wait.
 */
import { Clock, Effect, Fiber, Option, Schedule } from "effect"
import { Compute, TrafficRouter, type Weights } from "./Capabilities.ts"
import { formatDuration } from "./Duration.ts"
import type { RolloutEvent } from "./Events.ts"
import { Journal } from "./Journal.ts"
import type { JournalError } from "./JournalError.ts"
import { type Counters, evaluateGates, type GateResult, judge, verdictData } from "./RolloutAnalysis.ts"
import { awaitCommand, type ControlCommand, pollCommand, type RolloutControl } from "./RolloutControl.ts"
import { RolloutEvents } from "./RolloutEvents.ts"
import { RolloutFailed, type RolloutOutcome } from "./RolloutOutcome.ts"
import type { PauseState, RolloutRecord, RolloutStatus } from "./RolloutRecord.ts"
import type { Step } from "./Strategy.ts"
import type { Gate } from "./Verdict.ts"

/** What happens after an action or a wait. */
type Flow =
  | { readonly _tag: "Next" }
  | { readonly _tag: "PromoteFull"; readonly index: number }
  | { readonly _tag: "Rollback"; readonly reason: string }

const Next: Flow = { _tag: "Next" }
const Rollback = (reason: string): Flow => ({ _tag: "Rollback", reason })

type Supervised<A> =
  | { readonly _tag: "Done"; readonly value: A }
  | { readonly _tag: "Stopped"; readonly flow: Flow }

type Held = { readonly reason: "manual" | "inconclusive" }

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
type EventInput = DistributiveOmit<RolloutEvent, "rolloutId" | "app" | "at">

/** Fields the engine changes; `null` removes an optional field. */
interface Patch {
  readonly stepIndex?: number
  readonly stepPhase?: "before" | "after"
  readonly status?: RolloutStatus
  readonly weights?: Weights
  readonly failures?: number
  readonly inconclusives?: number
  readonly rollbackReason?: string
  readonly pause?: PauseState | null
  readonly scaleDownAt?: number | null
}

const applyPatch = (record: RolloutRecord, patch: Patch): RolloutRecord => {
  const { pause, scaleDownAt, ...rest } = patch
  const { pause: oldPause, scaleDownAt: oldScaleDownAt, ...base } = record
  const nextPause = pause === null ? undefined : (pause ?? oldPause)
  const nextScaleDownAt = scaleDownAt === null ? undefined : (scaleDownAt ?? oldScaleDownAt)
  return {
    ...base,
    ...rest,
    ...(nextPause !== undefined ? { pause: nextPause } : {}),
    ...(nextScaleDownAt !== undefined ? { scaleDownAt: nextScaleDownAt } : {}),
  }
}

// Router and compute calls are retried through transient errors (≈ 7.5 s in all) before
// the engine treats the failure as real.
const transient = Schedule.exponential("500 millis").pipe(Schedule.upTo({ times: 4 }))

// How often a scaled candidate's readiness is polled.
const READY_POLL_MS = 1_000

const errorText = (e: unknown): string =>
  typeof e === "object" && e !== null && "message" in e
    ? String((e as { message: unknown }).message)
    : String(e)

const formatWeights = (weights: Weights): string =>
  `{${Object.entries(weights)
    .map(([k, v]) => `${k}:${v}`)
    .join(",")}}`

const scaleTarget = (step: Extract<Step, { _tag: "Scale" }>, replicas: number): number =>
  step.replicas ?? Math.ceil(((step.percent ?? 100) * replicas) / 100)

/** Candidate replica count once the steps before `index` have run. */
const candidateReplicasAt = (steps: ReadonlyArray<Step>, replicas: number, index: number): number => {
  const first = steps[0]
  let count = first?._tag === "Scale" ? scaleTarget(first, replicas) : replicas
  for (const step of steps.slice(0, index)) if (step._tag === "Scale") count = scaleTarget(step, replicas)
  return count
}

export interface DriveOptions<R> {
  readonly record: RolloutRecord
  readonly gates: ReadonlyArray<Gate<R>>
  readonly control: RolloutControl
  /** True when the record was found in the journal rather than just created. */
  readonly resumed: boolean
  /** Roll this rollout back instead of continuing it (another candidate supersedes it). */
  readonly rollback?: string
}

/** Drives a journal record to an end (success or rollback). */
export const drive = <R>(
  options: DriveOptions<R>,
): Effect.Effect<
  RolloutOutcome,
  RolloutFailed | JournalError,
  Compute | TrafficRouter | Journal | RolloutEvents | R
> =>
  Effect.gen(function* () {
    const compute = yield* Compute
    const router = yield* TrafficRouter
    const journal = yield* Journal
    const sink = yield* RolloutEvents
    const { gates, control } = options
    let record = options.record
    const events: Array<RolloutEvent> = [...record.events]
    const { app, candidate, stable, strategy, replicas } = record
    const { steps, analysis } = strategy

    // Commands taken while an action ran, handled at the next wait, in order.
    const backlog: Array<ControlCommand> = []
    // Promotions given when there was nothing to promote; the next wait consumes one.
    let promotions = 0
    let held: Held | undefined =
      record.status === "paused" && record.pause !== undefined && record.pause.reason !== "step"
        ? { reason: record.pause.reason }
        : undefined
    let candidateReplicas = 0

    const now = Clock.currentTimeMillis
    const snapshot = (): RolloutRecord => ({ ...record, events: [...events] })

    const emit = (input: EventInput) =>
      Effect.gen(function* () {
        const at = yield* now
        const event = { ...input, rolloutId: record.rolloutId, app, at } as RolloutEvent
        events.push(event)
        yield* sink.publish(event)
      })

    const save = (patch: Patch) =>
      Effect.gen(function* () {
        const updatedAt = yield* now
        record = { ...applyPatch(record, patch), events: [...events], updatedAt }
        yield* journal.save(record)
      })

    const sleepUntil = (at: number) =>
      Effect.gen(function* () {
        const t = yield* now
        if (at > t) yield* Effect.sleep(at - t)
      })

    const withRetries = <A, E, R2>(effect: Effect.Effect<A, E, R2>) => Effect.retry(effect, transient)

    /**
     * Runs `work` while listening for commands: `interrupts` decides which command stops
     * it (and with what flow); the others wait in the backlog.
     */
    const supervise = <A, E, R2>(
      work: Effect.Effect<A, E, R2>,
      interrupts: (command: ControlCommand) => Effect.Effect<Flow | undefined>,
    ): Effect.Effect<Supervised<A>, E, R2> =>
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(work)
        while (true) {
          const next = yield* Effect.raceFirst(
            Effect.map(Fiber.await(fiber), (exit) => ({ _tag: "exit" as const, exit })),
            Effect.as(awaitCommand(control), { _tag: "command" as const }),
          )
          if (next._tag === "exit") return { _tag: "Done", value: yield* next.exit } as const
          const command = Option.getOrUndefined(yield* pollCommand(control))
          if (command === undefined) continue
          const flow = yield* interrupts(command)
          if (flow !== undefined) {
            yield* Fiber.interrupt(fiber)
            return { _tag: "Stopped", flow } as const
          }
          backlog.push(command)
        }
      })

    const onlyAbort = (command: ControlCommand): Effect.Effect<Flow | undefined> =>
      Effect.succeed(command._tag === "Abort" ? Rollback(command.reason) : undefined)

    const abortOrFull = (index: number) => (command: ControlCommand) =>
      Effect.succeed<Flow | undefined>(
        command._tag === "Abort"
          ? Rollback(command.reason)
          : command._tag === "Promote" && command.full
            ? { _tag: "PromoteFull", index }
            : undefined,
      )

    // ------------------------------------------------------------------ actions

    const route = (weights: Weights, context: string) =>
      Effect.gen(function* () {
        const result = yield* Effect.result(withRetries(router.setWeights(app, weights)))
        if (result._tag === "Failure") {
          return Rollback(
            `${context}: could not set weights ${formatWeights(weights)}: ${errorText(result.failure)}`,
          )
        }
        record = { ...record, weights }
        yield* emit({ _tag: "WeightSet", weights, candidateWeight: weights[candidate.id] ?? 0 })
        return Next
      })

    /** Runs `count` candidate replicas and waits (up to the progress deadline) until they are ready. */
    const ensureCandidate = (count: number) =>
      Effect.gen(function* () {
        const deadline = strategy.progressDeadline
        const supervised = yield* supervise(
          Effect.result(compute.ensure(candidate, count).pipe(Effect.timeoutOption(deadline))),
          onlyAbort,
        )
        if (supervised._tag === "Stopped") return supervised.flow
        const result = supervised.value
        if (result._tag === "Failure") {
          return Rollback(`candidate ${candidate.id} failed to start: ${errorText(result.failure)}`)
        }
        if (Option.isNone(result.success)) {
          const health = yield* Effect.option(compute.health(candidate.id))
          const detail = Option.match(health, {
            onNone: () => "no health report",
            onSome: (h) => h.lastError ?? `${h.ready} of ${h.desired} replicas ready`,
          })
          return Rollback(`candidate ${candidate.id} not ready within ${formatDuration(deadline)}: ${detail}`)
        }
        candidateReplicas = count
        return Next
      })

    /** Before the candidate takes all traffic, make sure it runs at full size. */
    const ensureCapacity = Effect.suspend(() =>
      candidateReplicas >= replicas ? Effect.succeed(Next) : ensureCandidate(replicas),
    )

    const scaleCandidate = (count: number) =>
      Effect.gen(function* () {
        const scaled = yield* Effect.result(withRetries(compute.scale(candidate.id, count)))
        if (scaled._tag === "Failure") {
          return Rollback(`could not scale ${candidate.id} to ${count}: ${errorText(scaled.failure)}`)
        }
        if (count > 0) {
          const awaitReady = Effect.gen(function* () {
            while (true) {
              const health = yield* compute.health(candidate.id)
              if (health.ready >= count) return health
              yield* Effect.sleep(READY_POLL_MS)
            }
          })
          const supervised = yield* supervise(
            Effect.result(awaitReady.pipe(Effect.timeoutOption(strategy.progressDeadline))),
            onlyAbort,
          )
          if (supervised._tag === "Stopped") return supervised.flow
          const ready = supervised.value
          if (ready._tag === "Failure" || Option.isNone(ready.success)) {
            const detail = ready._tag === "Failure" ? errorText(ready.failure) : "replicas not ready"
            return Rollback(
              `candidate ${candidate.id} not ready at ${count} replicas within ${formatDuration(strategy.progressDeadline)}: ${detail}`,
            )
          }
        }
        candidateReplicas = count
        yield* emit({ _tag: "Scaled", revision: candidate.id, replicas: count })
        return Next
      })

    // ------------------------------------------------------------------ analysis

    /** One evaluation round; `interrupts` decides which commands stop it. */
    const evaluate = (
      index: number,
      chosen: ReadonlyArray<Gate<R>>,
      interrupts: (command: ControlCommand) => Effect.Effect<Flow | undefined>,
    ) =>
      Effect.gen(function* () {
        const context = {
          app,
          candidate,
          stable,
          candidateWeight: record.weights[candidate.id] ?? 0,
          stepIndex: index,
        }
        const supervised = yield* supervise(evaluateGates(chosen, context), interrupts)
        if (supervised._tag === "Stopped") return supervised
        const results: ReadonlyArray<GateResult> = supervised.value
        for (const r of results) {
          yield* emit({
            _tag: "GateEvaluated",
            index,
            gate: r.gate,
            verdict: verdictData(r.verdict),
            dryRun: r.dryRun,
          })
        }
        const before: Counters = { failures: record.failures, inconclusives: record.inconclusives }
        const judged = judge(results, before, analysis)
        record = { ...record, ...judged.counters }
        const changed =
          judged.counters.failures !== before.failures ||
          judged.counters.inconclusives !== before.inconclusives
        return { _tag: "Judged", judgement: judged.judgement, changed } as const
      })

    // ------------------------------------------------------------------ waiting

    /**
     * Waits at step `index`: a boundary hold (returns at once unless the rollout is held),
     * or a Pause step (`step`: timed when `remaining` is set, otherwise until promoted).
     * Meanwhile it takes commands and, every `analysis.interval`, evaluates every gate.
     */
    const wait = (
      index: number,
      options?: {
        readonly step?: {
          readonly duration?: number
          readonly remaining?: number
          readonly startedAt: number
        }
        readonly holdFor?: Held["reason"]
      },
    ): Effect.Effect<Flow, JournalError, R> =>
      Effect.gen(function* () {
        const step = options?.step
        let remaining = step?.remaining
        let runningSince = yield* now
        let nextTick = runningSince + analysis.interval

        // What record.pause says while nothing holds the rollout.
        const running = (t: number): PauseState | null => {
          if (step === undefined) return null
          if (remaining === undefined || step.duration === undefined)
            return { reason: "step", startedAt: step.startedAt }
          return { reason: "step", startedAt: t - (step.duration - remaining), until: t + remaining }
        }

        const hold = (reason: Held["reason"], t: number) =>
          Effect.gen(function* () {
            if (held !== undefined) return
            if (remaining !== undefined) remaining = Math.max(0, remaining - (t - runningSince))
            held = { reason }
            yield* emit({ _tag: "Paused", index, reason })
            yield* save({
              stepIndex: index,
              stepPhase: "before",
              status: "paused",
              pause: { reason, startedAt: t, ...(remaining !== undefined ? { remaining } : {}) },
            })
          })

        const release = (t: number) =>
          Effect.gen(function* () {
            if (held === undefined) return
            const wasInconclusive = held.reason === "inconclusive"
            held = undefined
            runningSince = t
            yield* emit({ _tag: "Resumed", index })
            yield* save({
              status: "progressing",
              pause: running(t),
              ...(wasInconclusive ? { inconclusives: 0 } : {}),
            })
          })

        const promote = (t: number) =>
          Effect.gen(function* () {
            yield* release(t)
            yield* emit({ _tag: "Promoted", index, full: false })
            return Next
          })

        const handle = (command: ControlCommand) =>
          Effect.gen(function* () {
            const t = yield* now
            switch (command._tag) {
              case "Abort":
                return Rollback(command.reason)
              case "Promote":
                if (command.full) return { _tag: "PromoteFull", index } as Flow
                if (step === undefined && held === undefined) {
                  promotions++
                  return undefined
                }
                return yield* promote(t)
              case "Pause":
                yield* hold("manual", t)
                return undefined
              case "Resume":
                yield* release(t)
                return undefined
            }
          })

        if (options?.holdFor !== undefined) yield* hold(options.holdFor, yield* now)

        while (true) {
          const pending = backlog.shift() ?? Option.getOrUndefined(yield* pollCommand(control))
          if (pending !== undefined) {
            const flow = yield* handle(pending)
            if (flow !== undefined) return flow
            continue
          }
          const t = yield* now
          if (step === undefined && held === undefined) return Next
          if (step !== undefined && promotions > 0) {
            promotions--
            return yield* promote(t)
          }
          const timerEnd = held === undefined && remaining !== undefined ? runningSince + remaining : Infinity
          if (t >= timerEnd) return Next
          const wakeAt = Math.min(timerEnd, gates.length > 0 ? nextTick : Infinity)
          // Sleep until the timer ends or the next analysis is due, unless a command comes first.
          const commanded =
            wakeAt === Infinity
              ? yield* Effect.as(awaitCommand(control), true)
              : yield* Effect.raceFirst(
                  Effect.as(Effect.sleep(wakeAt - t), false),
                  Effect.as(awaitCommand(control), true),
                )
          if (commanded) continue
          const woke = yield* now
          if (gates.length === 0 || woke < nextTick) continue
          nextTick = woke + analysis.interval
          const round = yield* evaluate(index, gates, abortOrFull(index))
          if (round._tag === "Stopped") return round.flow
          if (round.judgement._tag === "Rollback") return Rollback(round.judgement.reason)
          if (round.judgement._tag === "Hold") yield* hold("inconclusive", woke)
          else if (round.changed)
            yield* save({ failures: record.failures, inconclusives: record.inconclusives })
        }
      })

    // ------------------------------------------------------------------ steps

    const pauseStep = (index: number, duration: number | undefined, restored: PauseState | undefined) =>
      Effect.gen(function* () {
        const t = yield* now
        let remaining: number | undefined
        if (duration !== undefined) {
          if (restored?.remaining !== undefined) remaining = Math.min(duration, restored.remaining)
          else if (restored?.reason === "step")
            remaining = Math.min(duration, Math.max(0, duration - (t - restored.startedAt)))
          else remaining = duration
        }
        const startedAt =
          duration !== undefined && remaining !== undefined
            ? t - (duration - remaining)
            : restored?.reason === "step"
              ? restored.startedAt
              : t
        const until = remaining !== undefined ? t + remaining : undefined
        yield* emit({ _tag: "Paused", index, reason: "step", ...(until !== undefined ? { until } : {}) })
        yield* save({ pause: { reason: "step", startedAt, ...(until !== undefined ? { until } : {}) } })
        return yield* wait(index, {
          step: {
            startedAt,
            ...(duration !== undefined ? { duration } : {}),
            ...(remaining !== undefined ? { remaining } : {}),
          },
        })
      })

    const gateStep = (
      index: number,
      names: ReadonlyArray<string> | undefined,
      restored: PauseState | undefined,
    ) =>
      Effect.gen(function* () {
        // Held for Inconclusive before a crash: the verdicts are in, and the operator's
        // resume (which ended the hold) is the decision to go on.
        if (restored?.reason === "inconclusive") return Next
        if (promotions > 0) {
          promotions--
          yield* emit({ _tag: "Promoted", index, full: false })
          return Next
        }
        const chosen = names === undefined ? gates : gates.filter((g) => names.includes(g.name))
        if (chosen.length === 0) return Next
        const round = yield* evaluate(index, chosen, (command) =>
          command._tag === "Promote" && !command.full
            ? Effect.as(emit({ _tag: "Promoted", index, full: false }), Next)
            : abortOrFull(index)(command),
        )
        if (round._tag === "Stopped") return round.flow
        if (round.judgement._tag === "Rollback") return Rollback(round.judgement.reason)
        if (round.judgement._tag === "Hold") return yield* wait(index, { holdFor: "inconclusive" })
        return Next
      })

    const runStep = (index: number, step: Step, restored: PauseState | undefined) => {
      switch (step._tag) {
        case "SetWeight":
          return route(
            stable === null
              ? { [candidate.id]: 100 }
              : { [stable.id]: 100 - step.weight, [candidate.id]: step.weight },
            `step ${index + 1}`,
          )
        case "Scale":
          return scaleCandidate(scaleTarget(step, replicas))
        case "Gate":
          return gateStep(index, step.gates, restored)
        case "Pause":
          return pauseStep(index, step.duration, restored)
      }
    }

    // ------------------------------------------------------------------ endings

    const promoteFully = (index: number) =>
      Effect.gen(function* () {
        if (held !== undefined) {
          held = undefined
          yield* emit({ _tag: "Resumed", index })
        }
        yield* emit({ _tag: "Promoted", index, full: true })
        const capacity = yield* ensureCapacity
        if (capacity._tag !== "Next") return capacity
        const weights: Weights =
          stable === null ? { [candidate.id]: 100 } : { [stable.id]: 0, [candidate.id]: 100 }
        return yield* route(weights, "full promotion")
      })

    const finalize = Effect.gen(function* () {
      const t = yield* now
      const scaleDownAt = record.scaleDownAt ?? (stable === null ? t : t + strategy.scaleDownDelay)
      if (record.stepIndex !== steps.length || record.scaleDownAt === undefined) {
        yield* save({
          stepIndex: steps.length,
          stepPhase: "before",
          status: "progressing",
          pause: null,
          scaleDownAt,
        })
      }
      // The old revision keeps running for scaleDownDelay: the fast way back if needed.
      yield* sleepUntil(scaleDownAt)
      if (stable !== null) {
        const scaled = yield* Effect.result(withRetries(compute.scale(stable.id, 0)))
        if (scaled._tag === "Failure") {
          return yield* Effect.fail(
            new RolloutFailed({
              app,
              reason: `${candidate.id} serves all traffic, but the old revision ${stable.id} could not be scaled down: ${errorText(scaled.failure)}; run the rollout again to finish`,
              record: snapshot(),
            }),
          )
        }
        yield* emit({ _tag: "Scaled", revision: stable.id, replicas: 0 })
      }
      yield* emit({ _tag: "Succeeded", revision: candidate.id })
      yield* save({ stepPhase: "after", status: "succeeded" })
      return { status: "succeeded", record: snapshot() } satisfies RolloutOutcome
    })

    const rollback = (reason: string) =>
      Effect.gen(function* () {
        const gaveUp = (why: string) => new RolloutFailed({ app, reason: why, record: snapshot() })
        // A first deployment that already took traffic has nothing to return to: it keeps serving.
        const keepsServing = stable === null && (record.weights[candidate.id] ?? 0) > 0
        if (record.status !== "rolling-back") {
          const stated = keepsServing
            ? `${reason} (first deployment: there is no earlier revision to return to, so ${candidate.id} keeps serving)`
            : reason
          held = undefined
          yield* emit({ _tag: "RollbackStarted", reason: stated })
          yield* save({ status: "rolling-back", rollbackReason: stated, pause: null })
        }
        const why = record.rollbackReason ?? reason
        if (record.scaleDownAt === undefined) {
          if (stable !== null) {
            const weights: Weights = { [stable.id]: 100, [candidate.id]: 0 }
            const routed = yield* Effect.result(withRetries(router.setWeights(app, weights)))
            if (routed._tag === "Failure") {
              return yield* Effect.fail(
                gaveUp(
                  `rolling back (${why}), traffic could not be returned to ${stable.id}: ${errorText(routed.failure)}; ${candidate.id} may still receive traffic — fix the router, then run the rollout again to finish the rollback`,
                ),
              )
            }
            record = { ...record, weights }
            yield* emit({ _tag: "WeightSet", weights, candidateWeight: 0 })
          }
          const t = yield* now
          yield* save({ scaleDownAt: keepsServing ? t : t + strategy.scaleDownDelay })
        }
        yield* sleepUntil(record.scaleDownAt ?? 0)
        if (!keepsServing) {
          const scaled = yield* Effect.result(withRetries(compute.scale(candidate.id, 0)))
          if (scaled._tag === "Failure") {
            return yield* Effect.fail(
              gaveUp(
                `traffic is back on ${stable?.id ?? "nothing"}, but ${candidate.id} could not be scaled down: ${errorText(scaled.failure)}; run the rollout again to finish the rollback`,
              ),
            )
          }
          yield* emit({ _tag: "Scaled", revision: candidate.id, replicas: 0 })
        }
        yield* emit({ _tag: "RolledBack", reason: why })
        yield* save({ status: "rolled-back", stepPhase: "after" })
        return { status: "rolled-back", record: snapshot() } satisfies RolloutOutcome
      })

    // ------------------------------------------------------------------ paths

    const firstDeployment = Effect.gen(function* () {
      let flow = yield* ensureCandidate(replicas)
      if (flow._tag === "Next") flow = yield* wait(0)
      if (flow._tag === "PromoteFull") flow = Next
      if (flow._tag === "Next") flow = yield* route({ [candidate.id]: 100 }, "first deployment")
      if (flow._tag === "Next") yield* save({ stepPhase: "after" })
      if (flow._tag === "Next" && gates.length > 0) {
        const round = yield* evaluate(0, gates, abortOrFull(0))
        if (round._tag === "Stopped") flow = round.flow._tag === "Rollback" ? round.flow : Next
        else if (round.judgement._tag === "Rollback") flow = Rollback(round.judgement.reason)
        else if (round.judgement._tag === "Hold") flow = yield* wait(0, { holdFor: "inconclusive" })
      }
      if (flow._tag === "Rollback") return yield* rollback(flow.reason)
      return yield* finalize
    })

    const forward = Effect.gen(function* () {
      const first = record.stepPhase === "after" ? record.stepIndex + 1 : record.stepIndex
      const restoredIndex = record.stepIndex
      const restored = record.stepPhase === "before" ? record.pause : undefined
      let flow = yield* ensureCandidate(candidateReplicasAt(steps, replicas, first))
      for (let i = first; i < steps.length && flow._tag === "Next"; i++) {
        flow = yield* wait(i)
        if (flow._tag !== "Next") break
        const step = steps[i]!
        yield* emit({ _tag: "StepStarted", index: i, step })
        yield* save({ stepIndex: i, stepPhase: "before", status: "progressing", pause: null })
        flow = yield* runStep(i, step, i === restoredIndex ? restored : undefined)
        if (flow._tag !== "Next") break
        yield* emit({ _tag: "StepCompleted", index: i })
        yield* save({ stepIndex: i, stepPhase: "after", pause: null })
      }
      if (flow._tag === "Next") flow = yield* ensureCapacity
      if (flow._tag === "PromoteFull") flow = yield* promoteFully(flow.index)
      if (flow._tag === "Rollback") return yield* rollback(flow.reason)
      return yield* finalize
    })

    yield* emit({
      _tag: "RolloutStarted",
      stable: stable?.id ?? null,
      candidate: candidate.id,
      strategy,
      resumed: options.resumed,
    })
    if (held !== undefined) yield* emit({ _tag: "Paused", index: record.stepIndex, reason: held.reason })

    if (options.rollback !== undefined && record.status !== "rolling-back")
      return yield* rollback(options.rollback)
    if (record.status === "rolling-back")
      return yield* rollback(record.rollbackReason ?? "rollback in progress")
    if (record.stepIndex >= steps.length) return yield* finalize
    if (stable === null) return yield* firstDeployment
    return yield* forward
  })
