/**
 * A Lambda function shifted by CodeDeploy, 10% more of the invocations every 3 minutes.
 * Every `pulumi up` that changes the handler publishes a new version; the `live` alias
 * keeps serving the previous one and CodeDeploy moves its routing weights step by step,
 * rolling back by itself when an alarm on the new version's errors or p99 duration fires.
 *
 * The handler is bundled with esbuild and zipped deterministically while the program
 * runs, before anything in AWS changes: the same code gives the same zip, so an
 * unchanged handler shows no diff.
 */
import { join } from "node:path"
import * as pulumi from "@pulumi/pulumi"
import { LambdaService } from "@slipway/aws"
import * as Gate from "@slipway/gates"
import { explain, linear } from "@slipway/strategies"

const limits = { errorRate: 0.01, durationP99: "2s" } as const

/** What every step is judged by; the same numbers become the alarms CodeDeploy watches. */
export const gates = [
  Gate.errorRate({ name: "errors", max: limits.errorRate, window: "1m" }),
  Gate.latency({ name: "duration", percentile: 99, max: limits.durationP99, window: "1m" }),
]

/**
 * 10% more every 3 minutes: CodeDeploy's predefined `LambdaLinear10PercentEvery3Minutes`.
 * Not every minute: an alarm on one-minute periods needs up to two minutes to fire, and
 * `explain` warns when a weight is held for less time than its gates need to fail.
 */
export const strategy = linear({
  stepPercent: 10,
  interval: "3m",
  gates: gates.map((g) => g.name),
  analysis: { interval: "1m" },
  scaleDownDelay: "2m",
})

/** The plan with CodeDeploy's limits applied. */
export const plan = explain(strategy, gates, { backend: "codedeploy-lambda" })

export default () => {
  const api = new LambdaService("api", {
    entry: join(import.meta.dirname, "handler", "index.ts"),
    memorySize: 256,
    timeout: 10,
    // A function URL that only IAM-signed requests may call.
    front: "url",
    strategy,
    gates,
    observe: { thresholds: limits },
  })
  // One line per `pulumi up` (the whole plan is `plan.text`), and whatever explain warns about.
  pulumi.log.info(plan.text.split("\n")[0]!, api)
  for (const warning of plan.warnings) pulumi.log.warn(warning, api)

  return {
    url: api.url,
    functionName: api.functionName,
    version: api.version,
    deploymentGroup: api.deploymentGroupName,
  }
}
