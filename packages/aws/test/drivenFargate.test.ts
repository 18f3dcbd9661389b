import { assert, describe, it } from "@effect/vitest"
import type * as aws from "@pulumi/aws"
import type * as pulumi from "@pulumi/pulumi"
import * as strategies from "@slipway/strategies"
import { type PulumiRun, runPulumiProgram } from "@slipway/testing"
import type { ComponentArgsInvalid } from "../src/component.ts"
import { checkRollout } from "../src/rollout/RolloutOperations.ts"
import { FargateService, type FargateServiceArgs } from "../src/services/FargateService.ts"
import { domain, network, refusedBy } from "./fixtures.ts"

const T = {
  component: "slipway:aws:FargateService",
  service: "aws:ecs/service:Service",
  cluster: "aws:ecs/cluster:Cluster",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  listenerRule: "aws:lb/listenerRule:ListenerRule",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  role: "aws:iam/role:Role",
  scalingTarget: "aws:appautoscaling/target:Target",
  rollout: "pulumi-nodejs:dynamic:Resource",
  journal: "slipway:aws:RolloutJournalBucket",
  bucket: "aws:s3/bucket:Bucket",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
} as const

const digest = `sha256:${"a".repeat(64)}`
const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@${digest}`
const dbUrl = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/db-url-AbCdEf"

// Four traffic steps: ECS CANARY shifts once, so native mode refuses this strategy.
const fourSteps = strategies.canary({ steps: [10, 25, 50, 75].map((weight) => ({ weight, bake: "5m" })) })

const base: FargateServiceArgs = {
  network,
  domain,
  image,
  strategy: fourSteps,
  rollout: { mode: "driven" },
}

const deploy = (args: Partial<FargateServiceArgs> = {}) =>
  runPulumiProgram(() => {
    const svc = new FargateService("web", { ...base, ...args })
    return {
      url: svc.url,
      serviceName: svc.serviceName,
      status: svc.driven?.statusCommand,
      revision: svc.driven?.revision,
    }
  })

const invalid = (args: Partial<FargateServiceArgs>): ComponentArgsInvalid =>
  refusedBy(() => new FargateService("web", { ...base, ...args } as FargateServiceArgs))

const arnOf = (run: PulumiRun<unknown>, type: string, name: string): string => run.get(type, name).outputs.arn

describe("FargateService in driven mode", () => {
  describe("slots", () => {
    it("runs a blue service with desiredCount tasks and an empty green one, each on its own target group", async () => {
      const run = await deploy({ desiredCount: 3 })
      const blue = run.get(T.service, "web-blue").inputs
      const green = run.get(T.service, "web-green").inputs
      assert.strictEqual(blue.desiredCount, 3)
      assert.strictEqual(green.desiredCount, 0)
      assert.deepStrictEqual(
        blue.loadBalancers.map((l: { targetGroupArn: string }) => l.targetGroupArn),
        [arnOf(run, T.targetGroup, "web-blue")],
      )
      assert.deepStrictEqual(
        green.loadBalancers.map((l: { targetGroupArn: string }) => l.targetGroupArn),
        [arnOf(run, T.targetGroup, "web-green")],
      )
      // Both start on the program's task definition; the rollout moves them from there.
      const taskDefinition = arnOf(run, T.taskDefinition, "web")
      assert.strictEqual(blue.taskDefinition, taskDefinition)
      assert.strictEqual(green.taskDefinition, taskDefinition)
      for (const slot of [blue, green]) {
        assert.isFalse(slot.networkConfiguration.assignPublicIp)
        assert.deepStrictEqual(slot.deploymentCircuitBreaker, { enable: true, rollback: false })
        assert.notProperty(slot, "deploymentConfiguration")
        assert.notProperty(slot, "alarms")
        assert.isUndefined(slot.loadBalancers[0].advancedConfiguration)
      }
      assert.deepStrictEqual([blue.tags["slipway:slot"], green.tags["slipway:slot"]], ["blue", "green"])
      // No native service, no role for ECS to shift traffic, no scaler fighting the rollout.
      assert.isUndefined(run.find(T.service, "web"))
      assert.isUndefined(run.find(T.role, "web-infrastructure"))
      assert.lengthOf(run.byType(T.scalingTarget), 0)
      assert.strictEqual(run.outputs.serviceName, run.get(T.service, "web-blue").outputs.name)
    })

    it("leaves each slot's task definition and count to the rollout, and keeps replaced task definitions", async () => {
      const options: Array<{ name: string; ignoreChanges: ReadonlyArray<string> | undefined }> = []
      const run = await deploy({
        transform: {
          service: (_args: aws.ecs.ServiceArgs, opts: pulumi.CustomResourceOptions, name: string) => {
            options.push({ name, ignoreChanges: opts.ignoreChanges })
          },
        },
      })
      assert.sameDeepMembers(options, [
        { name: "web-blue", ignoreChanges: ["taskDefinition", "desiredCount"] },
        { name: "web-green", ignoreChanges: ["taskDefinition", "desiredCount"] },
      ])
      assert.isTrue(run.get(T.taskDefinition, "web").inputs.skipDestroy)
    })
  })

  describe("the DrivenRollout", () => {
    it("is a dynamic resource under the service, its slots wired to their own target groups and services", async () => {
      const run = await deploy()
      const component = run.get(T.component, "web")
      const rollout = run.get(T.rollout, "web-rollout")
      assert.strictEqual(rollout.parent, component.urn)
      const { backend } = rollout.inputs
      assert.strictEqual(backend.kind, "ecs")
      assert.strictEqual(backend.cluster, run.get(T.cluster, "web").outputs.name)
      assert.strictEqual(backend.ruleArn, arnOf(run, T.listenerRule, "web-route"))
      assert.notProperty(backend, "listenerArn")
      assert.strictEqual(backend.loadBalancerArnSuffix, run.get(T.loadBalancer, "web").outputs.arnSuffix)
      assert.deepStrictEqual(backend.slots, [
        {
          name: "blue",
          targetGroupArn: arnOf(run, T.targetGroup, "web-blue"),
          targetGroupArnSuffix: run.get(T.targetGroup, "web-blue").outputs.arnSuffix,
          service: run.get(T.service, "web-blue").outputs.name,
        },
        {
          name: "green",
          targetGroupArn: arnOf(run, T.targetGroup, "web-green"),
          targetGroupArnSuffix: run.get(T.targetGroup, "web-green").outputs.arnSuffix,
          service: run.get(T.service, "web-green").outputs.name,
        },
      ])
      assert.deepStrictEqual(rollout.inputs.release, {
        kind: "ecs",
        taskDefinitionArn: arnOf(run, T.taskDefinition, "web"),
      })
      assert.strictEqual(rollout.inputs.replicas, 2)
      assert.strictEqual(rollout.inputs.app, "project-test-web")
      assert.strictEqual(rollout.inputs.region, "us-east-1")
      assert.deepStrictEqual(rollout.inputs.strategy, JSON.parse(JSON.stringify(fourSteps)))
      assert.deepStrictEqual(rollout.inputs.journal, {
        bucket: run.get(T.bucket, "web-journal-bucket").outputs.bucket,
      })
      assert.notProperty(rollout.inputs, "gates")
    })

    it("rolls out the revision it derives from the release's inputs, pinned to the image digest", async () => {
      const run = await deploy({ environment: { LOG_LEVEL: "info" }, secrets: { DATABASE_URL: dbUrl } })
      const revision = run.get(T.rollout, "web-rollout").inputs.revision
      assert.match(revision.id, /^project-test-web-[0-9a-f]{12}$/)
      assert.deepStrictEqual(revision.artifact, { digest, uri: image })
      assert.deepStrictEqual(revision.config, {
        image,
        port: 8080,
        cpu: 256,
        memory: 512,
        architecture: "x86_64",
        environment: { LOG_LEVEL: "info" },
        secrets: { DATABASE_URL: dbUrl },
        healthCheckPath: "/healthz",
      })
      assert.strictEqual(run.outputs.revision?.id, revision.id)
    })

    it("gives the same revision id to the same inputs and a new one when anything the task runs changes", async () => {
      const idOf = async (args: Partial<FargateServiceArgs>) =>
        (await deploy(args)).get(T.rollout, "web-rollout").inputs.revision.id as string
      const first = await idOf({ environment: { LOG_LEVEL: "info" } })
      assert.strictEqual(await idOf({ environment: { LOG_LEVEL: "info" }, logRetentionDays: 90 }), first)
      const changed: Array<string> = []
      // One program at a time: Pulumi's mock monitor is process-global.
      for (const change of [
        { environment: { LOG_LEVEL: "debug" } },
        { secrets: { DATABASE_URL: dbUrl } },
        { image: image.replace(/a{64}$/, "b".repeat(64)) },
        { cpu: 512, memory: 1024 },
        { command: ["node", "other.js"] },
        { healthCheckPath: "/up" },
      ]) {
        changed.push(await idOf({ environment: { LOG_LEVEL: "info" }, ...change }))
      }
      assert.strictEqual(new Set([first, ...changed]).size, 1 + changed.length)
    })

    it("turns gate paths into URLs of the service and adds the service's alarms as alarm gates", async () => {
      const run = await deploy({
        alarmNames: ["web-5xx"],
        observe: { thresholds: { errorRate: 0.01 } },
        rollout: {
          mode: "driven",
          gates: {
            http: [{ url: "/healthz", expectStatus: "2xx" }, { url: "https://status.example.com/ping" }],
            alarms: ["web-5xx", { alarm: "db-cpu", name: "database" }],
            errorRate: { max: 0.01, window: "1m", minRequests: 50 },
          },
        },
      })
      const gates = run.get(T.rollout, "web-rollout").inputs.gates
      assert.deepStrictEqual(gates.http, [
        { url: "https://web.example.com/healthz", expectStatus: "2xx" },
        { url: "https://status.example.com/ping" },
      ])
      const observed: ReadonlyArray<string> = run.get("slipway:aws:Alarms", "web").outputs.alarmNames
      assert.isAbove(observed.length, 0)
      // Each alarm once: the one named twice is not duplicated (gate names must be unique).
      assert.deepStrictEqual(gates.alarms, ["web-5xx", { alarm: "db-cpu", name: "database" }, ...observed])
      assert.deepStrictEqual(gates.errorRate, { max: 0.01, window: "1m", minRequests: 50 })
      // What the provider process receives passes its own check (metric gates included).
      assert.deepStrictEqual(checkRollout({}, run.get(T.rollout, "web-rollout").inputs).failures, [])
    })
  })

  describe("the journal", () => {
    it("gets its own private, encrypted bucket, and the stack passes the policy checks", async () => {
      const run = await deploy({ secrets: { DATABASE_URL: dbUrl } })
      const journal = run.get(T.journal, "web-journal")
      assert.strictEqual(journal.parent, run.get(T.component, "web").urn)
      const bucket = run.get(T.bucket, "web-journal-bucket")
      assert.strictEqual(bucket.parent, journal.urn)
      const block = run.get(T.publicAccess).inputs
      assert.deepStrictEqual(
        [block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets],
        [true, true, true, true],
      )
      assert.strictEqual(
        run.get(T.encryption).inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
        "AES256",
      )
      const policy = JSON.parse(run.get(T.bucketPolicy).inputs.policy)
      assert.strictEqual(policy.Statement[0].Effect, "Deny")
      assert.deepStrictEqual(policy.Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } })
      assert.deepStrictEqual(run.policy(), [])
      assert.strictEqual(
        run.outputs.status,
        `slipway status --target aws --bucket ${bucket.outputs.bucket} --region us-east-1 --app project-test-web`,
      )
    })

    it("uses a bucket the stack already has, under a prefix, instead of creating one", async () => {
      const run = await deploy({
        rollout: { mode: "driven", journal: { bucket: "shared-journal", prefix: "rollouts" } },
      })
      assert.lengthOf(run.byType(T.journal), 0)
      assert.deepStrictEqual(run.get(T.rollout, "web-rollout").inputs.journal, {
        bucket: "shared-journal",
        prefix: "rollouts",
      })
      assert.include(run.outputs.status ?? "", "--bucket shared-journal --prefix rollouts")
    })
  })

  describe("strategies", () => {
    it("accepts the four-step canary that native mode refuses, and native mode names the driven option", async () => {
      const refused = invalid({ rollout: undefined })
      assert.include(refused.message, "ECS cannot run it natively")
      assert.include(refused.message, 'set rollout: { mode: "driven" }')
      const run = await deploy()
      assert.deepStrictEqual(
        run
          .get(T.rollout, "web-rollout")
          .inputs.strategy.steps.filter((s: { _tag: string }) => s._tag === "SetWeight").length,
        5,
      )
    })

    it("keeps native mode the default, and explicit", async () => {
      const oneStep = strategies.canary({ steps: [{ weight: 10, bake: "5m" }] })
      for (const rollout of [undefined, { mode: "native" as const }]) {
        const run = await deploy({ strategy: oneStep, rollout, alarmNames: ["web-5xx"] })
        assert.strictEqual(run.get(T.service, "web").inputs.deploymentConfiguration.strategy, "CANARY")
        assert.lengthOf(run.byType(T.rollout), 0)
        assert.lengthOf(run.byType(T.journal), 0)
      }
    })
  })

  describe("refuses, before registering anything", () => {
    it("a driven rollout without a strategy, and a mode that does not exist", () => {
      assert.strictEqual(invalid({ strategy: undefined }).problems[0]?.arg, "strategy")
      const e = invalid({ rollout: { mode: "argo" as "driven" } })
      assert.strictEqual(e.problems[0]?.arg, "rollout.mode")
      assert.include(e.message, '"argo" is not a rollout mode')
    })

    it("native-mode options, gate objects, auto scaling and Cloud Map in driven mode", () => {
      const e = invalid({
        deploymentConfiguration: { strategy: "ROLLING" },
        lifecycleHook: {
          functionArn: "arn:aws:lambda:us-east-1:123456789012:function:hook",
          roleArn: "arn:r",
        },
        gates: [{ name: "errors", check: () => undefined as never }],
        autoScaling: { min: 2 },
        serviceDiscovery: { namespace: "internal.local" },
      })
      assert.sameMembers(
        e.problems.map((p) => p.arg),
        ["deploymentConfiguration", "lifecycleHook", "gates", "autoScaling", "serviceDiscovery"],
      )
      assert.include(e.message, "give them as data in rollout.gates")
    })

    it("driven gates in native mode", () => {
      const e = invalid({
        strategy: strategies.canary({ steps: [{ weight: 10, bake: "5m" }] }),
        rollout: { mode: "native", gates: { alarms: ["web-5xx"] } },
      })
      assert.strictEqual(e.problems[0]?.arg, "rollout.gates")
    })

    it("gate specs that cannot be built, and Gate steps naming gates the rollout will not have", () => {
      const e = invalid({
        strategy: strategies.canary({ steps: [{ weight: 10, bake: "5m" }], gates: ["latency"] }),
        rollout: {
          mode: "driven",
          gates: { http: [{ url: "healthz" }], errorRate: { max: 0.01, window: "soon" } },
        },
      })
      const args = e.problems.map((p) => p.arg)
      assert.include(args, "rollout.gates.http[0].url")
      assert.include(args, "rollout.gates.errorRate")
      const named = invalid({
        strategy: strategies.canary({ steps: [{ weight: 10, bake: "5m" }], gates: ["latency"] }),
        rollout: { mode: "driven", gates: { errorRate: { max: 0.01, window: "1m" } } },
      })
      assert.match(named.problems[0]?.arg ?? "", /^strategy\.steps\[\d+\]\.gates$/)
      assert.include(named.message, 'names gate "latency"')
    })
  })
})
