/**
 * Operator commands for a rollout that `pulumi up` is driving: the driver runs on a laptop
 * or a CI runner that nobody can reach, so commands travel through S3. `slipway promote |
 * pause | resume | abort | rollback --target aws` append a request to
 * `<prefix><app>/control.json`, stamped with the id of the rollout the journal says is
 * running; the driver reads that object every few seconds, hands each new request to its
 * `RolloutControl`, and deletes the object once everything in it is handled.
 *
 * Requests name their rollout, so a request left behind can never steer a later rollout.
 * Appends are conditional (`IfNoneMatch: "*"` for a new object, `IfMatch: <etag>` to extend
 * one), so two operators typing at once both get through; the driver deletes only the
 * version it read (`IfMatch`), so a request arriving meanwhile waits for the next look.
 */
import { randomUUID } from "node:crypto"
import { userInfo } from "node:os"
import type { S3Client } from "@aws-sdk/client-s3"
import { decodeRolloutRecord, isFinished, type JournalShape, type RolloutControl } from "@slipway/core"
import { Clock, Data, type Duration, Effect, Option, Schedule, Schema } from "effect"
import type { AwsCallError, AwsCallPolicy } from "../runtime/AwsCall.ts"
import { appNameProblem, journalKeys } from "./JournalKeys.ts"
import {
  deleteObject,
  getObject,
  type PreconditionLost,
  putObject,
  type S3Place,
  s3ClientFor,
  s3Url,
} from "./S3Objects.ts"

/**
 * What an operator can ask of a running rollout.
 *
 * @example
 * import type { ControlCommandName } from "@slipway/aws"
 * const command: ControlCommandName = "promote-full"
 */
export type ControlCommandName = "pause" | "resume" | "promote" | "promote-full" | "abort"

const ControlRequestSchema = Schema.Struct({
  id: Schema.String,
  rolloutId: Schema.String,
  command: Schema.Literals(["pause", "resume", "promote", "promote-full", "abort"]),
  reason: Schema.optionalKey(Schema.String),
  by: Schema.String,
  at: Schema.Number,
})

/**
 * One request in `control.json`.
 *
 * @example
 * import type { ControlRequest } from "@slipway/aws"
 * const request: ControlRequest = { id: "7d1c…", rolloutId: "web-3f9c2a7b1d0e-m1abc", command: "promote", by: "alice", at: 1767225600000 }
 */
export type ControlRequest = typeof ControlRequestSchema.Type

const ControlFile = Schema.Struct({ requests: Schema.Array(ControlRequestSchema) })
const decodeControlFile = Schema.decodeUnknownResult(ControlFile)

/**
 * Nothing to steer: the app has no rollout running (none yet, or the last one finished).
 *
 * @example
 * import { NoRolloutRunning } from "@slipway/aws"
 * new NoRolloutRunning({ app: "web", last: "succeeded" }).message
 * // "no rollout of web is running (the last one succeeded); nothing to promote, pause or abort"
 */
export class NoRolloutRunning extends Data.TaggedError("NoRolloutRunning")<{
  readonly app: string
  /** How the last rollout ended, when there was one. */
  readonly last?: string
}> {
  override get message(): string {
    return `no rollout of ${this.app} is running${this.last === undefined ? " (it was never rolled out with this journal)" : ` (the last one ${this.last})`}; nothing to promote, pause or abort`
  }
}

/**
 * The request could not be read or written (S3 refused, or the journal is damaged).
 *
 * @example
 * import { ControlRequestFailed } from "@slipway/aws"
 * new ControlRequestFailed({ app: "web", path: "s3://journal/web/control.json", message: "AccessDenied" })
 */
export class ControlRequestFailed extends Data.TaggedError("ControlRequestFailed")<{
  readonly app: string
  readonly path: string
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Where requests go, and what to ask.
 *
 * @example
 * import type { RequestControlOptions } from "@slipway/aws"
 * const options: RequestControlOptions = { bucket: "web-prod-slipway-journal", region: "eu-west-1", app: "web", command: "abort", reason: "p99 looks wrong" }
 */
export interface RequestControlOptions {
  readonly bucket: string
  readonly prefix?: string
  readonly app: string
  readonly command: ControlCommandName
  /** Why (kept with an abort as the rollback reason). */
  readonly reason?: string
  /** Who asks (default: this machine's user name). */
  readonly by?: string
  /** Needed unless `client` is given (default: the SDK's own resolution, e.g. `AWS_REGION`). */
  readonly region?: string
  /** A named AWS profile. */
  readonly profile?: string
  /** An S3 client to use instead of making one (tests pass a stub). */
  readonly client?: S3Client
  readonly call?: AwsCallPolicy
}

// Appends that lose a race (another request was added meanwhile) read again and retry.
const APPEND_ATTEMPTS = 6

const whoAmI = (): string => {
  try {
    return userInfo().username
  } catch {
    return `pid ${process.pid}`
  }
}

const parseRequests = (text: string): ReadonlyArray<ControlRequest> | undefined => {
  try {
    const decoded = decodeControlFile(JSON.parse(text))
    return decoded._tag === "Success" ? decoded.success.requests : undefined
  } catch {
    return undefined
  }
}

/**
 * Asks the rollout that is running now (per the journal) to pause, resume, promote (to the
 * next step, or fully) or abort. Returns the request as written; the driving `pulumi up`
 * picks it up within its poll interval (5 s by default) and logs it.
 *
 * @example
 * import { requestControl } from "@slipway/aws"
 * import { Effect } from "effect"
 * const promote = requestControl({
 *   bucket: "web-prod-slipway-journal",
 *   region: "eu-west-1",
 *   app: "web",
 *   command: "promote",
 * }).pipe(Effect.tap((r) => Effect.log(`asked ${r.rolloutId} to ${r.command}`)))
 */
export const requestControl = (
  options: RequestControlOptions,
): Effect.Effect<ControlRequest, NoRolloutRunning | ControlRequestFailed> =>
  Effect.gen(function* () {
    const { app } = options
    const place: S3Place = {
      client: s3ClientFor(options),
      bucket: options.bucket,
      ...(options.call === undefined ? {} : { call: options.call }),
    }
    const problem = appNameProblem(app)
    if (problem !== undefined) {
      return yield* new ControlRequestFailed({
        app,
        path: s3Url(place, options.prefix ?? ""),
        message: problem,
      })
    }
    const keys = journalKeys(options.prefix, app)
    const failed = (key: string) => (e: AwsCallError | PreconditionLost) =>
      new ControlRequestFailed({
        app,
        path: s3Url(place, key),
        message: e._tag === "PreconditionLost" ? `${s3Url(place, key)} changed meanwhile` : e.message,
        cause: e,
      })

    const current = yield* getObject(place, keys.current).pipe(Effect.mapError(failed(keys.current)))
    if (Option.isNone(current)) return yield* new NoRolloutRunning({ app })
    const record = yield* Effect.try({
      try: () => JSON.parse(current.value.text) as unknown,
      catch: (cause) =>
        new ControlRequestFailed({
          app,
          path: s3Url(place, keys.current),
          message: `${s3Url(place, keys.current)} is not valid JSON`,
          cause,
        }),
    }).pipe(
      Effect.flatMap((json) =>
        decodeRolloutRecord(json).pipe(
          Effect.mapError(
            (cause) =>
              new ControlRequestFailed({
                app,
                path: s3Url(place, keys.current),
                message: `${s3Url(place, keys.current)} is not a rollout record (${cause.message})`,
                cause,
              }),
          ),
        ),
      ),
    )
    if (isFinished(record)) return yield* new NoRolloutRunning({ app, last: record.status })

    const request: ControlRequest = {
      id: randomUUID(),
      rolloutId: record.rolloutId,
      command: options.command,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      by: options.by ?? whoAmI(),
      at: yield* Clock.currentTimeMillis,
    }
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const existing = yield* getObject(place, keys.control).pipe(Effect.mapError(failed(keys.control)))
      // Requests for other rollouts are left-overs nobody will act on: drop them.
      const kept = Option.match(existing, {
        onNone: () => [],
        onSome: (o) => (parseRequests(o.text) ?? []).filter((r) => r.rolloutId === record.rolloutId),
      })
      const text = `${JSON.stringify({ requests: [...kept, request] }, null, 2)}\n`
      const written = yield* Effect.result(
        putObject(
          place,
          keys.control,
          text,
          Option.match(existing, {
            onNone: () => ({ ifNoneMatch: "*" as const }),
            onSome: (o) => ({ ifMatch: o.etag }),
          }),
        ),
      )
      if (written._tag === "Success") return request
      if (written.failure._tag === "AwsCallError") return yield* failed(keys.control)(written.failure)
    }
    return yield* new ControlRequestFailed({
      app,
      path: s3Url(place, keys.control),
      message: `${s3Url(place, keys.control)} kept changing over ${APPEND_ATTEMPTS} attempts; try again`,
    })
  })

/**
 * What the driver side needs to follow `control.json`.
 *
 * @example
 * import type { ControlFollowOptions } from "@slipway/aws"
 * const follow: ControlFollowOptions = { client, bucket, app: "web", control, journal, every: "5 seconds", log: (line) => Effect.log(line) }
 */
export interface ControlFollowOptions {
  readonly client: S3Client
  readonly bucket: string
  readonly prefix?: string
  readonly app: string
  /** The running rollout's control. */
  readonly control: RolloutControl
  /** The journal the rollout writes: it says which rollout is running. */
  readonly journal: JournalShape
  /** Time between looks (default 5 s). */
  readonly every?: Duration.Input
  /** Where to say what was received (and what could not be read). */
  readonly log: (line: string) => Effect.Effect<void>
  readonly call?: AwsCallPolicy
}

const deliver = (control: RolloutControl, request: ControlRequest): Effect.Effect<void> => {
  switch (request.command) {
    case "pause":
      return control.pause
    case "resume":
      return control.resume
    case "promote":
      return control.promote()
    case "promote-full":
      return control.promote({ full: true })
    case "abort":
      return control.abort(request.reason ?? `aborted by ${request.by}`)
  }
}

/**
 * The driver's side: every `every`, reads `control.json`, delivers each new request meant
 * for the running rollout to `control` (in the order they were made), and deletes the
 * object once nothing in it is left to deliver. Never fails: a read that fails is logged
 * and tried again at the next look. Runs until interrupted; fork it in the rollout's scope.
 *
 * @example
 * import { followControlRequests } from "@slipway/aws"
 * import { Rollout, RolloutControl } from "@slipway/core"
 * import { Effect } from "effect"
 * const driven = Effect.scoped(
 *   Effect.gen(function* () {
 *     const control = yield* RolloutControl.make
 *     yield* Effect.forkScoped(followControlRequests({ client, bucket, app: "web", control, journal, log: Effect.log }))
 *     return yield* Rollout.run({ ...options, control })
 *   }),
 * )
 */
export const followControlRequests = (options: ControlFollowOptions): Effect.Effect<void> => {
  const place: S3Place = {
    client: options.client,
    bucket: options.bucket,
    ...(options.call === undefined ? {} : { call: options.call }),
  }
  const keys = journalKeys(options.prefix, options.app)
  const delivered = new Set<string>()

  const look = Effect.gen(function* () {
    const found = yield* getObject(place, keys.control)
    if (Option.isNone(found)) return
    const requests = parseRequests(found.value.text)
    if (requests === undefined) {
      yield* options.log(`ignoring ${s3Url(place, keys.control)}: it is not a list of control requests`)
      yield* deleteObject(place, keys.control, found.value.etag).pipe(
        Effect.catchTag("PreconditionLost", () => Effect.void),
      )
      return
    }
    const running = yield* options.journal.load(options.app)
    if (Option.isNone(running) || isFinished(running.value)) return
    const rolloutId = running.value.rolloutId
    for (const request of [...requests].sort((a, b) => a.at - b.at)) {
      if (request.rolloutId !== rolloutId || delivered.has(request.id)) continue
      delivered.add(request.id)
      yield* options.log(
        `${request.by} asked to ${request.command}${request.reason === undefined ? "" : ` (${request.reason})`}`,
      )
      yield* deliver(options.control, request)
    }
    // Everything here is delivered or meant for another rollout: remove this version only.
    yield* deleteObject(place, keys.control, found.value.etag).pipe(
      Effect.catchTag("PreconditionLost", () => Effect.void),
    )
  })

  return look.pipe(
    Effect.catch((e) =>
      options.log(`could not read operator requests from ${s3Url(place, keys.control)}: ${e.message}`),
    ),
    Effect.repeat(Schedule.spaced(options.every ?? "5 seconds")),
    Effect.asVoid,
  )
}
