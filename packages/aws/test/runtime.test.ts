import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling"
import type { ECSClient } from "@aws-sdk/client-ecs"
import type { Action, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2"
import type { LambdaClient } from "@aws-sdk/client-lambda"
import { assert, describe, it } from "@effect/vitest"
import {
  Compute,
  defaultAnalysis,
  type Gate,
  Journal,
  makeRevision,
  Rollout,
  RolloutEvents,
  type Step,
  type Strategy,
  TrafficRouter,
  Verdict,
} from "@slipway/core"
import { canary } from "@slipway/strategies"
import { Effect, Exit, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import {
  AlbTrafficRouter,
  AsgCompute,
  callAws,
  EcsCompute,
  isRetryableAwsError,
  LambdaAliasRouter,
} from "../src/runtime/index.ts"

// ---------------------------------------------------------------- a stub SDK client

interface Sent {
  /** `command.constructor.name`, e.g. `ModifyListenerCommand`. */
  readonly name: string
  // biome-ignore lint/suspicious/noExplicitAny: a stub answers every SDK command; each input has its own shape
  readonly input: any
}

/**
 * A client whose `send` records each command (name and input, in order, into `log`) and
 * answers from `respond` (a thrown error becomes a rejected promise, as the SDK does).
 */
// biome-ignore lint/suspicious/noExplicitAny: as above
const stubClient = <C>(respond: (name: string, input: any) => unknown, log: Array<Sent> = []) => {
  const signals: Array<AbortSignal | undefined> = []
  const client = {
    send: (
      command: { constructor: { name: string }; input: unknown },
      options?: { abortSignal?: AbortSignal },
    ) => {
      const name = command.constructor.name
      log.push({ name, input: structuredClone(command.input) })
      signals.push(options?.abortSignal)
      try {
        return Promise.resolve(respond(name, command.input))
      } catch (e) {
        return Promise.reject(e)
      }
    },
  }
  return { client: client as unknown as C, log, signals }
}

const awsError = (name: string, status: number, message = name) =>
  Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
  })

/** Runs an effect to its end, advancing virtual time a second at a time (bounded). */
const runWithClock = <A, E>(effect: Effect.Effect<A, E>, limitSeconds = 3_600) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(effect)
    for (let s = 0; s < limitSeconds && fiber.pollUnsafe() === undefined; s++) {
      yield* Effect.yieldNow
      yield* TestClock.adjust("1 second")
    }
    return yield* Fiber.await(fiber)
  })

// ---------------------------------------------------------------- a fake ALB

const LISTENER =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
const RULE =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
const BLUE_TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/73e2d6bc24d8a067"
const GREEN_TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/2453ed029918f21f"

const blue = makeRevision({ app: "web", artifact: { digest: "sha256:b1", uri: "ecr://web@sha256:b1" } })
const green = makeRevision({ app: "web", artifact: { digest: "sha256:a2", uri: "ecr://web@sha256:a2" } })

const forward = (groups: ReadonlyArray<[string, number]>): Action => ({
  Type: "forward",
  Order: 2,
  ForwardConfig: {
    TargetGroups: groups.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })),
    TargetGroupStickinessConfig: { Enabled: false },
  },
})

/** Listener state that ModifyListener/ModifyRule change and Describe* read back. */
const fakeAlb = (
  options: {
    readonly actions?: ReadonlyArray<Action>
    /** Target states answered per target group, one per DescribeTargetHealth call (the last repeats). */
    readonly health?: Readonly<Record<string, ReadonlyArray<string>>>
    readonly ignoreModify?: boolean
  } = {},
  log: Array<Sent> = [],
) => {
  let actions: ReadonlyArray<Action> = options.actions ?? [forward([[BLUE_TG, 100]])]
  const health = new Map(Object.entries(options.health ?? {}).map(([k, v]) => [k, [...v]]))
  return stubClient<ElasticLoadBalancingV2Client>((name, input) => {
    switch (name) {
      case "DescribeListenersCommand":
        return { Listeners: [{ ListenerArn: LISTENER, DefaultActions: structuredClone(actions) }] }
      case "DescribeRulesCommand":
        return { Rules: [{ RuleArn: RULE, Actions: structuredClone(actions) }] }
      case "ModifyListenerCommand":
        if (!options.ignoreModify) actions = structuredClone(input.DefaultActions)
        return { Listeners: [{ ListenerArn: LISTENER, DefaultActions: actions }] }
      case "ModifyRuleCommand":
        actions = structuredClone(input.Actions)
        return { Rules: [{ RuleArn: RULE, Actions: actions }] }
      case "DescribeTargetHealthCommand": {
        const queue = health.get(input.TargetGroupArn) ?? ["healthy"]
        const state = queue.length > 1 ? queue.shift()! : queue[0]!
        return {
          TargetHealthDescriptions: [
            {
              Target: { Id: "10.0.1.5", Port: 8080 },
              TargetHealth:
                state === "healthy"
                  ? { State: state }
                  : {
                      State: state,
                      Reason: "Target.ResponseCodeMismatch",
                      Description: "Health checks failed with these codes: [503]",
                    },
            },
          ],
        }
      }
      case "DescribeTargetGroupAttributesCommand":
        return {
          Attributes:
            input.TargetGroupArn === GREEN_TG
              ? [
                  { Key: "stickiness.enabled", Value: "false" },
                  { Key: "deregistration_delay.timeout_seconds", Value: "45" },
                ]
              : [],
        }
      default:
        throw new Error(`unexpected ${name}`)
    }
  }, log)
}

const targetGroups = { [blue.id]: BLUE_TG, [green.id]: GREEN_TG }
const modifyWeights = (sent: Sent) =>
  Object.fromEntries(
    (sent.input.DefaultActions ?? sent.input.Actions)
      .find((a: Action) => a.Type === "forward")
      .ForwardConfig.TargetGroups.map((g: { TargetGroupArn: string; Weight: number }) => [
        g.TargetGroupArn === BLUE_TG ? "blue" : "green",
        g.Weight,
      ]),
  )

// ---------------------------------------------------------------- a fake ECS

const ecsServices = { [blue.id]: "web-blue", [green.id]: "web-green" }

/** ECS services that reach the desired count on the first DescribeServices after an update. */
const fakeEcs = (log: Array<Sent> = []) => {
  const desired = new Map<string, number>([
    ["web-blue", 2],
    ["web-green", 0],
  ])
  return stubClient<ECSClient>((name, input) => {
    if (name === "UpdateServiceCommand") {
      desired.set(input.service, input.desiredCount)
      return { service: { serviceName: input.service, desiredCount: input.desiredCount } }
    }
    if (name === "DescribeServicesCommand") {
      const n = desired.get(input.services[0]) ?? 0
      return {
        services: [
          {
            serviceName: input.services[0],
            status: "ACTIVE",
            desiredCount: n,
            runningCount: n,
            pendingCount: 0,
            deployments: [{ status: "PRIMARY", rolloutState: "COMPLETED", runningCount: n, failedTasks: 0 }],
            events: [],
          },
        ],
        failures: [],
      }
    }
    throw new Error(`unexpected ${name}`)
  }, log)
}

// ---------------------------------------------------------------- AWS calls

describe("AWS calls", () => {
  it.effect("retries throttling twice, then succeeds: three calls", () =>
    Effect.gen(function* () {
      let calls = 0
      const alb = stubClient<ElasticLoadBalancingV2Client>(() => {
        calls++
        if (calls <= 2) throw awsError("Throttling", 400, "Rate exceeded")
        return { Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "20" }] }
      })
      const router = AlbTrafficRouter.make({ client: alb.client, listenerArn: LISTENER, targetGroups })
      const exit = yield* runWithClock(router.deregistrationDelay(green.id), 60)
      assert.deepStrictEqual(exit, Exit.succeed(20_000))
      assert.deepStrictEqual(
        alb.log.map((s) => s.name),
        [
          "DescribeTargetGroupAttributesCommand",
          "DescribeTargetGroupAttributesCommand",
          "DescribeTargetGroupAttributesCommand",
        ],
      )
    }),
  )

  it.effect("gives up after the retry budget, naming the API", () =>
    Effect.gen(function* () {
      const lambda = stubClient<LambdaClient>(() => {
        throw awsError("TooManyRequestsException", 429, "Rate exceeded")
      })
      const router = LambdaAliasRouter.make({
        client: lambda.client,
        functionName: "api",
        alias: "live",
        versions: { [blue.id]: "6" },
        call: { retries: 2 },
      })
      const exit = yield* runWithClock(router.weights("web"), 60)
      assert.strictEqual(lambda.log.length, 3)
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(exit)
      assert.strictEqual(error._tag, "RouterError")
      assert.strictEqual(
        error.message,
        "Lambda alias api:live: GetAlias failed: TooManyRequestsException: Rate exceeded (still failing after 2 retries with backoff)",
      )
    }),
  )

  it.effect("does not retry an error that retrying cannot fix", () =>
    Effect.gen(function* () {
      const ecs = stubClient<ECSClient>(() => {
        throw awsError("InvalidParameterException", 400, "desiredCount must be >= 0")
      })
      const compute = EcsCompute.make({ client: ecs.client, cluster: "prod", services: ecsServices })
      const error = yield* Effect.flip(compute.scale(green.id, -1))
      assert.strictEqual(ecs.log.length, 1)
      assert.strictEqual(
        error.message,
        "ECS prod: UpdateService failed: InvalidParameterException: desiredCount must be >= 0",
      )
    }),
  )

  it.effect("times out a hanging call with the API's name and aborts the request", () =>
    Effect.gen(function* () {
      const alb = stubClient<ElasticLoadBalancingV2Client>(() => new Promise(() => {}))
      const router = AlbTrafficRouter.make({
        client: alb.client,
        listenerArn: LISTENER,
        targetGroups,
        call: { timeout: "5 seconds" },
      })
      const fiber = yield* Effect.forkChild(Effect.flip(router.weights("web")))
      yield* Effect.yieldNow
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(
        error.message,
        `ALB listener ${LISTENER}: DescribeListeners did not answer within 5s`,
      )
      assert.isTrue(alb.signals[0]?.aborted)
    }),
  )

  it("treats throttling names, 429 and 5xx as retryable, and client mistakes as final", () => {
    assert.isTrue(isRetryableAwsError(awsError("ThrottlingException", 400)))
    assert.isTrue(isRetryableAwsError(awsError("RequestLimitExceeded", 503)))
    assert.isTrue(isRetryableAwsError(awsError("SomethingNew", 429)))
    assert.isTrue(isRetryableAwsError(awsError("ServiceUnavailable", 503)))
    assert.isTrue(isRetryableAwsError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })))
    assert.isFalse(isRetryableAwsError(awsError("ValidationError", 400)))
    assert.isFalse(isRetryableAwsError(awsError("AccessDeniedException", 403)))
  })

  it.effect("callAws passes the SDK's answer through", () =>
    Effect.gen(function* () {
      const out = yield* callAws("Echo", () => Promise.resolve({ ok: true }))
      assert.deepStrictEqual(out, { ok: true })
    }),
  )
})

// ---------------------------------------------------------------- ALB router

describe("AlbTrafficRouter", () => {
  it.effect(
    "shifts a 3-step canary 90/10, 50/50, 0/100, checking health first and confirming every change",
    () =>
      Effect.gen(function* () {
        const alb = fakeAlb()
        const router = AlbTrafficRouter.make({ client: alb.client, listenerArn: LISTENER, targetGroups })
        yield* router.setWeights("web", { [blue.id]: 90, [green.id]: 10 })
        yield* router.setWeights("web", { [blue.id]: 50, [green.id]: 50 })
        yield* router.setWeights("web", { [blue.id]: 0, [green.id]: 100 })
        const describe = { name: "DescribeListenersCommand", input: { ListenerArns: [LISTENER] } }
        const modify = (b: number, g: number) => ({
          name: "ModifyListenerCommand",
          input: {
            ListenerArn: LISTENER,
            DefaultActions: [
              forward([
                [BLUE_TG, b],
                [GREEN_TG, g],
              ]),
            ],
          },
        })
        assert.deepStrictEqual(alb.log, [
          describe,
          { name: "DescribeTargetHealthCommand", input: { TargetGroupArn: GREEN_TG } },
          modify(90, 10),
          describe,
          describe,
          modify(50, 50),
          describe,
          describe,
          modify(0, 100),
          describe,
        ])
        assert.deepStrictEqual(yield* router.weights("web"), { [blue.id]: 0, [green.id]: 100 })
      }),
  )

  it.effect("shifts a listener rule with ModifyRule, keeping the rule's other actions", () =>
    Effect.gen(function* () {
      const auth: Action = {
        Type: "authenticate-oidc",
        Order: 1,
        AuthenticateOidcConfig: {
          Issuer: "https://id.example.com",
          AuthorizationEndpoint: "https://id.example.com/auth",
          TokenEndpoint: "https://id.example.com/token",
          UserInfoEndpoint: "https://id.example.com/userinfo",
          ClientId: "web",
        },
      }
      const single: Action = { Type: "forward", Order: 2, TargetGroupArn: BLUE_TG }
      const alb = fakeAlb({ actions: [auth, single] })
      const router = AlbTrafficRouter.make({ client: alb.client, ruleArn: RULE, targetGroups })
      assert.deepStrictEqual(yield* router.weights("web"), { [blue.id]: 100 })
      yield* router.setWeights("web", { [blue.id]: 75, [green.id]: 25 })
      assert.deepStrictEqual(
        alb.log.map((s) => s.name),
        [
          "DescribeRulesCommand",
          "DescribeRulesCommand",
          "DescribeTargetHealthCommand",
          "ModifyRuleCommand",
          "DescribeRulesCommand",
        ],
      )
      assert.deepStrictEqual(alb.log[3]!.input, {
        RuleArn: RULE,
        Actions: [
          auth,
          {
            Type: "forward",
            Order: 2,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: BLUE_TG, Weight: 75 },
                { TargetGroupArn: GREEN_TG, Weight: 25 },
              ],
            },
          },
        ],
      })
    }),
  )

  it.effect("waits for the candidate's first healthy target before sending it traffic", () =>
    Effect.gen(function* () {
      const alb = fakeAlb({ health: { [GREEN_TG]: ["initial", "unhealthy", "healthy"] } })
      const router = AlbTrafficRouter.make({ client: alb.client, listenerArn: LISTENER, targetGroups })
      const exit = yield* runWithClock(router.setWeights("web", { [blue.id]: 90, [green.id]: 10 }), 60)
      assert.isTrue(Exit.isSuccess(exit))
      const names = alb.log.map((s) => s.name)
      assert.deepStrictEqual(names.filter((n) => n === "DescribeTargetHealthCommand").length, 3)
      assert.isBelow(names.lastIndexOf("DescribeTargetHealthCommand"), names.indexOf("ModifyListenerCommand"))
    }),
  )

  it.effect("sends no traffic to a target group that never becomes healthy, and says why", () =>
    Effect.gen(function* () {
      const alb = fakeAlb({ health: { [GREEN_TG]: ["unhealthy"] } })
      const router = AlbTrafficRouter.make({
        client: alb.client,
        listenerArn: LISTENER,
        targetGroups,
        healthTimeout: "2 minutes",
      })
      const exit = yield* runWithClock(router.setWeights("web", { [blue.id]: 90, [green.id]: 10 }), 300)
      const error = yield* Effect.flip(exit)
      assert.strictEqual(
        error.message,
        `target group ${GREEN_TG} (revision ${green.id}) has no healthy target after 2m, so no traffic was sent to it: 10.0.1.5:8080 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [503])`,
      )
      assert.notInclude(
        alb.log.map((s) => s.name),
        "ModifyListenerCommand",
      )
    }),
  )

  it.effect("reports a change that does not read back", () =>
    Effect.gen(function* () {
      const alb = fakeAlb({ ignoreModify: true })
      const router = AlbTrafficRouter.make({ client: alb.client, listenerArn: LISTENER, targetGroups })
      const error = yield* Effect.flip(router.setWeights("web", { [blue.id]: 90, [green.id]: 10 }))
      assert.strictEqual(
        error.message,
        `ALB listener ${LISTENER} accepted ${blue.id}=90 ${green.id}=10 but reads back ${blue.id}=100; another writer may be changing it`,
      )
    }),
  )

  it.effect("reads relative ALB weights back as percent", () =>
    Effect.gen(function* () {
      const alb = fakeAlb({
        actions: [
          forward([
            [BLUE_TG, 1],
            [GREEN_TG, 3],
          ]),
        ],
      })
      const router = AlbTrafficRouter.make({ client: alb.client, listenerArn: LISTENER, targetGroups })
      assert.deepStrictEqual(yield* router.weights("web"), { [blue.id]: 25, [green.id]: 75 })
    }),
  )

  it.effect("refuses bad weights and unknown revisions before calling AWS", () =>
    Effect.gen(function* () {
      const alb = fakeAlb()
      const router = AlbTrafficRouter.make({ client: alb.client, listenerArn: LISTENER, targetGroups })
      const sum = yield* Effect.flip(router.setWeights("web", { [blue.id]: 90, [green.id]: 20 }))
      assert.strictEqual(
        sum.message,
        `cannot set ALB weights: weights sum to 110, not 100 (${blue.id}=90, ${green.id}=20)`,
      )
      const unknown = yield* Effect.flip(router.setWeights("web", { "web-000000000000": 100 }))
      assert.strictEqual(
        unknown.message,
        "no target group for revision web-000000000000; add it to targetGroups of the ALB router",
      )
      assert.deepStrictEqual(alb.log, [])
    }),
  )

  it.effect("exposes the target group's deregistration delay (default 300 s)", () =>
    Effect.gen(function* () {
      const alb = fakeAlb()
      const router = AlbTrafficRouter.make({ client: alb.client, listenerArn: LISTENER, targetGroups })
      assert.strictEqual(yield* router.deregistrationDelay(green.id), 45_000)
      assert.strictEqual(yield* router.deregistrationDelay(blue.id), 300_000)
      assert.deepStrictEqual(alb.log[0], {
        name: "DescribeTargetGroupAttributesCommand",
        input: { TargetGroupArn: GREEN_TG },
      })
    }),
  )

  it.effect("provides the core TrafficRouter", () =>
    Effect.gen(function* () {
      const alb = fakeAlb()
      const weights = yield* Effect.gen(function* () {
        const router = yield* TrafficRouter
        return yield* router.weights("web")
      }).pipe(
        Effect.provide(AlbTrafficRouter.layer({ client: alb.client, listenerArn: LISTENER, targetGroups })),
      )
      assert.deepStrictEqual(weights, { [blue.id]: 100 })
    }),
  )
})

// ---------------------------------------------------------------- rollouts through the engine

const passing: Gate = {
  name: "errors",
  check: () =>
    Effect.succeed(Verdict.Pass({ reason: "0 errors", evidence: [{ gate: "errors", observed: 0 }] })),
}

describe("driven rollout on ALB + ECS (core Rollout engine)", () => {
  const run = (strategy: Strategy, gates: ReadonlyArray<Gate>) => {
    const log: Array<Sent> = []
    const alb = fakeAlb({}, log)
    const ecs = fakeEcs(log)
    const layer = Layer.mergeAll(
      AlbTrafficRouter.layer({ client: alb.client, listenerArn: LISTENER, targetGroups }),
      EcsCompute.layer({ client: ecs.client, cluster: "prod", services: ecsServices }),
      Journal.layerMemory,
      RolloutEvents.layerDiscard,
    )
    const rollout = Rollout.run({
      app: "web",
      stable: blue,
      candidate: green,
      strategy,
      gates,
      replicas: 2,
    }).pipe(Effect.provide(layer))
    return { log, rollout }
  }

  it.effect("a 3-step canary sets 90/10, 50/50, 0/100 on the listener, each confirmed", () =>
    Effect.gen(function* () {
      const { log, rollout } = run(
        canary({
          steps: [
            { weight: 10, bake: "1m" },
            { weight: 50, bake: "1m" },
          ],
        }),
        [passing],
      )
      const exit = yield* runWithClock(rollout)
      assert.isTrue(Exit.isSuccess(exit) && exit.value.status === "succeeded", String(exit))
      const modifies = log.flatMap((s, i) => (s.name === "ModifyListenerCommand" ? [i] : []))
      assert.deepStrictEqual(
        modifies.map((i) => modifyWeights(log[i]!)),
        [
          { blue: 90, green: 10 },
          { blue: 50, green: 50 },
          { blue: 0, green: 100 },
        ],
      )
      for (const i of modifies) assert.strictEqual(log[i + 1]!.name, "DescribeListenersCommand", "confirmed")
      // The candidate ran before it got traffic; the old revision stopped only after 100%.
      const scaleUp = log.findIndex(
        (s) => s.name === "UpdateServiceCommand" && s.input.service === "web-green",
      )
      const retire = log.findIndex(
        (s) =>
          s.name === "UpdateServiceCommand" && s.input.service === "web-blue" && s.input.desiredCount === 0,
      )
      assert.deepStrictEqual(log[scaleUp]!.input, { cluster: "prod", service: "web-green", desiredCount: 2 })
      assert.isBelow(scaleUp, modifies[0]!)
      assert.isAbove(retire, modifies[2]!)
    }),
  )

  it.effect("a failing gate returns 100% to stable on the listener before the candidate is scaled to 0", () =>
    Effect.gen(function* () {
      const failing: Gate = {
        name: "errors",
        check: () => Effect.succeed(Verdict.Fail({ reason: "5xx rate 4.2% ≥ 1%", evidence: [] })),
      }
      const steps: ReadonlyArray<Step> = [
        { _tag: "Scale", percent: 100 },
        { _tag: "SetWeight", weight: 10 },
        { _tag: "Gate" },
        { _tag: "SetWeight", weight: 100 },
      ]
      const strategy: Strategy = {
        kind: "canary",
        steps,
        analysis: defaultAnalysis,
        scaleDownDelay: 30_000,
        progressDeadline: 600_000,
      }
      const { log, rollout } = run(strategy, [failing])
      const exit = yield* runWithClock(rollout)
      assert.isTrue(Exit.isSuccess(exit) && exit.value.status === "rolled-back", String(exit))
      const modifies = log.flatMap((s, i) => (s.name === "ModifyListenerCommand" ? [i] : []))
      assert.deepStrictEqual(
        modifies.map((i) => modifyWeights(log[i]!)),
        [
          { blue: 90, green: 10 },
          { blue: 100, green: 0 },
        ],
      )
      const scaleDown = log.findIndex(
        (s) =>
          s.name === "UpdateServiceCommand" && s.input.service === "web-green" && s.input.desiredCount === 0,
      )
      assert.isAbove(scaleDown, modifies[1]!, "traffic returned to stable before the candidate stopped")
      assert.isFalse(
        log.some((s) => s.name === "UpdateServiceCommand" && s.input.service === "web-blue"),
        "the stable service is never touched",
      )
    }),
  )
})

// ---------------------------------------------------------------- ECS compute

describe("EcsCompute", () => {
  const service = (over: Record<string, unknown>) => ({
    services: [
      {
        serviceName: "web-green",
        status: "ACTIVE",
        desiredCount: 3,
        runningCount: 3,
        pendingCount: 0,
        deployments: [{ status: "PRIMARY", rolloutState: "COMPLETED", runningCount: 3, failedTasks: 0 }],
        events: [{ message: "(service web-green) has reached a steady state." }],
        ...over,
      },
    ],
    failures: [],
  })

  it.effect(
    "ensure sets desiredCount, then polls DescribeServices until one steady deployment runs them all",
    () =>
      Effect.gen(function* () {
        const answers = [
          service({
            runningCount: 1,
            pendingCount: 2,
            deployments: [
              { status: "PRIMARY", rolloutState: "IN_PROGRESS", runningCount: 1, failedTasks: 1 },
              { status: "ACTIVE", rolloutState: "COMPLETED", runningCount: 0 },
            ],
            events: [{ message: "(service web-green) has started 2 tasks." }],
          }),
          service({}),
        ]
        const ecs = stubClient<ECSClient>((name) => (name === "UpdateServiceCommand" ? {} : answers.shift()))
        const compute = EcsCompute.make({ client: ecs.client, cluster: "prod", services: ecsServices })
        const exit = yield* runWithClock(compute.ensure(green, 3), 60)
        assert.deepStrictEqual(
          exit,
          Exit.succeed({
            revision: green.id,
            desired: 3,
            ready: 3,
            restarts: 0,
            lastError: "(service web-green) has reached a steady state.",
          }),
        )
        assert.deepStrictEqual(ecs.log, [
          { name: "UpdateServiceCommand", input: { cluster: "prod", service: "web-green", desiredCount: 3 } },
          { name: "DescribeServicesCommand", input: { cluster: "prod", services: ["web-green"] } },
          { name: "DescribeServicesCommand", input: { cluster: "prod", services: ["web-green"] } },
        ])
      }),
  )

  it.effect("ensure gives up at the deadline with what ECS last said", () =>
    Effect.gen(function* () {
      const stuck = service({
        runningCount: 1,
        pendingCount: 0,
        deployments: [{ status: "PRIMARY", rolloutState: "IN_PROGRESS", runningCount: 1, failedTasks: 4 }],
        events: [
          {
            message:
              "(service web-green) was unable to place a task because no container instance met all of its requirements.",
          },
        ],
      })
      const ecs = stubClient<ECSClient>((name) => (name === "UpdateServiceCommand" ? {} : stuck))
      const compute = EcsCompute.make({
        client: ecs.client,
        cluster: "prod",
        services: ecsServices,
        readyTimeout: "2 minutes",
      })
      const exit = yield* runWithClock(compute.ensure(green, 3), 300)
      const error = yield* Effect.flip(exit)
      assert.strictEqual(
        error.message,
        "ECS service web-green did not reach 3 running task(s) within 2m: 1 running, 4 failed task(s); last event: (service web-green) was unable to place a task because no container instance met all of its requirements.",
      )
      assert.isAtMost(ecs.log.length, 1 + 13, "polling is bounded: every 10 s for 2 minutes")
    }),
  )

  it.effect("ensure fails at once when ECS marks the rollout FAILED", () =>
    Effect.gen(function* () {
      const failed = service({
        deployments: [
          {
            status: "PRIMARY",
            rolloutState: "FAILED",
            rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
            runningCount: 0,
            failedTasks: 3,
          },
        ],
      })
      const ecs = stubClient<ECSClient>((name) => (name === "UpdateServiceCommand" ? {} : failed))
      const compute = EcsCompute.make({ client: ecs.client, cluster: "prod", services: ecsServices })
      const error = yield* Effect.flip(compute.ensure(green, 3))
      assert.strictEqual(
        error.message,
        "ECS deployment of web-green failed: ECS deployment circuit breaker: tasks failed to start.",
      )
    }),
  )

  it.effect(
    "scale only updates desiredCount; health reads DescribeServices; a missing service is named",
    () =>
      Effect.gen(function* () {
        const ecs = stubClient<ECSClient>((name, input) =>
          name === "UpdateServiceCommand"
            ? {}
            : input.services[0] === "web-blue"
              ? {
                  services: [],
                  failures: [
                    { arn: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web-blue", reason: "MISSING" },
                  ],
                }
              : service({
                  runningCount: 2,
                  deployments: [{ status: "PRIMARY", runningCount: 2, failedTasks: 1 }],
                }),
        )
        const compute = EcsCompute.make({ client: ecs.client, cluster: "prod", services: ecsServices })
        yield* compute.scale(green.id, 0)
        assert.deepStrictEqual(ecs.log[0], {
          name: "UpdateServiceCommand",
          input: { cluster: "prod", service: "web-green", desiredCount: 0 },
        })
        const health = yield* compute.health(green.id)
        assert.deepStrictEqual([health.desired, health.ready, health.restarts], [3, 2, 1])
        const missing = yield* Effect.flip(compute.health(blue.id))
        assert.strictEqual(missing.message, "ECS service web-blue in cluster prod is MISSING")
      }),
  )

  it.effect("provides the core Compute", () =>
    Effect.gen(function* () {
      const ecs = fakeEcs()
      const health = yield* Effect.gen(function* () {
        const compute = yield* Compute
        return yield* compute.health(blue.id)
      }).pipe(
        Effect.provide(EcsCompute.layer({ client: ecs.client, cluster: "prod", services: ecsServices })),
      )
      assert.strictEqual(health.ready, 2)
    }),
  )
})

// ---------------------------------------------------------------- Auto Scaling compute

describe("AsgCompute", () => {
  const group = (instances: ReadonlyArray<[string, string, string]>, desired = 2) => ({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: "web-green",
        DesiredCapacity: desired,
        Instances: instances.map(([InstanceId, LifecycleState, HealthStatus]) => ({
          InstanceId,
          LifecycleState,
          HealthStatus,
        })),
      },
    ],
  })

  it.effect("ensure sets the desired capacity and waits for that many healthy in-service instances", () =>
    Effect.gen(function* () {
      const answers = [
        group([
          ["i-0a", "InService", "Healthy"],
          ["i-0b", "Pending", "Healthy"],
        ]),
        group([
          ["i-0a", "InService", "Healthy"],
          ["i-0b", "InService", "Healthy"],
        ]),
      ]
      const asg = stubClient<AutoScalingClient>((name) =>
        name === "SetDesiredCapacityCommand" ? {} : answers.shift(),
      )
      const compute = AsgCompute.make({ client: asg.client, groups: { [green.id]: "web-green" } })
      const exit = yield* runWithClock(compute.ensure(green, 2), 60)
      assert.deepStrictEqual(exit, Exit.succeed({ revision: green.id, desired: 2, ready: 2, restarts: 0 }))
      assert.deepStrictEqual(asg.log, [
        {
          name: "SetDesiredCapacityCommand",
          input: { AutoScalingGroupName: "web-green", DesiredCapacity: 2, HonorCooldown: false },
        },
        { name: "DescribeAutoScalingGroupsCommand", input: { AutoScalingGroupNames: ["web-green"] } },
        { name: "DescribeAutoScalingGroupsCommand", input: { AutoScalingGroupNames: ["web-green"] } },
      ])
    }),
  )

  it.effect("explains a capacity outside the group's bounds", () =>
    Effect.gen(function* () {
      const asg = stubClient<AutoScalingClient>(() => {
        throw awsError(
          "ValidationError",
          400,
          "New SetDesiredCapacity value 9 is above max value 4 for the AutoScalingGroup.",
        )
      })
      const compute = AsgCompute.make({ client: asg.client, groups: { [green.id]: "web-green" } })
      const error = yield* Effect.flip(compute.scale(green.id, 9))
      assert.strictEqual(
        error.message,
        "Auto Scaling group web-green: SetDesiredCapacity failed: ValidationError: New SetDesiredCapacity value 9 is above max value 4 for the AutoScalingGroup. (is the capacity within the group's MinSize..MaxSize?)",
      )
    }),
  )
})

// ---------------------------------------------------------------- Lambda alias router

describe("LambdaAliasRouter", () => {
  const fakeAlias = () => {
    const alias = {
      FunctionVersion: "6",
      RoutingConfig: { AdditionalVersionWeights: {} as Record<string, number> },
    }
    return stubClient<LambdaClient>((name, input) => {
      if (name === "UpdateAliasCommand") {
        alias.FunctionVersion = input.FunctionVersion
        alias.RoutingConfig = structuredClone(input.RoutingConfig)
      }
      return { Name: "live", ...structuredClone(alias) }
    })
  }
  const versions = { [blue.id]: "6", [green.id]: "7" }

  it.effect("keeps the stable version primary and weights the candidate, then moves the alias at 100%", () =>
    Effect.gen(function* () {
      const lambda = fakeAlias()
      const router = LambdaAliasRouter.make({
        client: lambda.client,
        functionName: "api",
        alias: "live",
        versions,
      })
      yield* router.setWeights("api", { [blue.id]: 90, [green.id]: 10 })
      yield* router.setWeights("api", { [blue.id]: 50, [green.id]: 50 })
      yield* router.setWeights("api", { [blue.id]: 0, [green.id]: 100 })
      const get = { name: "GetAliasCommand", input: { FunctionName: "api", Name: "live" } }
      const update = (version: string, weights: Record<string, number>) => ({
        name: "UpdateAliasCommand",
        input: {
          FunctionName: "api",
          Name: "live",
          FunctionVersion: version,
          RoutingConfig: { AdditionalVersionWeights: weights },
        },
      })
      assert.deepStrictEqual(lambda.log, [
        get,
        update("6", { "7": 0.1 }),
        get,
        get,
        update("6", { "7": 0.5 }),
        get,
        get,
        update("7", {}),
        get,
      ])
      assert.deepStrictEqual(yield* router.weights("api"), { [green.id]: 100 })
    }),
  )

  it.effect("reads a split back per revision, and names a version no revision maps to", () =>
    Effect.gen(function* () {
      const lambda = stubClient<LambdaClient>(() => ({
        FunctionVersion: "6",
        RoutingConfig: { AdditionalVersionWeights: { "9": 0.25 } },
      }))
      const router = LambdaAliasRouter.make({
        client: lambda.client,
        functionName: "api",
        alias: "live",
        versions: { ...versions, "api-000000000009": "9" },
      })
      assert.deepStrictEqual(yield* router.weights("api"), { [blue.id]: 75, "api-000000000009": 25 })
      const narrow = LambdaAliasRouter.make({
        client: lambda.client,
        functionName: "api",
        alias: "live",
        versions,
      })
      const error = yield* Effect.flip(narrow.weights("api"))
      assert.strictEqual(
        error.message,
        "Lambda alias api:live routes to version 9, which no revision maps to; add it to versions",
      )
    }),
  )

  it.effect("refuses a third version with traffic", () =>
    Effect.gen(function* () {
      const lambda = fakeAlias()
      const router = LambdaAliasRouter.make({
        client: lambda.client,
        functionName: "api",
        alias: "live",
        versions: { ...versions, x: "8" },
      })
      const error = yield* Effect.flip(router.setWeights("api", { [blue.id]: 80, [green.id]: 10, x: 10 }))
      assert.strictEqual(
        error.message,
        `3 versions with traffic (${blue.id}=80 ${green.id}=10 x=10); a Lambda alias routes to at most two`,
      )
      assert.deepStrictEqual(lambda.log, [])
    }),
  )
})
