/**
 * The deployment, as a Pulumi program: the handler bundled into a reproducible zip, a
 * Lambda function whose `live` alias serves every request, and an HTTPS endpoint in
 * front of it. Each `pulumi up` that changes the code publishes a new version, and
 * CodeDeploy shifts the alias's traffic to it with the strategy from the stack's config,
 * rolling back by itself when a health gate's alarm fires.
 *
 * Config (Pulumi.<stack>.yaml, or `pulumi config set <key> <value>`):
 *   aws:region                where to deploy
 *   slipway-lambda:strategy   canary | linear | blue-green | rolling | all-at-once (default canary)
 *   slipway-lambda:domain     a name to serve on through an HTTP API, in a Route 53 hosted zone of
 *                             the account; without it the function URL (HTTPS) is the endpoint
 *   slipway-lambda:zone       that hosted zone, when it is not the domain minus its first label
 */
import { join } from "node:path"
import * as pulumi from "@pulumi/pulumi"
import { Domain, LambdaService } from "@slipway/aws"
import * as Gate from "@slipway/gates"
import { allAtOnce, canary, linear, rolling, type Strategy } from "@slipway/strategies"

/** The hosted zone a name is in, by default: `app.example.com` → `example.com`. */
const parentZone = (name: string): string =>
  name.split(".").length > 2 ? name.replace(/^[^.]+\./, "") : name

/** What the new version is held to. The same limits set the CloudWatch alarms CodeDeploy watches. */
const limits = { errorRate: 0.01, durationP99: "2s" } as const

/** The health gates; the strategies name them in their gate steps. */
const gates = [
  Gate.errorRate({ name: "errors", max: limits.errorRate, window: "1m" }),
  Gate.latency({ name: "latency", percentile: 99, max: limits.durationP99, window: "1m" }),
]
const gated = gates.map((gate) => gate.name)

/**
 * The strategies this project rolls out with, each one CodeDeploy runs natively: it moves
 * the `live` alias's routing weights between the previous version and the new one, and
 * moves them back when one of the gates' alarms fires.
 */
const strategies: Record<string, () => Strategy> = {
  // 10% of requests to the new version for 5 minutes while the gates watch, then all.
  canary: () => canary({ steps: [{ weight: 10, bake: "5m" }], gates: gated }),
  // 25% more of the requests every 2 minutes, gated at every step.
  linear: () => linear({ stepPercent: 25, interval: "2m", gates: gated }),
  // All requests to the new version at once; the previous version stays published, so
  // going back is one alias update (`slipway rollback`, or CodeDeploy on an alarm).
  "blue-green": () => allAtOnce(),
  // A function has no instances to replace: the closest is a quarter of the traffic a minute.
  rolling: () => rolling({ batchPercent: 25, pauseBetween: "1m", gates: gated }),
  // All requests to the new version at once.
  "all-at-once": () => allAtOnce(),
}

/**
 * The program: Pulumi calls it on `pulumi up` and publishes what it returns as the
 * stack's outputs; the tests call it under mocks.
 *
 * @example
 * // $ pulumi up --stack dev
 * // $ pulumi stack output --json
 * // { url: https://….lambda-url.us-east-1.on.aws/, version: 7, strategy: canary, … }
 */
export default () => {
  const config = new pulumi.Config()
  const strategyName = config.get("strategy") ?? "canary"
  const strategy = strategies[strategyName]
  if (strategy === undefined) {
    throw new pulumi.RunError(
      `${pulumi.getProject()}:strategy is "${strategyName}"; use one of ${Object.keys(strategies).join(", ")}`,
    )
  }
  // Empty (as `pulumi new` writes it when the prompt is skipped) means no domain.
  const domainName = config.get("domain") || undefined
  const domain =
    domainName === undefined
      ? undefined
      : new Domain("api", { name: domainName, zoneName: config.get("zone") ?? parentZone(domainName) })

  const api = new LambdaService("api", {
    // Bundled with esbuild before anything changes in AWS; same code, same zip.
    entry: join(import.meta.dirname, "handler", "index.ts"),
    memorySize: 512,
    timeout: 10,
    // A public HTTP endpoint: a function URL, or an HTTP API when a domain is set. Use
    // `authType: "AWS_IAM"` for one only signed requests may call.
    ...(domain !== undefined ? { front: "httpApi" as const, domain } : { front: "url" as const }),
    authType: "NONE",
    strategy: strategy(),
    gates,
    observe: { thresholds: limits },
  })

  return {
    url: api.url,
    strategy: strategyName,
    functionName: api.functionName,
    version: api.version,
    logGroupName: api.logGroupName,
  }
}
