/**
 * Operator actions on a native ECS rollout: when `compileEcs` turned a pause-until-promoted
 * into a PAUSE lifecycle hook, the deployment waits at that stage until someone calls
 * `ContinueServiceDeployment`. `promote` continues it, `abort` rolls it back; both find the
 * waiting hook themselves (ListServiceDeployments → DescribeServiceDeployments).
 */
import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
} from "@aws-sdk/client-ecs"
import { Data, Effect } from "effect"
import { type AwsCallError, type AwsCallPolicy, callAws } from "./AwsCall.ts"

/**
 * The ECS service whose native deployments are acted on.
 *
 * @example
 * import type { EcsNativeDeploymentConfig } from "@slipway/aws"
 * const config: EcsNativeDeploymentConfig = { client: new ECSClient({}), cluster: "prod", service: "web" }
 */
export interface EcsNativeDeploymentConfig {
  readonly client: ECSClient
  readonly cluster: string
  readonly service: string
  readonly call?: AwsCallPolicy
}

/**
 * A deployment waiting at a PAUSE hook.
 *
 * @example
 * import { EcsNativeDeployment } from "@slipway/aws"
 * import { Effect } from "effect"
 * const waiting = EcsNativeDeployment.make(config).paused // Effect<PausedEcsDeployment | undefined, …>
 * const report = Effect.map(waiting, (p) => (p ? `waiting at ${p.lifecycleStage} until ${p.expiresAt?.toISOString()}` : "not paused"))
 */
export interface PausedEcsDeployment {
  readonly serviceDeploymentArn: string
  readonly hookId: string
  /** The stage it waits at, e.g. `POST_TEST_TRAFFIC_SHIFT`. */
  readonly lifecycleStage?: string
  /** When ECS gives up waiting and takes the timeout action (a rollback, as compiled). */
  readonly expiresAt?: Date
}

/**
 * A native ECS deployment could not be read or acted on.
 *
 * @example
 * import { EcsDeploymentError } from "@slipway/aws"
 * new EcsDeploymentError({ service: "web", message: "no deployment of web is waiting at a PAUSE hook" })
 */
export class EcsDeploymentError extends Data.TaggedError("EcsDeploymentError")<{
  readonly service: string
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Builds the operator actions for one ECS service.
 *
 * @example
 * import { makeEcsNativeDeployment } from "@slipway/aws"
 * import { ECSClient } from "@aws-sdk/client-ecs"
 * const deployment = makeEcsNativeDeployment({ client: new ECSClient({}), cluster: "prod", service: "web" })
 * await Effect.runPromise(deployment.promote) // continues the deployment waiting at its PAUSE hook
 */
export const makeEcsNativeDeployment = (config: EcsNativeDeploymentConfig) => {
  const { client, cluster, service } = config
  const fail = (e: AwsCallError) =>
    new EcsDeploymentError({
      service,
      message: `ECS service ${service} in ${cluster}: ${e.message}`,
      cause: e,
    })

  const paused: Effect.Effect<PausedEcsDeployment | undefined, EcsDeploymentError> = Effect.gen(function* () {
    const listed = yield* callAws(
      "ListServiceDeployments",
      (abortSignal) =>
        client.send(new ListServiceDeploymentsCommand({ cluster, service, status: ["IN_PROGRESS"] }), {
          abortSignal,
        }),
      config.call,
    )
    const arns = (listed.serviceDeployments ?? []).flatMap((d) =>
      d.serviceDeploymentArn === undefined ? [] : [d.serviceDeploymentArn],
    )
    if (arns.length === 0) return undefined
    const described = yield* callAws(
      "DescribeServiceDeployments",
      (abortSignal) =>
        client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns }), { abortSignal }),
      config.call,
    )
    for (const deployment of described.serviceDeployments ?? []) {
      const hook = deployment.lifecycleHookDetails?.find(
        (h) => h.targetType === "PAUSE" && h.status === "AWAITING_ACTION" && h.hookId !== undefined,
      )
      if (hook !== undefined && deployment.serviceDeploymentArn !== undefined) {
        return {
          serviceDeploymentArn: deployment.serviceDeploymentArn,
          hookId: hook.hookId!,
          ...(deployment.lifecycleStage === undefined ? {} : { lifecycleStage: deployment.lifecycleStage }),
          ...(hook.expiresAt === undefined ? {} : { expiresAt: hook.expiresAt }),
        }
      }
    }
    return undefined
  }).pipe(Effect.mapError(fail))

  const act = (action: "CONTINUE" | "ROLLBACK") =>
    Effect.gen(function* () {
      const waiting = yield* paused
      if (waiting === undefined) {
        return yield* new EcsDeploymentError({
          service,
          message: `no deployment of ${service} in ${cluster} is waiting at a PAUSE hook; nothing to ${action === "CONTINUE" ? "promote" : "abort"}`,
        })
      }
      yield* callAws(
        "ContinueServiceDeployment",
        (abortSignal) =>
          client.send(
            new ContinueServiceDeploymentCommand({
              serviceDeploymentArn: waiting.serviceDeploymentArn,
              hookId: waiting.hookId,
              action,
            }),
            { abortSignal },
          ),
        config.call,
      ).pipe(Effect.mapError(fail))
      return waiting
    })

  return {
    /** The deployment waiting at a PAUSE hook, if any. */
    paused,
    /** Continues the waiting deployment to its next stage. */
    promote: act("CONTINUE"),
    /** Rolls the waiting deployment back to the previous revision. */
    abort: act("ROLLBACK"),
  }
}

/**
 * Operator actions on native ECS rollouts.
 *
 * @example
 * import { EcsNativeDeployment } from "@slipway/aws"
 * const web = EcsNativeDeployment.make({ client, cluster: "prod", service: "web" })
 * yield* web.promote
 */
export const EcsNativeDeployment = { make: makeEcsNativeDeployment } as const
