/**
 * The Pulumi program under mocks: what it would create, checked against the stack policy
 * list (`@slipway/testing`), for every strategy. No AWS account, no Pulumi CLI, no Docker.
 */
import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { type PulumiRun, runPulumiProgram } from "@slipway/testing"
import program from "../index.ts"

const project = "slipway-ec2"

const deploy = (config: Record<string, string> = {}): Promise<PulumiRun<ReturnType<typeof program>>> =>
  runPulumiProgram(program, {
    project,
    stack: "dev",
    config: { "aws:region": "us-east-1", [`${project}:domain`]: "app.example.com", ...config },
    zones: { "example.com": "Z0123456789EXAMPLE" },
  })

describe("the stack", () => {
  it("passes every stack policy check", async () => {
    const run = await deploy()
    assert.deepEqual(run.policy(), [])
  })

  it("serves HTTPS on the domain", async () => {
    const run = await deploy()
    assert.equal(run.outputs.url, "https://app.example.com")
    const listeners = run.byType("aws:lb/listener:Listener").map((l) => l.inputs)
    assert.ok(listeners.some((l) => l.port === 443 && l.protocol === "HTTPS"))
  })

  it("boots instances that run the image it built, by digest, with IMDSv2 only", async () => {
    const run = await deploy()
    const template = run.get("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert.equal(template.metadataOptions.httpTokens, "required")
    const userData = Buffer.from(template.userData, "base64").toString("utf8")
    assert.ok(userData.includes(run.outputs.image), "the user data starts the built image")
    assert.match(run.outputs.image, /@sha256:[0-9a-f]{64}$/)
  })

  it("without a domain answers plain HTTP, which only the HTTPS rule objects to", async () => {
    const run = await deploy({ [`${project}:domain`]: "" })
    assert.deepEqual([...new Set(run.policy().map((v) => v.rule))], ["alb-https-only"])
  })
})

describe("rollouts", () => {
  const checkpoints = {
    canary: [10, 100],
    linear: [25, 50, 75, 100],
    "blue-green": undefined,
    rolling: [50, 100],
    "all-at-once": undefined,
  } as const
  for (const [strategy, expected] of Object.entries(checkpoints)) {
    it(`${strategy} runs as an instance refresh that rolls itself back`, async () => {
      const run = await deploy({ [`${project}:strategy`]: strategy })
      const refresh = run.get("aws:autoscaling/group:Group").inputs.instanceRefresh
      assert.equal(refresh.strategy, "Rolling")
      assert.equal(refresh.preferences.autoRollback, true)
      assert.deepEqual(refresh.preferences.checkpointPercentages, expected)
      if (expected === undefined) assert.equal(refresh.preferences.maxHealthyPercentage, 200)
      assert.deepEqual(run.policy(), [])
    })
  }

  it("stops the refresh on the gates' alarms", async () => {
    const run = await deploy()
    const alarms: Array<string> = run.get("aws:autoscaling/group:Group").inputs.instanceRefresh.preferences
      .alarmSpecification.alarms
    assert.ok(alarms.some((n) => n.endsWith("errorRate")))
    assert.ok(alarms.some((n) => n.endsWith("latencyP99")))
  })

  it("refuses a strategy it does not know, naming the valid ones", async () => {
    await assert.rejects(
      deploy({ [`${project}:strategy`]: "yolo" }),
      /canary, linear, blue-green, rolling, all-at-once/,
    )
  })
})
