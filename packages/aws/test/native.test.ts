import { assert, describe, it } from "@effect/vitest"
import type * as aws from "@pulumi/aws"
import { defaultAnalysis, type Step, type Strategy } from "@slipway/core"
import { allAtOnce, blueGreen, canary, linear, rolling } from "@slipway/strategies"
import { Effect } from "effect"
import {
  type Compilation,
  compileCodeDeployLambda,
  compiledOrFail,
  compileEcs,
  compileInstanceRefresh,
  type EcsNativeOptions,
  NativeUnsupported,
} from "../src/native/index.ts"

const MINUTE = 60_000

const plan = (steps: ReadonlyArray<Step>, overrides: Partial<Strategy> = {}): Strategy => ({
  kind: "custom",
  steps,
  analysis: defaultAnalysis,
  scaleDownDelay: MINUTE,
  progressDeadline: 600_000,
  ...overrides,
})

const w = (weight: number): Step => ({ _tag: "SetWeight", weight })
const bake = (ms: number): Step => ({ _tag: "Pause", duration: ms })
const manual: Step = { _tag: "Pause" }
const gate = (...gates: Array<string>): Step =>
  gates.length === 0 ? { _tag: "Gate" } : { _tag: "Gate", gates }
const scale = (percent: number): Step => ({ _tag: "Scale", percent })

const settingsOf = <S>(c: Compilation<S>): S => {
  if (c._tag === "Refused") assert.fail(`expected Compiled, got Refused: ${c.reason}`)
  return c.settings
}
const refusalOf = <S>(c: Compilation<S>) => {
  if (c._tag === "Compiled") assert.fail(`expected Refused, got ${JSON.stringify(c.settings)}`)
  return c
}

const ECS_DRIVEN =
  'run it driven: set rollout: { mode: "driven" } on the FargateService (Slipway shifts ALB weighted target groups itself)'
const LAMBDA_DRIVEN =
  'run it driven: set rollout: { mode: "driven" } on the LambdaService (Slipway shifts the live alias\'s routing weights itself)'
const ASG_DRIVEN =
  'run it driven: set rollout: { mode: "driven" } on the Ec2Service (two Auto Scaling groups behind ALB weighted target groups)'

const ecs: EcsNativeOptions = {
  roleArn: "arn:aws:iam::123456789012:role/ecs-infrastructure",
  alternateTargetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/2",
  productionListenerRuleArn:
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/2/3",
  alarms: ["web-5xx", "web-p99"],
}
const withHook: EcsNativeOptions = {
  ...ecs,
  testListenerRuleArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/9/4",
  hookFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:web-hook",
  hookRoleArn: "arn:aws:iam::123456789012:role/ecs-invoke-hook",
}
const advanced = {
  alternateTargetGroupArn: ecs.alternateTargetGroupArn,
  productionListenerRule: ecs.productionListenerRuleArn,
  roleArn: ecs.roleArn,
}
const ecsAlarms = { alarmNames: ["web-5xx", "web-p99"], enable: true, rollback: true }
const breaker = { enable: true, rollback: true }

describe("compileEcs", () => {
  describe("all at once", () => {
    it("compiles 0 → 100% to BLUE_GREEN, keeping the old revision for scaleDownDelay rounded up to minutes", () => {
      const result = compileEcs(plan([w(100)], { scaleDownDelay: 30_000 }), ecs)
      assert.deepStrictEqual(settingsOf(result), {
        deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: "1" },
        advancedConfiguration: advanced,
        deploymentCircuitBreaker: breaker,
        alarms: ecsAlarms,
      })
    })

    it("adds the pause after 100% to the bake, with its gate watched through the alarms", () => {
      const result = compileEcs(allAtOnce({ bake: "5m", scaleDownDelay: "2m" }), ecs)
      assert.deepStrictEqual(settingsOf(result).deploymentConfiguration, {
        strategy: "BLUE_GREEN",
        bakeTimeInMinutes: "7",
      })
    })
  })

  describe("canary", () => {
    it("compiles one weight with a bake to CANARY", () => {
      const result = compileEcs(plan([scale(100), w(10), bake(5 * MINUTE), gate(), w(100)]), ecs)
      assert.deepStrictEqual(settingsOf(result), {
        deploymentConfiguration: {
          strategy: "CANARY",
          canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: "5" },
          bakeTimeInMinutes: "1",
        },
        advancedConfiguration: advanced,
        deploymentCircuitBreaker: breaker,
        alarms: ecsAlarms,
      })
    })

    it("compiles the @slipway/strategies canary the same way", () => {
      const result = compileEcs(canary({ steps: [{ weight: 5, bake: "10m" }], scaleDownDelay: "1m" }), ecs)
      assert.deepStrictEqual(settingsOf(result).deploymentConfiguration, {
        strategy: "CANARY",
        canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: "10" },
        bakeTimeInMinutes: "1",
      })
    })

    it("refuses a four-weight canary: ECS CANARY shifts once", () => {
      const steps = [w(10), bake(MINUTE), w(25), bake(MINUTE), w(50), bake(MINUTE), w(100)]
      const refused = refusalOf(compileEcs(plan(steps), ecs))
      assert.strictEqual(
        refused.reason,
        "ECS CANARY shifts traffic once: canaryPercent then 100%. This strategy has 4 weights (10, 25, 50, 100), and ECS LINEAR needs equal steps (these are +10, +15, +25, +50)",
      )
      assert.strictEqual(refused.alternative, ECS_DRIVEN)
      assert.strictEqual(refused.path, "steps[2]")
    })

    it("refuses a bake that is not whole minutes rather than rounding it", () => {
      const refused = refusalOf(compileEcs(plan([w(10), bake(90_000), w(100)]), ecs))
      assert.strictEqual(
        refused.reason,
        "the bake at 10% is 1m30s, which is not a whole number of minutes; the mechanism counts minutes and Slipway does not round a bake",
      )
      assert.strictEqual(refused.alternative, `use a duration of 2m or 1m, or ${ECS_DRIVEN}`)
      assert.strictEqual(refused.path, "steps[1]")
    })

    it("refuses a bake longer than 1440 minutes", () => {
      const refused = refusalOf(compileEcs(plan([w(10), bake(1441 * MINUTE), w(100)]), ecs))
      assert.strictEqual(refused.reason, "the bake at 10% is 1441 minutes; ECS accepts 0–1440")
    })

    it("refuses a gate during the canary when no alarm can stand for it", () => {
      const refused = refusalOf(
        compileEcs(plan([w(10), bake(MINUTE), gate(), w(100)]), { ...ecs, alarms: [] }),
      )
      assert.strictEqual(
        refused.reason,
        "steps[2] is a Gate while the candidate has 10% of production traffic; ECS judges traffic only through CloudWatch alarms and none were given",
      )
      assert.strictEqual(
        refused.alternative,
        `pass \`alarms\` (the alarms that stand for the gates), or ${ECS_DRIVEN}`,
      )
    })

    it("refuses a pause until promoted at an intermediate weight", () => {
      const refused = refusalOf(compileEcs(canary({ steps: [{ weight: 20, bake: "manual" }] }), ecs))
      assert.strictEqual(
        refused.reason,
        "steps[2] pauses until promoted at 20%; ECS CANARY has no lifecycle stage that runs once at an intermediate weight (PRE_PRODUCTION_TRAFFIC_SHIFT runs before every shift)",
      )
    })
  })

  describe("linear", () => {
    it("compiles equal steps with equal bakes to LINEAR", () => {
      const result = compileEcs(linear({ stepPercent: 25, interval: "2m", scaleDownDelay: "1m" }), ecs)
      assert.deepStrictEqual(settingsOf(result), {
        deploymentConfiguration: {
          strategy: "LINEAR",
          linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: "2" },
          bakeTimeInMinutes: "1",
        },
        advancedConfiguration: advanced,
        deploymentCircuitBreaker: breaker,
        alarms: ecsAlarms,
      })
    })

    it("accepts a step that does not divide 100 (30, 60, 90, then 100)", () => {
      const result = compileEcs(linear({ stepPercent: 30, interval: "1m" }), ecs)
      assert.deepStrictEqual(settingsOf(result).deploymentConfiguration.linearConfiguration, {
        stepPercent: 30,
        stepBakeTimeInMinutes: "1",
      })
    })

    it("refuses a step below ECS's 3% minimum", () => {
      const steps = [...Array.from({ length: 49 }, (_, i) => w(2 * (i + 1))), w(100)]
      const refused = refusalOf(compileEcs(plan(steps), ecs))
      assert.strictEqual(refused.reason, "ECS LINEAR stepPercent must be 3–100; this strategy steps 2%")
      assert.strictEqual(refused.alternative, `use steps of 3% or more, or ${ECS_DRIVEN}`)
    })

    it("refuses unequal bakes", () => {
      const refused = refusalOf(
        compileEcs(plan([w(25), bake(MINUTE), w(50), bake(2 * MINUTE), w(75), bake(MINUTE), w(100)]), ecs),
      )
      assert.strictEqual(
        refused.reason,
        "ECS LINEAR bakes the same time after every step; this strategy bakes 1m, 2m, 1m",
      )
      assert.strictEqual(refused.path, "steps[2]")
    })
  })

  describe("blue-green", () => {
    it("compiles preview gates and a pause until promoted to hooks around the test traffic shift", () => {
      const strategy = plan([scale(100), gate("smoke"), manual, w(100)])
      const result = compileEcs(strategy, withHook)
      const policy = {
        holdSeconds: 0,
        intervalSeconds: 10,
        failureLimit: 0,
        inconclusiveLimit: 3,
        onInconclusiveLimit: "pause" as const,
        requireChecks: true,
        gates: ["smoke"],
      }
      const settings = settingsOf(result)
      assert.deepStrictEqual(settings.deploymentConfiguration, {
        strategy: "BLUE_GREEN",
        bakeTimeInMinutes: "1",
        lifecycleHooks: [
          {
            targetType: "AWS_LAMBDA",
            hookTargetArn: withHook.hookFunctionArn!,
            roleArn: withHook.hookRoleArn!,
            lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"],
            hookDetails: JSON.stringify({ slipway: policy }),
          },
          {
            targetType: "PAUSE",
            lifecycleStages: ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
            timeoutConfiguration: { action: "ROLLBACK", timeoutInMinutes: "1440" },
          },
        ],
      })
      assert.deepStrictEqual(settings.advancedConfiguration, {
        ...advanced,
        testListenerRule: withHook.testListenerRuleArn!,
      })
      assert.deepStrictEqual(settings.hookPolicy, policy)
      assert.include(settings.promotion!, "ContinueServiceDeployment")
    })

    it("holds a timed preview inside the hook (checks keep running for the pause)", () => {
      const result = compileEcs(blueGreen({ promoteAfter: "2m", scaleDownDelay: "1m" }), withHook)
      const settings = settingsOf(result)
      assert.strictEqual(settings.hookPolicy?.holdSeconds, 120)
      assert.strictEqual(settings.hookPolicy?.requireChecks, true)
      assert.deepStrictEqual(
        settings.deploymentConfiguration.lifecycleHooks?.map((h) => [h.targetType, h.lifecycleStages]),
        [["AWS_LAMBDA", ["POST_TEST_TRAFFIC_SHIFT"]]],
      )
    })

    it("pauses before the gates at POST_SCALE_UP when the pause comes first", () => {
      const result = compileEcs(plan([manual, gate(), w(100)]), withHook)
      assert.deepStrictEqual(
        settingsOf(result).deploymentConfiguration.lifecycleHooks?.map((h) => [
          h.targetType,
          h.lifecycleStages,
        ]),
        [
          ["AWS_LAMBDA", ["POST_TEST_TRAFFIC_SHIFT"]],
          ["PAUSE", ["POST_SCALE_UP"]],
        ],
      )
    })

    it("pauses at POST_PRODUCTION_TRAFFIC_SHIFT for a pause until promoted after 100%", () => {
      const result = compileEcs(plan([w(100), manual, bake(5 * MINUTE)]), { ...ecs, pauseTimeoutMinutes: 60 })
      assert.deepStrictEqual(settingsOf(result).deploymentConfiguration, {
        strategy: "BLUE_GREEN",
        bakeTimeInMinutes: "6",
        lifecycleHooks: [
          {
            targetType: "PAUSE",
            lifecycleStages: ["POST_PRODUCTION_TRAFFIC_SHIFT"],
            timeoutConfiguration: { action: "ROLLBACK", timeoutInMinutes: "60" },
          },
        ],
      })
    })

    it("refuses preview gates without a hook function", () => {
      const refused = refusalOf(compileEcs(blueGreen({ previewGates: ["smoke"] }), ecs))
      assert.strictEqual(
        refused.reason,
        "steps[1] gates the new revision before production traffic; ECS does that in a lifecycle hook function, and hookFunctionArn/hookRoleArn were not given",
      )
      assert.strictEqual(
        refused.alternative,
        `pass hookFunctionArn and hookRoleArn (the ecsHookHandler function), or ${ECS_DRIVEN}`,
      )
    })

    it("refuses preview gates without a test listener to reach the new revision", () => {
      const { testListenerRuleArn: _, ...noTest } = withHook
      const refused = refusalOf(compileEcs(blueGreen(), noTest))
      assert.strictEqual(
        refused.reason,
        "steps[1] gates the new revision before production traffic; only a test listener rule can send it requests then, and testListenerRuleArn was not given",
      )
    })

    it("refuses a pause until promoted between pre-traffic gates", () => {
      const refused = refusalOf(compileEcs(plan([gate("a"), manual, gate("b"), w(100)]), withHook))
      assert.strictEqual(
        refused.reason,
        "a pause until promoted sits between pre-traffic gates; ECS runs them in one lifecycle hook and cannot split it around a pause",
      )
    })

    it("refuses a pause until promoted after the preview gates of a CANARY (no once-only stage left)", () => {
      const refused = refusalOf(compileEcs(plan([gate(), manual, w(10), bake(MINUTE), w(100)]), withHook))
      assert.strictEqual(
        refused.reason,
        "the pause until promoted at steps[1] follows the pre-traffic gates; its only later stage, PRE_PRODUCTION_TRAFFIC_SHIFT, runs before every CANARY shift, not once",
      )
    })

    it("refuses a pause until promoted that follows a bake at 100%", () => {
      const refused = refusalOf(compileEcs(plan([w(100), bake(MINUTE), manual]), ecs))
      assert.strictEqual(
        refused.reason,
        "steps[2] pauses until promoted after a timed pause at 100%; ECS runs POST_PRODUCTION_TRAFFIC_SHIFT hooks before the bake time",
      )
    })
  })

  describe("rolling", () => {
    it("compiles capacity that moves with traffic, without pauses, to ROLLING", () => {
      const result = compileEcs(rolling({ batchPercent: 25, pauseBetween: 0 }), ecs)
      assert.deepStrictEqual(settingsOf(result), {
        deploymentConfiguration: { strategy: "ROLLING" },
        deploymentCircuitBreaker: breaker,
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 125,
        alarms: ecsAlarms,
      })
    })

    it("surges one batch of whole replicas when the size is known (3 replicas: 33, 66, 100)", () => {
      const result = compileEcs(rolling({ replicas: 3, batchSize: 1, pauseBetween: 0 }), ecs)
      assert.strictEqual(settingsOf(result).deploymentMaximumPercent, 134)
    })

    it("refuses pauses between rolling batches", () => {
      const refused = refusalOf(compileEcs(rolling({ batchPercent: 25 }), ecs))
      assert.strictEqual(
        refused.reason,
        "steps[2] pauses, but its Scale steps make this a rolling replacement and ECS ROLLING cannot pause between batches",
      )
      assert.strictEqual(
        refused.alternative,
        `remove the pauses (rolling with pauseBetween 0), or shift traffic to a full-size candidate (linear: ECS LINEAR), or ${ECS_DRIVEN}`,
      )
    })
  })

  describe("scale steps", () => {
    it("refuses a candidate scaled below full size while traffic shifts", () => {
      const refused = refusalOf(compileEcs(plan([scale(50), w(10), bake(MINUTE), w(100)]), ecs))
      assert.strictEqual(
        refused.reason,
        "steps[0] scales the candidate to 50%; ECS runs a new revision at the service's full desiredCount before shifting any traffic",
      )
    })

    it("refuses a replica count ECS cannot honour", () => {
      const refused = refusalOf(compileEcs(plan([{ _tag: "Scale", replicas: 2 }, bake(MINUTE), w(100)]), ecs))
      assert.strictEqual(
        refused.reason,
        "steps[0] scales the candidate to 2 replicas; ECS sizes a new revision by the service's desiredCount",
      )
    })
  })

  it("refuses an invalid strategy, naming the field", () => {
    const refused = refusalOf(compileEcs(plan([w(50)]), ecs))
    assert.strictEqual(
      refused.reason,
      "the strategy is invalid: steps: the plan never sends 100% of traffic to the candidate (last weight 50); end with a SetWeight of 100",
    )
    assert.strictEqual(refused.path, "steps")
  })

  it("fits the @pulumi/aws 7 aws.ecs.Service input schema", () => {
    const settings = settingsOf(compileEcs(plan([manual, gate(), w(10), bake(MINUTE), w(100)]), withHook))
    const args: Pick<aws.ecs.ServiceArgs, "deploymentConfiguration" | "alarms" | "deploymentCircuitBreaker"> =
      {
        deploymentConfiguration: settings.deploymentConfiguration,
        ...(settings.alarms === undefined ? {} : { alarms: settings.alarms }),
        deploymentCircuitBreaker: settings.deploymentCircuitBreaker,
      }
    const lb: aws.types.input.ecs.ServiceLoadBalancer = {
      containerName: "web",
      containerPort: 3000,
      ...(settings.advancedConfiguration === undefined
        ? {}
        : { advancedConfiguration: settings.advancedConfiguration }),
    }
    assert.strictEqual(args.deploymentConfiguration !== undefined && lb.containerPort === 3000, true)
  })

  it.effect("fails with NativeUnsupported through compiledOrFail", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(compiledOrFail(compileEcs(plan([w(10), w(25), w(50), w(100)]), ecs)))
      assert.instanceOf(error, NativeUnsupported)
      assert.strictEqual(error.backend, "ecs")
      assert.strictEqual(error.alternative, ECS_DRIVEN)
      assert.match(error.message, /^ecs cannot run this strategy natively: ECS CANARY shifts traffic once/)
    }),
  )
})

describe("compileCodeDeployLambda", () => {
  const group = {
    deploymentStyle: {
      deploymentOption: "WITH_TRAFFIC_CONTROL" as const,
      deploymentType: "BLUE_GREEN" as const,
    },
    autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
    alarmConfiguration: { enabled: true, alarms: ["fn-errors"] },
  }

  it("compiles a 10% / 5 minute canary to TimeBasedCanary and recognises the predefined config", () => {
    const result = compileCodeDeployLambda(canary({ steps: [{ weight: 10, bake: "5m" }] }), {
      alarms: ["fn-errors"],
    })
    assert.deepStrictEqual(settingsOf(result), {
      deploymentConfig: {
        computePlatform: "Lambda",
        trafficRoutingConfig: { type: "TimeBasedCanary", timeBasedCanary: { percentage: 10, interval: 5 } },
      },
      predefinedConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
      deploymentGroup: group,
      appSpecHooks: [],
    })
  })

  it("compiles equal steps to TimeBasedLinear (10% every minute is predefined)", () => {
    const result = compileCodeDeployLambda(linear({ stepPercent: 10, interval: "1m" }), {
      alarms: ["fn-errors"],
    })
    const settings = settingsOf(result)
    assert.deepStrictEqual(settings.deploymentConfig.trafficRoutingConfig, {
      type: "TimeBasedLinear",
      timeBasedLinear: { percentage: 10, interval: 1 },
    })
    assert.strictEqual(settings.predefinedConfigName, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute")
  })

  it("names no predefined config when none matches (20% every 3 minutes)", () => {
    const result = compileCodeDeployLambda(linear({ stepPercent: 20, interval: "3m" }), {
      alarms: ["fn-errors"],
    })
    const settings = settingsOf(result)
    assert.deepStrictEqual(settings.deploymentConfig.trafficRoutingConfig, {
      type: "TimeBasedLinear",
      timeBasedLinear: { percentage: 20, interval: 3 },
    })
    assert.strictEqual(settings.predefinedConfigName, undefined)
  })

  it("compiles all at once without alarms: rollback on failure only", () => {
    const result = compileCodeDeployLambda(allAtOnce())
    assert.deepStrictEqual(settingsOf(result), {
      deploymentConfig: { computePlatform: "Lambda", trafficRoutingConfig: { type: "AllAtOnce" } },
      predefinedConfigName: "CodeDeployDefault.LambdaAllAtOnce",
      deploymentGroup: {
        deploymentStyle: group.deploymentStyle,
        autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE"] },
      },
      appSpecHooks: [],
    })
  })

  it("runs preview gates in a BeforeAllowTraffic hook", () => {
    const result = compileCodeDeployLambda(blueGreen({ previewGates: ["smoke"] }), {
      beforeAllowTrafficHook: "api-smoke",
    })
    assert.deepStrictEqual(settingsOf(result).appSpecHooks, [{ BeforeAllowTraffic: "api-smoke" }])
  })

  it("refuses preview gates without a BeforeAllowTraffic hook", () => {
    const refused = refusalOf(compileCodeDeployLambda(blueGreen()))
    assert.strictEqual(
      refused.reason,
      "steps[1] gates the new version before traffic; CodeDeploy does that in a BeforeAllowTraffic hook function and none was given",
    )
    assert.strictEqual(refused.alternative, `pass beforeAllowTrafficHook, or ${LAMBDA_DRIVEN}`)
  })

  it("refuses a pause until promoted", () => {
    const refused = refusalOf(
      compileCodeDeployLambda(blueGreen({ autoPromote: false }), { beforeAllowTrafficHook: "h" }),
    )
    assert.strictEqual(
      refused.reason,
      "steps[2] pauses until promoted; CodeDeploy Lambda deployments cannot wait for a person",
    )
  })

  it("refuses a canary with more than one intermediate weight", () => {
    const refused = refusalOf(
      compileCodeDeployLambda(
        canary({
          steps: [
            { weight: 10, bake: "1m" },
            { weight: 25, bake: "1m" },
            { weight: 50, bake: "1m" },
          ],
        }),
        { alarms: ["fn-errors"] },
      ),
    )
    assert.strictEqual(
      refused.reason,
      "CodeDeploy TimeBasedCanary shifts traffic once: percentage then 100%. This strategy has 4 weights (10, 25, 50, 100), and TimeBasedLinear needs equal steps (these are +10, +15, +25, +50)",
    )
  })

  it("refuses a canary that does not wait a whole minute", () => {
    const refused = refusalOf(compileCodeDeployLambda(plan([w(10), w(100)])))
    assert.strictEqual(
      refused.reason,
      "the bake at 10% is 0; CodeDeploy waits at least one whole minute between shifts",
    )
  })

  it("refuses a bake after 100% (the deployment ends with the last shift)", () => {
    const refused = refusalOf(compileCodeDeployLambda(allAtOnce({ bake: "5m" }), { alarms: ["a"] }))
    assert.strictEqual(
      refused.reason,
      "steps[2] waits after 100%; a CodeDeploy Lambda deployment ends with the last shift and has no bake time",
    )
  })

  it("refuses a gate after 100% without an AfterAllowTraffic hook", () => {
    const refused = refusalOf(compileCodeDeployLambda(plan([w(100), gate()])))
    assert.strictEqual(
      refused.reason,
      "steps[1] gates after 100%; CodeDeploy stops watching alarms with the last shift, so only an AfterAllowTraffic hook function can judge then, and none was given",
    )
  })

  it("refuses more than 10 alarms", () => {
    const alarms = Array.from({ length: 11 }, (_, i) => `alarm-${i}`)
    const refused = refusalOf(compileCodeDeployLambda(allAtOnce(), { alarms }))
    assert.strictEqual(refused.reason, "11 alarms given; a CodeDeploy deployment group watches at most 10")
    assert.strictEqual(refused.alternative, `combine them into a composite alarm, or ${LAMBDA_DRIVEN}`)
  })

  it("fits the @pulumi/aws 7 codedeploy input schema", () => {
    const settings = settingsOf(
      compileCodeDeployLambda(canary({ steps: [{ weight: 10, bake: "5m" }] }), { alarms: ["a"] }),
    )
    const config: aws.codedeploy.DeploymentConfigArgs = settings.deploymentConfig
    const groupArgs: Pick<
      aws.codedeploy.DeploymentGroupArgs,
      "autoRollbackConfiguration" | "alarmConfiguration" | "deploymentStyle"
    > = settings.deploymentGroup
    assert.strictEqual(config.computePlatform, "Lambda")
    assert.isDefined(groupArgs.autoRollbackConfiguration)
  })
})

describe("compileInstanceRefresh", () => {
  it("compiles canary weights to checkpoints with one checkpoint delay", () => {
    const steps = [w(10), bake(5 * MINUTE), gate(), w(50), bake(5 * MINUTE), gate(), w(100)]
    const result = compileInstanceRefresh(plan(steps), { alarms: ["web-5xx"] })
    assert.deepStrictEqual(settingsOf(result), {
      strategy: "Rolling",
      preferences: {
        minHealthyPercentage: 100,
        maxHealthyPercentage: 150,
        checkpointPercentages: [10, 50, 100],
        checkpointDelay: "300",
        autoRollback: true,
        alarmSpecification: { alarms: ["web-5xx"] },
        skipMatching: true,
      },
    })
  })

  it("compiles a rolling strategy's batches to checkpoints", () => {
    const result = compileInstanceRefresh(rolling({ batchPercent: 25, pauseBetween: "1m" }), {
      alarms: ["web-5xx"],
      instanceWarmupSeconds: 90,
      skipMatching: false,
    })
    assert.deepStrictEqual(settingsOf(result), {
      strategy: "Rolling",
      preferences: {
        minHealthyPercentage: 100,
        maxHealthyPercentage: 125,
        checkpointPercentages: [25, 50, 75, 100],
        checkpointDelay: "60",
        instanceWarmup: "90",
        autoRollback: true,
        alarmSpecification: { alarms: ["web-5xx"] },
        skipMatching: false,
      },
    })
  })

  it("replaces everything in one launch-before-terminate batch for 0 → 100%", () => {
    const result = compileInstanceRefresh(plan([w(100)]))
    assert.deepStrictEqual(settingsOf(result), {
      strategy: "Rolling",
      preferences: {
        minHealthyPercentage: 100,
        maxHealthyPercentage: 200,
        autoRollback: true,
        skipMatching: true,
      },
    })
  })

  it("refuses a pause until promoted: checkpoints cannot wait for a person", () => {
    const refused = refusalOf(compileInstanceRefresh(plan([w(20), manual, w(100)])))
    assert.strictEqual(
      refused.reason,
      "steps[1] pauses until promoted; instance refresh checkpoints wait a fixed checkpointDelay and cannot wait for a person",
    )
    assert.strictEqual(refused.alternative, `use a timed pause, or ${ASG_DRIVEN}`)
  })

  it("refuses a full-size candidate beside an untouched fleet (the constructors' canary)", () => {
    const refused = refusalOf(
      compileInstanceRefresh(canary({ steps: [{ weight: 10, bake: "5m" }] }), { alarms: ["a"] }),
    )
    assert.strictEqual(
      refused.reason,
      "steps[0] sizes the candidate to 100% ahead of its traffic, beside an untouched old fleet; an instance refresh replaces old instances in place, each new one taking traffic as it comes in service",
    )
  })

  it("refuses different bakes at different checkpoints", () => {
    const refused = refusalOf(
      compileInstanceRefresh(plan([w(10), bake(MINUTE), w(50), bake(2 * MINUTE), w(100)])),
    )
    assert.strictEqual(
      refused.reason,
      "an instance refresh waits the same checkpointDelay at every checkpoint; this strategy bakes 1m, 2m",
    )
    assert.strictEqual(refused.path, "steps[2]")
  })

  it("refuses a checkpoint delay over 48 hours", () => {
    const refused = refusalOf(compileInstanceRefresh(plan([w(10), bake(49 * 60 * MINUTE), w(100)])))
    assert.strictEqual(
      refused.reason,
      "the checkpoint bake is 2d1h; checkpointDelay is at most 48h (172800 s)",
    )
  })

  it("refuses a bake that is not whole seconds", () => {
    const refused = refusalOf(compileInstanceRefresh(plan([w(10), bake(1_500), w(100)])))
    assert.strictEqual(
      refused.reason,
      "the checkpoint bake is 1500ms, which is not a whole number of seconds; the mechanism counts seconds and Slipway does not round a bake",
    )
    assert.strictEqual(refused.alternative, `use a duration of 2s or 1s, or ${ASG_DRIVEN}`)
  })

  it("refuses gates without alarms, and anything after 100%", () => {
    assert.strictEqual(
      refusalOf(compileInstanceRefresh(plan([w(10), bake(MINUTE), gate(), w(100)]))).reason,
      "steps[2] is a Gate at 10% of instances; an instance refresh judges only through CloudWatch alarms and none were given",
    )
    assert.strictEqual(
      refusalOf(compileInstanceRefresh(plan([w(100), bake(MINUTE)]))).reason,
      "steps[1] waits after 100%; an instance refresh ends with its last replacement and watches nothing after it",
    )
    assert.strictEqual(
      refusalOf(compileInstanceRefresh(plan([gate(), w(100)]))).reason,
      "steps[0] gates before any traffic; an instance refresh has no stage before new instances serve",
    )
  })

  it("fits the @pulumi/aws 7 aws.autoscaling.Group instanceRefresh schema", () => {
    const settings = settingsOf(compileInstanceRefresh(rolling({ batchPercent: 50 }), { alarms: ["a"] }))
    const refresh: aws.types.input.autoscaling.GroupInstanceRefresh = settings
    assert.strictEqual(refresh.strategy, "Rolling")
  })
})

describe("every strategy kind on every backend", () => {
  const kinds = {
    allAtOnce: allAtOnce({ bake: "5m" }),
    canary: canary({ steps: [{ weight: 10, bake: "5m" }] }),
    linear: linear({ stepPercent: 10, interval: "1m" }),
    blueGreen: blueGreen({ previewGates: ["smoke"], autoPromote: false }),
    rolling: rolling({ batchPercent: 25, pauseBetween: "1m" }),
  }
  const backends: Record<"ecs" | "lambda" | "asg", (s: Strategy) => Compilation<unknown>> = {
    ecs: (s) => compileEcs(s, withHook),
    lambda: (s) => compileCodeDeployLambda(s, { alarms: ["a"], beforeAllowTrafficHook: "smoke-fn" }),
    asg: (s) => compileInstanceRefresh(s, { alarms: ["a"] }),
  }
  const fullSizeCandidate =
    "steps[0] sizes the candidate to 100% ahead of its traffic, beside an untouched old fleet; an instance refresh replaces old instances in place, each new one taking traffic as it comes in service"
  const expected: Record<keyof typeof kinds, Record<keyof typeof backends, string>> = {
    allAtOnce: {
      ecs: "BLUE_GREEN",
      lambda:
        "steps[2] waits after 100%; a CodeDeploy Lambda deployment ends with the last shift and has no bake time",
      asg: "steps[2] waits after 100%; an instance refresh ends with its last replacement and watches nothing after it",
    },
    canary: { ecs: "CANARY", lambda: "TimeBasedCanary", asg: fullSizeCandidate },
    linear: { ecs: "LINEAR", lambda: "TimeBasedLinear", asg: fullSizeCandidate },
    blueGreen: {
      ecs: "BLUE_GREEN",
      lambda: "steps[2] pauses until promoted; CodeDeploy Lambda deployments cannot wait for a person",
      asg: "steps[2] pauses until promoted; instance refresh checkpoints wait a fixed checkpointDelay and cannot wait for a person",
    },
    rolling: {
      ecs: "steps[2] pauses, but its Scale steps make this a rolling replacement and ECS ROLLING cannot pause between batches",
      lambda: "TimeBasedLinear",
      asg: "Rolling",
    },
  }
  // What each compiled result is called by its mechanism.
  const mechanism = (settings: unknown): string => {
    const s = settings as {
      deploymentConfiguration?: { strategy: string }
      deploymentConfig?: { trafficRoutingConfig: { type: string } }
      strategy?: string
    }
    return (
      s.deploymentConfiguration?.strategy ??
      s.deploymentConfig?.trafficRoutingConfig.type ??
      s.strategy ??
      "?"
    )
  }
  for (const [kind, strategy] of Object.entries(kinds)) {
    for (const [backend, compile] of Object.entries(backends)) {
      const want = expected[kind as keyof typeof kinds][backend as keyof typeof backends]
      it(`${kind} on ${backend}: ${want.length < 20 ? want : "refused"}`, () => {
        const result = compile(strategy)
        if (want.length < 20) assert.strictEqual(mechanism(settingsOf(result)), want)
        else assert.strictEqual(refusalOf(result).reason, want)
      })
    }
  }
})
