/**
 * The capabilities a driven rollout runs against, built from a `DrivenRollout`'s backend
 * and the placements of the revisions involved: the ALB router (or the Lambda alias
 * router) for traffic, slot-aware compute for ECS services and Auto Scaling groups (or
 * published Lambda versions), CloudWatch for metric and alarm gates. Everything goes
 * through the runtime layers in `src/runtime`, so every call is retried and bounded by
 * `callAws`.
 *
 * Slot-aware compute: before a candidate's slot is scaled up, the slot is pointed at the
 * candidate's release — UpdateService with its task definition, or UpdateAutoScalingGroup
 * with its launch template version (after emptying the group if it still runs another
 * version) — only when it is not already, so a resumed rollout changes nothing twice.
 */
import {
  type AutoScalingClient,
  AutoScalingClient as AutoScalingClientClass,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling"
import { type CloudWatchClient, CloudWatchClient as CloudWatchClientClass } from "@aws-sdk/client-cloudwatch"
import {
  DescribeServicesCommand,
  type ECSClient,
  ECSClient as ECSClientClass,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs"
import {
  type ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2Client as ElasticLoadBalancingV2ClientClass,
} from "@aws-sdk/client-elastic-load-balancing-v2"
import {
  GetFunctionConfigurationCommand,
  type LambdaClient,
  LambdaClient as LambdaClientClass,
} from "@aws-sdk/client-lambda"
import { type S3Client, S3Client as S3ClientClass } from "@aws-sdk/client-s3"
import {
  Compute,
  ComputeError,
  MetricSource,
  type Revision,
  type RevisionHealth,
  TrafficRouter,
} from "@slipway/core"
import { AlarmSource } from "@slipway/gates"
import { type Duration, Effect, Layer, Schedule } from "effect"
import { AlbTrafficRouter } from "../runtime/AlbTrafficRouter.ts"
import { makeAsgCompute } from "../runtime/AsgCompute.ts"
import { type AwsCallError, type AwsCallPolicy, callAws } from "../runtime/AwsCall.ts"
import { makeCloudWatchAlarms } from "../runtime/CloudWatchAlarms.ts"
import { type MetricTarget, makeCloudWatchMetrics } from "../runtime/CloudWatchMetrics.ts"
import { makeEcsCompute } from "../runtime/EcsCompute.ts"
import { makeLambdaAliasRouter } from "../runtime/LambdaAliasRouter.ts"
import {
  type DrivenAlbBackend,
  type DrivenBackend,
  type Placement,
  placementOf,
} from "./DrivenRolloutSpec.ts"

/**
 * The SDK clients a driven rollout talks to. `awsClients` makes them on first use.
 *
 * @example
 * import { awsClients } from "@slipway/aws"
 * const clients = awsClients({ region: "eu-west-1" })
 * clients.s3 // an S3Client, created now, reused afterwards
 */
export interface AwsClients {
  readonly s3: S3Client
  readonly elbv2: ElasticLoadBalancingV2Client
  readonly ecs: ECSClient
  readonly autoScaling: AutoScalingClient
  readonly lambda: LambdaClient
  readonly cloudWatch: CloudWatchClient
}

/**
 * SDK clients for a region (and a named profile), each created on first use with
 * `maxAttempts: 1` so that `callAws` is the one retry policy.
 *
 * @example
 * import { awsClients } from "@slipway/aws"
 * const clients = awsClients({ region: "eu-west-1", profile: "prod" })
 */
export const awsClients = (options: { readonly region: string; readonly profile?: string }): AwsClients => {
  const config = {
    region: options.region,
    maxAttempts: 1,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  }
  const cache = new Map<string, unknown>()
  const once = <C>(name: string, make: () => C): C => {
    if (!cache.has(name)) cache.set(name, make())
    return cache.get(name) as C
  }
  return {
    get s3() {
      return once("s3", () => new S3ClientClass({ ...config, followRegionRedirects: true }))
    },
    get elbv2() {
      return once("elbv2", () => new ElasticLoadBalancingV2ClientClass(config))
    },
    get ecs() {
      return once("ecs", () => new ECSClientClass(config))
    },
    get autoScaling() {
      return once("autoScaling", () => new AutoScalingClientClass(config))
    },
    get lambda() {
      return once("lambda", () => new LambdaClientClass(config))
    },
    get cloudWatch() {
      return once("cloudWatch", () => new CloudWatchClientClass(config))
    },
  }
}

/**
 * How calls are retried and how often compute polls (the defaults suit real AWS).
 *
 * @example
 * import type { DrivenRuntimeTiming } from "@slipway/aws"
 * const patient: DrivenRuntimeTiming = { call: { timeout: "1 minute" }, pollInterval: "20 seconds", healthTimeout: "10 minutes" }
 */
export interface DrivenRuntimeTiming {
  readonly call?: AwsCallPolicy
  /** ECS/ASG/Lambda readiness polls (defaults: 10 s, 15 s, 2 s). */
  readonly pollInterval?: Duration.Input
  /** ALB: wait for a target group's first healthy target (default 5 minutes). */
  readonly healthTimeout?: Duration.Input
}

/**
 * The capabilities a driven rollout and its gates need.
 *
 * @example
 * import type { DrivenCapabilities } from "@slipway/aws"
 * import type { Layer } from "effect"
 * declare const runtime: Layer.Layer<DrivenCapabilities>
 */
export type DrivenCapabilities = Compute | TrafficRouter | MetricSource | AlarmSource

/** What every ALB slot has, whatever runs in it. */
type AlbSlot = DrivenAlbBackend["slots"][number]

/** Revision id → placement, for the revisions a rollout may touch. */
type Placements = ReadonlyMap<string, Placement>

const placementsOf = (revisions: ReadonlyArray<Revision>): Placements => {
  const map = new Map<string, Placement>()
  for (const revision of revisions) {
    const placement = placementOf(revision)
    if (placement !== undefined) map.set(revision.id, placement)
  }
  return map
}

const tableOf = (
  placements: Placements,
  pick: (placement: Placement) => string | undefined,
): Readonly<Record<string, string>> => {
  const table: Record<string, string> = {}
  for (const [id, placement] of placements) {
    const value = pick(placement)
    if (value !== undefined) table[id] = value
  }
  return table
}

const slotOf = <S extends { readonly name: string }>(
  slots: ReadonlyArray<S>,
  placement: Placement | undefined,
) => slots.find((s) => s.name === placement?.slot)

const computeError = (revision: string, what: string) => (e: AwsCallError) =>
  new ComputeError({ revision, message: `${what}: ${e.message}`, cause: e })

const unplaced = (revision: string, backend: string) =>
  new ComputeError({
    revision,
    message: `revision ${revision} has no ${backend} placement recorded; it was not rolled out by a DrivenRollout`,
  })

/** The call policy and poll interval the inner compute layers take from `timing`. */
const pollTiming = (timing: DrivenRuntimeTiming) => ({
  ...(timing.call === undefined ? {} : { call: timing.call }),
  ...(timing.pollInterval === undefined ? {} : { pollInterval: timing.pollInterval }),
})

/** `inner`, with the revision's slot pointed at its release before every `ensure`. */
const preparingFirst = (
  inner: Compute["Service"],
  prepare: (revision: Revision) => Effect.Effect<void, ComputeError>,
): Compute["Service"] => ({
  ensure: (revision, replicas) => Effect.andThen(prepare(revision), inner.ensure(revision, replicas)),
  scale: inner.scale,
  health: inner.health,
})

// ---------------------------------------------------------------- ECS

const ecsSlotCompute = (
  backend: Extract<DrivenBackend, { readonly kind: "ecs" }>,
  client: ECSClient,
  placements: Placements,
  timing: DrivenRuntimeTiming,
): Compute["Service"] => {
  const { cluster } = backend
  const services = tableOf(placements, (p) => slotOf(backend.slots, p)?.service)
  const inner = makeEcsCompute({ client, cluster, services, ...pollTiming(timing) })

  /** Points the slot's service at the revision's task definition unless it already is. */
  const prepare = Effect.fn("EcsSlotCompute.prepare")(function* (revision: Revision) {
    const placement = placementOf(revision) ?? placements.get(revision.id)
    const slot = slotOf(backend.slots, placement)
    if (placement?.release.kind !== "ecs" || slot === undefined)
      return yield* unplaced(revision.id, "ECS slot")
    const taskDefinition = placement.release.taskDefinitionArn
    const what = `ECS service ${slot.service} in cluster ${cluster}`
    const described = yield* callAws(
      "DescribeServices",
      (abortSignal) =>
        client.send(new DescribeServicesCommand({ cluster, services: [slot.service] }), { abortSignal }),
      timing.call,
    ).pipe(Effect.mapError(computeError(revision.id, what)))
    const current = described.services?.find((s) => s.serviceName === slot.service)?.taskDefinition
    if (current === taskDefinition) return
    yield* callAws(
      "UpdateService",
      (abortSignal) =>
        client.send(new UpdateServiceCommand({ cluster, service: slot.service, taskDefinition }), {
          abortSignal,
        }),
      timing.call,
    ).pipe(Effect.mapError(computeError(revision.id, what)))
  })

  return preparingFirst(inner, prepare)
}

// ---------------------------------------------------------------- Auto Scaling

const asgSlotCompute = (
  backend: Extract<DrivenBackend, { readonly kind: "asg" }>,
  client: AutoScalingClient,
  placements: Placements,
  timing: DrivenRuntimeTiming,
): Compute["Service"] => {
  const groups = tableOf(placements, (p) => slotOf(backend.slots, p)?.autoScalingGroup)
  const inner = makeAsgCompute({ client, groups, ...pollTiming(timing) })

  /**
   * Points the slot's group at the revision's launch template version unless it already
   * is; instances of another version would keep running, so the group is emptied first.
   */
  const prepare = Effect.fn("AsgSlotCompute.prepare")(function* (revision: Revision) {
    const placement = placementOf(revision) ?? placements.get(revision.id)
    const slot = slotOf(backend.slots, placement)
    if (placement?.release.kind !== "asg" || slot === undefined) {
      return yield* unplaced(revision.id, "Auto Scaling slot")
    }
    const { launchTemplateId, launchTemplateVersion } = placement.release
    const name = slot.autoScalingGroup
    const what = `Auto Scaling group ${name}`
    const described = yield* callAws(
      "DescribeAutoScalingGroups",
      (abortSignal) =>
        client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }), { abortSignal }),
      timing.call,
    ).pipe(Effect.mapError(computeError(revision.id, what)))
    const group = described.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name)
    if (group === undefined) {
      return yield* new ComputeError({ revision: revision.id, message: `${what} does not exist` })
    }
    const template = group.LaunchTemplate
    if (template?.LaunchTemplateId === launchTemplateId && template.Version === launchTemplateVersion) return
    if ((group.Instances?.length ?? 0) > 0) yield* inner.ensure(revision, 0)
    yield* callAws(
      "UpdateAutoScalingGroup",
      (abortSignal) =>
        client.send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: name,
            LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: launchTemplateVersion },
          }),
          { abortSignal },
        ),
      timing.call,
    ).pipe(Effect.mapError(computeError(revision.id, what)))
  })

  return preparingFirst(inner, prepare)
}

// ---------------------------------------------------------------- Lambda

/**
 * Published Lambda versions as compute: a version exists once published and costs nothing
 * idle, so `ensure` waits until it is Active and `scale` only remembers the count asked for
 * (reported back as ready while the version is Active).
 */
const lambdaVersionCompute = (
  backend: Extract<DrivenBackend, { readonly kind: "lambda" }>,
  client: LambdaClient,
  placements: Placements,
  timing: DrivenRuntimeTiming,
): Compute["Service"] => {
  const { functionName } = backend
  const requested = new Map<string, number>()
  const versionOf = (revision: string): Effect.Effect<string, ComputeError> => {
    const release = placements.get(revision)?.release
    return release?.kind === "lambda"
      ? Effect.succeed(release.version)
      : Effect.fail(unplaced(revision, "Lambda"))
  }

  const observe = (revision: string) =>
    Effect.gen(function* () {
      const version = yield* versionOf(revision)
      const out = yield* callAws(
        "GetFunctionConfiguration",
        (abortSignal) =>
          client.send(
            new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: version }),
            {
              abortSignal,
            },
          ),
        timing.call,
      ).pipe(Effect.mapError(computeError(revision, `Lambda ${functionName}:${version}`)))
      const desired = requested.get(revision) ?? 1
      const active = out.State === "Active" && out.LastUpdateStatus !== "InProgress"
      const health: RevisionHealth = {
        revision,
        desired,
        ready: active ? desired : 0,
        restarts: 0,
        ...(out.StateReason === undefined ? {} : { lastError: out.StateReason }),
      }
      return { health, failed: out.State === "Failed" || out.LastUpdateStatus === "Failed", version }
    })

  return {
    ensure: (revision, replicas) =>
      Effect.gen(function* () {
        requested.set(revision.id, replicas)
        const observed = yield* observe(revision.id).pipe(
          Effect.flatMap((o) =>
            o.failed
              ? Effect.fail(
                  new ComputeError({
                    revision: revision.id,
                    message: `Lambda ${functionName}:${o.version} failed: ${o.health.lastError ?? "State Failed"}`,
                  }),
                )
              : Effect.succeed(o),
          ),
          Effect.repeat({
            schedule: Schedule.spaced(timing.pollInterval ?? "2 seconds"),
            until: (o) => o.health.ready >= replicas,
          }),
        )
        return observed.health
      }),
    scale: (revision, replicas) => Effect.sync(() => void requested.set(revision, replicas)),
    health: (revision) => Effect.map(observe(revision), (o) => o.health),
  }
}

// ---------------------------------------------------------------- all together

const metricTargets = (backend: DrivenBackend, placements: Placements): Record<string, MetricTarget> => {
  const targets: Record<string, MetricTarget> = {}
  for (const [id, placement] of placements) {
    if (backend.kind === "lambda") {
      if (placement.release.kind === "lambda") {
        targets[id] = {
          kind: "lambda",
          functionName: backend.functionName,
          alias: backend.alias,
          version: placement.release.version,
        }
      }
      continue
    }
    const slots: ReadonlyArray<AlbSlot> = backend.slots
    const slot = slotOf(slots, placement)
    if (slot?.targetGroupArnSuffix !== undefined && backend.loadBalancerArnSuffix !== undefined) {
      targets[id] = {
        kind: "alb",
        loadBalancer: backend.loadBalancerArnSuffix,
        targetGroup: slot.targetGroupArnSuffix,
      }
    }
  }
  return targets
}

/**
 * The capabilities for `backend`, knowing where each of `revisions` runs (their configs
 * carry their placements).
 *
 * @example
 * import { awsClients, drivenRuntimeLayer } from "@slipway/aws"
 * import { Rollout } from "@slipway/core"
 * import { Effect } from "effect"
 * const layer = drivenRuntimeLayer(backend, [stable, candidate], awsClients({ region: "eu-west-1" }))
 * const outcome = Rollout.run({ app, stable, candidate, strategy, replicas: 2 }).pipe(Effect.provide(layer))
 */
export const drivenRuntimeLayer = (
  backend: DrivenBackend,
  revisions: ReadonlyArray<Revision>,
  clients: AwsClients,
  timing: DrivenRuntimeTiming = {},
): Layer.Layer<DrivenCapabilities> => {
  const placements = placementsOf(revisions)
  const call = timing.call === undefined ? {} : { call: timing.call }
  let router: TrafficRouter["Service"]
  let compute: Compute["Service"]
  if (backend.kind === "lambda") {
    router = makeLambdaAliasRouter({
      client: clients.lambda,
      functionName: backend.functionName,
      alias: backend.alias,
      versions: tableOf(placements, (p) => (p.release.kind === "lambda" ? p.release.version : undefined)),
      ...call,
    })
    compute = lambdaVersionCompute(backend, clients.lambda, placements, timing)
  } else {
    const slots: ReadonlyArray<AlbSlot> = backend.slots
    const targetGroups = tableOf(placements, (p) => slotOf(slots, p)?.targetGroupArn)
    const front =
      backend.listenerArn !== undefined
        ? { listenerArn: backend.listenerArn }
        : { ruleArn: backend.ruleArn ?? "" }
    const alb = AlbTrafficRouter.make({
      client: clients.elbv2,
      targetGroups,
      ...front,
      ...call,
      ...(timing.healthTimeout === undefined ? {} : { healthTimeout: timing.healthTimeout }),
    })
    router = { setWeights: alb.setWeights, weights: alb.weights }
    compute =
      backend.kind === "ecs"
        ? ecsSlotCompute(backend, clients.ecs, placements, timing)
        : asgSlotCompute(backend, clients.autoScaling, placements, timing)
  }
  // CloudWatch clients are made only if a gate reads through them.
  const metrics = MetricSource.of({
    query: (query) =>
      makeCloudWatchMetrics({
        client: clients.cloudWatch,
        targets: metricTargets(backend, placements),
        ...call,
      }).query(query),
  })
  const alarms = AlarmSource.of({
    state: (name) => makeCloudWatchAlarms({ client: clients.cloudWatch, ...call }).state(name),
  })
  return Layer.mergeAll(
    Layer.succeed(TrafficRouter, router),
    Layer.succeed(Compute, compute),
    Layer.succeed(MetricSource, metrics),
    Layer.succeed(AlarmSource, alarms),
  )
}
