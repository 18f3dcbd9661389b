import { assert, describe, it } from "@effect/vitest"
import { canary } from "@slipway/strategies"
import { Effect, Exit, Fiber } from "effect"
import { awsRollback } from "../src/rollout/AwsRollback.ts"
import { requestControl } from "../src/rollout/ControlChannel.ts"
import { type DrivenRolloutState, placementOf } from "../src/rollout/DrivenRolloutSpec.ts"
import {
  checkRollout,
  createRollout,
  type DrivenRolloutError,
  diffRollout,
  type RolloutDeps,
  updateRollout,
} from "../src/rollout/RolloutOperations.ts"
import {
  advanceUntil,
  BLUE_TG,
  type FakeAws,
  fakeAws,
  GREEN_TG,
  LISTENER,
  modifiedWeights,
  runWithClock,
  type Sent,
} from "./rolloutFakes.ts"

const BUCKET = "web-prod-slipway-journal"
const PROVIDER = "exports.handler = …" // what Pulumi adds to every input bag

const strategy = canary({
  steps: [
    { weight: 10, bake: "1m" },
    { weight: 50, bake: "1m" },
  ],
  scaleDownDelay: "30s",
})
// Scale 100% · 10% · bake 1m · gate · 50% · bake 1m · gate · 100%

const ecsBackend = {
  kind: "ecs",
  cluster: "web",
  listenerArn: LISTENER,
  slots: [
    { name: "blue", targetGroupArn: BLUE_TG, service: "web-blue" },
    { name: "green", targetGroupArn: GREEN_TG, service: "web-green" },
  ],
} as const

const revision = (n: number) => ({
  id: `web-00000000000${n}`,
  artifact: {
    digest: `sha256:${n}${n}`,
    uri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:${n}${n}`,
  },
  config: { port: 8080 },
})

const inputs = (n: number, over: Record<string, unknown> = {}) => ({
  app: "web",
  revision: revision(n),
  release: { kind: "ecs", taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}` },
  strategy,
  gates: { alarms: ["web-5xx"] },
  replicas: 2,
  backend: ecsBackend,
  journal: { bucket: BUCKET },
  region: "eu-west-1",
  __provider: PROVIDER,
  ...over,
})

const fargate = (alarm: "OK" | "ALARM" = "OK") =>
  fakeAws({
    services: {
      "web-blue": {
        taskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1",
        desiredCount: 2,
      },
      "web-green": {
        taskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1",
        desiredCount: 0,
      },
    },
    alarms: { "web-5xx": alarm },
  })

const depsFor = (aws: FakeAws, lines: Array<string> = []): RolloutDeps => ({
  clients: () => aws.clients,
  log: (line) => Effect.sync(() => void lines.push(line)),
})

const names = (log: ReadonlyArray<Sent>) => log.map((s) => s.name)

/** Creates the resource for revision 1 (a first deployment), then forgets the calls it made. */
const created = (aws: FakeAws) =>
  Effect.gen(function* () {
    const exit = yield* runWithClock(createRollout(inputs(1), depsFor(aws)))
    if (Exit.isFailure(exit)) return yield* Effect.die(exit.cause)
    aws.log.length = 0
    return exit.value
  })

describe("diffRollout", () => {
  const olds = (over: Partial<DrivenRolloutState> = {}) => ({
    ...inputs(1),
    serving: { ...revision(1), app: "web" },
    ...over,
  })

  it("sees no change when the serving revision is asked for again (and ignores the provider's own code)", () => {
    const diff = diffRollout(olds(), { ...inputs(1), __provider: "a newer serialization" })
    assert.isFalse(diff.changes)
    assert.isFalse(diff.rollout)
  })

  it("rolls out a new revision", () => {
    const diff = diffRollout(olds(), inputs(2))
    assert.isTrue(diff.changes)
    assert.isTrue(diff.rollout)
    assert.include(diff.changed, "revision")
    assert.deepStrictEqual(diff.replaces, [])
  })

  it("records a strategy change without a rollout", () => {
    const diff = diffRollout(olds(), inputs(1, { strategy: canary({ steps: [{ weight: 25, bake: "2m" }] }) }))
    assert.isTrue(diff.changes)
    assert.isFalse(diff.rollout)
    assert.deepStrictEqual(diff.changed, ["strategy"])
  })

  it("retries a revision whose last rollout was rolled back", () => {
    const diff = diffRollout(
      olds({ lastRollout: { rolloutId: "r", candidate: revision(1).id, status: "rolled-back", at: 0 } }),
      inputs(1),
    )
    assert.isTrue(diff.rollout)
  })
})

describe("checkRollout", () => {
  it("names every bad input for `pulumi preview`", () => {
    const { failures } = checkRollout(
      {},
      inputs(1, {
        backend: { ...ecsBackend, slots: [ecsBackend.slots[0]] },
        gates: { http: [{ url: "/healthz" }], errorRate: { max: 0.01, window: "1m" } },
      }),
    )
    const properties = failures.map((f) => f.property)
    assert.include(properties, "backend.slots")
    assert.include(properties, "backend.loadBalancerArnSuffix")
  })

  it("reports gate problems once the inputs are sound", () => {
    const { failures } = checkRollout({}, inputs(1, { gates: { http: [{ url: "/healthz" }] } }))
    assert.deepStrictEqual(
      failures.map((f) => f.property),
      ["gates.http[0].url"],
    )
    assert.match(failures[0]!.reason, /absolute http\(s\) URL/)
  })

  it("leaves inputs not known yet (during preview) to the update", () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    const { failures } = checkRollout(
      {},
      inputs(1, { backend: unknown, strategy: { ...strategy, steps: [] } }),
    )
    assert.deepStrictEqual(
      failures.map((f) => f.property),
      ["strategy.steps"],
    )
  })
})

describe("createRollout", () => {
  it.effect("first deployment: the revision goes to the blue slot and gets all traffic, no steps", () =>
    Effect.gen(function* () {
      const aws = fargate()
      const exit = yield* runWithClock(createRollout(inputs(1), depsFor(aws)))
      assert.isTrue(Exit.isSuccess(exit))
      if (!Exit.isSuccess(exit)) return
      assert.strictEqual(exit.value.id, "web")
      assert.strictEqual(exit.value.outs.serving?.id, revision(1).id)
      assert.strictEqual(placementOf(exit.value.outs.serving)?.slot, "blue")
      assert.deepStrictEqual(names(aws.log), [
        "DescribeServices", // is web-blue on this task definition? yes
        "UpdateService", // 2 tasks
        "DescribeServices",
        "DescribeListeners",
        "ModifyListener",
        "DescribeListeners", // read back
        "DescribeAlarms", // the gates, once
      ])
      assert.deepStrictEqual(modifiedWeights(aws.log), [{ blue: 100 }])
      assert.strictEqual(aws.s3.json("web/current.json").status, "succeeded")
    }),
  )

  it.effect("refuses invalid inputs before calling AWS", () =>
    Effect.gen(function* () {
      const aws = fargate()
      const error = yield* Effect.flip(
        createRollout(inputs(1, { release: { kind: "lambda", version: "3" }, replicas: 0 }), depsFor(aws)),
      )
      assert.strictEqual(error._tag, "DrivenRolloutInvalid")
      assert.match(error.message, /release\.kind: is lambda but the backend is ecs/)
      assert.match(error.message, /replicas: 0 is not a whole number ≥ 1/)
      assert.deepStrictEqual(aws.log, [])
      assert.deepStrictEqual(aws.s3.log, [])
    }),
  )
})

describe("updateRollout", () => {
  it.effect("no change: nothing is rolled out, no ELB or ECS call is made", () =>
    Effect.gen(function* () {
      const aws = fargate()
      const lines: Array<string> = []
      const first = yield* created(aws)
      const exit = yield* runWithClock(updateRollout("web", first.outs, inputs(1), depsFor(aws, lines)))
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(aws.log, [])
      assert.include(lines, `${revision(1).id} already serves web: nothing to roll out`)
    }),
  )

  it.effect(
    "a new revision: green takes the new task definition, then 10% → 50% → 100%, then blue scales to 0",
    () =>
      Effect.gen(function* () {
        const aws = fargate()
        const lines: Array<string> = []
        const first = yield* created(aws)
        const exit = yield* runWithClock(updateRollout("web", first.outs, inputs(2), depsFor(aws, lines)))
        assert.isTrue(Exit.isSuccess(exit))
        if (!Exit.isSuccess(exit)) return
        assert.deepStrictEqual(modifiedWeights(aws.log), [
          { blue: 90, green: 10 },
          { blue: 50, green: 50 },
          { blue: 0, green: 100 },
        ])
        const updates = aws.log.filter((s) => s.name === "UpdateService").map((s) => s.input)
        assert.deepStrictEqual(updates[0], {
          cluster: "web",
          service: "web-green",
          taskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:2",
        })
        assert.deepStrictEqual(updates.at(-1), { cluster: "web", service: "web-blue", desiredCount: 0 })
        const firstShift = aws.log.findIndex((s) => s.name === "ModifyListener")
        assert.isBelow(
          aws.log.findIndex((s) => s.name === "UpdateService" && s.input.taskDefinition !== undefined),
          firstShift,
          "the slot runs the candidate before it gets traffic",
        )
        assert.strictEqual(exit.value.outs.serving?.id, revision(2).id)
        assert.strictEqual(placementOf(exit.value.outs.serving)?.slot, "green")
        assert.strictEqual(exit.value.outs.lastRollout?.status, "succeeded")
        // Progress in the Pulumi log: the steps, the traffic, the verdicts.
        assert.isTrue(lines.some((l) => /step 2\/8 {2}setWeight 10%/.test(l)))
        assert.isTrue(lines.some((l) => /✓ pass {2}alarm web-5xx/.test(l)))
        assert.isTrue(lines.some((l) => /✓ succeeded {2}web/.test(l)))
      }),
  )

  it.effect("the next revision goes back to blue", () =>
    Effect.gen(function* () {
      const aws = fargate()
      const first = yield* created(aws)
      const second = yield* runWithClock(updateRollout("web", first.outs, inputs(2), depsFor(aws)))
      if (Exit.isFailure(second)) return yield* Effect.die(second.cause)
      aws.log.length = 0
      const third = yield* runWithClock(updateRollout("web", second.value.outs, inputs(3), depsFor(aws)))
      assert.isTrue(Exit.isSuccess(third))
      assert.deepStrictEqual(modifiedWeights(aws.log).at(-1), { blue: 100, green: 0 })
      assert.strictEqual(
        aws.ecs.get("web-blue")?.taskDefinition,
        "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3",
      )
      assert.strictEqual(aws.ecs.get("web-green")?.desiredCount, 0)
    }),
  )

  it.effect(
    "a failing gate: traffic returns to blue and green scales to 0, then the update fails with the reason",
    () =>
      Effect.gen(function* () {
        const aws = fargate()
        const first = yield* created(aws)
        aws.alarms.set("web-5xx", "ALARM")
        const exit = yield* runWithClock(updateRollout("web", first.outs, inputs(2), depsFor(aws)))
        assert.isTrue(Exit.isFailure(exit))
        if (!Exit.isFailure(exit)) return
        const error = exit.cause.reasons[0]
        assert.strictEqual(error?._tag, "Fail")
        const failure = (error as { error: DrivenRolloutError }).error
        assert.strictEqual(failure._tag, "RolloutRolledBack")
        if (failure._tag !== "RolloutRolledBack") return
        assert.match(
          failure.message,
          /rollout of web-000000000002 to web was rolled back: gate failed: alarm web-5xx/,
        )
        assert.match(failure.message, /Threshold Crossed/)
        assert.match(failure.message, /all traffic is back on web-000000000001/)
        assert.strictEqual(failure.state.serving?.id, revision(1).id)
        assert.strictEqual(failure.state.lastRollout?.status, "rolled-back")
        // Rolled back before failing: 10% went to green, then everything back to blue, then green to 0.
        assert.deepStrictEqual(modifiedWeights(aws.log), [
          { blue: 90, green: 10 },
          { blue: 100, green: 0 },
        ])
        const last = aws.log.filter((s) => s.name === "UpdateService").at(-1)
        assert.deepStrictEqual(last?.input, { cluster: "web", service: "web-green", desiredCount: 0 })
        assert.deepStrictEqual(aws.weights(), { [BLUE_TG]: 100, [GREEN_TG]: 0 })
        // The next `pulumi up` retries it.
        assert.isTrue(diffRollout(failure.state, inputs(2)).rollout)
      }),
  )

  it.effect("an interrupted `pulumi up` is continued by the next one, from the step it reached", () =>
    Effect.gen(function* () {
      const aws = fargate()
      const lines: Array<string> = []
      const first = yield* created(aws)
      const killed = yield* Effect.forkChild(updateRollout("web", first.outs, inputs(2), depsFor(aws)))
      yield* advanceUntil(() => {
        const record = aws.s3.json("web/current.json")
        return record?.candidate.id === revision(2).id && record.stepIndex === 5 && record.pause !== undefined
      })
      // The process dies at the 50% bake; its lock is left behind.
      aws.s3.freeze()
      const interrupting = yield* Effect.forkChild(Fiber.interrupt(killed))
      yield* advanceUntil(() => interrupting.pollUnsafe() !== undefined, 120)
      aws.s3.revive()
      aws.log.length = 0

      // Pulumi never recorded the interrupted update: the next one starts from the old state.
      const exit = yield* runWithClock(updateRollout("web", first.outs, inputs(2), depsFor(aws, lines)))
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(modifiedWeights(aws.log), [{ blue: 0, green: 100 }])
      assert.isTrue(lines.some((l) => /unfinished rollout of web-000000000002 .*: continuing it/.test(l)))
      assert.isTrue(lines.some((l) => /resumed from the journal/.test(l)))
    }),
  )

  it.effect("an operator's abort through S3 rolls back and fails the update with their reason", () =>
    Effect.gen(function* () {
      const aws = fargate()
      const first = yield* created(aws)
      const manual = canary({ steps: [{ weight: 20, bake: "manual" }] })
      const lines: Array<string> = []
      const update = yield* Effect.forkChild(
        updateRollout("web", first.outs, inputs(2, { strategy: manual }), depsFor(aws, lines)),
      )
      yield* advanceUntil(() => aws.s3.json("web/current.json")?.pause?.reason === "step")
      yield* requestControl({
        client: aws.clients.s3,
        bucket: BUCKET,
        app: "web",
        command: "abort",
        reason: "p99 regressed",
        by: "alice",
      })
      const exit = yield* runWithClock(Fiber.join(update), 600)
      assert.isTrue(Exit.isFailure(exit))
      if (!Exit.isFailure(exit)) return
      assert.match(
        String((exit.cause.reasons[0] as { error: Error }).error.message),
        /rolled back: p99 regressed/,
      )
      assert.include(lines, "alice asked to abort (p99 regressed)")
      assert.isTrue(
        lines.some((l) =>
          l.includes("slipway promote --target aws --bucket web-prod-slipway-journal --app web"),
        ),
      )
      assert.deepStrictEqual(modifiedWeights(aws.log).at(-1), { blue: 100, green: 0 })
    }),
  )

  it.effect("Lambda: the alias shifts from version 1 to version 2", () =>
    Effect.gen(function* () {
      const aws = fakeAws({ alias: { functionVersion: "1" }, alarms: { "api-errors": "OK" } })
      const lambda = (n: number) =>
        inputs(n, {
          app: "api",
          release: { kind: "lambda", version: String(n) },
          backend: { kind: "lambda", functionName: "api", alias: "live" },
          gates: { alarms: ["api-errors"] },
          replicas: 1,
        })
      const first = yield* runWithClock(createRollout(lambda(1), depsFor(aws)))
      if (Exit.isFailure(first)) return yield* Effect.die(first.cause)
      aws.log.length = 0
      const exit = yield* runWithClock(updateRollout("api", first.value.outs, lambda(2), depsFor(aws)))
      assert.isTrue(Exit.isSuccess(exit))
      const updates = aws.log
        .filter((s) => s.name === "UpdateAlias")
        .map((s) => [s.input.FunctionVersion, s.input.RoutingConfig.AdditionalVersionWeights])
      assert.deepStrictEqual(updates, [
        ["1", { "2": 0.1 }],
        ["1", { "2": 0.5 }],
        ["2", {}],
      ])
      assert.deepStrictEqual(aws.alias, { functionVersion: "2", extra: {} })
    }),
  )

  it.effect("EC2: the idle group takes the new launch template version before it scales up", () =>
    Effect.gen(function* () {
      const aws = fakeAws({
        groups: {
          "web-blue": { launchTemplateId: "lt-0abc", version: "1", desired: 2 },
          "web-green": { launchTemplateId: "lt-0abc", version: "1", desired: 0 },
        },
        alarms: { "web-5xx": "OK" },
      })
      const ec2 = (n: number) =>
        inputs(n, {
          release: { kind: "asg", launchTemplateId: "lt-0abc", launchTemplateVersion: String(n) },
          backend: {
            kind: "asg",
            listenerArn: LISTENER,
            slots: [
              { name: "blue", targetGroupArn: BLUE_TG, autoScalingGroup: "web-blue" },
              { name: "green", targetGroupArn: GREEN_TG, autoScalingGroup: "web-green" },
            ],
          },
        })
      const first = yield* runWithClock(createRollout(ec2(1), depsFor(aws)))
      if (Exit.isFailure(first)) return yield* Effect.die(first.cause)
      aws.log.length = 0
      const exit = yield* runWithClock(updateRollout("web", first.value.outs, ec2(2), depsFor(aws)))
      assert.isTrue(Exit.isSuccess(exit))
      const writes = aws.log
        .filter((s) => s.name === "UpdateAutoScalingGroup" || s.name === "SetDesiredCapacity")
        .map(
          (s) =>
            `${s.name} ${s.input.AutoScalingGroupName} ${s.input.LaunchTemplate?.Version ?? s.input.DesiredCapacity}`,
        )
      assert.deepStrictEqual(writes.slice(0, 2), [
        "UpdateAutoScalingGroup web-green 2",
        "SetDesiredCapacity web-green 2",
      ])
      assert.strictEqual(writes.at(-1), "SetDesiredCapacity web-blue 0")
      assert.deepStrictEqual(aws.groups.get("web-green"), {
        launchTemplateId: "lt-0abc",
        version: "2",
        desired: 2,
      })
    }),
  )
})

describe("awsRollback (slipway rollback --target aws)", () => {
  it.effect("after a rollout, puts the previous revision back into its slot and takes traffic there", () =>
    Effect.gen(function* () {
      const aws = fargate()
      const first = yield* created(aws)
      const second = yield* runWithClock(updateRollout("web", first.outs, inputs(2), depsFor(aws)))
      if (Exit.isFailure(second)) return yield* Effect.die(second.cause)
      aws.log.length = 0

      const exit = yield* runWithClock(awsRollback({ bucket: BUCKET, app: "web", clients: aws.clients }))
      assert.isTrue(Exit.isSuccess(exit))
      if (!Exit.isSuccess(exit) || exit.value._tag !== "RolledOut") return assert.fail("expected a rollout")
      assert.strictEqual(exit.value.revision, revision(1).id)
      assert.strictEqual(exit.value.outcome.status, "succeeded")
      assert.deepStrictEqual(modifiedWeights(aws.log), [{ blue: 100, green: 0 }])
      assert.strictEqual(aws.ecs.get("web-blue")?.desiredCount, 2)
      assert.strictEqual(aws.ecs.get("web-green")?.desiredCount, 0)

      // Pulumi still knows revision 2: the same program changes nothing…
      assert.isFalse(diffRollout(second.value.outs, inputs(2)).changes)
      // …and the next revision rolls out from what really serves (revision 1, in blue) into green.
      aws.log.length = 0
      const third = yield* runWithClock(updateRollout("web", second.value.outs, inputs(3), depsFor(aws)))
      assert.isTrue(Exit.isSuccess(third))
      assert.deepStrictEqual(modifiedWeights(aws.log).at(-1), { blue: 0, green: 100 })
      assert.strictEqual(
        aws.ecs.get("web-green")?.taskDefinition,
        "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3",
      )
    }),
  )

  it.effect("during a rollout, asks the `pulumi up` driving it to abort", () =>
    Effect.gen(function* () {
      const aws = fargate()
      const first = yield* created(aws)
      const update = yield* Effect.forkChild(updateRollout("web", first.outs, inputs(2), depsFor(aws)))
      yield* advanceUntil(() => aws.s3.json("web/current.json")?.pause !== undefined)
      const result = yield* awsRollback({ bucket: BUCKET, app: "web", clients: aws.clients })
      assert.strictEqual(result._tag, "AbortRequested")
      const exit = yield* runWithClock(Fiber.join(update), 600)
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(modifiedWeights(aws.log).at(-1), { blue: 100, green: 0 })
    }),
  )

  it.effect("says why when there is nothing to roll back to", () =>
    Effect.gen(function* () {
      const aws = fargate()
      yield* created(aws)
      const error = yield* Effect.flip(awsRollback({ bucket: BUCKET, app: "web", clients: aws.clients }))
      assert.strictEqual(error._tag, "RollbackUnavailable")
      assert.match(error.message, /web has no earlier revision to roll back to/)
      const unknown = yield* Effect.flip(
        awsRollback({ bucket: BUCKET, app: "web", to: "web-9", clients: aws.clients }),
      )
      assert.match(unknown.message, /unknown revision web-9 of web; known: web-000000000001/)
    }),
  )
})

describe("updateRollout, release without a new revision", () => {
  it.effect("warns that a changed release with an unchanged revision id rolls nothing out", () =>
    Effect.gen(function* () {
      const aws = fargate()
      const lines: Array<string> = []
      const first = yield* created(aws)
      const news = inputs(1, {
        release: {
          kind: "ecs",
          taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:9",
        },
      })
      assert.deepStrictEqual(diffRollout(first.outs, news).changed, ["release"])
      const exit = yield* runWithClock(updateRollout("web", first.outs, news, depsFor(aws, lines)))
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(aws.log, [])
      assert.isTrue(
        lines.some((l) => /^warning: web-000000000001 already serves web .* nothing is rolled out/.test(l)),
      )
    }),
  )
})
