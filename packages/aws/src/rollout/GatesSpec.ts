/**
 * Gates for a driven rollout as plain data. A `DrivenRollout` runs in Pulumi's dynamic
 * provider process, which receives its inputs as JSON: gate objects (closures) cannot
 * cross, so the component passes this spec and the provider rebuilds the gates from
 * `@slipway/gates` on the other side.
 *
 * HTTP gates take absolute URLs: tasks and instances sit in private subnets, out of reach
 * of the machine running `pulumi up`, so a path cannot be resolved to one revision's own
 * address. Metric gates (error rate, latency) read the candidate's own CloudWatch metrics
 * (its target group, or its Lambda version), so they judge the candidate alone.
 */

import type { Gate, MetricSource } from "@slipway/core"
import type { AlarmSource } from "@slipway/gates"
import * as Gates from "@slipway/gates"
import { Schema } from "effect"

const DurationSpec = Schema.Union([Schema.String, Schema.Number])
const StatusSpec = Schema.Union([Schema.Number, Schema.String])

/**
 * An HTTP probe of an absolute URL (usually the service's public one).
 *
 * @example
 * import type { HttpGateSpec } from "@slipway/aws"
 * const health: HttpGateSpec = { url: "https://web.example.com/healthz", expectStatus: "2xx", latency: "500ms" }
 */
export const HttpGateSpec = Schema.Struct({
  url: Schema.String,
  name: Schema.optionalKey(Schema.String),
  method: Schema.optionalKey(Schema.Literals(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])),
  /** `200`, `"2xx"`, `"200-399"` or a list of them (default 200). */
  expectStatus: Schema.optionalKey(Schema.Union([StatusSpec, Schema.Array(StatusSpec)])),
  /** Text the body must contain. */
  bodyContains: Schema.optionalKey(Schema.String),
  /** A regular expression (source text) the body must match. */
  bodyMatches: Schema.optionalKey(Schema.String),
  /** Request headers, e.g. `{ host: "web.example.com" }`. */
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  timeout: Schema.optionalKey(DurationSpec),
  /** Slowest acceptable response. */
  latency: Schema.optionalKey(DurationSpec),
})
export type HttpGateSpec = typeof HttpGateSpec.Type

/**
 * A CloudWatch alarm by name (ALARM fails, INSUFFICIENT_DATA is Inconclusive).
 *
 * @example
 * import type { AlarmGateSpec } from "@slipway/aws"
 * const byName: AlarmGateSpec = "web-5xx"
 * const named: AlarmGateSpec = { alarm: "web-p99", name: "p99 latency" }
 */
export const AlarmGateSpec = Schema.Union([
  Schema.String,
  Schema.Struct({ alarm: Schema.String, name: Schema.optionalKey(Schema.String) }),
])
export type AlarmGateSpec = typeof AlarmGateSpec.Type

/**
 * The candidate's 5xx share over a window; with `minRequests`, Inconclusive (never Fail)
 * until it has served that many requests.
 *
 * @example
 * import type { ErrorRateGateSpec } from "@slipway/aws"
 * const errors: ErrorRateGateSpec = { max: 0.01, window: "1m", minRequests: 50 }
 */
export const ErrorRateGateSpec = Schema.Struct({
  max: Schema.Number,
  window: DurationSpec,
  name: Schema.optionalKey(Schema.String),
  minRequests: Schema.optionalKey(Schema.Number),
})
export type ErrorRateGateSpec = typeof ErrorRateGateSpec.Type

/**
 * A latency percentile of the candidate over a window.
 *
 * @example
 * import type { LatencyGateSpec } from "@slipway/aws"
 * const p99: LatencyGateSpec = { percentile: 99, max: "800ms", window: "5m", minRequests: 100 }
 */
export const LatencyGateSpec = Schema.Struct({
  percentile: Schema.optionalKey(Schema.Literals([50, 95, 99])),
  max: DurationSpec,
  window: DurationSpec,
  name: Schema.optionalKey(Schema.String),
  minRequests: Schema.optionalKey(Schema.Number),
})
export type LatencyGateSpec = typeof LatencyGateSpec.Type

/**
 * Every gate of a driven rollout, as data.
 *
 * @example
 * import type { DrivenGates } from "@slipway/aws"
 * const gates: DrivenGates = {
 *   http: [{ url: "https://web.example.com/healthz" }],
 *   alarms: ["web-5xx"],
 *   errorRate: { max: 0.01, window: "1m", minRequests: 50 },
 *   latency: [{ percentile: 99, max: "800ms", window: "5m" }],
 * }
 */
export const DrivenGates = Schema.Struct({
  http: Schema.optionalKey(Schema.Array(HttpGateSpec)),
  alarms: Schema.optionalKey(Schema.Array(AlarmGateSpec)),
  errorRate: Schema.optionalKey(ErrorRateGateSpec),
  latency: Schema.optionalKey(Schema.Array(LatencyGateSpec)),
})
export type DrivenGates = typeof DrivenGates.Type

/**
 * One problem with an input: where, and what would be valid.
 *
 * @example
 * import type { InputIssue } from "@slipway/aws"
 * const issue: InputIssue = { path: "gates.http[0].url", message: "is not an absolute http(s) URL" }
 */
export interface InputIssue {
  /** Path to the input, e.g. `gates.http[0].url`. */
  readonly path: string
  readonly message: string
}

/**
 * Gates rebuilt from their spec need these services.
 *
 * @example
 * import type { DrivenGateServices } from "@slipway/aws"
 * import type { Gate } from "@slipway/core"
 * declare const gates: ReadonlyArray<Gate<DrivenGateServices>>
 */
export type DrivenGateServices = MetricSource | AlarmSource

/** Whether the spec has gates that read CloudWatch metrics. */
export const usesMetrics = (spec: DrivenGates | undefined): boolean =>
  spec?.errorRate !== undefined || (spec?.latency?.length ?? 0) > 0

const isAbsoluteHttpUrl = (url: string): boolean => {
  try {
    const parsed = new URL(url)
    return parsed.protocol === "http:" || parsed.protocol === "https:"
  } catch {
    return false
  }
}

/**
 * Rebuilds the gates of a spec with `@slipway/gates`. Every problem is collected (a bad
 * URL, a window that is not a duration, a duplicate name) rather than the first thrown.
 *
 * @example
 * import { gatesFromSpec } from "@slipway/aws"
 * const built = gatesFromSpec({ alarms: ["web-5xx"], errorRate: { max: 0.01, window: "1m" } })
 * if (built._tag === "Issues") console.error(built.issues)
 * else console.log(built.gates.map((g) => g.name)) // ["alarm web-5xx", "error-rate"]
 */
export const gatesFromSpec = (
  spec: DrivenGates | undefined,
):
  | { readonly _tag: "Gates"; readonly gates: ReadonlyArray<Gate<DrivenGateServices>> }
  | { readonly _tag: "Issues"; readonly issues: ReadonlyArray<InputIssue> } => {
  const gates: Array<Gate<DrivenGateServices>> = []
  const issues: Array<InputIssue> = []
  const build = (path: string, make: () => Gate<DrivenGateServices>) => {
    try {
      gates.push(make())
    } catch (e) {
      issues.push({
        path,
        message: e instanceof Gates.GateConfigError ? `${e.field} ${e.problem}` : String(e),
      })
    }
  }
  const guarded = <R>(minRequests: number | undefined, gate: Gate<R>): Gate<R | MetricSource> =>
    minRequests === undefined ? gate : Gates.requireTraffic(minRequests)(gate)

  spec?.http?.forEach((h, i) => {
    const path = `gates.http[${i}]`
    if (!isAbsoluteHttpUrl(h.url)) {
      issues.push({
        path: `${path}.url`,
        message: `${JSON.stringify(h.url)} is not an absolute http(s) URL; a driven AWS rollout probes from where \`pulumi up\` runs, which cannot reach one revision's private address — probe the service's public URL`,
      })
      return
    }
    let body: RegExp | string | undefined = h.bodyContains
    if (h.bodyMatches !== undefined) {
      try {
        body = new RegExp(h.bodyMatches)
      } catch (e) {
        issues.push({ path: `${path}.bodyMatches`, message: `is not a regular expression: ${String(e)}` })
        return
      }
    }
    build(path, () =>
      Gates.http(h.url, {
        ...(h.name === undefined ? {} : { name: h.name }),
        ...(h.method === undefined ? {} : { method: h.method }),
        ...(h.expectStatus === undefined ? {} : { expectStatus: h.expectStatus as Gates.StatusExpectation }),
        ...(body === undefined ? {} : { bodyMatches: body }),
        ...(h.headers === undefined ? {} : { requestHeaders: h.headers }),
        ...(h.timeout === undefined ? {} : { timeout: h.timeout }),
        ...(h.latency === undefined ? {} : { latency: h.latency }),
      }),
    )
  })
  spec?.alarms?.forEach((a, i) => {
    const alarm = typeof a === "string" ? a : a.alarm
    if (alarm.trim() === "") {
      issues.push({ path: `gates.alarms[${i}]`, message: "is empty; give the CloudWatch alarm's name" })
      return
    }
    build(`gates.alarms[${i}]`, () =>
      Gates.alarm(alarm, typeof a === "string" || a.name === undefined ? {} : { name: a.name }),
    )
  })
  const errorRate = spec?.errorRate
  if (errorRate !== undefined) {
    build("gates.errorRate", () =>
      guarded(
        errorRate.minRequests,
        Gates.errorRate({
          max: errorRate.max,
          window: errorRate.window,
          ...(errorRate.name === undefined ? {} : { name: errorRate.name }),
        }),
      ),
    )
  }
  spec?.latency?.forEach((l, i) => {
    build(`gates.latency[${i}]`, () =>
      guarded(
        l.minRequests,
        Gates.latency({
          max: l.max,
          window: l.window,
          ...(l.percentile === undefined ? {} : { percentile: l.percentile }),
          ...(l.name === undefined ? {} : { name: l.name }),
        }),
      ),
    )
  })
  const seen = new Set<string>()
  for (const gate of gates) {
    if (seen.has(gate.name)) {
      issues.push({
        path: "gates",
        message: `two gates are named "${gate.name}"; give each a unique \`name\` (Gate steps and verdicts refer to gates by name)`,
      })
    }
    seen.add(gate.name)
  }
  return issues.length > 0 ? { _tag: "Issues", issues } : { _tag: "Gates", gates }
}
