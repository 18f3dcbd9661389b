/**
 * `slipway rollback --target aws`: during a rollout, an abort (through the control channel,
 * to the `pulumi up` driving it); afterwards, a rollout of an earlier revision back into
 * service from the CLI — all at once unless a strategy is given — with the same engine,
 * journal and capability layers `pulumi up` uses.
 *
 * The CLI knows where the app runs because every `DrivenRollout` update records its
 * backend and region in `<prefix><app>/target.json` beside the journal. An earlier
 * revision is rolled out with the release it ran with (its task definition, launch
 * template version or Lambda version — which must still exist) into the slot the serving
 * revision does not hold. Pulumi's state is not touched: the next `pulumi up` with the same
 * program changes nothing (the revision it knows is unchanged), and the next new revision
 * rolls out from what the journal says serves.
 */
import { userInfo } from "node:os"
import {
  isFinished,
  Journal,
  type JournalError,
  type Revision,
  Rollout,
  type RolloutControl,
  RolloutEvents,
  type RolloutLocked,
  type RolloutOutcome,
  type Strategy,
  type StrategyInvalid,
} from "@slipway/core"
import { allAtOnce } from "@slipway/strategies"
import { Clock, Data, Effect, Layer, Option, Schema } from "effect"
import type { AwsCallError, AwsCallPolicy } from "../runtime/AwsCall.ts"
import {
  type ControlRequest,
  type ControlRequestFailed,
  type NoRolloutRunning,
  requestControl,
} from "./ControlChannel.ts"
import {
  DrivenBackend,
  type DrivenRolloutInputs,
  PLACEMENT_KEY,
  placementOf,
  servingAfter,
} from "./DrivenRolloutSpec.ts"
import { type AwsClients, awsClients, drivenRuntimeLayer } from "./DrivenRuntime.ts"
import { journalKeys } from "./JournalKeys.ts"
import { S3Journal } from "./S3Journal.ts"
import { getObject, type PreconditionLost, putObject, type S3Place, s3ClientFor, s3Url } from "./S3Objects.ts"

/**
 * Where an app runs, as its last `DrivenRollout` update recorded it.
 *
 * @example
 * import type { RolloutTarget } from "@slipway/aws"
 * const target: RolloutTarget = { app: "web", backend: { kind: "lambda", functionName: "api", alias: "live" }, region: "eu-west-1", replicas: 1, updatedAt: 0 }
 */
export const RolloutTarget = Schema.Struct({
  app: Schema.String,
  backend: DrivenBackend,
  region: Schema.String,
  profile: Schema.optionalKey(Schema.String),
  replicas: Schema.Number,
  updatedAt: Schema.Number,
})
export type RolloutTarget = typeof RolloutTarget.Type
const decodeTarget = Schema.decodeUnknownResult(RolloutTarget)

/** @internal Records where `inputs` runs, for the CLI (written by every `DrivenRollout` update). */
export const recordTarget = (
  place: S3Place,
  prefix: string | undefined,
  inputs: DrivenRolloutInputs,
): Effect.Effect<void, AwsCallError | PreconditionLost> =>
  Effect.gen(function* () {
    const target: RolloutTarget = {
      app: inputs.app,
      backend: inputs.backend,
      region: inputs.region,
      ...(inputs.profile === undefined ? {} : { profile: inputs.profile }),
      replicas: inputs.replicas,
      updatedAt: yield* Clock.currentTimeMillis,
    }
    yield* putObject(place, journalKeys(prefix, inputs.app).target, `${JSON.stringify(target, null, 2)}\n`)
  })

/**
 * The CLI cannot roll this app back: no `DrivenRollout` has recorded where it runs, or
 * there is no earlier revision to return to, or the one asked for is unknown.
 *
 * @example
 * import { RollbackUnavailable } from "@slipway/aws"
 * new RollbackUnavailable({ app: "web", reason: "web has no earlier revision to roll back to" }).message
 */
export class RollbackUnavailable extends Data.TaggedError("RollbackUnavailable")<{
  readonly app: string
  readonly reason: string
}> {
  override get message(): string {
    return this.reason
  }
}

/**
 * What `awsRollback` needs.
 *
 * @example
 * import type { AwsRollbackOptions } from "@slipway/aws"
 * const options: AwsRollbackOptions = { bucket: "web-prod-slipway-journal", app: "web-prod", region: "eu-west-1" }
 */
export interface AwsRollbackOptions {
  readonly bucket: string
  readonly prefix?: string
  readonly app: string
  /** The revision to return to (default: the one the serving revision replaced). */
  readonly to?: string
  /** How to shift back (default: all at once). */
  readonly strategy?: Strategy
  /** Region of the journal bucket (default: the SDK's own resolution); the app's own region comes from `target.json`. */
  readonly region?: string
  readonly profile?: string
  /** SDK clients to use instead of making them (tests pass stubs). */
  readonly clients?: AwsClients
  /** Lets the caller pause, promote or abort the rollback itself. */
  readonly control?: RolloutControl
  /** Where progress events go (default: nowhere). */
  readonly events?: Layer.Layer<RolloutEvents>
  readonly call?: AwsCallPolicy
}

/**
 * How `awsRollback` went.
 *
 * @example
 * import type { AwsRollbackResult } from "@slipway/aws"
 * const say = (r: AwsRollbackResult) =>
 *   r._tag === "AbortRequested" ? `asked ${r.request.rolloutId} to abort` : r._tag === "AlreadyServing" ? `${r.revision} already serves` : r.outcome.status
 */
export type AwsRollbackResult =
  | { readonly _tag: "AbortRequested"; readonly request: ControlRequest }
  | { readonly _tag: "AlreadyServing"; readonly revision: string }
  | { readonly _tag: "RolledOut"; readonly revision: string; readonly outcome: RolloutOutcome }

const whoAmI = (): string => {
  try {
    return `slipway rollback by ${userInfo().username} (pid ${process.pid})`
  } catch {
    return `slipway rollback (pid ${process.pid})`
  }
}

/**
 * Rolls an AWS app back: aborts the running rollout (the `pulumi up` driving it rolls
 * back), or, when none runs, rolls the previous revision (or `to`) back out.
 *
 * @example
 * import { awsRollback } from "@slipway/aws"
 * import { Effect } from "effect"
 * const result = await Effect.runPromise(awsRollback({ bucket: "web-prod-slipway-journal", app: "web-prod", region: "eu-west-1" }))
 * if (result._tag === "RolledOut") console.log(`${result.revision}: ${result.outcome.status}`)
 */
export const awsRollback = (
  options: AwsRollbackOptions,
): Effect.Effect<
  AwsRollbackResult,
  | RollbackUnavailable
  | NoRolloutRunning
  | ControlRequestFailed
  | JournalError
  | RolloutLocked
  | StrategyInvalid
  | Rollout.RolloutFailed
> =>
  Effect.gen(function* () {
    const { app } = options
    const s3 =
      options.clients?.s3 ??
      s3ClientFor({
        ...(options.region === undefined ? {} : { region: options.region }),
        ...(options.profile === undefined ? {} : { profile: options.profile }),
      })
    const journal = S3Journal.make({
      client: s3,
      bucket: options.bucket,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      ...(options.call === undefined ? {} : { call: options.call }),
    })
    const current = Option.getOrUndefined(yield* journal.load(app))
    if (current !== undefined && !isFinished(current)) {
      const request = yield* requestControl({
        client: s3,
        bucket: options.bucket,
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
        app,
        command: "abort",
        reason: "rollback requested by an operator",
      })
      return { _tag: "AbortRequested", request } as const
    }

    const place: S3Place = { client: s3, bucket: options.bucket }
    const key = journalKeys(options.prefix, app).target
    const unavailable = (reason: string) => new RollbackUnavailable({ app, reason })
    const stored = yield* getObject(place, key).pipe(
      Effect.mapError((e) => unavailable(`cannot read ${s3Url(place, key)}: ${e.message}`)),
    )
    if (Option.isNone(stored)) {
      return yield* unavailable(
        `${s3Url(place, key)} does not exist: ${app} has not been rolled out by a DrivenRollout (run \`pulumi up\` first)`,
      )
    }
    const decoded = (() => {
      try {
        return decodeTarget(JSON.parse(stored.value.text))
      } catch {
        return undefined
      }
    })()
    if (decoded === undefined || decoded._tag === "Failure") {
      return yield* unavailable(`${s3Url(place, key)} is damaged; run \`pulumi up\` to write it again`)
    }
    const target = decoded.success

    const serving = current === undefined ? null : servingAfter(current)
    const history = yield* journal.history(app)
    const known = new Map<string, Revision>()
    for (const r of history) {
      known.set(r.candidate.id, r.candidate)
      if (r.stable !== null) known.set(r.stable.id, r.stable)
    }
    const wanted =
      options.to !== undefined
        ? known.get(options.to)
        : history.find((r) => r.status === "succeeded" && r.stable !== null && r.candidate.id === serving?.id)
            ?.stable
    if (wanted === undefined || wanted === null) {
      return yield* unavailable(
        options.to !== undefined
          ? `unknown revision ${options.to} of ${app}; known: ${[...known.keys()].join(", ") || "none"}`
          : `${app} has no earlier revision to roll back to`,
      )
    }
    if (wanted.id === serving?.id) return { _tag: "AlreadyServing", revision: wanted.id } as const
    const release = placementOf(wanted)?.release
    if (release === undefined) {
      return yield* unavailable(
        `${wanted.id} has no recorded release (it was not rolled out by a DrivenRollout)`,
      )
    }
    const taken = placementOf(serving)?.slot
    const slot =
      target.backend.kind === "lambda" ? undefined : target.backend.slots.find((s) => s.name !== taken)?.name
    const candidate: Revision = {
      ...wanted,
      config: { ...wanted.config, [PLACEMENT_KEY]: { ...(slot === undefined ? {} : { slot }), release } },
    }

    const clients =
      options.clients ??
      awsClients({
        region: target.region,
        ...(target.profile === undefined ? {} : { profile: target.profile }),
      })
    const revisions = [candidate, ...(serving === null ? [] : [serving])]
    const outcome = yield* Rollout.run({
      app,
      stable: serving,
      candidate,
      strategy: options.strategy ?? allAtOnce(),
      replicas: target.replicas,
      owner: whoAmI(),
      ...(options.control === undefined ? {} : { control: options.control }),
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          drivenRuntimeLayer(
            target.backend,
            revisions,
            clients,
            options.call === undefined ? {} : { call: options.call },
          ),
          Layer.succeed(Journal, journal),
          options.events ?? RolloutEvents.layerDiscard,
        ),
      ),
    )
    return { _tag: "RolledOut", revision: wanted.id, outcome } as const
  })
