/**
 * Driven compute on ECS: each revision is its own ECS service (created by the Pulumi
 * component with its task definition), and the rollout engine sizes them. `ensure` sets the
 * desired count and polls (bounded) until ECS reports the service steady: one deployment,
 * as many running tasks as asked, nothing pending.
 */
import {
  DescribeServicesCommand,
  type ECSClient,
  type Service,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs"
import { Compute, ComputeError, type RevisionHealth } from "@slipway/core"
import { type Duration, Effect, Layer } from "effect"
import { type AwsCallError, type AwsCallPolicy, callAws } from "./AwsCall.ts"
import { makePollingCompute } from "./PollingCompute.ts"
import type { RevisionMap } from "./RevisionMap.ts"

/**
 * The cluster and which service runs which revision.
 *
 * @example
 * import type { EcsComputeConfig } from "@slipway/aws"
 * const config: EcsComputeConfig = { client, cluster: "prod", services: { "web-aaa": "web-blue" }, readyTimeout: "5 minutes" }
 */
export interface EcsComputeConfig {
  readonly client: ECSClient
  readonly cluster: string
  /** Revision id → ECS service name. */
  readonly services: RevisionMap
  readonly call?: AwsCallPolicy
  /** Time between DescribeServices polls while waiting (default 10 s). */
  readonly pollInterval?: Duration.Input
  /** Longest `ensure` waits for the service to be steady (default 10 minutes, Argo's progress deadline). */
  readonly readyTimeout?: Duration.Input
}

interface Observed {
  readonly health: RevisionHealth
  readonly steady: boolean
  readonly failedReason?: string
}

const observe = (revision: string, service: Service, desired: number): Observed => {
  const deployments = service.deployments ?? []
  const primary = deployments.find((d) => d.status === "PRIMARY") ?? deployments[0]
  const running = service.runningCount ?? 0
  const lastEvent = service.events?.[0]?.message
  const failed = primary?.rolloutState === "FAILED"
  const health: RevisionHealth = {
    revision,
    desired: service.desiredCount ?? desired,
    ready: primary?.runningCount ?? running,
    restarts: primary?.failedTasks ?? 0,
    ...(failed && primary?.rolloutStateReason !== undefined
      ? { lastError: primary.rolloutStateReason }
      : lastEvent !== undefined
        ? { lastError: lastEvent }
        : {}),
  }
  const steady =
    deployments.length === 1 &&
    running === desired &&
    (service.pendingCount ?? 0) === 0 &&
    (primary?.rolloutState === undefined || primary.rolloutState === "COMPLETED")
  return {
    health,
    steady,
    ...(failed ? { failedReason: primary?.rolloutStateReason ?? "rollout FAILED" } : {}),
  }
}

/**
 * Builds the ECS compute operations.
 *
 * @example
 * import { makeEcsCompute } from "@slipway/aws"
 * import { ECSClient } from "@aws-sdk/client-ecs"
 * const compute = makeEcsCompute({ client: new ECSClient({ maxAttempts: 1 }), cluster: "prod", services: { "web-aaa": "web-blue" } })
 */
export const makeEcsCompute = (config: EcsComputeConfig): Compute["Service"] => {
  const { client, cluster } = config
  const computeError = (revision: string) => (e: AwsCallError) =>
    new ComputeError({ revision, message: `ECS ${cluster}: ${e.message}`, cause: e })

  return makePollingCompute<Observed>({
    span: "EcsCompute",
    resources: config.services,
    unmapped: (revision) => `no ECS service for revision ${revision}; add it to the services map`,
    resize: (revision, name, desiredCount) =>
      callAws(
        "UpdateService",
        (abortSignal) =>
          client.send(new UpdateServiceCommand({ cluster, service: name, desiredCount }), { abortSignal }),
        config.call,
      ).pipe(Effect.asVoid, Effect.mapError(computeError(revision))),
    describe: (revision, name, desired) =>
      callAws(
        "DescribeServices",
        (abortSignal) =>
          client.send(new DescribeServicesCommand({ cluster, services: [name] }), { abortSignal }),
        config.call,
      ).pipe(
        Effect.mapError(computeError(revision)),
        Effect.flatMap((out) => {
          const service = out.services?.find(
            (s) => s.serviceName === name || s.serviceArn?.endsWith(`/${name}`),
          )
          if (service === undefined || service.status === "INACTIVE") {
            const reason = out.failures?.[0]?.reason ?? service?.status ?? "MISSING"
            return Effect.fail(
              new ComputeError({
                revision,
                message: `ECS service ${name} in cluster ${cluster} is ${reason}`,
              }),
            )
          }
          return Effect.succeed(observe(revision, service, desired ?? service.desiredCount ?? 0))
        }),
      ),
    failFast: (revision, name, o) =>
      o.failedReason === undefined
        ? undefined
        : new ComputeError({ revision, message: `ECS deployment of ${name} failed: ${o.failedReason}` }),
    pollInterval: config.pollInterval ?? "10 seconds",
    readyTimeout: config.readyTimeout ?? "10 minutes",
    notReady: (name, replicas, within, last) =>
      `ECS service ${name} did not reach ${replicas} running task(s) within ${within}: ${last === undefined ? "no answer from DescribeServices" : `${last.health.ready} running, ${last.health.restarts} failed task(s)${last.health.lastError === undefined ? "" : `; last event: ${last.health.lastError}`}`}`,
  })
}

/**
 * `Compute` on ECS services, one service per revision.
 *
 * @example
 * import { EcsCompute } from "@slipway/aws"
 * const ComputeLive = EcsCompute.layer({ client, cluster: "prod", services: { "web-aaa": "web-blue", "web-bbb": "web-green" } })
 */
export const EcsCompute = {
  make: makeEcsCompute,
  layer: (config: EcsComputeConfig): Layer.Layer<Compute> => Layer.succeed(Compute, makeEcsCompute(config)),
} as const
