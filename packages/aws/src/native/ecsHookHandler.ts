/**
 * The Lambda function ECS invokes at a deployment lifecycle stage (POST_TEST_TRAFFIC_SHIFT
 * for pre-traffic gates) when a strategy runs natively. It runs the configured HTTP checks
 * against the new revision (through the test listener), and answers ECS with
 * `SUCCEEDED` (go on), `FAILED` (ECS rolls back) or `IN_PROGRESS` (ECS calls again after
 * `callBackDelay` seconds, handing back the `hookDetails` state this handler returns).
 *
 * It deliberately depends on nothing but Node's `fetch`: it is bundled into a Lambda zip,
 * and a small bundle starts fast. Configuration:
 * - `hookDetails.slipway` (written by `compileEcs`): the policy — how long to keep checking,
 *   how often, how many failures to tolerate.
 * - `SLIPWAY_HOOK_CHECKS` (env): JSON array of checks, `[{ "name": "health", "path": "/healthz" }]`.
 * - `SLIPWAY_TEST_BASE_URL` (env): where relative check paths point, i.e. the test listener,
 *   e.g. `http://internal-alb-123.eu-west-1.elb.amazonaws.com:8080`.
 */

/**
 * How the hook judges the new revision; `compileEcs` derives it from the strategy.
 *
 * @example
 * import type { EcsHookPolicy } from "@slipway/aws"
 * const policy: EcsHookPolicy = { holdSeconds: 120, intervalSeconds: 10, failureLimit: 0, inconclusiveLimit: 3, onInconclusiveLimit: "fail", requireChecks: true }
 */
export interface EcsHookPolicy {
  /** Keep checking at least this long before answering SUCCEEDED (a timed Pause before traffic). */
  readonly holdSeconds: number
  /** Seconds between invocations while IN_PROGRESS (the strategy's analysis interval). */
  readonly intervalSeconds: number
  /** Failed rounds tolerated before answering FAILED (the strategy's `analysis.failureLimit`). */
  readonly failureLimit: number
  /** Consecutive rounds without an answer (timeouts, refused connections) tolerated. */
  readonly inconclusiveLimit: number
  /** Past `inconclusiveLimit`: `fail` answers FAILED; `pause` keeps the deployment waiting (IN_PROGRESS). */
  readonly onInconclusiveLimit: "pause" | "fail"
  /** Gate names to judge (checks are matched by name); absent means every configured check. */
  readonly gates?: ReadonlyArray<string>
  /** True when the strategy has gates here, so that a hook with no checks configured fails instead of passing blindly. */
  readonly requireChecks: boolean
}

/**
 * One HTTP check, as configured in `SLIPWAY_HOOK_CHECKS`.
 *
 * @example
 * import type { EcsHookCheck } from "@slipway/aws"
 * const checks: ReadonlyArray<EcsHookCheck> = [{ name: "smoke", path: "/healthz", expectStatus: 200 }]
 * // environment: { SLIPWAY_HOOK_CHECKS: JSON.stringify(checks) }
 */
export interface EcsHookCheck {
  /** The gate name this check stands for. */
  readonly name: string
  /** Absolute URL; or use `path`, resolved against `SLIPWAY_TEST_BASE_URL`. */
  readonly url?: string
  readonly path?: string
  readonly method?: "GET" | "HEAD"
  /** Accepted statuses; default any 2xx. */
  readonly expectStatus?: number | ReadonlyArray<number>
  /** Text the response body must contain. */
  readonly bodyIncludes?: string
  /** Per-request timeout (ms); default 5000. */
  readonly timeoutMs?: number
}

/**
 * The payload ECS sends to a lifecycle hook function.
 *
 * @example
 * import type { EcsLifecycleHookEvent } from "@slipway/aws"
 * const event: EcsLifecycleHookEvent = { executionId: "e8d5…", lifecycleStage: "POST_TEST_TRAFFIC_SHIFT", hookDetails: { slipway: policy } }
 */
export interface EcsLifecycleHookEvent {
  readonly executionId?: string
  readonly lifecycleStage?: string
  readonly resourceArn?: string
  readonly executionDetails?: {
    readonly serviceArn?: string
    readonly targetServiceRevisionArn?: string
    readonly testTrafficWeights?: Readonly<Record<string, number>>
    readonly productionTrafficWeights?: Readonly<Record<string, number>>
  }
  /** What the service configured (`{ slipway: policy }`), or what the previous IN_PROGRESS answer returned. */
  readonly hookDetails?: unknown
}

/**
 * What the hook answers ECS.
 *
 * @example
 * import type { EcsLifecycleHookResponse } from "@slipway/aws"
 * const wait: EcsLifecycleHookResponse = { hookStatus: "IN_PROGRESS", callBackDelay: 10, hookDetails: { slipway: policy } }
 */
export interface EcsLifecycleHookResponse {
  readonly hookStatus: "SUCCEEDED" | "FAILED" | "IN_PROGRESS"
  /** Seconds before ECS invokes the hook again (IN_PROGRESS only). */
  readonly callBackDelay?: number
  /** Handed back on the next invocation (IN_PROGRESS only). */
  readonly hookDetails?: Readonly<Record<string, unknown>>
}

/**
 * Environment variable names the handler reads.
 *
 * @example
 * import { ecsHookEnv } from "@slipway/aws"
 * const environment = { [ecsHookEnv.checks]: JSON.stringify([{ name: "smoke", path: "/healthz" }]), [ecsHookEnv.baseUrl]: testListenerUrl }
 */
export const ecsHookEnv = {
  checks: "SLIPWAY_HOOK_CHECKS",
  baseUrl: "SLIPWAY_TEST_BASE_URL",
} as const

/** State kept across IN_PROGRESS invocations of one deployment, in `hookDetails.slipwayState`. */
interface HookState {
  readonly startedAt: number
  readonly rounds: number
  readonly failures: number
  readonly inconclusive: number
}

interface CheckOutcome {
  readonly name: string
  readonly url: string
  readonly verdict: "pass" | "fail" | "inconclusive"
  readonly detail: string
}

const defaultPolicy: EcsHookPolicy = {
  holdSeconds: 0,
  intervalSeconds: 10,
  failureLimit: 0,
  inconclusiveLimit: 3,
  onInconclusiveLimit: "pause",
  requireChecks: true,
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

// ECS passes hookDetails as JSON; a service configured through a JSON string may arrive as one.
const detailsOf = (event: EcsLifecycleHookEvent): Record<string, unknown> => {
  const raw = event.hookDetails
  if (typeof raw === "string") {
    try {
      const parsed: unknown = JSON.parse(raw)
      return isRecord(parsed) ? parsed : {}
    } catch {
      return {}
    }
  }
  return isRecord(raw) ? raw : {}
}

const num = (u: unknown, fallback: number): number =>
  typeof u === "number" && Number.isFinite(u) ? u : fallback

const policyOf = (details: Record<string, unknown>): EcsHookPolicy => {
  const p = isRecord(details.slipway) ? details.slipway : {}
  const gates = Array.isArray(p.gates) ? p.gates.filter((g): g is string => typeof g === "string") : undefined
  return {
    holdSeconds: num(p.holdSeconds, defaultPolicy.holdSeconds),
    intervalSeconds: Math.max(1, Math.ceil(num(p.intervalSeconds, defaultPolicy.intervalSeconds))),
    failureLimit: num(p.failureLimit, defaultPolicy.failureLimit),
    inconclusiveLimit: num(p.inconclusiveLimit, defaultPolicy.inconclusiveLimit),
    onInconclusiveLimit: p.onInconclusiveLimit === "fail" ? "fail" : "pause",
    requireChecks: typeof p.requireChecks === "boolean" ? p.requireChecks : defaultPolicy.requireChecks,
    ...(gates === undefined ? {} : { gates }),
  }
}

const stateOf = (details: Record<string, unknown>, now: number): HookState => {
  const s = isRecord(details.slipwayState) ? details.slipwayState : {}
  return {
    startedAt: num(s.startedAt, now),
    rounds: num(s.rounds, 0),
    failures: num(s.failures, 0),
    inconclusive: num(s.inconclusive, 0),
  }
}

/** Reads and checks `SLIPWAY_HOOK_CHECKS`; a string is an error message naming what is wrong. */
const checksOf = (
  env: Readonly<Record<string, string | undefined>>,
): ReadonlyArray<EcsHookCheck> | string => {
  const raw = env[ecsHookEnv.checks]
  if (raw === undefined || raw.trim() === "") return []
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (e) {
    return `${ecsHookEnv.checks} is not JSON (${(e as Error).message}); expected [{"name":"health","path":"/healthz"}]`
  }
  if (!Array.isArray(parsed)) return `${ecsHookEnv.checks} must be a JSON array of checks`
  const checks: Array<EcsHookCheck> = []
  for (const [i, c] of parsed.entries()) {
    if (
      !isRecord(c) ||
      typeof c.name !== "string" ||
      (typeof c.url !== "string" && typeof c.path !== "string")
    ) {
      return `${ecsHookEnv.checks}[${i}] needs a "name" and a "url" or "path"`
    }
    checks.push(c as unknown as EcsHookCheck)
  }
  return checks
}

const accepts = (check: EcsHookCheck, status: number): boolean => {
  const expected = check.expectStatus
  if (expected === undefined) return status >= 200 && status < 300
  return typeof expected === "number" ? status === expected : expected.includes(status)
}

const runCheck = async (
  check: EcsHookCheck,
  baseUrl: string | undefined,
  fetchImpl: typeof fetch,
): Promise<CheckOutcome> => {
  let url: string
  try {
    url = check.url ?? new URL(check.path!, baseUrl).toString()
  } catch {
    return {
      name: check.name,
      url: check.path ?? "",
      verdict: "fail",
      detail: `cannot resolve path ${check.path} without ${ecsHookEnv.baseUrl} (the test listener URL)`,
    }
  }
  const timeoutMs = check.timeoutMs ?? 5_000
  try {
    const response = await fetchImpl(url, {
      method: check.method ?? "GET",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    })
    const body = check.bodyIncludes === undefined || check.method === "HEAD" ? "" : await response.text()
    if (!accepts(check, response.status)) {
      return { name: check.name, url, verdict: "fail", detail: `status ${response.status}` }
    }
    if (check.bodyIncludes !== undefined && !body.includes(check.bodyIncludes)) {
      return {
        name: check.name,
        url,
        verdict: "fail",
        detail: `status ${response.status} but the body lacks ${JSON.stringify(check.bodyIncludes)}: ${JSON.stringify(body.slice(0, 200))}`,
      }
    }
    return { name: check.name, url, verdict: "pass", detail: `status ${response.status}` }
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } }
    const detail =
      err.name === "TimeoutError" || err.name === "AbortError"
        ? `no answer within ${timeoutMs}ms`
        : `request failed: ${err.cause?.code ?? err.message}`
    return { name: check.name, url, verdict: "inconclusive", detail }
  }
}

/**
 * Dependencies of the handler, injectable for tests.
 *
 * @example
 * import { makeEcsHookHandler, type EcsHookHandlerDeps } from "@slipway/aws"
 * const deps: EcsHookHandlerDeps = { env: { SLIPWAY_HOOK_CHECKS: "[]" }, now: () => 0, log: () => {} }
 * const handle = makeEcsHookHandler(deps)
 */
export interface EcsHookHandlerDeps {
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly fetch?: typeof fetch
  /** Epoch ms. */
  readonly now?: () => number
  /** Where the JSON decision line goes (CloudWatch Logs through stdout in Lambda). */
  readonly log?: (line: string) => void
}

/**
 * Builds the hook handler with its dependencies (tests pass their own env, clock and log).
 *
 * @example
 * import { makeEcsHookHandler } from "@slipway/aws"
 * const handle = makeEcsHookHandler({ env: { SLIPWAY_HOOK_CHECKS: '[{"name":"health","url":"http://127.0.0.1:3000/healthz"}]' } })
 * const answer = await handle({ lifecycleStage: "POST_TEST_TRAFFIC_SHIFT", hookDetails: { slipway: { holdSeconds: 0, intervalSeconds: 10, failureLimit: 0, inconclusiveLimit: 3, onInconclusiveLimit: "fail", requireChecks: true } } })
 * answer.hookStatus // "SUCCEEDED" when /healthz answers 2xx
 */
export const makeEcsHookHandler =
  (deps: EcsHookHandlerDeps = {}) =>
  async (event: EcsLifecycleHookEvent): Promise<EcsLifecycleHookResponse> => {
    const env = deps.env ?? process.env
    const fetchImpl = deps.fetch ?? globalThis.fetch
    const now = (deps.now ?? Date.now)()
    const log = deps.log ?? ((line: string) => console.log(line))

    const details = detailsOf(event)
    const policy = policyOf(details)
    const state = stateOf(details, now)
    const decide = (
      hookStatus: EcsLifecycleHookResponse["hookStatus"],
      reason: string,
      outcomes: ReadonlyArray<CheckOutcome>,
      next: HookState,
    ): EcsLifecycleHookResponse => {
      log(
        JSON.stringify({
          slipway: "ecs-lifecycle-hook",
          executionId: event.executionId,
          stage: event.lifecycleStage,
          targetServiceRevisionArn: event.executionDetails?.targetServiceRevisionArn,
          round: next.rounds,
          hookStatus,
          reason,
          checks: outcomes,
        }),
      )
      if (hookStatus !== "IN_PROGRESS") return { hookStatus }
      const remainingHold = Math.ceil(policy.holdSeconds - (now - next.startedAt) / 1_000)
      const callBackDelay = Math.max(
        1,
        remainingHold > 0 ? Math.min(policy.intervalSeconds, remainingHold) : policy.intervalSeconds,
      )
      // ECS hands hookDetails back on the next call: keep the policy with the state.
      return { hookStatus, callBackDelay, hookDetails: { ...details, slipwayState: next } }
    }

    const configured = checksOf(env)
    if (typeof configured === "string")
      return decide("FAILED", configured, [], { ...state, rounds: state.rounds + 1 })
    const wanted = policy.gates
    const checks = wanted === undefined ? configured : configured.filter((c) => wanted.includes(c.name))
    const missing = wanted?.filter((g) => !configured.some((c) => c.name === g)) ?? []
    if (missing.length > 0) {
      return decide(
        "FAILED",
        `gate(s) ${missing.join(", ")} have no check in ${ecsHookEnv.checks}; add {"name":"${missing[0]}","path":"/…"}`,
        [],
        { ...state, rounds: state.rounds + 1 },
      )
    }
    if (checks.length === 0 && policy.requireChecks) {
      return decide(
        "FAILED",
        `the strategy gates this stage but ${ecsHookEnv.checks} configures no check; refusing to pass blindly`,
        [],
        { ...state, rounds: state.rounds + 1 },
      )
    }

    const outcomes = await Promise.all(checks.map((c) => runCheck(c, env[ecsHookEnv.baseUrl], fetchImpl)))
    const rounds = state.rounds + 1
    const failed = outcomes.filter((o) => o.verdict === "fail")
    const unanswered = outcomes.filter((o) => o.verdict === "inconclusive")
    if (failed.length > 0) {
      const failures = state.failures + 1
      const summary = failed.map((o) => `${o.name}: ${o.detail}`).join("; ")
      return failures > policy.failureLimit
        ? decide(
            "FAILED",
            `${summary} (failed ${failures} time(s), limit ${policy.failureLimit})`,
            outcomes,
            {
              ...state,
              rounds,
              failures,
            },
          )
        : decide("IN_PROGRESS", `${summary} (tolerated: ${failures} of ${policy.failureLimit})`, outcomes, {
            ...state,
            rounds,
            failures,
          })
    }
    if (unanswered.length > 0) {
      const inconclusive = state.inconclusive + 1
      const summary = unanswered.map((o) => `${o.name}: ${o.detail}`).join("; ")
      const next = { ...state, rounds, inconclusive }
      if (inconclusive <= policy.inconclusiveLimit) return decide("IN_PROGRESS", summary, outcomes, next)
      return policy.onInconclusiveLimit === "fail"
        ? decide("FAILED", `${summary} (${inconclusive} rounds without an answer)`, outcomes, next)
        : decide(
            "IN_PROGRESS",
            `${summary} (${inconclusive} rounds without an answer; waiting — stop the deployment to roll back)`,
            outcomes,
            next,
          )
    }
    const next = { ...state, rounds, inconclusive: 0 }
    const held = (now - state.startedAt) / 1_000
    return held >= policy.holdSeconds
      ? decide("SUCCEEDED", `all ${outcomes.length} check(s) passed`, outcomes, next)
      : decide(
          "IN_PROGRESS",
          `checks pass; holding ${Math.ceil(policy.holdSeconds - held)}s more of ${policy.holdSeconds}s`,
          outcomes,
          next,
        )
  }

/**
 * The Lambda entry point (`handler` in the bundled `ecsHookHandler.js`).
 *
 * @example
 * // Bundle src/native/ecsHookHandler.ts with esbuild and deploy it with handler "index.handler";
 * // compileEcs puts the policy in hookDetails, the service sets SLIPWAY_HOOK_CHECKS and SLIPWAY_TEST_BASE_URL.
 * import { handler } from "@slipway/aws"
 * await handler(event) // { hookStatus: "IN_PROGRESS", callBackDelay: 10, hookDetails: { … } }
 */
export const handler = makeEcsHookHandler()
