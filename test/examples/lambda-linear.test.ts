/**
 * examples/lambda-linear under mocks: the handler bundled into a deterministic zip, the
 * CodeDeploy deployment that shifts the `live` alias, and the stack policy list.
 */
import { rmSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { runPulumiProgram } from "@slipway/testing"
import { afterAll } from "vitest"
import program, { plan } from "../../examples/lambda-linear/index.ts"

const example = join(import.meta.dirname, "..", "..", "examples", "lambda-linear")
const deploy = () => runPulumiProgram(program, { project: "lambda-linear", stack: "dev" })

// lambdaBundle writes its zip into the example's .slipway/ (git-ignored); leave nothing behind.
afterAll(() => rmSync(join(example, ".slipway"), { recursive: true, force: true }))

describe("examples/lambda-linear", () => {
  it("passes every stack policy check", async () => {
    const run = await deploy()
    assert.deepStrictEqual(run.policy(), [])
  })

  it("shifts the live alias with CodeDeploy's LambdaLinear10PercentEvery3Minutes, rolled back on alarm", async () => {
    const run = await deploy()
    const group = run.get("aws:codedeploy/deploymentGroup:DeploymentGroup", "api").inputs
    assert.strictEqual(group.deploymentConfigName, "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes")
    assert.strictEqual(group.deploymentGroupName, "live")
    assert.deepStrictEqual(group.autoRollbackConfiguration, {
      enabled: true,
      events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
    })
    const alarms: Array<string> = run.get("slipway:aws:Alarms", "api").outputs.alarmNames
    assert.deepStrictEqual(group.alarmConfiguration, { enabled: true, alarms })
    assert.sameMembers(alarms, [
      "lambda-linear-dev-api-live-errorRate",
      "lambda-linear-dev-api-live-throttles",
      "lambda-linear-dev-api-live-durationP99",
    ])
  })

  it("serves the live alias on a function URL that requires IAM", async () => {
    const run = await deploy()
    const url = run.get("aws:lambda/functionUrl:FunctionUrl", "api").inputs
    assert.strictEqual(url.authorizationType, "AWS_IAM")
    assert.strictEqual(url.qualifier, run.get("aws:lambda/alias:Alias", "api").outputs.name)
  })

  it("bundles the handler into the same zip on every run: an unchanged handler shows no diff", async () => {
    const first = (await deploy()).get("aws:lambda/function:Function", "api").inputs.sourceCodeHash
    const second = (await deploy()).get("aws:lambda/function:Function", "api").inputs.sourceCodeHash
    assert.match(first, /^[A-Za-z0-9+/]{43}=$/)
    assert.strictEqual(second, first)
  })

  it("explains a plan whose every step is held longer than its gates need to fail", () => {
    assert.deepStrictEqual(plan.shape, { _tag: "Linear", stepPercent: 10, intervalMs: 180_000, previewMs: 0 })
    assert.strictEqual(plan.minimumTotalMs, 27 * 60_000)
    assert.deepStrictEqual(plan.warnings, [])
  })
})
