/**
 * HTTP probes: ask a revision a question over HTTP and judge the answer by status,
 * latency, body and headers. A path is resolved against the probed revision's own
 * address (through `ProbeTarget`), so the probe judges that revision and not whatever
 * the load balancer picked.
 */
import {
  type DurationInput,
  type Evidence,
  formatDuration,
  type Gate,
  type GateContext,
  Verdict,
} from "@slipway/core"
import { Clock, Effect, Option, Result } from "effect"
import { request } from "undici"
import { GateConfigError } from "./GateConfigError.ts"
import { excerpt, formatNumber } from "./internal/format.ts"
import { describeNetworkError } from "./internal/network.ts"
import { durationOption, isHttpUrl, positiveDurationOption } from "./internal/options.ts"
import { guard } from "./internal/verdicts.ts"
import { ProbeTarget } from "./ProbeTarget.ts"

/**
 * A status class: `"2xx"` matches 200–299.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.http("/healthz", { expectStatus: "2xx" })
 */
export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx"

/**
 * An inclusive status range such as `"200-399"`.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.http("/login", { expectStatus: "200-399" })
 */
export type StatusRange = `${number}-${number}`

/**
 * One accepted status: an exact code, a class or a range.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.http("/healthz", { expectStatus: 204 })
 */
export type StatusPattern = number | StatusClass | StatusRange

/**
 * The statuses a probe accepts: one pattern or any of several.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.http("/items/1", { expectStatus: ["2xx", 404] })
 */
export type StatusExpectation = StatusPattern | ReadonlyArray<StatusPattern>

/**
 * HTTP methods a probe may use.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.http("/healthz", { method: "HEAD" })
 */
export type ProbeMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS"

/**
 * Options of {@link http}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const options: Gate.HttpProbeOptions = {
 *   expectStatus: 200,
 *   bodyMatches: /"db":"up"/,
 *   header: { "content-type": /json/ },
 *   timeout: "2s",
 *   latency: "250ms",
 * }
 * const gate = Gate.http("/healthz", options)
 */
export interface HttpProbeOptions {
  /** Accepted statuses (default `200`): `200`, `[200, 204]`, `"2xx"`, `"200-399"`. */
  readonly expectStatus?: StatusExpectation
  /** The body must match: a RegExp, or text it must contain. */
  readonly bodyMatches?: RegExp | string
  /** Response headers that must be present: exact text (case-sensitive value) or a RegExp. */
  readonly header?: Readonly<Record<string, string | RegExp>>
  /** Longest wait for the complete response (default `"5s"`); past it the probe fails. */
  readonly timeout?: DurationInput
  /** Slowest acceptable response, e.g. `"300ms"`. */
  readonly latency?: DurationInput
  /** Default `GET`. */
  readonly method?: ProbeMethod
  /** Request headers, e.g. `{ host: "api.example.com" }`. */
  readonly requestHeaders?: Readonly<Record<string, string>>
  /** Request body, for POST/PUT probes. */
  readonly body?: string
  /** Gate name (default `GET /healthz`). */
  readonly name?: string
  /** Which revision a path is resolved against (default `candidate`). */
  readonly target?: "candidate" | "stable"
}

// Bodies are read to match them, not to keep them: a health endpoint that streams
// megabytes is cut off rather than buffered whole.
const BODY_LIMIT = 1 << 20

interface StatusMatcher {
  readonly matches: (status: number) => boolean
  readonly text: string
}

const compileStatus = (gate: string, expectation: StatusExpectation): StatusMatcher => {
  const patterns = (Array.isArray(expectation) ? expectation : [expectation]) as ReadonlyArray<StatusPattern>
  if (patterns.length === 0) {
    throw new GateConfigError({ gate, field: "expectStatus", problem: "is empty; give at least one status" })
  }
  const tests = patterns.map((pattern): ((status: number) => boolean) => {
    if (typeof pattern === "number") {
      if (!Number.isInteger(pattern) || pattern < 100 || pattern > 599) {
        throw new GateConfigError({
          gate,
          field: "expectStatus",
          problem: `${pattern} is not an HTTP status (100–599)`,
        })
      }
      return (status) => status === pattern
    }
    const statusClass = /^([1-5])xx$/i.exec(pattern)
    if (statusClass) {
      const hundreds = Number(statusClass[1]) * 100
      return (status) => status >= hundreds && status < hundreds + 100
    }
    const range = /^(\d{3})-(\d{3})$/.exec(pattern)
    if (range && Number(range[1]) <= Number(range[2])) {
      const low = Number(range[1])
      const high = Number(range[2])
      return (status) => status >= low && status <= high
    }
    throw new GateConfigError({
      gate,
      field: "expectStatus",
      problem: `${JSON.stringify(pattern)} is not a status, class ("2xx") or range ("200-399")`,
    })
  })
  return {
    matches: (status) => tests.some((test) => test(status)),
    text: patterns.map(String).join(" or "),
  }
}

// A RegExp with the g or y flag remembers lastIndex between calls; probes must not.
const statelessRegExp = (pattern: RegExp): RegExp =>
  new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""))

const describeMatcher = (matcher: string | RegExp): string =>
  typeof matcher === "string" ? JSON.stringify(matcher) : String(matcher)

const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, "")}${path}`

interface Response {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: string
}

type Outcome =
  | { readonly _tag: "Response"; readonly response: Response }
  | { readonly _tag: "TimedOut"; readonly headersReceived: boolean }
  | { readonly _tag: "Error"; readonly error: unknown }

/**
 * An HTTP probe. Passes when the response arrives within `timeout` with an accepted
 * status (default 200) and, when asked, a matching body, matching headers and a latency
 * within `latency`. A URL is probed as is; a path (`/healthz`) is resolved against the
 * candidate's address (or the stable's, with `target: "stable"`) through `ProbeTarget`.
 * A probe that gets no answer fails: "GET /healthz: no response within 5s".
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const health = Gate.http("/healthz", { expectStatus: "2xx", bodyMatches: /"ok":true/, latency: "300ms" })
 * const upstream = Gate.http("https://status.example.com/api", { timeout: "2s" })
 */
export function http(path: `/${string}`, options?: HttpProbeOptions): Gate<ProbeTarget>
export function http(url: string, options?: HttpProbeOptions): Gate
export function http(urlOrPath: string, options: HttpProbeOptions = {}): Gate<ProbeTarget> {
  const method = options.method ?? "GET"
  const target = options.target ?? "candidate"
  const isPath = urlOrPath.startsWith("/")
  const name = options.name ?? `${method} ${urlOrPath}${target === "stable" ? " (stable)" : ""}`
  if (!isPath && !isHttpUrl(urlOrPath)) {
    throw new GateConfigError({
      gate: name,
      field: "url",
      problem: `${JSON.stringify(urlOrPath)} is neither an absolute http(s) URL nor a path starting with "/"`,
    })
  }
  const timeoutMs = positiveDurationOption(name, "timeout", options.timeout ?? "5s")
  const maxLatency =
    options.latency === undefined ? undefined : durationOption(name, "latency", options.latency)
  const status = compileStatus(name, options.expectStatus ?? 200)
  const bodyMatches =
    options.bodyMatches instanceof RegExp ? statelessRegExp(options.bodyMatches) : options.bodyMatches
  const headerChecks = Object.entries(options.header ?? {}).map(
    ([header, expected]) =>
      [header.toLowerCase(), expected instanceof RegExp ? statelessRegExp(expected) : expected] as const,
  )

  const threshold = [
    `status ${status.text}`,
    maxLatency === undefined ? undefined : `latency ≤ ${formatDuration(maxLatency)}`,
    bodyMatches === undefined ? undefined : `body ~ ${describeMatcher(bodyMatches)}`,
    ...headerChecks.map(([header, expected]) => `${header} ~ ${describeMatcher(expected)}`),
    `within ${formatDuration(timeoutMs)}`,
  ]
    .filter((part) => part !== undefined)
    .join(", ")

  const resolveUrl = (context: GateContext) =>
    Effect.gen(function* () {
      const revision = target === "stable" ? context.stable : context.candidate
      if (revision === null) return Result.fail("there is no stable revision to probe (first deployment)")
      if (!isPath) return Result.succeed(urlOrPath)
      const resolver = yield* Effect.serviceOption(ProbeTarget)
      if (Option.isNone(resolver)) {
        return Result.fail(
          `${urlOrPath} is a path but no ProbeTarget is provided to find the ${target}'s address; ` +
            "provide the local or aws runtime layer, or probe an absolute URL",
        )
      }
      const base = yield* Effect.result(resolver.value.resolve(revision))
      return Result.isFailure(base)
        ? Result.fail(`could not find the ${target} ${revision.id}'s address: ${base.failure.message}`)
        : Result.succeed(joinUrl(base.success, urlOrPath))
    })

  const check = (context: GateContext) =>
    guard(
      name,
      Effect.gen(function* () {
        const resolved = yield* resolveUrl(context)
        if (Result.isFailure(resolved)) {
          return Verdict.Inconclusive({
            reason: `${method} ${urlOrPath}: ${resolved.failure}`,
            evidence: [{ gate: name, query: `${method} ${urlOrPath}`, observed: null, threshold }],
          })
        }
        const url = resolved.success
        const query = `${method} ${url}`
        const display = `${method} ${urlOrPath}`
        let headersReceived = false
        const started = yield* Clock.currentTimeMillis
        const outcome: Outcome = yield* Effect.tryPromise({
          try: async (signal) => {
            const response = await request(url, {
              method,
              signal,
              // A fresh connection per probe: a health check must not ride on a pooled
              // socket the server has half-closed, nor keep one open between samples.
              reset: true,
              ...(options.requestHeaders === undefined ? {} : { headers: { ...options.requestHeaders } }),
              ...(options.body === undefined ? {} : { body: options.body }),
            })
            headersReceived = true
            const body = method === "HEAD" ? "" : await readCapped(response.body)
            return { status: response.statusCode, headers: response.headers, body }
          },
          catch: (error) => error,
        }).pipe(
          Effect.map((response): Outcome => ({ _tag: "Response", response })),
          Effect.catch((error) => Effect.succeed<Outcome>({ _tag: "Error", error })),
          Effect.timeoutOption(timeoutMs),
          Effect.map(Option.getOrElse((): Outcome => ({ _tag: "TimedOut", headersReceived }))),
        )
        const latency = (yield* Clock.currentTimeMillis) - started

        if (outcome._tag === "TimedOut") {
          const what = outcome.headersReceived
            ? `response body incomplete after ${formatDuration(timeoutMs)}`
            : `no response within ${formatDuration(timeoutMs)}`
          return Verdict.Fail({
            reason: `${display}: ${what}`,
            evidence: [{ gate: name, query, observed: null, threshold, sampleSize: 1, detail: what }],
          })
        }
        if (outcome._tag === "Error") {
          const what = describeNetworkError(outcome.error)
          return Verdict.Fail({
            reason: `${display}: ${what}`,
            evidence: [{ gate: name, query, observed: null, threshold, sampleSize: 1, detail: what }],
          })
        }

        const { response } = outcome
        const problems: Array<string> = []
        if (!status.matches(response.status)) problems.push(`expected ${status.text}`)
        if (maxLatency !== undefined && latency > maxLatency) {
          problems.push(`slower than ${formatDuration(maxLatency)}`)
        }
        if (bodyMatches !== undefined) {
          const matched =
            typeof bodyMatches === "string"
              ? response.body.includes(bodyMatches)
              : bodyMatches.test(response.body)
          if (!matched) problems.push(`body does not match ${describeMatcher(bodyMatches)}`)
        }
        for (const [header, expected] of headerChecks) {
          const raw = response.headers[header]
          const value = raw === undefined ? undefined : typeof raw === "string" ? raw : raw.join(", ")
          if (value === undefined) problems.push(`header ${header} missing`)
          else if (typeof expected === "string" ? value !== expected : !expected.test(value)) {
            problems.push(
              `header ${header} is ${JSON.stringify(excerpt(value, 80))}, expected ${describeMatcher(expected)}`,
            )
          }
        }
        const summary = `${display} → ${response.status} in ${formatNumber(latency)}ms`
        const evidence: Evidence = {
          gate: name,
          query,
          observed: response.status,
          threshold,
          values: [latency],
          sampleSize: 1,
          detail: `HTTP ${response.status} in ${formatNumber(latency)}ms${
            response.body.length > 0 ? `; body: ${JSON.stringify(excerpt(response.body))}` : ""
          }`,
        }
        return problems.length === 0
          ? Verdict.Pass({ reason: summary, evidence: [evidence] })
          : Verdict.Fail({ reason: `${summary}; ${problems.join("; ")}`, evidence: [evidence] })
      }),
    )

  return { name, check }
}

const readCapped = async (body: AsyncIterable<Uint8Array>): Promise<string> => {
  const chunks: Array<Uint8Array> = []
  let size = 0
  for await (const chunk of body) {
    chunks.push(chunk)
    size += chunk.byteLength
    // Leaving the loop early destroys the stream, which closes the connection.
    if (size >= BODY_LIMIT) break
  }
  return Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString("utf8")
}
