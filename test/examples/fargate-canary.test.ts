/**
 * examples/fargate-canary as `pulumi up` would load it, under mocks: what it creates,
 * checked against the stack policy list. No AWS account, no Pulumi CLI, no Docker.
 */
import { assert, describe, it } from "@effect/vitest"
import { runPulumiProgram } from "@slipway/testing"
import program, { plan } from "../../examples/fargate-canary/index.ts"

const deploy = () =>
  runPulumiProgram(program, {
    project: "fargate-canary",
    stack: "dev",
    config: { "aws:region": "eu-west-1", "fargate-canary:domain": "shop.example.com" },
    zones: { "example.com": "Z0EXAMPLE" },
  })

describe("examples/fargate-canary", () => {
  it("passes every stack policy check", async () => {
    const run = await deploy()
    assert.deepStrictEqual(run.policy(), [])
  })

  it("hands the canary to ECS: 10% for 10 minutes, old tasks kept 10 minutes, rolled back on alarm", async () => {
    const run = await deploy()
    const service = run.get("aws:ecs/service:Service", "web").inputs
    assert.strictEqual(service.deploymentConfiguration.strategy, "CANARY")
    assert.deepStrictEqual(service.deploymentConfiguration.canaryConfiguration, {
      canaryPercent: 10,
      canaryBakeTimeInMinutes: "10",
    })
    assert.strictEqual(service.deploymentConfiguration.bakeTimeInMinutes, "10")
    const alarms: Array<string> = run.get("slipway:aws:Alarms", "web").outputs.alarmNames
    assert.deepStrictEqual(service.alarms, { alarmNames: alarms, enable: true, rollback: true })
    assert.isTrue(alarms.some((name) => name.endsWith("green-errorRate")))
    assert.isTrue(alarms.some((name) => name.endsWith("green-latencyP99")))
  })

  it("runs the image it built, by digest, in private subnets behind HTTPS on the domain", async () => {
    const run = await deploy()
    assert.strictEqual(run.outputs.url, "https://shop.example.com")
    const [container] = JSON.parse(
      run.get("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions,
    )
    assert.strictEqual(container.image, run.outputs.image)
    assert.match(run.outputs.image, /@sha256:[0-9a-f]{64}$/)
    const network = run.get("aws:ecs/service:Service", "web").inputs.networkConfiguration
    assert.strictEqual(network.assignPublicIp, false)
    const privateSubnets = run
      .byType("aws:ec2/subnet:Subnet")
      .filter((s) => s.name.includes("private"))
      .map((s) => s.id)
    assert.sameMembers(network.subnets, privateSubnets)
    const https = run.byType("aws:lb/listener:Listener").find((l) => l.inputs.port === 443)
    assert.strictEqual(https?.inputs.protocol, "HTTPS")
  })

  it("explains the plan against ECS's limits: one canary step, so the only warning is the jump to 100%", () => {
    assert.deepStrictEqual(plan.shape, { _tag: "Canary", percent: 10, bakeMs: 600_000, previewMs: 0 })
    assert.strictEqual(plan.minimumTotalMs, 10 * 60_000)
    assert.strictEqual(plan.worstCaseDetectionMs, 2 * 60_000)
    assert.lengthOf(plan.warnings, 1)
    assert.include(plan.warnings[0], "from 10% to 100% in one step")
  })
})
