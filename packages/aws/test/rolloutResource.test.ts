import { assert, describe, it } from "@effect/vitest"
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import { canary } from "@slipway/strategies"
import { runPulumiProgram } from "@slipway/testing"
import { Effect } from "effect"
import { DrivenRollout } from "../src/rollout/DrivenRollout.ts"
import { makeDrivenRolloutProvider } from "../src/rollout/provider.ts"
import { RolloutJournalBucket } from "../src/rollout/RolloutJournalBucket.ts"
import { BLUE_TG, fakeAws, GREEN_TG, LISTENER } from "./rolloutFakes.ts"

const strategy = canary({ steps: [{ weight: 10, bake: "5m" }] })

describe("DrivenRollout under Pulumi mocks", () => {
  it("registers a dynamic resource with its inputs, parented, and a provider that only requires ours", async () => {
    const run = await runPulumiProgram(() => {
      const parent = new pulumi.ComponentResource("slipway:aws:FargateService", "web")
      const cluster = new aws.ecs.Cluster("web", {}, { parent })
      const rollout = new DrivenRollout(
        "web-rollout",
        {
          app: "web-prod",
          revision: {
            id: "web-3f9c2a7b1d0e",
            artifact: { digest: "sha256:ab", uri: "ecr/web@sha256:ab" },
            config: { port: 8080 },
          },
          release: {
            kind: "ecs",
            taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7",
          },
          strategy,
          gates: { alarms: ["web-5xx"] },
          replicas: 2,
          backend: {
            kind: "ecs",
            cluster: cluster.name,
            listenerArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/1/2",
            slots: [
              { name: "blue", targetGroupArn: "arn:tg/blue", service: "web-blue" },
              { name: "green", targetGroupArn: "arn:tg/green", service: "web-green" },
            ],
          },
          journal: { bucket: "web-prod-slipway-journal" },
          region: "eu-west-1",
        },
        { parent },
      )
      return { app: rollout.app }
    })

    const record = run.get("pulumi-nodejs:dynamic:Resource", "web-rollout")
    assert.strictEqual(record.parent, run.get("slipway:aws:FargateService", "web").urn)
    assert.strictEqual(record.inputs.app, "web-prod")
    assert.strictEqual(record.inputs.revision.id, "web-3f9c2a7b1d0e")
    assert.deepStrictEqual(record.inputs.strategy, JSON.parse(JSON.stringify(strategy)))
    assert.deepStrictEqual(record.inputs.gates, { alarms: ["web-5xx"] })
    assert.strictEqual(record.inputs.backend.cluster, run.get("aws:ecs/cluster:Cluster", "web").outputs.name)
    assert.deepStrictEqual(record.inputs.journal, { bucket: "web-prod-slipway-journal" })
    assert.notProperty(record.inputs, "serving")

    // The serialized provider: small, and nothing in it but a require of our provider module.
    const provider: string = record.inputs.__provider
    assert.isString(provider)
    assert.include(provider, 'require("@slipway/aws/rollout-provider")')
    assert.isBelow(provider.length, 4_000)
    assert.notInclude(provider, "effect")
    assert.notInclude(provider, "@aws-sdk")
  })

  it("the module it requires, by package name, has every method the serialized provider calls", async () => {
    const module = await import("@slipway/aws/rollout-provider")
    assert.deepStrictEqual(Object.keys(module.drivenRolloutProvider).sort(), [
      "check",
      "create",
      "delete",
      "diff",
      "update",
    ])
    const diff = await module.drivenRolloutProvider.diff(
      "web",
      { serving: null },
      { revision: { id: "web-1" } },
    )
    assert.isTrue(diff.rollout)
  })
})

describe("the provider as Pulumi's dynamic provider host calls it", () => {
  const quick = canary({ steps: [{ weight: 20, bake: 0 }], scaleDownDelay: 0 })
  const news = (n: number) => ({
    app: "web",
    revision: { id: `web-${n}`, artifact: { digest: `sha256:${n}`, uri: `ecr/web@sha256:${n}` }, config: {} },
    release: {
      kind: "ecs",
      taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`,
    },
    strategy: quick,
    gates: { alarms: ["web-5xx"] },
    replicas: 1,
    backend: {
      kind: "ecs",
      cluster: "web",
      listenerArn: LISTENER,
      slots: [
        { name: "blue", targetGroupArn: BLUE_TG, service: "web-blue" },
        { name: "green", targetGroupArn: GREEN_TG, service: "web-green" },
      ],
    },
    journal: { bucket: "journal" },
    region: "eu-west-1",
    __provider: "exports.handler = …",
  })

  it("a rolled-back update throws a resource-initialization error carrying the state that is true now", async () => {
    const aws = fakeAws({
      services: {
        "web-blue": { taskDefinition: "td", desiredCount: 1 },
        "web-green": { taskDefinition: "td", desiredCount: 0 },
      },
      alarms: { "web-5xx": "OK" },
    })
    const provider = makeDrivenRolloutProvider({ clients: () => aws.clients, log: () => Effect.void })
    const created = await provider.create(news(1))
    assert.strictEqual(created.id, "web")
    aws.alarms.set("web-5xx", "ALARM")
    const thrown = await provider.update("web", created.outs, news(2)).then(
      () => assert.fail("the update should fail"),
      (e: unknown) =>
        e as Error & { id?: string; properties?: Record<string, unknown>; reasons?: Array<string> },
    )
    assert.match(thrown.message, /rolled back: gate failed: alarm web-5xx/)
    assert.strictEqual(thrown.id, "web")
    assert.deepStrictEqual(thrown.reasons, [thrown.message])
    assert.strictEqual((thrown.properties?.serving as { id: string } | undefined)?.id, "web-1")
    // Pulumi keeps these as the state, and reads the provider back from them on delete.
    assert.strictEqual(thrown.properties?.__provider, "exports.handler = …")
    assert.deepStrictEqual(aws.weights(), { [BLUE_TG]: 100, [GREEN_TG]: 0 })
  })

  it("an invalid input is a plain error: Pulumi keeps the old state", async () => {
    const provider = makeDrivenRolloutProvider({ clients: () => fakeAws().clients, log: () => Effect.void })
    const thrown = await provider.update("web", {}, { ...news(2), replicas: -1 }).then(
      () => assert.fail("the update should fail"),
      (e: unknown) => e as Error & { id?: string },
    )
    assert.match(thrown.message, /replicas: -1 is not a whole number/)
    assert.isUndefined(thrown.id)
  })
})

describe("RolloutJournalBucket", () => {
  it("makes a private, encrypted, versioned bucket that passes the stack policy checks", async () => {
    const run = await runPulumiProgram(() => {
      const journal = new RolloutJournalBucket("web-journal", { tags: { team: "payments" } })
      return { bucket: journal.bucket }
    })
    const component = run.get("slipway:aws:RolloutJournalBucket", "web-journal")
    const bucket = run.get("aws:s3/bucket:Bucket", "web-journal-bucket")
    assert.strictEqual(bucket.parent, component.urn)
    assert.strictEqual(bucket.inputs.bucketPrefix, "web-journal-")
    assert.isTrue(bucket.inputs.forceDestroy)
    assert.strictEqual(bucket.inputs.tags.team, "payments")
    const block = run.get("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert.isTrue(
      block.blockPublicAcls &&
        block.blockPublicPolicy &&
        block.ignorePublicAcls &&
        block.restrictPublicBuckets,
    )
    assert.strictEqual(
      run.get("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
        .rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
      "AES256",
    )
    assert.strictEqual(
      run.get("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration.status,
      "Enabled",
    )
    const policy = JSON.parse(run.get("aws:s3/bucketPolicy:BucketPolicy").inputs.policy)
    assert.deepStrictEqual(policy.Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } })
    assert.strictEqual(run.outputs.bucket, bucket.outputs.bucket)
    assert.deepStrictEqual(run.policy(), [])
  })

  it("refuses a retention that is not a number of days, before registering anything", async () => {
    const error = await runPulumiProgram(() => {
      new RolloutJournalBucket("j", { noncurrentVersionDays: 0 })
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    assert.match(String(error?.message), /noncurrentVersionDays: 0 is not a number of days/)
  })
})
