/**
 * The deployment, as a Pulumi program: a network, the app's container image, and an ECS
 * Fargate service behind an HTTPS load balancer. Each `pulumi up` builds the image,
 * pushes it by digest, and rolls it out with the strategy from the stack's config; ECS
 * runs the rollout itself and rolls back when a health gate's alarm fires.
 *
 * Config (Pulumi.<stack>.yaml, or `pulumi config set <key> <value>`):
 *   aws:region                 where to deploy
 *   slipway-fargate:strategy   canary | linear | blue-green | rolling | all-at-once (default canary)
 *   slipway-fargate:domain     a name to serve HTTPS on, in a Route 53 hosted zone of the account;
 *                              without it the load balancer answers plain HTTP (for trying out only)
 *   slipway-fargate:zone       that hosted zone, when it is not the domain minus its first label
 */
import { join } from "node:path"
import * as pulumi from "@pulumi/pulumi"
import { ContainerImage, Domain, FargateService, Network } from "@slipway/aws"
import * as Gate from "@slipway/gates"
import { allAtOnce, canary, linear, rolling, type Strategy } from "@slipway/strategies"

/** The hosted zone a name is in, by default: `app.example.com` → `example.com`. */
const parentZone = (name: string): string =>
  name.split(".").length > 2 ? name.replace(/^[^.]+\./, "") : name

/** What the new version is held to. The same limits set the CloudWatch alarms ECS watches. */
const limits = { errorRate: 0.01, latencyP99: "800ms" } as const

/** The health gates; the strategies name them in their gate steps. */
const gates = [
  Gate.errorRate({ name: "errors", max: limits.errorRate, window: "1m" }),
  Gate.latency({ name: "latency", percentile: 99, max: limits.latencyP99, window: "1m" }),
]
const gated = gates.map((gate) => gate.name)

/**
 * The strategies this project rolls out with, each shaped so that ECS runs it natively:
 * the rollout goes on, and rolls back, even with nobody watching. The gates' limits are
 * CloudWatch alarms ECS watches while traffic shifts and during the bake after it.
 */
const strategies: Record<string, () => Strategy> = {
  // ECS CANARY: 10% of traffic for 5 minutes while the gates watch, then the rest.
  canary: () => canary({ steps: [{ weight: 10, bake: "5m" }], gates: gated, scaleDownDelay: "5m" }),
  // ECS LINEAR: 25% more traffic every 2 minutes, gated at every step.
  linear: () => linear({ stepPercent: 25, interval: "2m", gates: gated, scaleDownDelay: "5m" }),
  // ECS BLUE_GREEN: a full-size green service takes all traffic once healthy; blue stays
  // 10 minutes while the gates watch, and ECS switches back if one fails. (A check of green
  // before the switch needs a lifecycle hook function: see the README.)
  "blue-green": () => allAtOnce({ bake: "10m", gates: gated, scaleDownDelay: "10m" }),
  // ECS ROLLING: tasks replaced a quarter at a time, traffic following capacity.
  rolling: () => rolling({ batchPercent: 25, pauseBetween: 0 }),
  // ECS BLUE_GREEN with the shortest watch: everything at once, gates for a minute.
  "all-at-once": () => allAtOnce({ gates: gated, scaleDownDelay: "1m" }),
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

  const web = new FargateService("web", {
    network,
    image: image.imageRef,
    port: 8080,
    healthCheckPath: "/healthz",
    desiredCount: 2,
    ...(domain !== undefined ? { domain } : { insecureHttpOnly: true }),
    strategy: strategy(),
    gates,
    observe: { thresholds: limits },
  })

  return {
    url: web.url,
    image: image.imageRef,
    strategy: strategyName,
    serviceName: web.serviceName,
    logGroupName: web.logGroupName,
  }
}
