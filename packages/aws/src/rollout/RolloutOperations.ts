/**
 * What a `DrivenRollout` does on `pulumi up`, as plain functions with their dependencies
 * injected (the SDK clients, where progress lines go), so they are tested directly and
 * the dynamic provider is a thin shell around them:
 *
 * - `diffRollout`: a change when the revision differs from the one serving (or the last
 *   attempt at this revision was rolled back: running `pulumi up` again retries it), or
 *   when another input changed (recorded without a rollout).
 * - `createRollout`: the first deployment — the revision in the first slot, all traffic to
 *   it, the gates checked once — unless the journal already knows the app, in which case
 *   it is an ordinary rollout from what serves.
 * - `updateRollout`: core's `Rollout.run` against the AWS runtime layers and the S3
 *   journal. An interrupted `pulumi up` left the journal saying where it stopped, and this
 *   continues from there. Progress goes to `log` line by line; operator requests in S3
 *   reach the engine's `RolloutControl`; a rolled-back rollout fails with
 *   `RolloutRolledBack` — only after traffic is back on the stable revision.
 * - `deleteRollout`: forgets the journal's current record (history stays).
 */
import { hostname, userInfo } from "node:os"
import {
  isFinished,
  Journal,
  JournalError,
  makeTtyRenderer,
  type Revision,
  Rollout,
  RolloutControl,
  RolloutEvents,
  type RolloutLocked,
  type RolloutRecord,
  type StrategyInvalid,
  strategyIssues,
} from "@slipway/core"
import { Clock, Data, type Duration, Effect, Layer, Option, Schema } from "effect"
import { recordTarget } from "./AwsRollback.ts"
import { followControlRequests } from "./ControlChannel.ts"
import {
  type DrivenRolloutInputs,
  type DrivenRolloutState,
  decodeRolloutInputs,
  type LastRollout,
  type PreviousState,
  placed,
  placementOf,
  previousState,
  sameJson,
  servingAfter,
} from "./DrivenRolloutSpec.ts"
import { type AwsClients, type DrivenRuntimeTiming, drivenRuntimeLayer } from "./DrivenRuntime.ts"
import { DrivenGates, gatesFromSpec, type InputIssue } from "./GatesSpec.ts"
import { journalKeys } from "./JournalKeys.ts"
import { S3Journal } from "./S3Journal.ts"

/**
 * What the operations need from the world.
 *
 * @example
 * import { awsClients, type RolloutDeps } from "@slipway/aws"
 * import { Effect } from "effect"
 * const deps: RolloutDeps = {
 *   clients: (inputs) => awsClients({ region: inputs.region }),
 *   log: (line) => Effect.sync(() => console.log(line)),
 * }
 */
export interface RolloutDeps {
  /** SDK clients for the inputs' region (tests pass stubs). */
  readonly clients: (inputs: Pick<DrivenRolloutInputs, "region" | "profile">) => AwsClients
  /** Where progress lines go. */
  readonly log: (line: string) => Effect.Effect<void>
  readonly timing?: DrivenRuntimeTiming
  /** The journal lock's lease (default 45 s). */
  readonly lease?: Duration.Input
  /** How long to wait out a lease left by a killed `pulumi up` (default 60 s). */
  readonly waitForLock?: Duration.Input
  /** How often operator requests are read from S3 (default 5 s). */
  readonly controlInterval?: Duration.Input
  /** Who drives, as the lock and the journal record it (default `pulumi up by <user>@<host> (pid N)`). */
  readonly owner?: string
}

/**
 * The inputs cannot drive a rollout; each issue names the input and what would be valid.
 *
 * @example
 * import { DrivenRolloutInvalid } from "@slipway/aws"
 * new DrivenRolloutInvalid({ issues: [{ path: "backend.slots", message: "needs exactly two slots" }] }).message
 * // "invalid DrivenRollout inputs:\n  - backend.slots: needs exactly two slots"
 */
export class DrivenRolloutInvalid extends Data.TaggedError("DrivenRolloutInvalid")<{
  readonly issues: ReadonlyArray<InputIssue>
}> {
  override get message(): string {
    return `invalid DrivenRollout inputs:\n${this.issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`
  }
}

/**
 * The rollout ended rolled back (a gate failed, an operator aborted, the candidate never
 * became ready) and traffic is back where it was. `state` is what serves now, for Pulumi
 * to record with the failure.
 *
 * @example
 * import { RolloutRolledBack } from "@slipway/aws"
 * import { Effect } from "effect"
 * const report = (e: RolloutRolledBack) => Effect.logError(e.message)
 */
export class RolloutRolledBack extends Data.TaggedError("RolloutRolledBack")<{
  readonly app: string
  readonly candidate: string
  readonly reason: string
  /** The failing gates' evidence, one line each. */
  readonly evidence: ReadonlyArray<string>
  readonly record: RolloutRecord
  readonly state: DrivenRolloutState
}> {
  override get message(): string {
    const serving = this.state.serving
    const where =
      serving === null
        ? "nothing serves the app"
        : serving.id === this.candidate
          ? `${serving.id} keeps serving (a first deployment has nothing to return to)`
          : `all traffic is back on ${serving.id}`
    const evidence = this.evidence.length > 0 ? `\n${this.evidence.map((e) => `  ${e}`).join("\n")}` : ""
    return `rollout of ${this.candidate} to ${this.app} was rolled back: ${this.reason}; ${where}. Fix the cause and run \`pulumi up\` again to retry.${evidence}`
  }
}

/**
 * What `createRollout` and `updateRollout` may fail with.
 *
 * @example
 * import type { DrivenRolloutError } from "@slipway/aws"
 * const retryable = (e: DrivenRolloutError) => e._tag === "RolloutLocked" || e._tag === "JournalError"
 */
export type DrivenRolloutError =
  | DrivenRolloutInvalid
  | RolloutRolledBack
  | Rollout.RolloutFailed
  | JournalError
  | RolloutLocked
  | StrategyInvalid

/**
 * How `diffRollout` sees a change. Fits Pulumi's `DiffResult` (`changes`, `replaces`).
 *
 * @example
 * import { diffRollout } from "@slipway/aws"
 * const diff = diffRollout(olds, news)
 * if (diff.rollout) console.log(`pulumi up will roll out ${news.revision.id}`)
 */
export interface RolloutDiff {
  readonly changes: boolean
  /** Never replaced: a new resource would mean a first deployment beside what serves. */
  readonly replaces: ReadonlyArray<string>
  readonly deleteBeforeReplace: false
  /** Inputs that differ. */
  readonly changed: ReadonlyArray<string>
  /** Whether the update will roll a revision out. */
  readonly rollout: boolean
}

// Inputs whose change is recorded by an update without rolling anything out.
const RECORDED = [
  "app",
  "release",
  "strategy",
  "gates",
  "replicas",
  "backend",
  "journal",
  "region",
  "profile",
]

/**
 * Pulumi's diff for a `DrivenRollout` (`olds` are the previous outputs, `news` the new
 * inputs; the dynamic provider's own `__provider` is not compared).
 *
 * @example
 * import { diffRollout } from "@slipway/aws"
 * diffRollout({ ...inputs, serving: v1 }, { ...inputs, revision: v1 }).changes // false
 * diffRollout({ ...inputs, serving: v1 }, { ...inputs, revision: v2 }).rollout // true
 */
export const diffRollout = (olds: unknown, news: unknown): RolloutDiff => {
  const before = previousState(olds)
  const old = (olds ?? {}) as Record<string, unknown>
  const now = (news ?? {}) as Record<string, unknown>
  const wanted = (now.revision as { readonly id?: unknown } | undefined)?.id
  const serving = before.serving === undefined ? before.revision?.id : (before.serving?.id ?? null)
  const retry = before.lastRollout?.status === "rolled-back" && before.lastRollout.candidate === wanted
  const rollout = wanted !== serving || retry
  const changed = [...(rollout ? ["revision"] : []), ...RECORDED.filter((k) => !sameJson(old[k], now[k]))]
  return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false, changed, rollout }
}

// Pulumi's marker for a value not known until an earlier resource exists (during preview).
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
const hasUnknown = (value: unknown): boolean =>
  value === UNKNOWN ||
  (Array.isArray(value)
    ? value.some(hasUnknown)
    : typeof value === "object" && value !== null && Object.values(value).some(hasUnknown))

/**
 * Pulumi's check: the inputs' problems as `{ property, reason }` failures, so `pulumi
 * preview` names them. Inputs not yet known (they come from resources still to be
 * created) are checked by the update instead.
 *
 * @example
 * import { checkRollout } from "@slipway/aws"
 * const { failures } = checkRollout({}, news)
 * for (const f of failures) console.error(`${f.property}: ${f.reason}`)
 */
export const checkRollout = (
  _olds: unknown,
  news: unknown,
): { readonly inputs: unknown; readonly failures: ReadonlyArray<{ property: string; reason: string }> } => {
  const issues: Array<InputIssue> = []
  const fields = (news ?? {}) as Record<string, unknown>
  if (!hasUnknown(news)) {
    const decoded = decodeRolloutInputs(news)
    if (decoded._tag === "Issues") issues.push(...decoded.issues)
    else {
      const built = gatesFromSpec(decoded.inputs.gates)
      if (built._tag === "Issues") issues.push(...built.issues)
    }
  } else {
    if (!hasUnknown(fields.strategy)) {
      for (const issue of strategyIssues(fields.strategy)) {
        issues.push({ path: `strategy.${issue.path}`, message: issue.message })
      }
    }
    if (fields.gates !== undefined && !hasUnknown(fields.gates)) {
      const decoded = decodeGates(fields.gates)
      if (decoded._tag === "Failure") issues.push({ path: "gates", message: decoded.failure.message })
      else {
        const built = gatesFromSpec(decoded.success)
        if (built._tag === "Issues") issues.push(...built.issues)
      }
    }
  }
  return { inputs: news, failures: issues.map((i) => ({ property: i.path, reason: i.message })) }
}

const decodeGates = Schema.decodeUnknownResult(DrivenGates)

const defaultOwner = (): string => {
  let user = "unknown"
  try {
    user = userInfo().username
  } catch {}
  return `pulumi up by ${user}@${hostname()} (pid ${process.pid})`
}

/** What to run: which candidate (placed), from which stable, and every revision involved. */
interface Plan {
  readonly candidate: Revision
  readonly stable: Revision | null
  readonly known: ReadonlyArray<Revision>
  readonly note?: string
}

/**
 * Decides where the candidate goes. The journal is the authority (it was written by
 * whoever moved traffic last, this stack or the CLI); Pulumi's last state is the fallback.
 */
const plan = (
  inputs: DrivenRolloutInputs,
  before: PreviousState,
  current: RolloutRecord | undefined,
): Plan => {
  const { app, backend, revision } = inputs
  const involved = (candidate: Revision, stable: Revision | null): ReadonlyArray<Revision> =>
    [candidate, stable, current?.candidate ?? null, current?.stable ?? null, before.serving ?? null].filter(
      (r): r is Revision => r !== null,
    )
  if (current !== undefined && !isFinished(current) && current.candidate.id === revision.id) {
    return {
      candidate: current.candidate,
      stable: current.stable,
      known: involved(current.candidate, current.stable),
      note: `the journal holds an unfinished rollout of ${revision.id} (${current.rolloutId}, ${current.status} at step ${Math.min(current.stepIndex + 1, current.strategy.steps.length)}/${current.strategy.steps.length}): continuing it`,
    }
  }
  const serving = current !== undefined ? servingAfter(current) : (before.serving ?? null)
  if (serving?.id === revision.id) {
    const running = placementOf(serving)?.release
    const stale = running !== undefined && !sameJson(running, inputs.release)
    return {
      candidate: serving,
      stable: null,
      known: involved(serving, null),
      ...(stale
        ? {
            note: `warning: ${revision.id} already serves ${app} with ${JSON.stringify(running)}; the release is now ${JSON.stringify(inputs.release)} but the revision id did not change, so nothing is rolled out — derive the revision id from everything the release depends on`,
          }
        : {}),
    }
  }
  const taken = placementOf(serving)?.slot
  const slot = backend.kind === "lambda" ? undefined : backend.slots.find((s) => s.name !== taken)?.name
  const candidate = placed(app, revision, {
    ...(slot === undefined ? {} : { slot }),
    release: inputs.release,
  })
  return { candidate, stable: serving, known: involved(candidate, serving) }
}

const evidenceOf = (record: RolloutRecord): ReadonlyArray<string> => {
  // The failing verdicts of the last evaluation that had any.
  const failed = record.events.flatMap((e) =>
    e._tag === "GateEvaluated" && e.verdict._tag === "Fail" && !e.dryRun ? [e] : [],
  )
  const lastAt = failed.at(-1)?.at
  return failed
    .filter((e) => e.at === lastAt)
    .flatMap((e) =>
      e.verdict.evidence.map((ev) =>
        [
          `${e.gate}:`,
          ev.query === undefined ? undefined : `query ${ev.query.split("\n")[0]}`,
          ev.observed === undefined
            ? undefined
            : `observed ${ev.observed === null ? "no data" : ev.observed}`,
          ev.threshold === undefined ? undefined : `threshold ${ev.threshold}`,
          ev.sampleSize === undefined ? undefined : `n=${ev.sampleSize}`,
          ev.detail === undefined ? undefined : ev.detail,
        ]
          .filter((part) => part !== undefined)
          .join(" "),
      ),
    )
}

const drive = (
  before: PreviousState,
  news: unknown,
  deps: RolloutDeps,
): Effect.Effect<DrivenRolloutState, DrivenRolloutError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const decoded = decodeRolloutInputs(news)
      if (decoded._tag === "Issues") return yield* new DrivenRolloutInvalid({ issues: decoded.issues })
      const inputs = decoded.inputs
      const built = gatesFromSpec(inputs.gates)
      if (built._tag === "Issues") return yield* new DrivenRolloutInvalid({ issues: built.issues })
      const { app } = inputs
      const clients = deps.clients(inputs)
      const journal = S3Journal.make({
        client: clients.s3,
        bucket: inputs.journal.bucket,
        ...(inputs.journal.prefix === undefined ? {} : { prefix: inputs.journal.prefix }),
        ...(deps.timing?.call === undefined ? {} : { call: deps.timing.call }),
        ...(deps.lease === undefined ? {} : { lease: deps.lease }),
        waitForLock: deps.waitForLock ?? "60 seconds",
      })
      const current = Option.getOrUndefined(yield* journal.load(app))
      const steps = plan(inputs, before, current)
      // Where the app runs, for `slipway rollback --target aws` once this rollout is over.
      yield* recordTarget(
        {
          client: clients.s3,
          bucket: inputs.journal.bucket,
          ...(deps.timing?.call === undefined ? {} : { call: deps.timing.call }),
        },
        inputs.journal.prefix,
        inputs,
      ).pipe(
        Effect.mapError(
          (cause) =>
            new JournalError({
              app,
              operation: "save",
              path: `s3://${inputs.journal.bucket}/${journalKeys(inputs.journal.prefix, app).target}`,
              message:
                cause._tag === "AwsCallError" ? cause.message : "target.json changed while it was written",
              cause,
            }),
        ),
      )
      if (steps.note !== undefined) yield* deps.log(steps.note)

      // Progress: the same lines `slipway deploy` prints, one log line each.
      const pending: Array<string> = []
      const tty = makeTtyRenderer({
        write: (text) => pending.push(...text.split("\n").filter((line) => line.length > 0)),
        color: false,
        interactive: false,
      })
      const flush = Effect.suspend(() => Effect.forEach(pending.splice(0), deps.log, { discard: true }))
      const events = RolloutEvents.layerWith((event) =>
        Effect.andThen(
          Effect.sync(() => tty.onEvent(event)),
          event._tag === "Paused" && event.until === undefined
            ? Effect.andThen(
                flush,
                deps.log(
                  `  (from anywhere: slipway promote --target aws --bucket ${inputs.journal.bucket}${inputs.journal.prefix === undefined ? "" : ` --prefix ${inputs.journal.prefix}`} --app ${app})`,
                ),
              )
            : flush,
        ),
      )

      const control = yield* RolloutControl.make
      yield* Effect.forkScoped(
        followControlRequests({
          client: clients.s3,
          bucket: inputs.journal.bucket,
          ...(inputs.journal.prefix === undefined ? {} : { prefix: inputs.journal.prefix }),
          app,
          control,
          journal,
          log: deps.log,
          ...(deps.controlInterval === undefined ? {} : { every: deps.controlInterval }),
          ...(deps.timing?.call === undefined ? {} : { call: deps.timing.call }),
        }),
      )

      const outcome = yield* Rollout.run({
        app,
        stable: steps.stable,
        candidate: steps.candidate,
        strategy: inputs.strategy,
        gates: built.gates,
        replicas: inputs.replicas,
        control,
        owner: deps.owner ?? defaultOwner(),
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            drivenRuntimeLayer(inputs.backend, steps.known, clients, deps.timing),
            Layer.succeed(Journal, journal),
            events,
          ),
        ),
      )
      tty.finish()
      yield* flush

      const { record } = outcome
      const at = yield* Clock.currentTimeMillis
      const last: LastRollout = {
        rolloutId: record.rolloutId,
        candidate: record.candidate.id,
        status: outcome.status,
        ...(record.rollbackReason === undefined ? {} : { reason: record.rollbackReason }),
        at,
      }
      if (outcome.status === "succeeded") {
        // The engine hands back the journal's earlier record when the candidate already serves.
        if (current !== undefined && isFinished(current) && record.rolloutId === current.rolloutId) {
          yield* deps.log(`${record.candidate.id} already serves ${app}: nothing to roll out`)
        }
        return { ...inputs, serving: record.candidate, lastRollout: last }
      }
      const state: DrivenRolloutState = { ...inputs, serving: servingAfter(record), lastRollout: last }
      return yield* new RolloutRolledBack({
        app,
        candidate: record.candidate.id,
        reason: record.rollbackReason ?? "rolled back",
        evidence: evidenceOf(record),
        record,
        state,
      })
    }),
  )

/**
 * The first deployment: the revision goes into the first slot and gets all traffic (no
 * steps), then the gates are checked once. When the journal already knows the app (the
 * resource was recreated), it is an ordinary rollout from what serves.
 *
 * @example
 * import { awsClients, createRollout } from "@slipway/aws"
 * import { Effect } from "effect"
 * const created = await Effect.runPromise(
 *   createRollout(inputs, { clients: (i) => awsClients(i), log: (l) => Effect.sync(() => console.log(l)) }),
 * )
 * created.outs.serving?.id // inputs.revision.id
 */
export const createRollout = (
  inputs: unknown,
  deps: RolloutDeps,
): Effect.Effect<{ readonly id: string; readonly outs: DrivenRolloutState }, DrivenRolloutError> =>
  Effect.map(drive({}, inputs, deps), (outs) => ({ id: outs.app, outs }))

/**
 * An update: rolls `news.revision` out by `news.strategy` from what serves (per the
 * journal, else `olds.serving`), or continues the journal's unfinished rollout of it.
 * Succeeds with the new state; fails with `RolloutRolledBack` after a rollback completed.
 *
 * @example
 * import { updateRollout } from "@slipway/aws"
 * import { Effect } from "effect"
 * const program = updateRollout(id, olds, news, deps).pipe(
 *   Effect.catchTag("RolloutRolledBack", (e) => Effect.logError(e.message)),
 * )
 */
export const updateRollout = (
  _id: string,
  olds: unknown,
  news: unknown,
  deps: RolloutDeps,
): Effect.Effect<{ readonly outs: DrivenRolloutState }, DrivenRolloutError> =>
  Effect.map(drive(previousState(olds), news, deps), (outs) => ({ outs }))

/**
 * Removing the resource (`pulumi destroy`, or leaving driven mode) forgets the journal's
 * current record so a rebuilt stack starts with a first deployment; the history stays.
 *
 * @example
 * import { deleteRollout } from "@slipway/aws"
 * const program = deleteRollout(id, props, deps)
 */
export const deleteRollout = (
  _id: string,
  props: unknown,
  deps: RolloutDeps,
): Effect.Effect<void, JournalError | RolloutLocked> =>
  Effect.gen(function* () {
    const fields = (props ?? {}) as Partial<Record<"app" | "region" | "profile", unknown>> & {
      readonly journal?: { readonly bucket?: unknown; readonly prefix?: unknown }
    }
    if (typeof fields.app !== "string" || typeof fields.journal?.bucket !== "string") return
    if (typeof fields.region !== "string") return
    const clients = deps.clients({
      region: fields.region,
      ...(typeof fields.profile === "string" ? { profile: fields.profile } : {}),
    })
    const journal = S3Journal.make({
      client: clients.s3,
      bucket: fields.journal.bucket,
      ...(typeof fields.journal.prefix === "string" ? { prefix: fields.journal.prefix } : {}),
      waitForLock: deps.waitForLock ?? "60 seconds",
      ...(deps.lease === undefined ? {} : { lease: deps.lease }),
    })
    yield* journal.forget(fields.app)
    yield* deps.log(`forgot the current rollout record of ${fields.app} (its history stays)`)
  })
