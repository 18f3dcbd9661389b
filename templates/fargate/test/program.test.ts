/**
 * The Pulumi program under mocks: what it would create, checked against the stack policy
 * list (`@slipway/testing`), for every strategy. No AWS account, no Pulumi CLI, no Docker.
 */
import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { type PulumiRun, runPulumiProgram } from "@slipway/testing"
import program from "../index.ts"

const project = "slipway-fargate"

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

  it("serves HTTPS on the domain, with HTTP redirected", async () => {
    const run = await deploy()
    assert.equal(run.outputs.url, "https://app.example.com")
    const listeners = run.byType("aws:lb/listener:Listener").map((l) => l.inputs)
    assert.ok(listeners.some((l) => l.port === 443 && l.protocol === "HTTPS"))
    assert.ok(listeners.some((l) => l.port === 80 && l.defaultActions[0].type === "redirect"))
  })

  it("runs the image it built, by digest", async () => {
    const run = await deploy()
    const [container] = JSON.parse(
      run.get("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions,
    )
    assert.equal(container.image, run.outputs.image)
    assert.match(run.outputs.image, /@sha256:[0-9a-f]{64}$/)
  })

  it("without a domain answers plain HTTP, which only the HTTPS rule objects to", async () => {
    const run = await deploy({ [`${project}:domain`]: "" })
    const rules = new Set(run.policy().map((v) => v.rule))
    assert.deepEqual([...rules], ["alb-https-only"])
  })
})

describe("rollouts", () => {
  const native = {
    canary: "CANARY",
    linear: "LINEAR",
    "blue-green": "BLUE_GREEN",
    rolling: "ROLLING",
    "all-at-once": "BLUE_GREEN",
  } as const
  for (const [strategy, ecs] of Object.entries(native)) {
    it(`${strategy} runs natively on ECS as ${ecs}`, async () => {
      const run = await deploy({ [`${project}:strategy`]: strategy })
      const service = run.get("aws:ecs/service:Service").inputs
      assert.equal(service.deploymentConfiguration.strategy, ecs)
      assert.deepEqual(run.policy(), [])
    })
  }

  it("rolls back on the gates' alarms while traffic shifts", async () => {
    const run = await deploy({ [`${project}:strategy`]: "canary" })
    const service = run.get("aws:ecs/service:Service").inputs
    assert.equal(service.alarms.rollback, true)
    assert.ok(service.alarms.alarmNames.some((n: string) => n.endsWith("errorRate")))
    assert.ok(service.alarms.alarmNames.some((n: string) => n.endsWith("latencyP99")))
  })

  it("refuses a strategy it does not know, naming the valid ones", async () => {
    await assert.rejects(
      deploy({ [`${project}:strategy`]: "yolo" }),
      /canary, linear, blue-green, rolling, all-at-once/,
    )
  })
})
