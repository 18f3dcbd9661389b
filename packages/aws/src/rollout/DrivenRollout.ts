/**
 * The resource that makes `pulumi up` perform a driven rollout. A service component
 * creates one beside its blue/green slots; when the revision changes, Pulumi updates it,
 * and the update moves traffic step by step, checks the gates and, when one fails, rolls
 * back before failing the `pulumi up` with the reason. When the revision does not change,
 * nothing happens.
 *
 * It is a Pulumi dynamic resource (type `pulumi-nodejs:dynamic:Resource`). Pulumi
 * serializes a dynamic provider's code into the state and runs it in a separate process;
 * this provider is deliberately tiny — each method `require`s `@slipway/aws/rollout-provider`
 * by name in that process (where it resolves from the project's `node_modules`) and calls
 * the real implementation, so the serialized text captures no effect runtime or SDK
 * internals and a newer `@slipway/aws` takes effect without touching the state.
 */
import * as pulumi from "@pulumi/pulumi"
import type { Revision, Strategy } from "@slipway/core"
import type { DrivenBackend, DrivenRelease, LastRollout } from "./DrivenRolloutSpec.ts"
import type { DrivenGates } from "./GatesSpec.ts"

/**
 * A value whose every part may be a Pulumi `Input` (an ARN from a resource deep inside a
 * backend description, say).
 *
 * @example
 * import type { DeepInput } from "@slipway/aws"
 * const slot: DeepInput<{ name: string; targetGroupArn: string }> = { name: "blue", targetGroupArn: blue.arn }
 */
export type DeepInput<T> = T extends string | number | boolean | null | undefined
  ? pulumi.Input<T>
  : T extends ReadonlyArray<infer E>
    ? pulumi.Input<ReadonlyArray<DeepInput<E>>>
    : T extends object
      ? pulumi.Input<{ readonly [K in keyof T]: DeepInput<T[K]> }>
      : pulumi.Input<T>

/**
 * What a `DrivenRollout` takes. Everything must be plain data: it is sent to the provider
 * process as JSON (gates as a spec, rebuilt there).
 *
 * @example
 * import type { DrivenRolloutArgs } from "@slipway/aws"
 * const args: DrivenRolloutArgs = {
 *   app: "web-prod",
 *   revision: { id: "web-3f9c2a7b1d0e", artifact: { digest, uri: image }, config: { port: 8080 } },
 *   release: { kind: "ecs", taskDefinitionArn: taskDefinition.arn },
 *   strategy: canary({ steps: [10, 50, 100], pause: "5m" }),
 *   gates: { alarms: ["web-5xx"], errorRate: { max: 0.01, window: "1m", minRequests: 50 } },
 *   replicas: 2,
 *   backend: { kind: "ecs", cluster: cluster.name, ruleArn: rule.arn, slots },
 *   journal: { bucket: journalBucket.bucket },
 *   region: "eu-west-1",
 * }
 */
export interface DrivenRolloutArgs {
  /** Names the rollout's journal folder: unique per stack and service (e.g. `<project>-<stack>-<name>`). */
  readonly app: pulumi.Input<string>
  /**
   * The revision to roll out. Its `id` decides whether anything happens: derive it from
   * everything that changes behaviour (`makeRevision` from `@slipway/core`).
   */
  readonly revision: DeepInput<{
    readonly id: string
    readonly artifact: { readonly digest: string; readonly uri: string }
    readonly config: Readonly<Record<string, unknown>>
  }>
  /** What runs the revision: task definition, launch template version or Lambda version. */
  readonly release: DeepInput<DrivenRelease>
  readonly strategy: pulumi.Input<Strategy>
  readonly gates?: DeepInput<DrivenGates>
  /** Tasks or instances at full promotion (1 for Lambda). */
  readonly replicas: pulumi.Input<number>
  readonly backend: DeepInput<DrivenBackend>
  /** The S3 bucket (and key prefix) holding the journal. */
  readonly journal: DeepInput<{ readonly bucket: string; readonly prefix?: string }>
  readonly region: pulumi.Input<string>
  /** The named AWS profile the stack deploys with, if any (`aws:profile`). */
  readonly profile?: pulumi.Input<string>
}

/** The serialized provider: nothing but a `require` by package name, per method. */
const provider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => require("@slipway/aws/rollout-provider").drivenRolloutProvider.check(olds, news),
  diff: (id, olds, news) =>
    require("@slipway/aws/rollout-provider").drivenRolloutProvider.diff(id, olds, news),
  create: (inputs) => require("@slipway/aws/rollout-provider").drivenRolloutProvider.create(inputs),
  update: (id, olds, news) =>
    require("@slipway/aws/rollout-provider").drivenRolloutProvider.update(id, olds, news),
  delete: (id, props) => require("@slipway/aws/rollout-provider").drivenRolloutProvider.delete(id, props),
}

/**
 * Performs the driven rollout of `revision` when `pulumi up` changes it (see the module
 * comment). Its outputs say what serves and how the last rollout ended.
 *
 * @example
 * import { DrivenRollout } from "@slipway/aws"
 * const rollout = new DrivenRollout(`${name}-rollout`, args, { parent: this, dependsOn: [blueService, greenService, rule] })
 * export const serving = rollout.serving.apply((r) => r?.id)
 */
export class DrivenRollout extends pulumi.dynamic.Resource {
  /** The revision serving the app after the last `pulumi up` (with its placement). */
  declare readonly serving: pulumi.Output<Revision | null>
  /** How the last rollout this resource drove ended. */
  declare readonly lastRollout: pulumi.Output<LastRollout | undefined>
  declare readonly app: pulumi.Output<string>

  constructor(name: string, args: DrivenRolloutArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, serving: undefined, lastRollout: undefined }, opts)
  }
}
