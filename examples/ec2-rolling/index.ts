/**
 * A rolling deployment on EC2. Instances are replaced in place by an Auto Scaling
 * instance refresh, a quarter at a time: after each quarter the refresh waits two
 * minutes at a checkpoint while CloudWatch alarms watch the new instances, and rolls
 * every instance back to the previous launch template when one fires.
 *
 * The release is a tarball at an HTTPS URL, pinned by its SHA-256: a new URL or digest is
 * a new launch template version, and that starts the refresh.
 *
 * Config:
 *   aws:region                  where to deploy
 *   ec2-rolling:certificateArn  ACM certificate for HTTPS (the DNS record is managed elsewhere)
 *   ec2-rolling:releaseUrl      the release tarball
 *   ec2-rolling:releaseSha256   its SHA-256
 */
import * as pulumi from "@pulumi/pulumi"
import { Ec2Service, Network } from "@slipway/aws"
import * as Gate from "@slipway/gates"
import { explain, rolling } from "@slipway/strategies"

const limits = { errorRate: 0.01, latencyP99: "1s" } as const

/** The gates each checkpoint waits on; the same numbers become the refresh's alarms. */
export const gates = [
  Gate.errorRate({ name: "errors", max: limits.errorRate, window: "1m" }),
  Gate.latency({ name: "latency", percentile: 99, max: limits.latencyP99, window: "1m" }),
]

/**
 * 25% of the instances per batch and three minutes of alarms between batches: a gate
 * sampled once per one-minute CloudWatch period needs up to two minutes to fail, so each
 * batch is watched for longer than that (`explain` checks it; see `plan`).
 */
export const strategy = rolling({
  batchPercent: 25,
  pauseBetween: "3m",
  gates: gates.map((g) => g.name),
  analysis: { interval: "1m" },
  scaleDownDelay: "2m",
})

/** The plan with the instance refresh's limits applied. */
export const plan = explain(strategy, gates, { backend: "asg-refresh" })

export default () => {
  const config = new pulumi.Config()

  const network = new Network("net", { azCount: 2, nat: "single" })
  const web = new Ec2Service("web", {
    network,
    certificateArn: config.require("certificateArn"),
    artifact: {
      url: config.require("releaseUrl"),
      sha256: config.require("releaseSha256"),
      command: "node server.js",
    },
    port: 8080,
    healthCheckPath: "/healthz",
    instanceType: "t3.small",
    minSize: 4,
    maxSize: 8,
    strategy,
    gates,
    observe: { thresholds: limits },
  })
  // One line per `pulumi up` (the whole plan is `plan.text`), and whatever explain warns about.
  pulumi.log.info(plan.text.split("\n")[0]!, web)
  for (const warning of plan.warnings) pulumi.log.warn(warning, web)

  return { url: web.url, autoScalingGroupName: web.autoScalingGroupName, logGroupName: web.logGroupName }
}
