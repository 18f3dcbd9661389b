/**
 * Internal: the few S3 object operations the journal and the control channel need — read,
 * conditional write, conditional delete, list — each one AWS call through `callAws` (so
 * throttling and timeouts are handled the same way as every other call), with S3's answers
 * to conditions turned into values: a missing object is `None`, a condition that did not
 * hold is `PreconditionLost`.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3"
import { Data, Effect, Option } from "effect"
import { type AwsCallError, type AwsCallPolicy, callAws } from "../runtime/AwsCall.ts"

/** Where objects live. */
export interface S3Place {
  readonly client: S3Client
  readonly bucket: string
  readonly call?: AwsCallPolicy
}

/**
 * The given client, or a new one for the region and profile (`maxAttempts: 1`: `callAws`
 * is the retry policy). Without a region the SDK resolves one (`AWS_REGION`, the profile).
 */
export const s3ClientFor = (options: {
  readonly client?: S3Client | undefined
  readonly region?: string | undefined
  readonly profile?: string | undefined
}): S3Client =>
  options.client ??
  new S3Client({
    maxAttempts: 1,
    // A bucket in another region answers 301; follow it rather than fail.
    followRegionRedirects: true,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  })

/** An object's text and the ETag that names this version of it. */
export interface StoredObject {
  readonly text: string
  readonly etag: string
}

/** Create only if absent (`ifNoneMatch: "*"`), or replace only this version (`ifMatch: etag`). */
export type WriteCondition = { readonly ifNoneMatch: "*" } | { readonly ifMatch: string }

/**
 * A conditional request's condition did not hold: the object already existed, or it
 * changed (or vanished) since its ETag was read. S3 answers 412 PreconditionFailed, or
 * 409 ConditionalRequestConflict while another conditional write of the key is in flight.
 */
export class PreconditionLost extends Data.TaggedError("PreconditionLost")<{
  readonly key: string
}> {}

const statusOf = (e: AwsCallError): number | undefined => {
  const cause = e.cause as { readonly $metadata?: { readonly httpStatusCode?: number } } | undefined
  return cause?.$metadata?.httpStatusCode
}

const isMissing = (e: AwsCallError): boolean =>
  e.code === "NoSuchKey" || e.code === "NotFound" || statusOf(e) === 404

const isConditionLost = (e: AwsCallError): boolean =>
  e.code === "PreconditionFailed" ||
  e.code === "ConditionalRequestConflict" ||
  statusOf(e) === 412 ||
  statusOf(e) === 409

/** `s3://bucket/key`, for messages. */
export const s3Url = (place: S3Place, key: string): string => `s3://${place.bucket}/${key}`

/** Reads an object; `None` when there is none. */
export const getObject = (
  place: S3Place,
  key: string,
): Effect.Effect<Option.Option<StoredObject>, AwsCallError> =>
  callAws(
    "GetObject",
    async (abortSignal) => {
      const out = await place.client.send(new GetObjectCommand({ Bucket: place.bucket, Key: key }), {
        abortSignal,
      })
      const text = out.Body === undefined ? "" : await out.Body.transformToString("utf-8")
      return { text, etag: out.ETag ?? "" }
    },
    place.call,
  ).pipe(
    Effect.map(Option.some),
    Effect.catchIf(isMissing, () => Effect.succeed(Option.none<StoredObject>())),
  )

/** Writes JSON text, optionally under a condition; returns the new version's ETag. */
export const putObject = (
  place: S3Place,
  key: string,
  text: string,
  condition?: WriteCondition,
): Effect.Effect<string, AwsCallError | PreconditionLost> =>
  callAws(
    "PutObject",
    (abortSignal) =>
      place.client.send(
        new PutObjectCommand({
          Bucket: place.bucket,
          Key: key,
          Body: text,
          ContentType: "application/json",
          ...(condition === undefined
            ? {}
            : "ifNoneMatch" in condition
              ? { IfNoneMatch: condition.ifNoneMatch }
              : { IfMatch: condition.ifMatch }),
        }),
        { abortSignal },
      ),
    place.call,
  ).pipe(
    Effect.map((out) => out.ETag ?? ""),
    // `IfMatch` on a key that is gone answers 404: the version we meant is gone too.
    Effect.catchIf(
      (e) => condition !== undefined && (isConditionLost(e) || isMissing(e)),
      () => Effect.fail(new PreconditionLost({ key })),
    ),
  )

/**
 * Deletes an object (only this version of it with `ifMatch`). Deleting what is already
 * gone succeeds: the goal is reached either way.
 */
export const deleteObject = (
  place: S3Place,
  key: string,
  ifMatch?: string,
): Effect.Effect<void, AwsCallError | PreconditionLost> =>
  callAws(
    "DeleteObject",
    (abortSignal) =>
      place.client.send(
        new DeleteObjectCommand({
          Bucket: place.bucket,
          Key: key,
          ...(ifMatch === undefined ? {} : { IfMatch: ifMatch }),
        }),
        { abortSignal },
      ),
    place.call,
  ).pipe(
    Effect.asVoid,
    Effect.catchIf(isMissing, () => Effect.void),
    Effect.catchIf(
      (e) => ifMatch !== undefined && isConditionLost(e),
      () => Effect.fail(new PreconditionLost({ key })),
    ),
  )

/** Keys under `prefix` in S3's (lexicographic) order, at most `limit` of them. */
export const listKeys = (
  place: S3Place,
  prefix: string,
  limit: number,
): Effect.Effect<ReadonlyArray<string>, AwsCallError> =>
  Effect.gen(function* () {
    const keys: Array<string> = []
    let token: string | undefined
    do {
      const page = yield* callAws(
        "ListObjectsV2",
        (abortSignal) =>
          place.client.send(
            new ListObjectsV2Command({
              Bucket: place.bucket,
              Prefix: prefix,
              MaxKeys: Math.min(1_000, limit - keys.length),
              ...(token === undefined ? {} : { ContinuationToken: token }),
            }),
            { abortSignal },
          ),
        place.call,
      )
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key)
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined && keys.length < limit)
    return keys
  })
