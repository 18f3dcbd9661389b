/**
 * The CLI's way into AWS rollouts: the same S3 journal a `DrivenRollout` writes, for
 * `slipway status | history --target aws`. (Operator commands for a running rollout go
 * through `requestControl`.)
 */
import type { S3Client } from "@aws-sdk/client-s3"
import type { Journal } from "@slipway/core"
import { type Duration, Layer } from "effect"
import type { AwsCallPolicy } from "../runtime/AwsCall.ts"
import { S3Journal } from "./S3Journal.ts"
import { s3ClientFor } from "./S3Objects.ts"

/**
 * Where an AWS journal is, as the CLI's flags give it.
 *
 * @example
 * import type { AwsJournalOptions } from "@slipway/aws"
 * const options: AwsJournalOptions = { bucket: "web-prod-slipway-journal", region: "eu-west-1" }
 */
export interface AwsJournalOptions {
  readonly bucket: string
  readonly prefix?: string
  /** Needed unless `client` is given (default: the SDK's own resolution, e.g. `AWS_REGION`). */
  readonly region?: string
  /** A named AWS profile. */
  readonly profile?: string
  /** An S3 client to use instead of making one (tests pass a stub). */
  readonly client?: S3Client
  readonly call?: AwsCallPolicy
  /** How long `lock` waits out another holder's lease (default 0: refuse at once). */
  readonly waitForLock?: Duration.Input
}

/**
 * The core `Journal` over an AWS rollout journal in S3: `load` and `history` for status
 * and history, `lock` and `save` for driving a rollout from the CLI (rolling a finished
 * rollout back). Operator commands for a running one: `requestControl`.
 *
 * @example
 * import { awsJournalLayer } from "@slipway/aws"
 * import { Journal } from "@slipway/core"
 * import { Effect, Option } from "effect"
 * const status = Effect.gen(function* () {
 *   const journal = yield* Journal
 *   const current = yield* journal.load("web-prod")
 *   return Option.match(current, { onNone: () => "never rolled out", onSome: (r) => `${r.candidate.id}: ${r.status}` })
 * }).pipe(Effect.provide(awsJournalLayer({ bucket: "web-prod-slipway-journal", region: "eu-west-1" })))
 */
export const awsJournalLayer = (options: AwsJournalOptions): Layer.Layer<Journal> =>
  Layer.suspend(() =>
    S3Journal.layer({
      client: s3ClientFor(options),
      bucket: options.bucket,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      ...(options.call === undefined ? {} : { call: options.call }),
      ...(options.waitForLock === undefined ? {} : { waitForLock: options.waitForLock }),
    }),
  )
