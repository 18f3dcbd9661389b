/**
 * The shapes the service components take from the rest of a program: where to run
 * (a network) and what name to answer on (a domain). They are structural, so the
 * `Network` and `Domain` components fit them, and so does any existing VPC or zone
 * described by hand.
 */

import type * as pulumi from "@pulumi/pulumi"
import type { Gate, Strategy } from "@slipway/core"
import type { ServiceAlarmsArgs } from "../Observe.ts"
import type { DrivenGates } from "../rollout/GatesSpec.ts"

/**
 * A VPC with public subnets (for the load balancer) and private subnets (for tasks,
 * instances and functions). A `Network` component fits; so does an existing VPC.
 *
 * @example
 * const network: ServiceNetwork = {
 *   vpcId: "vpc-0abc",
 *   publicSubnetIds: ["subnet-pub-a", "subnet-pub-b"],
 *   privateSubnetIds: ["subnet-priv-a", "subnet-priv-b"],
 * }
 */
export interface ServiceNetwork {
  readonly vpcId: pulumi.Input<string>
  readonly publicSubnetIds: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>
  readonly privateSubnetIds: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>
}

/**
 * A DNS name in a Route 53 hosted zone with an ACM certificate valid for it. A `Domain`
 * component fits.
 *
 * @example
 * const domain: ServiceDomain = {
 *   name: "app.example.com",
 *   zoneId: "Z0123456789ABC",
 *   certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/…",
 * }
 */
export interface ServiceDomain {
  readonly name: string
  readonly zoneId: pulumi.Input<string>
  readonly certificateArn: pulumi.Input<string>
}

/**
 * How a load-balanced service is reached over TLS. Exactly one of `domain`,
 * `certificateArn` or `insecureHttpOnly: true` must be given.
 *
 * @example
 * const viaDomain: HttpsArgs = { domain }
 * const viaCertificate: HttpsArgs = { certificateArn: "arn:aws:acm:…:certificate/…" }
 * const throwaway: HttpsArgs = { insecureHttpOnly: true } // warned about, flagged by policy checks
 */
export interface HttpsArgs {
  /**
   * The name to serve on: its certificate terminates HTTPS on port 443 and an alias
   * record in its zone points at the load balancer.
   *
   * @example
   * { domain: new Domain("app", { name: "app.example.com", zoneName: "example.com" }) }
   */
  readonly domain?: ServiceDomain
  /**
   * An ACM certificate for HTTPS when the DNS record is managed elsewhere.
   *
   * @example
   * { certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e…" }
   */
  readonly certificateArn?: pulumi.Input<string>
  /**
   * Serve plain HTTP on port 80 with no HTTPS at all. For throwaway stacks only: it is
   * logged as a warning and stack policy checks flag it.
   *
   * @example
   * { insecureHttpOnly: true }
   */
  readonly insecureHttpOnly?: boolean
}

/**
 * Who runs a service's strategy.
 *
 * - `"native"` (default): the strategy is compiled to the service's AWS mechanism (ECS
 *   deployment configuration, CodeDeploy, Auto Scaling instance refresh), which runs it
 *   server-side; gates are CloudWatch alarms (`alarmNames`, `observe`). A strategy the
 *   mechanism cannot express is refused.
 * - `"driven"`: `pulumi up` runs the strategy itself through a `DrivenRollout` resource —
 *   two slots (blue and green ECS services or Auto Scaling groups behind weighted target
 *   groups, or the Lambda `live` alias's routing weights), any step list, and the gates in
 *   `gates` (HTTP probes, alarms, error rate, latency). The journal lives in S3, so
 *   `slipway status | promote | abort --target aws` can watch and steer it.
 *
 * @example
 * const driven: ServiceRolloutArgs = {
 *   mode: "driven",
 *   gates: { http: [{ url: "/healthz" }], errorRate: { max: 0.01, window: "1m", minRequests: 50 } },
 * }
 */
export interface ServiceRolloutArgs {
  /**
   * `"native"` (default) or `"driven"`.
   *
   * @example
   * { mode: "driven" }
   */
  readonly mode: "native" | "driven"
  /**
   * Driven mode: the gates, as data (they are rebuilt in Pulumi's provider process). An
   * HTTP gate's `url` may be a path (`"/healthz"`), resolved against the service's `url`.
   * The service's `alarmNames` and `observe` alarms are added as alarm gates.
   *
   * @example
   * { gates: { http: [{ url: "/healthz", expectStatus: "2xx" }], alarms: ["web-5xx"] } }
   */
  readonly gates?: DrivenGates
  /**
   * Driven mode: an existing bucket (and key prefix) for the rollout journal, e.g. one
   * `RolloutJournalBucket` shared by a stack's services. Default: the service creates its own.
   *
   * @example
   * { journal: { bucket: journal.bucket, prefix: "rollouts" } }
   */
  readonly journal?: { readonly bucket: pulumi.Input<string>; readonly prefix?: string }
}

/**
 * How a service is rolled out: the strategy and the gates its steps name. Both are kept
 * on the component (`strategy`, `gates`) for driven rollouts to read.
 *
 * @example
 * import { canary } from "@slipway/strategies"
 * const rollout: RolloutArgs = { strategy: canary({ steps: [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }] }), gates: [errorRate] }
 */
export interface RolloutArgs {
  /**
   * The progressive-delivery strategy (canary, linear, blue-green…). It is checked and
   * compiled to the service's native mechanism (ECS deployment configuration, Auto
   * Scaling instance refresh, CodeDeploy) before anything is created; a strategy the
   * mechanism cannot express is refused with the reason and the alternative.
   *
   * @example
   * { strategy: canary({ steps: [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }] }) }
   */
  readonly strategy?: Strategy
  /**
   * Health gates the strategy's `Gate` steps (and background analysis) evaluate.
   *
   * @example
   * { gates: [Gate.errorRate({ max: 0.01, window: "1m" }), Gate.latency({ percentile: 99, max: "800ms", window: "1m" })] }
   */
  readonly gates?: ReadonlyArray<Gate<unknown>>
  /**
   * Who runs the strategy: AWS natively (default) or `pulumi up` itself (`mode: "driven"`,
   * for step lists and gates no native mechanism offers).
   *
   * @example
   * { strategy: canary({ steps: [10, 25, 50].map((weight) => ({ weight, bake: "5m" })) }), rollout: { mode: "driven" } }
   */
  readonly rollout?: ServiceRolloutArgs
}

/**
 * Alarms a service builds over its own targets (`ServiceAlarms`): its target groups, or
 * its function's live alias. Their names go to the native rollout, which rolls back when
 * one fires — the way gates are judged while traffic shifts server-side.
 *
 * @example
 * const observe: ObserveArgs = { thresholds: { errorRate: 0.01, latencyP99: "800ms" }, alarmActions: [topic.arn] }
 */
export type ObserveArgs = Omit<ServiceAlarmsArgs, "targetGroups" | "functions">
