import { assert, describe, it } from "@effect/vitest"
import type * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import * as strategies from "@slipway/strategies"
import { type PulumiRun, runPulumiProgram } from "@slipway/testing"
import { checkRollout } from "../src/rollout/RolloutOperations.ts"
import { Ec2Service, type Ec2ServiceArgs } from "../src/services/Ec2Service.ts"
import { LambdaService, type LambdaServiceArgs } from "../src/services/LambdaService.ts"
import { certificateArn, network, refusedBy } from "./fixtures.ts"

const T = {
  group: "aws:autoscaling/group:Group",
  scalingPolicy: "aws:autoscaling/policy:Policy",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  listenerRule: "aws:lb/listenerRule:ListenerRule",
  function: "aws:lambda/function:Function",
  alias: "aws:lambda/alias:Alias",
  rollout: "pulumi-nodejs:dynamic:Resource",
  journal: "slipway:aws:RolloutJournalBucket",
} as const

const arnOf = (run: PulumiRun<unknown>, type: string, name: string): string => run.get(type, name).outputs.arn

// ---------------------------------------------------------------- EC2

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
const artifact = {
  url: "https://releases.example.com/web-1.4.2.tar.gz",
  sha256: sha,
  command: "node server.js",
}

// A full-size candidate beside the untouched fleet, then a pause for a person: an instance
// refresh can do neither, so native mode refuses it.
const heldCanary = strategies.canary({
  steps: [
    { weight: 10, bake: "5m" },
    { weight: 50, bake: "manual" },
  ],
})

const ec2Base: Ec2ServiceArgs = {
  network,
  certificateArn,
  artifact,
  desiredCapacity: 2,
  strategy: heldCanary,
  rollout: { mode: "driven" },
}

const deployEc2 = (args: Partial<Ec2ServiceArgs> = {}) =>
  runPulumiProgram(() => {
    const svc = new Ec2Service("web", { ...ec2Base, ...args } as Ec2ServiceArgs)
    return { group: svc.autoScalingGroupName, revision: svc.driven?.revision }
  })

describe("Ec2Service in driven mode", () => {
  it("runs a blue group of desiredCapacity instances and an empty green one, each in its own target group", async () => {
    const ignored: Array<{ name: string; ignoreChanges: ReadonlyArray<string> | undefined }> = []
    const run = await deployEc2({
      transform: {
        autoScalingGroup: (
          _: aws.autoscaling.GroupArgs,
          opts: pulumi.CustomResourceOptions,
          name: string,
        ) => {
          ignored.push({ name, ignoreChanges: opts.ignoreChanges })
        },
      },
    })
    const blue = run.get(T.group, "web-blue").inputs
    const green = run.get(T.group, "web-green").inputs
    assert.deepStrictEqual([blue.minSize, blue.desiredCapacity], [0, 2])
    assert.deepStrictEqual([green.minSize, green.desiredCapacity], [0, 0])
    assert.isAtLeast(green.maxSize, 2)
    assert.deepStrictEqual(blue.targetGroupArns, [arnOf(run, T.targetGroup, "web-blue")])
    assert.deepStrictEqual(green.targetGroupArns, [arnOf(run, T.targetGroup, "web-green")])
    for (const group of [blue, green]) {
      assert.notProperty(group, "instanceRefresh")
      assert.strictEqual(group.launchTemplate.id, run.get(T.launchTemplate, "web").id)
    }
    assert.sameDeepMembers(ignored, [
      { name: "web-blue", ignoreChanges: ["desiredCapacity", "launchTemplate"] },
      { name: "web-green", ignoreChanges: ["desiredCapacity", "launchTemplate"] },
    ])
    // No native group and no scaling policy fighting the rollout over capacity.
    assert.isUndefined(run.find(T.group, "web"))
    assert.lengthOf(run.byType(T.scalingPolicy), 0)
    assert.strictEqual(run.outputs.group, run.get(T.group, "web-blue").outputs.name)
    assert.deepStrictEqual(run.policy(), [])
  })

  it("wires a DrivenRollout of kind asg: the launch template version as release, each group in its slot", async () => {
    const run = await deployEc2()
    const rollout = run.get(T.rollout, "web-rollout")
    assert.strictEqual(rollout.parent, run.get("slipway:aws:Ec2Service", "web").urn)
    const template = run.get(T.launchTemplate, "web")
    assert.deepStrictEqual(rollout.inputs.release, {
      kind: "asg",
      launchTemplateId: template.id,
      launchTemplateVersion: String(template.outputs.latestVersion),
    })
    assert.strictEqual(rollout.inputs.backend.kind, "asg")
    assert.strictEqual(rollout.inputs.backend.ruleArn, arnOf(run, T.listenerRule, "web-route"))
    assert.deepStrictEqual(
      rollout.inputs.backend.slots.map(
        (s: { name: string; targetGroupArn: string; autoScalingGroup: string }) => [
          s.name,
          s.targetGroupArn,
          s.autoScalingGroup,
        ],
      ),
      [
        ["blue", arnOf(run, T.targetGroup, "web-blue"), run.get(T.group, "web-blue").outputs.name],
        ["green", arnOf(run, T.targetGroup, "web-green"), run.get(T.group, "web-green").outputs.name],
      ],
    )
    assert.strictEqual(rollout.inputs.replicas, 2)
    assert.deepStrictEqual(rollout.inputs.revision.artifact, {
      digest: `sha256:${sha}`,
      uri: artifact.url,
    })
    assert.match(rollout.inputs.revision.config.userData, /^sha256:[0-9a-f]{64}$/)
    assert.lengthOf(run.byType(T.journal), 1)
    assert.deepStrictEqual(checkRollout({}, rollout.inputs).failures, [])
  })

  it("rolls out a new revision when the boot script's inputs change, not when only the log retention does", async () => {
    const idOf = async (args: Partial<Ec2ServiceArgs>) =>
      (await deployEc2(args)).get(T.rollout, "web-rollout").inputs.revision.id as string
    const first = await idOf({})
    assert.strictEqual(await idOf({ logRetentionDays: 90 }), first)
    assert.notStrictEqual(await idOf({ environment: { LOG_LEVEL: "debug" } }), first)
    assert.notStrictEqual(await idOf({ instanceType: "t3.medium" }), first)
    assert.notStrictEqual(await idOf({ artifact: { ...artifact, sha256: "0".repeat(64) } }), first)
  })

  it("accepts the held canary an instance refresh refuses, which names the driven option", async () => {
    const refused = refusedBy(() => new Ec2Service("web", { ...ec2Base, rollout: undefined }))
    assert.include(refused.message, "An instance refresh cannot run it natively")
    assert.include(refused.message, 'set rollout: { mode: "driven" } on the Ec2Service')
    const run = await deployEc2()
    assert.deepStrictEqual(
      run.get(T.rollout, "web-rollout").inputs.strategy,
      JSON.parse(JSON.stringify(heldCanary)),
    )
  })

  it("refuses a hand-written instance refresh, a scaling policy and no instances in driven mode", () => {
    const e = refusedBy(
      () =>
        new Ec2Service("web", {
          ...ec2Base,
          instanceRefresh: { strategy: "Rolling" },
          autoScaling: { cpuTarget: 50 },
          desiredCapacity: 0,
          minSize: 0,
        }),
    )
    assert.sameMembers(
      e.problems.map((p) => p.arg),
      ["instanceRefresh", "autoScaling", "desiredCapacity"],
    )
  })
})

// ---------------------------------------------------------------- Lambda

const code = new pulumi.asset.AssetArchive({
  "index.mjs": new pulumi.asset.StringAsset("export const handler = async () => ({ statusCode: 200 })"),
})
// Three intermediate weights: CodeDeploy's canary shifts once and its linear needs equal steps.
const threeSteps = strategies.canary({ steps: [10, 25, 50].map((weight) => ({ weight, bake: "1m" })) })
const lambdaBase: LambdaServiceArgs = { code, strategy: threeSteps, rollout: { mode: "driven" } }

const deployLambda = (args: Partial<LambdaServiceArgs> = {}) =>
  runPulumiProgram(() => {
    const fn = new LambdaService("api", { ...lambdaBase, ...args } as LambdaServiceArgs)
    return { url: fn.url, status: fn.driven?.statusCommand }
  })

describe("LambdaService in driven mode", () => {
  it("publishes versions behind the live alias and rolls them out with a DrivenRollout instead of CodeDeploy", async () => {
    const aliasOptions: Array<ReadonlyArray<string> | undefined> = []
    const run = await deployLambda({
      transform: {
        alias: (_: aws.lambda.AliasArgs, opts: pulumi.CustomResourceOptions) => {
          aliasOptions.push(opts.ignoreChanges)
        },
      },
    })
    const fn = run.get(T.function, "api")
    assert.isTrue(fn.inputs.publish)
    assert.deepStrictEqual(aliasOptions, [["functionVersion", "routingConfig"]])
    assert.isEmpty(run.resources.filter((r) => r.type.startsWith("aws:codedeploy/")))
    const rollout = run.get(T.rollout, "api-rollout")
    assert.strictEqual(rollout.parent, run.get("slipway:aws:LambdaService", "api").urn)
    assert.deepStrictEqual(rollout.inputs.backend, {
      kind: "lambda",
      functionName: fn.outputs.name,
      alias: "live",
    })
    assert.deepStrictEqual(rollout.inputs.release, { kind: "lambda", version: fn.outputs.version })
    assert.strictEqual(rollout.inputs.replicas, 1)
    assert.match(rollout.inputs.revision.artifact.digest, /^sha256:[0-9a-f]+$/)
    assert.strictEqual(rollout.inputs.revision.config.runtime, "nodejs22.x")
    assert.deepStrictEqual(run.policy(), [])
  })

  it("probes its own URL for gates given as paths, and judges the new version by its observe alarms", async () => {
    const run = await deployLambda({
      authType: "NONE",
      observe: { thresholds: { errorRate: 0.01 } },
      rollout: { mode: "driven", gates: { http: [{ url: "/health" }] } },
    })
    const gates = run.get(T.rollout, "api-rollout").inputs.gates
    const url: string = run.get("aws:lambda/functionUrl:FunctionUrl", "api").outputs.functionUrl
    assert.deepStrictEqual(gates.http, [{ url: `${url.replace(/\/$/, "")}/health` }])
    assert.deepStrictEqual(gates.alarms, run.get("slipway:aws:Alarms", "api").outputs.alarmNames)
    assert.deepStrictEqual(checkRollout({}, run.get(T.rollout, "api-rollout").inputs).failures, [])
  })

  it("accepts the three-step canary CodeDeploy refuses, which names the driven option", async () => {
    const refused = refusedBy(
      () => new LambdaService("api", { ...lambdaBase, rollout: undefined, alarmNames: ["api-errors"] }),
    )
    assert.include(refused.message, "CodeDeploy cannot run it natively")
    assert.include(refused.message, 'set rollout: { mode: "driven" } on the LambdaService')
    const run = await deployLambda()
    assert.deepStrictEqual(
      run.get(T.rollout, "api-rollout").inputs.strategy,
      JSON.parse(JSON.stringify(threeSteps)),
    )
  })

  it("refuses CodeDeploy hooks in driven mode", () => {
    const e = refusedBy(
      () =>
        new LambdaService("api", {
          ...lambdaBase,
          lifecycleHooks: { beforeAllowTraffic: "arn:aws:lambda:us-east-1:123456789012:function:smoke" },
        }),
    )
    assert.deepStrictEqual(
      e.problems.map((p) => p.arg),
      ["lifecycleHooks"],
    )
  })
})
