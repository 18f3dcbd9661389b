/**
 * A canary on ECS Fargate that ECS runs itself: each `pulumi up` that changes the image
 * sends 10% of requests to the new tasks for 10 minutes while CloudWatch alarms watch
 * their 5xx rate and p99 latency, then the rest. When an alarm fires, ECS moves traffic
 * back to the old tasks on its own — the rollout does not need this program, or a laptop,
 * to keep running.
 *
 * Config:
 *   aws:region              where to deploy
 *   fargate-canary:domain   the name to serve HTTPS on, in a Route 53 hosted zone of the account
 *   fargate-canary:zone     that zone, when it is not the domain minus its first label
 */
import { join } from "node:path"
import * as pulumi from "@pulumi/pulumi"
import { ContainerImage, Domain, FargateService, Network } from "@slipway/aws"
import * as Gate from "@slipway/gates"
import { canary, explain } from "@slipway/strategies"

/** What the new tasks are held to; the same numbers become the alarms ECS watches. */
const limits = { errorRate: 0.01, latencyP99: "800ms" } as const

/** The gates the canary checks after its bake, by name. */
export const gates = [
  Gate.errorRate({ name: "errors", max: limits.errorRate, window: "1m" }),
  Gate.latency({ name: "latency", percentile: 99, max: limits.latencyP99, window: "1m" }),
]

/**
 * One canary step is what ECS CANARY runs natively (canaryPercent, canaryBakeTimeInMinutes);
 * a plan with more steps is refused here, with the reason, and can run driven instead.
 * The old tasks stay 10 minutes after the switch (ECS bake time), so a problem that only
 * shows at 100% still rolls back in one move. Gates are sampled once per one-minute
 * CloudWatch period, so one bad minute counts once.
 */
export const strategy = canary({
  steps: [{ weight: 10, bake: "10m" }],
  gates: gates.map((g) => g.name),
  analysis: { interval: "1m" },
  scaleDownDelay: "10m",
})

/** The plan on a clock, with ECS's limits applied (summarised by `pulumi up`). */
export const plan = explain(strategy, gates, { backend: "ecs-native" })

export default () => {
  const config = new pulumi.Config()
  const domainName = config.require("domain")
  const zoneName = config.get("zone") || domainName.slice(domainName.indexOf(".") + 1)

  const network = new Network("net", { azCount: 2, nat: "single" })
  const domain = new Domain("web", { name: domainName, zoneName })
  // Built and pushed to ECR by digest before the service changes; an unchanged app is not rebuilt.
  const image = new ContainerImage("web", { context: join(import.meta.dirname, "app") })

  const web = new FargateService("web", {
    network,
    domain,
    image: image.imageRef,
    port: 8080,
    healthCheckPath: "/healthz",
    desiredCount: 2,
    strategy,
    gates,
    // Alarms over the blue and green target groups; their names are handed to ECS.
    observe: { thresholds: limits },
  })
  // One line per `pulumi up` (the whole plan is `plan.text`), and whatever explain warns about.
  pulumi.log.info(plan.text.split("\n")[0]!, web)
  for (const warning of plan.warnings) pulumi.log.warn(warning, web)

  return {
    url: web.url,
    image: image.imageRef,
    serviceName: web.serviceName,
    logGroupName: web.logGroupName,
  }
}
