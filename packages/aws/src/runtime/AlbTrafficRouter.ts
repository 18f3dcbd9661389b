/**
 * Driven traffic shifting on an Application Load Balancer: the listener's (or a rule's)
 * forward action holds one weighted target group per revision, and `setWeights` rewrites
 * those weights.
 *
 * Each change: read the forward action; wait (bounded) until every target group that is
 * about to receive traffic for the first time has a healthy target, so no request meets an
 * empty group; write the weights; read them back to confirm. Everything else on the action
 * (order, stickiness, other actions) is kept.
 *
 * Draining: weight 0 stops new requests at once while in-flight ones finish on targets that
 * stay registered. ECS services and Auto Scaling groups deregister a target and wait out the
 * target group's deregistration delay before stopping it, so scaling the old side down with
 * `EcsCompute`/`AsgCompute` never cuts a request; `deregistrationDelay` exposes that delay for
 * anything that stops targets another way (and for timelines).
 */
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2"
import { RouterError, TrafficRouter, type Weights } from "@slipway/core"
import { Context, Duration, Effect, Layer, Schedule } from "effect"
import { type AwsCallError, type AwsCallPolicy, callAws } from "./AwsCall.ts"
import { lookupOf, type RevisionMap } from "./RevisionMap.ts"
import { showWeights, weightsProblem } from "./Weights.ts"

/**
 * Where the weights live and which target group is which revision.
 *
 * @example
 * import type { AlbTrafficRouterConfig } from "@slipway/aws"
 * const config: AlbTrafficRouterConfig = { client, listenerArn, targetGroups: { "web-aaa": blueArn, "web-bbb": greenArn }, healthTimeout: "3 minutes" }
 */
export type AlbTrafficRouterConfig = {
  readonly client: ElasticLoadBalancingV2Client
  /** Revision id → target group ARN. */
  readonly targetGroups: RevisionMap
  readonly call?: AwsCallPolicy
  /** How often to re-check a target group waiting for its first healthy target (default 5 s). */
  readonly healthPollInterval?: Duration.Input
  /** How long to wait for it (default 5 minutes). */
  readonly healthTimeout?: Duration.Input
} & (
  | { readonly listenerArn: string; readonly ruleArn?: never }
  | { readonly ruleArn: string; readonly listenerArn?: never }
)

/** ELB's default when a target group does not set `deregistration_delay.timeout_seconds`. */
const DEFAULT_DEREGISTRATION_SECONDS = 300

interface ForwardState {
  readonly actions: ReadonlyArray<Action>
  readonly index: number
  /** Raw ALB weights (0..999) by target group ARN. */
  readonly raw: ReadonlyMap<string, number>
}

/**
 * The ALB router's operations: the core `TrafficRouter` ones plus the drain time of a
 * revision's target group.
 *
 * @example
 * import { AlbTrafficRouter } from "@slipway/aws"
 * import { Effect } from "effect"
 * const drain = Effect.gen(function* () {
 *   const alb = yield* AlbTrafficRouter
 *   const ms = yield* alb.deregistrationDelay("web-3f9c2a7b1d0e")
 *   yield* Effect.sleep(ms) // before scaling the old revision down
 * })
 */
export class AlbTrafficRouter extends Context.Service<
  AlbTrafficRouter,
  {
    readonly setWeights: (app: string, weights: Weights) => Effect.Effect<void, RouterError>
    readonly weights: (app: string) => Effect.Effect<Weights, RouterError>
    /** How long (ms) the load balancer keeps sending in-flight requests to a target after it leaves. */
    readonly deregistrationDelay: (revision: string) => Effect.Effect<number, RouterError>
  }
>()("@slipway/aws/AlbTrafficRouter") {
  /**
   * Builds the router from its configuration.
   *
   * @example
   * import { AlbTrafficRouter } from "@slipway/aws"
   * import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2"
   * const router = AlbTrafficRouter.make({
   *   client: new ElasticLoadBalancingV2Client({ maxAttempts: 1 }),
   *   listenerArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/1/2",
   *   targetGroups: { "web-aaa": blueArn, "web-bbb": greenArn },
   * })
   */
  static make(config: AlbTrafficRouterConfig): AlbTrafficRouter["Service"] {
    return makeAlbTrafficRouter(config)
  }

  /**
   * Provides both `TrafficRouter` (for the rollout engine) and `AlbTrafficRouter`.
   *
   * @example
   * import { AlbTrafficRouter } from "@slipway/aws"
   * const RouterLive = AlbTrafficRouter.layer({ client, listenerArn, targetGroups })
   * program.pipe(Effect.provide(RouterLive))
   */
  static layer(config: AlbTrafficRouterConfig): Layer.Layer<TrafficRouter | AlbTrafficRouter> {
    const router = makeAlbTrafficRouter(config)
    return Layer.mergeAll(
      Layer.succeed(AlbTrafficRouter, router),
      Layer.succeed(
        TrafficRouter,
        TrafficRouter.of({ setWeights: router.setWeights, weights: router.weights }),
      ),
    )
  }
}

const describeHealth = (targets: ReadonlyArray<TargetHealthDescription>): string =>
  targets.length === 0
    ? "no targets registered"
    : targets
        .map((t) => {
          const h = t.TargetHealth
          const reason =
            h?.Reason === undefined ? "" : ` (${h.Reason}${h.Description ? `: ${h.Description}` : ""})`
          return `${t.Target?.Id ?? "?"}${t.Target?.Port === undefined ? "" : `:${t.Target.Port}`} ${h?.State ?? "unknown"}${reason}`
        })
        .join(", ")

const makeAlbTrafficRouter = (config: AlbTrafficRouterConfig): AlbTrafficRouter["Service"] => {
  const { client } = config
  const lookup = lookupOf(config.targetGroups)
  const where = config.listenerArn !== undefined ? `listener ${config.listenerArn}` : `rule ${config.ruleArn}`
  const pollInterval = config.healthPollInterval ?? "5 seconds"
  const healthTimeout = config.healthTimeout ?? "5 minutes"
  const routerError = (e: AwsCallError) =>
    new RouterError({ message: `ALB ${where}: ${e.message}`, cause: e })

  const readForward: Effect.Effect<ForwardState, RouterError> = Effect.gen(function* () {
    let actions: ReadonlyArray<Action>
    if (config.listenerArn !== undefined) {
      const out = yield* callAws(
        "DescribeListeners",
        (abortSignal) =>
          client.send(new DescribeListenersCommand({ ListenerArns: [config.listenerArn!] }), { abortSignal }),
        config.call,
      )
      actions = out.Listeners?.[0]?.DefaultActions ?? []
    } else {
      const out = yield* callAws(
        "DescribeRules",
        (abortSignal) =>
          client.send(new DescribeRulesCommand({ RuleArns: [config.ruleArn!] }), { abortSignal }),
        config.call,
      )
      actions = out.Rules?.[0]?.Actions ?? []
    }
    const index = actions.findIndex((a) => a.Type === "forward")
    const forward = actions[index]
    if (forward === undefined) {
      return yield* new RouterError({
        message: `ALB ${where} has no forward action (it has: ${actions.map((a) => a.Type).join(", ") || "none"}); Slipway shifts traffic by weighting a forward action's target groups`,
      })
    }
    const raw = new Map<string, number>()
    const groups = forward.ForwardConfig?.TargetGroups
    if (groups !== undefined && groups.length > 0) {
      for (const g of groups) if (g.TargetGroupArn !== undefined) raw.set(g.TargetGroupArn, g.Weight ?? 1)
    } else if (forward.TargetGroupArn !== undefined) raw.set(forward.TargetGroupArn, 1)
    return { actions, index, raw }
  }).pipe(Effect.mapError((e) => (e._tag === "AwsCallError" ? routerError(e) : e)))

  const toWeights = (raw: ReadonlyMap<string, number>): Effect.Effect<Weights, RouterError> => {
    const total = [...raw.values()].reduce((s, w) => s + w, 0)
    const weights: Record<string, number> = {}
    for (const [arn, w] of raw) {
      const revision = lookup.revisionOf(arn)
      if (revision === undefined) {
        return Effect.fail(
          new RouterError({
            message: `ALB ${where} forwards to target group ${arn}, which no revision maps to; add it to targetGroups`,
          }),
        )
      }
      // ALB weights are relative (0..999); Slipway's are percent.
      weights[revision] = total === 0 ? 0 : Math.round((w / total) * 10_000) / 100
    }
    return Effect.succeed(weights)
  }

  const waitHealthy = (revision: string, arn: string): Effect.Effect<void, RouterError> => {
    let last: ReadonlyArray<TargetHealthDescription> = []
    const check = callAws(
      "DescribeTargetHealth",
      (abortSignal) => client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }), { abortSignal }),
      config.call,
    ).pipe(
      Effect.map((out) => {
        last = out.TargetHealthDescriptions ?? []
        return last.some((t) => t.TargetHealth?.State === "healthy")
      }),
      Effect.mapError(routerError),
    )
    return Effect.repeat(check, {
      schedule: Schedule.spaced(pollInterval),
      until: (healthy) => healthy,
    }).pipe(
      Effect.asVoid,
      Effect.timeoutOrElse({
        duration: healthTimeout,
        orElse: () =>
          Effect.fail(
            new RouterError({
              message: `target group ${arn} (revision ${revision}) has no healthy target after ${Duration.format(Duration.fromInputUnsafe(healthTimeout))}, so no traffic was sent to it: ${describeHealth(last)}`,
            }),
          ),
      }),
    )
  }

  const write = (state: ForwardState, groups: ReadonlyArray<{ arn: string; weight: number }>) => {
    const forward = state.actions[state.index]!
    const { TargetGroupArn: _single, ...rest } = forward
    const updated: Action = {
      ...rest,
      ForwardConfig: {
        ...forward.ForwardConfig,
        TargetGroups: groups.map((g) => ({ TargetGroupArn: g.arn, Weight: g.weight })),
      },
    }
    const actions = state.actions.map((a, i) => (i === state.index ? updated : a))
    return (
      config.listenerArn !== undefined
        ? callAws(
            "ModifyListener",
            (abortSignal) =>
              client.send(
                new ModifyListenerCommand({ ListenerArn: config.listenerArn!, DefaultActions: actions }),
                {
                  abortSignal,
                },
              ),
            config.call,
          )
        : callAws(
            "ModifyRule",
            (abortSignal) =>
              client.send(new ModifyRuleCommand({ RuleArn: config.ruleArn!, Actions: actions }), {
                abortSignal,
              }),
            config.call,
          )
    ).pipe(Effect.asVoid, Effect.mapError(routerError))
  }

  const setWeights = Effect.fn("AlbTrafficRouter.setWeights")(function* (_app: string, weights: Weights) {
    const problem = weightsProblem(weights)
    if (problem !== undefined)
      return yield* new RouterError({ message: `cannot set ALB weights: ${problem}` })
    const groups: Array<{ revision: string; arn: string; weight: number }> = []
    for (const [revision, weight] of Object.entries(weights)) {
      const arn = lookup.resourceOf(revision)
      if (arn === undefined) {
        return yield* new RouterError({
          message: `no target group for revision ${revision}; add it to targetGroups of the ALB router`,
        })
      }
      groups.push({ revision, arn, weight })
    }
    if (groups.length > 5) {
      return yield* new RouterError({
        message: `${groups.length} target groups given; an ALB forward action holds at most 5`,
      })
    }
    const before = yield* readForward
    for (const g of groups) {
      if (g.weight > 0 && (before.raw.get(g.arn) ?? 0) === 0) yield* waitHealthy(g.revision, g.arn)
    }
    yield* write(before, groups)
    const after = yield* readForward
    const mismatch = groups.filter((g) => after.raw.get(g.arn) !== g.weight)
    if (mismatch.length > 0) {
      const seen = Object.fromEntries([...after.raw].map(([arn, w]) => [lookup.revisionOf(arn) ?? arn, w]))
      return yield* new RouterError({
        message: `ALB ${where} accepted ${showWeights(weights)} but reads back ${showWeights(seen)}; another writer may be changing it`,
      })
    }
  })

  const deregistrationDelay = (revision: string): Effect.Effect<number, RouterError> => {
    const arn = lookup.resourceOf(revision)
    if (arn === undefined) {
      return Effect.fail(
        new RouterError({ message: `no target group for revision ${revision}; add it to targetGroups` }),
      )
    }
    return callAws(
      "DescribeTargetGroupAttributes",
      (abortSignal) =>
        client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }), { abortSignal }),
      config.call,
    ).pipe(
      Effect.map((out) => {
        const value = out.Attributes?.find((a) => a.Key === "deregistration_delay.timeout_seconds")?.Value
        const seconds = value === undefined ? DEFAULT_DEREGISTRATION_SECONDS : Number(value)
        return (Number.isFinite(seconds) ? seconds : DEFAULT_DEREGISTRATION_SECONDS) * 1_000
      }),
      Effect.mapError(routerError),
    )
  }

  return {
    setWeights,
    weights: (_app) => Effect.flatMap(readForward, (state) => toWeights(state.raw)),
    deregistrationDelay,
  }
}
