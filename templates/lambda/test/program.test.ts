/**
 * The Pulumi program under mocks: what it would create, checked against the stack policy
 * list (`@slipway/testing`), for every strategy. No AWS account and no Pulumi CLI; the
 * handler is really bundled.
 */
import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { type PulumiRun, runPulumiProgram } from "@slipway/testing"
import program from "../index.ts"

const project = "slipway-lambda"

const deploy = (config: Record<string, string> = {}): Promise<PulumiRun<ReturnType<typeof program>>> =>
  runPulumiProgram(program, {
    project,
    stack: "dev",
    config: { "aws:region": "us-east-1", ...config },
    zones: { "example.com": "Z0123456789EXAMPLE" },
  })

describe("the stack", () => {
  it("passes every stack policy check", async () => {
    const run = await deploy()
    assert.deepEqual(run.policy(), [])
  })

  it("serves the live alias on a function URL, never $LATEST", async () => {
    const run = await deploy()
    const url = run.get("aws:lambda/functionUrl:FunctionUrl").inputs
    assert.equal(url.qualifier, "live")
    assert.equal(url.authorizationType, "NONE")
    assert.match(String(run.outputs.url), /^https:\/\//)
  })

  it("ships the bundled handler, publishing a version per change", async () => {
    const run = await deploy()
    const fn = run.get("aws:lambda/function:Function").inputs
    assert.equal(fn.handler, "index.handler")
    assert.equal(fn.publish, true)
  })

  it("serves a domain through an HTTP API, and still passes the policy checks", async () => {
    const run = await deploy({ [`${project}:domain`]: "api.example.com" })
    assert.equal(run.outputs.url, "https://api.example.com")
    assert.ok(run.find("aws:apigatewayv2/api:Api"))
    assert.deepEqual(run.policy(), [])
  })
})

describe("rollouts", () => {
  // CodeDeploy's predefined configurations where one fits, a custom one otherwise.
  const shifts = {
    canary: { predefined: "CodeDeployDefault.LambdaCanary10Percent5Minutes" },
    linear: { custom: { type: "TimeBasedLinear", timeBasedLinear: { percentage: 25, interval: 2 } } },
    "blue-green": { predefined: "CodeDeployDefault.LambdaAllAtOnce" },
    rolling: { custom: { type: "TimeBasedLinear", timeBasedLinear: { percentage: 25, interval: 1 } } },
    "all-at-once": { predefined: "CodeDeployDefault.LambdaAllAtOnce" },
  } as const
  for (const [strategy, shift] of Object.entries(shifts)) {
    const how =
      "predefined" in shift
        ? shift.predefined
        : `${shift.custom.type} ${shift.custom.timeBasedLinear.percentage}%`
    it(`${strategy} shifts traffic with CodeDeploy: ${how}`, async () => {
      const run = await deploy({ [`${project}:strategy`]: strategy })
      const group = run.get("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs
      if ("predefined" in shift) {
        assert.equal(group.deploymentConfigName, shift.predefined)
      } else {
        assert.deepEqual(
          run.get("aws:codedeploy/deploymentConfig:DeploymentConfig").inputs.trafficRoutingConfig,
          shift.custom,
        )
      }
      assert.deepEqual(run.policy(), [])
    })
  }

  it("rolls back on the gates' alarms", async () => {
    const run = await deploy()
    const group = run.get("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs
    assert.equal(group.alarmConfiguration.enabled, true)
    assert.ok(group.alarmConfiguration.alarms.some((n: string) => n.endsWith("errorRate")))
    assert.deepEqual(group.autoRollbackConfiguration.events.sort(), [
      "DEPLOYMENT_FAILURE",
      "DEPLOYMENT_STOP_ON_ALARM",
    ])
  })

  it("refuses a strategy it does not know, naming the valid ones", async () => {
    await assert.rejects(
      deploy({ [`${project}:strategy`]: "yolo" }),
      /canary, linear, blue-green, rolling, all-at-once/,
    )
  })
})
