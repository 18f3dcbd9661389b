/**
 * The deployment, as a Pulumi program: a network, the app's container image, and an
 * Auto Scaling group of EC2 instances behind an HTTPS load balancer. Each `pulumi up`
 * builds the image, pushes it by digest, and replaces the instances with an instance
 * refresh shaped by the strategy from the stack's config; the refresh stops and rolls
 * back by itself when a health gate's alarm fires.
 *
 * Config (Pulumi.<stack>.yaml, or `pulumi config set <key> <value>`):
 *   aws:region             where to deploy
 *   slipway-ec2:strategy   canary | linear | blue-green | rolling | all-at-once (default canary)
 *   slipway-ec2:domain     a name to serve HTTPS on, in a Route 53 hosted zone of the account;
 *                          without it the load balancer answers plain HTTP (for trying out only)
 *   slipway-ec2:zone       that hosted zone, when it is not the domain minus its first label
 */
import { join } from "node:path"
import * as pulumi from "@pulumi/pulumi"
import { ContainerImage, Domain, Ec2Service, Network } from "@slipway/aws"
import * as Gate from "@slipway/gates"
import { allAtOnce, custom, rolling, type Strategy } from "@slipway/strategies"

/** The hosted zone a name is in, by default: `app.example.com` → `example.com`. */
const parentZone = (name: string): string =>
  name.split(".").length > 2 ? name.replace(/^[^.]+\./, "") : name

/** What new instances are held to. The same limits set the CloudWatch alarms the refresh watches. */
const limits = { errorRate: 0.01, latencyP99: "800ms" } as const

/** The health gates; the strategies name them in their gate steps. */
const gates = [
  Gate.errorRate({ name: "errors", max: limits.errorRate, window: "1m" }),
  Gate.latency({ name: "latency", percentile: 99, max: limits.latencyP99, window: "1m" }),
]
const gated = gates.map((gate) => gate.name)

/**
 * The strategies this project rolls out with. An instance refresh replaces instances in
 * place, each new one taking its share of traffic as it comes in service, so every
 * strategy here moves capacity and traffic together; the pauses are refresh checkpoints
 * and the gates are alarms the refresh watches (it rolls back when one fires).
 */
const strategies: Record<string, () => Strategy> = {
  // 10% of the instances replaced first and watched for 5 minutes, then the rest.
  canary: () =>
    custom(
      [
        { scale: { percent: 10 } },
        { setWeight: 10 },
        { pause: "5m" },
        { gate: gated },
        { scale: { percent: 100 } },
        { setWeight: 100 },
      ],
      { scaleDownDelay: "5m" },
    ),
  // A quarter of the instances at a time, each quarter watched for 2 minutes.
  linear: () => rolling({ batchPercent: 25, pauseBetween: "2m", gates: gated }),
  // Every new instance launched and healthy before any old one is terminated.
  "blue-green": () => allAtOnce(),
  // Half the instances at a time, no waiting between batches.
  rolling: () => rolling({ batchPercent: 50, pauseBetween: 0, gates: gated }),
  // Same mechanism as blue-green on EC2: all new instances, then the old ones go.
  "all-at-once": () => allAtOnce(),
}

/**
 * The program: Pulumi calls it on `pulumi up` and publishes what it returns as the
 * stack's outputs; the tests call it under mocks.
 *
 * @example
 * // $ pulumi up --stack dev
 * // $ pulumi stack output --json
 * // { url: https://app.example.com, image: …/web-repository-…@sha256:…, strategy: canary, … }
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

  // Two availability zones and one NAT gateway; use `nat: "perAz"` and `azCount: 3` for production.
  const network = new Network("net")
  const image = new ContainerImage("web", { context: join(import.meta.dirname, "app") })
  const domain =
    domainName === undefined
      ? undefined
      : new Domain("web", { name: domainName, zoneName: config.get("zone") ?? parentZone(domainName) })

  const web = new Ec2Service("web", {
    network,
    // Instances run the image with Docker under systemd, restarted if it exits.
    artifact: { image: image.imageRef },
    port: 8080,
    healthCheckPath: "/healthz",
    instanceType: "t3.small",
    minSize: 2,
    maxSize: 4,
    ...(domain !== undefined ? { domain } : { insecureHttpOnly: true }),
    strategy: strategy(),
    gates,
    observe: { thresholds: limits },
  })

  return {
    url: web.url,
    image: image.imageRef,
    strategy: strategyName,
    autoScalingGroupName: web.autoScalingGroupName,
    logGroupName: web.logGroupName,
  }
}
