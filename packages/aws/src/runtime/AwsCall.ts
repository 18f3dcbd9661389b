/**
 * One AWS API call as an effect: retried with exponential backoff and jitter while AWS
 * throttles or has a server-side fault, and bounded by a timeout, so a rollout never hangs
 * on a call and never gives up on the first `ThrottlingException`. Every runtime layer sends
 * its commands through here and maps `AwsCallError` to its capability's own error.
 *
 * SDK clients retry too (3 attempts by default); create them with `maxAttempts: 1` to let
 * this policy be the only one.
 */
import { Cause, Data, Duration, Effect, Schedule } from "effect"

/**
 * How calls are retried and bounded.
 *
 * @example
 * import type { AwsCallPolicy } from "@slipway/aws"
 * const patient: AwsCallPolicy = { timeout: "2 minutes", retries: 8, backoff: "500 millis" }
 */
export interface AwsCallPolicy {
  /** Longest one call may take, retries included (default 30 s). */
  readonly timeout?: Duration.Input
  /** Retries after the first attempt while throttled (default 5). */
  readonly retries?: number
  /** First backoff delay, doubled on each retry and jittered ±20% (default 200 ms). */
  readonly backoff?: Duration.Input
}

/**
 * A call that failed, threw, or did not answer in time.
 *
 * @example
 * import { callAws } from "@slipway/aws"
 * import { Effect } from "effect"
 * const safe = callAws("DescribeListeners", send).pipe(
 *   Effect.catchTag("AwsCallError", (e) => Effect.logError(e.api, e.code, e.throttled ? "throttled" : e.message)),
 * )
 */
export class AwsCallError extends Data.TaggedError("AwsCallError")<{
  /** The API operation, e.g. `ModifyListener`. */
  readonly api: string
  readonly message: string
  /** AWS's error name, e.g. `ValidationError`, `ThrottlingException`. */
  readonly code: string
  /** True when the call failed only because AWS kept throttling it. */
  readonly throttled: boolean
  readonly timedOut: boolean
  readonly cause?: unknown
}> {}

const THROTTLING = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "Throttling",
  "ThrottledException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ProvisionedThroughputExceededException",
  "PriorRequestNotComplete",
])
const TRANSIENT = new Set([
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
])

interface SdkErrorLike {
  readonly name?: string
  readonly code?: string
  readonly message?: string
  readonly $fault?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
  readonly $retryable?: { readonly throttling?: boolean }
}

const asSdkError = (e: unknown): SdkErrorLike =>
  typeof e === "object" && e !== null ? (e as SdkErrorLike) : {}

/**
 * True when AWS asks the caller to slow down or had a transient fault (throttling names,
 * HTTP 429, 5xx, dropped connections): retrying later can succeed.
 *
 * @example
 * import { isRetryableAwsError } from "@slipway/aws"
 * isRetryableAwsError({ name: "ThrottlingException", $metadata: { httpStatusCode: 400 } }) // true
 * isRetryableAwsError({ name: "ValidationError", $metadata: { httpStatusCode: 400 } }) // false
 */
export const isRetryableAwsError = (e: unknown): boolean => {
  const err = asSdkError(e)
  const status = err.$metadata?.httpStatusCode
  return (
    THROTTLING.has(err.name ?? "") ||
    TRANSIENT.has(err.name ?? "") ||
    TRANSIENT.has(err.code ?? "") ||
    err.$retryable?.throttling === true ||
    err.$fault === "server" ||
    status === 429 ||
    (status !== undefined && status >= 500)
  )
}

/**
 * The retry policy as a schedule: exponential from `backoff`, jittered, at most `retries` times.
 *
 * @example
 * import { awsRetrySchedule, isRetryableAwsError } from "@slipway/aws"
 * import { Effect } from "effect"
 * const resilient = myEffect.pipe(Effect.retry({ schedule: awsRetrySchedule({ retries: 3 }), while: isRetryableAwsError }))
 */
export const awsRetrySchedule = (policy: AwsCallPolicy = {}) =>
  Schedule.max([
    Schedule.jittered(Schedule.exponential(policy.backoff ?? "200 millis", 2)),
    Schedule.recurs(policy.retries ?? 5),
  ])

/**
 * Runs one SDK call (`send` receives an AbortSignal that fires on timeout or interruption)
 * with the retry and timeout policy.
 *
 * @example
 * import { callAws } from "@slipway/aws"
 * import { DescribeListenersCommand } from "@aws-sdk/client-elastic-load-balancing-v2"
 * const listeners = callAws("DescribeListeners", (abortSignal) =>
 *   client.send(new DescribeListenersCommand({ ListenerArns: [arn] }), { abortSignal }),
 * )
 */
export const callAws = <A>(
  api: string,
  send: (signal: AbortSignal) => PromiseLike<A>,
  policy: AwsCallPolicy = {},
): Effect.Effect<A, AwsCallError> => {
  const timeout = policy.timeout ?? "30 seconds"
  const retries = policy.retries ?? 5
  return Effect.tryPromise({
    try: (signal) => send(signal),
    catch: (cause) => {
      const err = asSdkError(cause)
      const retryable = isRetryableAwsError(cause)
      return new AwsCallError({
        api,
        code: err.name ?? "Error",
        message: `${api} failed: ${err.name ?? "Error"}: ${err.message ?? String(cause)}`,
        throttled: retryable,
        timedOut: false,
        cause,
      })
    },
  }).pipe(
    Effect.retry({ schedule: awsRetrySchedule(policy), while: (e) => e.throttled }),
    Effect.mapError((e) =>
      e.throttled
        ? new AwsCallError({
            ...e,
            message: `${e.message} (still failing after ${retries} retries with backoff)`,
          })
        : e,
    ),
    Effect.timeout(timeout),
    Effect.catchIf(Cause.isTimeoutError, () =>
      Effect.fail(
        new AwsCallError({
          api,
          code: "TimeoutError",
          message: `${api} did not answer within ${Duration.format(Duration.fromInputUnsafe(timeout))}`,
          throttled: false,
          timedOut: true,
        }),
      ),
    ),
  )
}
