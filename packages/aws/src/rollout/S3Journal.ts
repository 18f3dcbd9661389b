/**
 * The rollout journal in S3, so that a rollout driven by `pulumi up` survives the machine
 * that drove it: a later `pulumi up` (from a laptop or CI) resumes it, and `slipway status
 * | promote | abort | rollback --target aws` read and steer the same record.
 *
 * Layout (see JournalKeys.ts): `<prefix><app>/current.json`, `history/…`, `lock.json`.
 *
 * The lock is a lease: `lock.json` holds `{ owner, host, pid, since, expiresAt, token }`,
 * created with a conditional PutObject (`IfNoneMatch: "*"`) so exactly one writer wins.
 * While the rollout runs, a background fiber extends `expiresAt` with a conditional
 * overwrite (`IfMatch: <etag>`); when the scope closes the lease is deleted (again only if
 * it is still ours). A holder that died stops refreshing, its lease expires, and the next
 * caller takes it over with `IfMatch` on the stale version — no process ids to check
 * across machines. A holder whose lease was taken over (it stalled past `expiresAt`) finds
 * out at its next refresh, and its next journal write fails instead of interleaving.
 *
 * Leases compare `expiresAt` (the holder's clock) with the reader's clock, so machines must
 * agree on the time to within `lease − lease/3` (30 s by default), as NTP-synced hosts do.
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import type { S3Client } from "@aws-sdk/client-s3"
import {
  decodeRolloutRecord,
  HISTORY_LIMIT,
  isFinished,
  Journal,
  JournalError,
  type JournalShape,
  RolloutLocked,
  type RolloutRecord,
} from "@slipway/core"
import { Clock, Duration, Effect, Layer, Option, Schema } from "effect"
import type { AwsCallError, AwsCallPolicy } from "../runtime/AwsCall.ts"
import { appNameProblem, journalKeys } from "./JournalKeys.ts"
import {
  deleteObject,
  getObject,
  listKeys,
  type PreconditionLost,
  putObject,
  type S3Place,
  s3Url,
} from "./S3Objects.ts"

/**
 * Where the journal lives and how its lock behaves.
 *
 * @example
 * import type { S3JournalConfig } from "@slipway/aws"
 * import { S3Client } from "@aws-sdk/client-s3"
 * const config: S3JournalConfig = {
 *   client: new S3Client({ region: "eu-west-1", maxAttempts: 1 }),
 *   bucket: "web-prod-slipway-journal",
 *   prefix: "rollouts",
 *   waitForLock: "1 minute",
 * }
 */
export interface S3JournalConfig {
  readonly client: S3Client
  readonly bucket: string
  /** Key prefix for every app's folder (default none). */
  readonly prefix?: string
  readonly call?: AwsCallPolicy
  /** How long a lock lasts without being refreshed (default 45 s); it is refreshed every third of that. */
  readonly lease?: Duration.Input
  /**
   * How long `lock` waits for a live holder's lease to run out before refusing (default 0:
   * refuse at once). A `pulumi up` that follows a killed one waits out the dead lease.
   */
  readonly waitForLock?: Duration.Input
}

/**
 * The S3 journal: the core journal operations plus `forget`.
 *
 * @example
 * import { S3Journal } from "@slipway/aws"
 * import { Effect } from "effect"
 * const cleanUp = Effect.gen(function* () {
 *   const journal = S3Journal.make(config)
 *   yield* journal.forget("web") // current.json goes, history/ stays
 * })
 */
export interface S3JournalShape extends JournalShape {
  /**
   * Removes the app's current record (its history stays), so that a stack rebuilt from
   * nothing starts with a first deployment instead of "rolling back" to revisions that no
   * longer run. Takes the lock for the duration: refused while a rollout runs.
   */
  readonly forget: (app: string) => Effect.Effect<void, JournalError | RolloutLocked>
}

const LockContent = Schema.Struct({
  owner: Schema.String,
  host: Schema.String,
  pid: Schema.Number,
  since: Schema.Number,
  expiresAt: Schema.Number,
  token: Schema.String,
})
type LockContent = typeof LockContent.Type
const decodeLock = Schema.decodeUnknownResult(LockContent)

/** This process's hold on an app's lock. */
interface Lease {
  etag: string
  expiresAt: number
  lost: boolean
  readonly content: Omit<LockContent, "expiresAt">
}

// Attempts to take a lock: each either wins, finds a live holder, or loses a race and retries.
const MAX_ATTEMPTS = 8
// After a live holder's lease should have ended, look again a little later (clock granularity).
const LEASE_MARGIN_MS = 1_000

const parseLock = (text: string): LockContent | undefined => {
  try {
    const decoded = decodeLock(JSON.parse(text))
    return decoded._tag === "Success" ? decoded.success : undefined
  } catch {
    return undefined
  }
}

/**
 * Builds the S3 journal.
 *
 * @example
 * import { S3Journal } from "@slipway/aws"
 * import { Journal } from "@slipway/core"
 * import { Layer } from "effect"
 * const layer = Layer.succeed(Journal, S3Journal.make({ client, bucket: "web-prod-slipway-journal" }))
 */
const make = (config: S3JournalConfig): S3JournalShape => {
  const place: S3Place = {
    client: config.client,
    bucket: config.bucket,
    ...(config.call === undefined ? {} : { call: config.call }),
  }
  const leaseMs = Duration.toMillis(Duration.fromInputUnsafe(config.lease ?? "45 seconds"))
  const refreshMs = Math.max(1, Math.floor(leaseMs / 3))
  const waitMs = Duration.toMillis(Duration.fromInputUnsafe(config.waitForLock ?? 0))
  const held = new Map<string, Lease>()

  const keysOf = (app: string, operation: JournalError["operation"]) => {
    const problem = appNameProblem(app)
    return problem === undefined
      ? Effect.succeed(journalKeys(config.prefix, app))
      : Effect.fail(
          new JournalError({ app, operation, path: s3Url(place, config.prefix ?? ""), message: problem }),
        )
  }

  const failure =
    (app: string, operation: JournalError["operation"], key: string) =>
    (e: AwsCallError | PreconditionLost) =>
      new JournalError({
        app,
        operation,
        path: s3Url(place, key),
        message:
          e._tag === "PreconditionLost"
            ? `${s3Url(place, key)} changed while it was being written`
            : `${e.message}${e.code === "NoSuchBucket" ? ` (create the bucket ${config.bucket}, or point the journal at an existing one)` : e.code === "AccessDenied" ? " (the caller needs s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the journal bucket)" : ""}`,
        cause: e,
      })

  const readRecord = (app: string, operation: JournalError["operation"], key: string) =>
    Effect.gen(function* () {
      const found = yield* getObject(place, key).pipe(Effect.mapError(failure(app, operation, key)))
      if (Option.isNone(found)) return Option.none<RolloutRecord>()
      const url = s3Url(place, key)
      const damaged = (why: string, cause: unknown) =>
        new JournalError({
          app,
          operation,
          path: url,
          message: `${url} ${why}; move it aside (aws s3 mv ${url} ${url}.damaged) to let Slipway start afresh`,
          cause,
        })
      const parsed = yield* Effect.try({
        try: () => JSON.parse(found.value.text) as unknown,
        catch: (cause) => damaged(`is not valid JSON (${String(cause)})`, cause),
      })
      const record = yield* decodeRolloutRecord(parsed).pipe(
        Effect.mapError((cause) => damaged(`is not a rollout record (${cause.message})`, cause)),
      )
      return Option.some<RolloutRecord>(record)
    })

  const pruneHistory = (app: string, prefix: string) =>
    Effect.gen(function* () {
      const keys = yield* listKeys(place, prefix, 1_000)
      // Newest first (see JournalKeys): everything past the limit is the oldest.
      for (const key of keys.slice(HISTORY_LIMIT)) {
        yield* deleteObject(place, key).pipe(Effect.mapError(failure(app, "save", key)))
      }
    }).pipe(Effect.mapError((e) => (e._tag === "JournalError" ? e : failure(app, "save", prefix)(e))))

  const acquire = (app: string, key: string, owner: string) =>
    Effect.gen(function* () {
      const lockError = failure(app, "lock", key)
      const base = { owner, host: hostname(), pid: process.pid, token: randomUUID() }
      const waitUntil = (yield* Clock.currentTimeMillis) + waitMs
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const now = yield* Clock.currentTimeMillis
        const content: LockContent = { ...base, since: now, expiresAt: now + leaseMs }
        const text = JSON.stringify(content)
        const lease = (etag: string): Lease => ({
          etag,
          expiresAt: content.expiresAt,
          lost: false,
          content: { ...base, since: now },
        })
        const created = yield* Effect.result(putObject(place, key, text, { ifNoneMatch: "*" }))
        if (created._tag === "Success") return lease(created.success)
        if (created.failure._tag === "AwsCallError") return yield* lockError(created.failure)

        const found = yield* getObject(place, key).pipe(Effect.mapError(lockError))
        if (Option.isNone(found)) continue // released between our write and our read
        const holder = parseLock(found.value.text)
        const seen = yield* Clock.currentTimeMillis
        if (holder !== undefined && holder.expiresAt > seen) {
          if (holder.expiresAt + LEASE_MARGIN_MS <= waitUntil) {
            // The lease may be a dead holder's: wait until it would have run out, then look again.
            yield* Effect.sleep(holder.expiresAt + LEASE_MARGIN_MS - seen)
            continue
          }
          return yield* new RolloutLocked({
            app,
            owner: holder.owner,
            pid: holder.pid,
            host: holder.host,
            since: holder.since,
          })
        }
        // Expired (its holder stopped refreshing it) or unreadable: take it over — only if it
        // is still the version just judged stale.
        const taken = yield* Effect.result(putObject(place, key, text, { ifMatch: found.value.etag }))
        if (taken._tag === "Success") return lease(taken.success)
        if (taken.failure._tag === "AwsCallError") return yield* lockError(taken.failure)
      }
      return yield* new JournalError({
        app,
        operation: "lock",
        path: s3Url(place, key),
        message: `the lock kept changing hands over ${MAX_ATTEMPTS} attempts; try again`,
      })
    })

  /** Extends the lease every `refreshMs` until the scope closes or the lease is lost. */
  const refresh = (key: string, lease: Lease) =>
    Effect.gen(function* () {
      while (!lease.lost) {
        yield* Effect.sleep(refreshMs)
        const now = yield* Clock.currentTimeMillis
        const content: LockContent = { ...lease.content, expiresAt: now + leaseMs }
        // Uninterruptible: the new ETag must be remembered if the write lands, or release
        // would not recognise our own lease.
        const written = yield* Effect.uninterruptible(
          Effect.result(putObject(place, key, JSON.stringify(content), { ifMatch: lease.etag })).pipe(
            Effect.tap((r) =>
              Effect.sync(() => {
                if (r._tag === "Success") {
                  lease.etag = r.success
                  lease.expiresAt = content.expiresAt
                }
              }),
            ),
          ),
        )
        if (written._tag === "Failure") {
          // Taken over, or unreachable for longer than the lease: either way it is not ours.
          if (written.failure._tag === "PreconditionLost" || now >= lease.expiresAt) lease.lost = true
        }
      }
    })

  const lock: JournalShape["lock"] = (app, owner) =>
    Effect.gen(function* () {
      const keys = yield* keysOf(app, "lock")
      const lease = yield* Effect.acquireRelease(acquire(app, keys.lock, owner), (lease) =>
        Effect.suspend(() => {
          if (held.get(app) === lease) held.delete(app)
          return lease.lost ? Effect.void : Effect.ignore(deleteObject(place, keys.lock, lease.etag))
        }),
      )
      held.set(app, lease)
      yield* Effect.forkScoped(refresh(keys.lock, lease))
    })

  const save: JournalShape["save"] = (record) =>
    Effect.gen(function* () {
      const keys = yield* keysOf(record.app, "save")
      if (held.get(record.app)?.lost === true) {
        return yield* new JournalError({
          app: record.app,
          operation: "save",
          path: s3Url(place, keys.lock),
          message: `the journal lock of ${record.app} was taken over after its lease ran out; stopping so that two processes never drive one rollout — run the rollout again to resume it`,
        })
      }
      const text = `${JSON.stringify(record, null, 2)}\n`
      yield* putObject(place, keys.current, text).pipe(
        Effect.mapError(failure(record.app, "save", keys.current)),
      )
      if (isFinished(record)) {
        const key = keys.history(record.startedAt, record.rolloutId)
        yield* putObject(place, key, text).pipe(Effect.mapError(failure(record.app, "save", key)))
        yield* pruneHistory(record.app, keys.historyPrefix)
      }
    })

  const history: JournalShape["history"] = (app) =>
    Effect.gen(function* () {
      const keys = yield* keysOf(app, "history")
      const names = yield* listKeys(place, keys.historyPrefix, HISTORY_LIMIT).pipe(
        Effect.mapError(failure(app, "history", keys.historyPrefix)),
      )
      const records = yield* Effect.forEach(names, (key) => readRecord(app, "history", key), {
        concurrency: 8,
      })
      return records.flatMap((r) => (Option.isSome(r) ? [r.value] : []))
    })

  return {
    load: (app) => Effect.flatMap(keysOf(app, "load"), (keys) => readRecord(app, "load", keys.current)),
    save,
    history,
    lock,
    forget: (app) =>
      Effect.scoped(
        Effect.gen(function* () {
          const keys = yield* keysOf(app, "save")
          yield* lock(app, "slipway (forgetting the current record)")
          yield* deleteObject(place, keys.current).pipe(Effect.mapError(failure(app, "save", keys.current)))
        }),
      ),
  }
}

/**
 * The rollout journal in S3: `S3Journal.make(config)` for the operations,
 * `S3Journal.layer(config)` for the core `Journal` service.
 *
 * @example
 * import { S3Journal } from "@slipway/aws"
 * import { Rollout } from "@slipway/core"
 * import { S3Client } from "@aws-sdk/client-s3"
 * import { Effect } from "effect"
 * const JournalLive = S3Journal.layer({ client: new S3Client({ maxAttempts: 1 }), bucket: "web-prod-slipway-journal" })
 * const outcome = Rollout.run(options).pipe(Effect.provide(JournalLive))
 */
export const S3Journal = {
  make,
  layer: (config: S3JournalConfig): Layer.Layer<Journal> => Layer.sync(Journal, () => make(config)),
} as const
