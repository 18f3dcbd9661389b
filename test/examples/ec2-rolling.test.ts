/**
 * examples/ec2-rolling under mocks: the instance refresh compiled from the rolling
 * strategy, the instances' hardening, and the stack policy list.
 */
import { assert, describe, it } from "@effect/vitest"
import { runPulumiProgram } from "@slipway/testing"
import program, { plan } from "../../examples/ec2-rolling/index.ts"

const sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

const deploy = () =>
  runPulumiProgram(program, {
    project: "ec2-rolling",
    stack: "dev",
    config: {
      "aws:region": "eu-west-1",
      "ec2-rolling:certificateArn":
        "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
      "ec2-rolling:releaseUrl": "https://releases.example.com/web-1.4.2.tar.gz",
      "ec2-rolling:releaseSha256": sha256,
    },
  })

describe("examples/ec2-rolling", () => {
  it("passes every stack policy check", async () => {
    const run = await deploy()
    assert.deepStrictEqual(run.policy(), [])
  })

  it("replaces instances a quarter at a time, 3 minutes per checkpoint, rolled back on its own alarms", async () => {
    const run = await deploy()
    const refresh = run.get("aws:autoscaling/group:Group", "web").inputs.instanceRefresh
    assert.strictEqual(refresh.strategy, "Rolling")
    assert.deepStrictEqual(refresh.preferences.checkpointPercentages, [25, 50, 75, 100])
    assert.strictEqual(refresh.preferences.checkpointDelay, "180")
    assert.strictEqual(refresh.preferences.autoRollback, true)
    // Never below full capacity while instances are replaced.
    assert.strictEqual(refresh.preferences.minHealthyPercentage, 100)
    const alarms: Array<string> = run.get("slipway:aws:Alarms", "web").outputs.alarmNames
    assert.deepStrictEqual(refresh.preferences.alarmSpecification, { alarms })
    assert.isTrue(alarms.includes("ec2-rolling-dev-web-green-errorRate"))
  })

  it("boots instances with IMDSv2 in private subnets, installing the release only if its digest matches", async () => {
    const run = await deploy()
    const template = run.get("aws:ec2/launchTemplate:LaunchTemplate", "web").inputs
    assert.strictEqual(template.metadataOptions.httpTokens, "required")
    const boot = Buffer.from(template.userData, "base64").toString("utf8")
    assert.include(boot, "https://releases.example.com/web-1.4.2.tar.gz")
    assert.include(boot, sha256)
    const privateSubnets = run
      .byType("aws:ec2/subnet:Subnet")
      .filter((s) => s.name.includes("private"))
      .map((s) => s.id)
    assert.sameMembers(
      run.get("aws:autoscaling/group:Group", "web").inputs.vpcZoneIdentifiers,
      privateSubnets,
    )
  })

  it("explains a plan whose every batch is watched longer than its gates need to fail", () => {
    assert.deepStrictEqual(plan.shape, { _tag: "Linear", stepPercent: 25, intervalMs: 180_000, previewMs: 0 })
    assert.strictEqual(plan.worstCaseDetectionMs, 2 * 60_000)
    assert.deepStrictEqual(plan.warnings, [])
  })
})
