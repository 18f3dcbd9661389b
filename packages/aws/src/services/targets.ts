/**
 * What a load-balanced service adds to a load balancer: a blue and a green target group
 * (stable and candidate), a listener rule that weights traffic between them, and the
 * app's security group, which admits only the load balancer on the app port. Fargate
 * and EC2 services share this wiring; only the target type differs.
 */
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import { type ArgProblems, createChild, type Tags, type Transform } from "../component.ts"
import { checkInteger } from "./args.ts"
import { checkHttps, type LoadBalancer } from "./LoadBalancer.ts"
import type { HttpsArgs } from "./types.ts"

/**
 * Which requests a service takes from a shared load balancer. At least one condition;
 * priorities must be unique on the listener (lower wins).
 *
 * @example
 * const api: ServiceRoute = { pathPattern: ["/api/*"], priority: 10 }
 * const admin: ServiceRoute = { hostHeader: ["admin.example.com"], priority: 20 }
 */
export interface ServiceRoute {
  /**
   * Host names this service answers for.
   *
   * @example
   * { hostHeader: ["api.example.com"] }
   */
  readonly hostHeader?: ReadonlyArray<string>
  /**
   * Path patterns this service answers for (`*` and `?` wildcards).
   *
   * @example
   * { pathPattern: ["/api/*"] }
   */
  readonly pathPattern?: ReadonlyArray<string>
  /**
   * Rule priority, 1..50000, unique on the listener; lower is evaluated first.
   *
   * @example
   * { priority: 10 }
   */
  readonly priority: number
}

/** Health check of the target groups. */
export interface HealthCheck {
  readonly path: string
  /** HTTP codes that count as healthy (default `200-399`). */
  readonly matcher?: string
  readonly intervalSeconds?: number
  readonly timeoutSeconds?: number
  readonly healthyThreshold?: number
  readonly unhealthyThreshold?: number
}

/** The children a service's traffic wiring can transform. */
export interface TargetTransforms {
  readonly blueTargetGroup?: Transform<aws.lb.TargetGroupArgs>
  readonly greenTargetGroup?: Transform<aws.lb.TargetGroupArgs>
  readonly listenerRule?: Transform<aws.lb.ListenerRuleArgs>
  readonly securityGroup?: Transform<aws.ec2.SecurityGroupArgs>
  readonly securityGroupRule?: Transform<aws.vpc.SecurityGroupIngressRuleArgs>
}

/**
 * Where a service answers: its own host when it routes a single literal host on a shared
 * load balancer, otherwise the load balancer's address.
 */
export const serviceUrl = (
  loadBalancer: LoadBalancer,
  route: ServiceRoute | undefined,
  shared: boolean,
): pulumi.Output<string> => {
  const host = route?.hostHeader?.length === 1 ? route.hostHeader[0] : undefined
  return shared && host !== undefined && !/[*?]/.test(host)
    ? pulumi.output(`${loadBalancer.insecure ? "http" : "https"}://${host}`)
    : loadBalancer.url
}

/** The route a service uses when it owns its load balancer: everything. */
export const catchAllRoute: ServiceRoute = { pathPattern: ["/*"], priority: 50_000 }

/**
 * Checks how a service is reached: with its own load balancer it needs an HTTPS choice;
 * with a shared one, a route (HTTPS is the load balancer's business).
 */
export const checkLoadBalancing = (
  check: ArgProblems,
  args: HttpsArgs & { readonly loadBalancer?: LoadBalancer; readonly route?: ServiceRoute },
): void => {
  if (args.loadBalancer === undefined) {
    checkHttps(check, args)
  } else {
    for (const key of ["domain", "certificateArn", "insecureHttpOnly"] as const) {
      if (args[key] !== undefined) {
        check.add(key, "is set together with a shared `loadBalancer`", "set it on the LoadBalancer instead")
      }
    }
  }
  checkRoute(check, args.route, args.loadBalancer !== undefined)
}

/** Checks a route; `shared` says whether other services may be behind the same listener. */
export const checkRoute = (check: ArgProblems, route: ServiceRoute | undefined, shared: boolean): void => {
  if (route === undefined) {
    if (shared) {
      check.add(
        "route",
        "is required with a shared `loadBalancer`",
        "pass `route: { pathPattern: [...] or hostHeader: [...], priority: <unique 1..50000> }`",
      )
    }
    return
  }
  checkInteger(check, "route.priority", route.priority, 1, 50_000)
  const conditions = (route.hostHeader?.length ?? 0) + (route.pathPattern?.length ?? 0)
  if (conditions === 0) {
    check.add("route", "has no condition", "give `hostHeader` or `pathPattern` (e.g. pathPattern: ['/*'])")
  }
  for (const [key, values] of [
    ["hostHeader", route.hostHeader],
    ["pathPattern", route.pathPattern],
  ] as const) {
    if ((values?.length ?? 0) > 5) {
      check.add(`route.${key}`, `has ${values?.length} values`, "an ALB rule takes at most 5 per condition")
    }
  }
}

/**
 * Blue and green target groups with the same health check. Blue carries production
 * traffic at first; green receives the candidate during a rollout.
 */
export const createTargetGroups = (
  name: string,
  input: {
    readonly vpcId: pulumi.Input<string>
    readonly port: pulumi.Input<number>
    readonly targetType: "ip" | "instance"
    readonly healthCheck: HealthCheck
    /** Seconds to drain a deregistered target (default 30: faster rollouts than AWS's 300). */
    readonly deregistrationDelay?: pulumi.Input<number>
    readonly tags?: Tags
  },
  parent: pulumi.Resource,
  transforms: TargetTransforms,
): { readonly blue: aws.lb.TargetGroup; readonly green: aws.lb.TargetGroup } => {
  const h = input.healthCheck
  const args = (): aws.lb.TargetGroupArgs => ({
    vpcId: input.vpcId,
    port: input.port,
    protocol: "HTTP",
    targetType: input.targetType,
    deregistrationDelay: input.deregistrationDelay ?? 30,
    healthCheck: {
      enabled: true,
      protocol: "HTTP",
      port: "traffic-port",
      path: h.path,
      matcher: h.matcher ?? "200-399",
      interval: h.intervalSeconds ?? 15,
      timeout: h.timeoutSeconds ?? 5,
      healthyThreshold: h.healthyThreshold ?? 2,
      unhealthyThreshold: h.unhealthyThreshold ?? 3,
    },
    tags: input.tags,
  })
  const blue = createChild(aws.lb.TargetGroup, `${name}-blue`, args(), { parent }, transforms.blueTargetGroup)
  const green = createChild(
    aws.lb.TargetGroup,
    `${name}-green`,
    args(),
    { parent },
    transforms.greenTargetGroup,
  )
  return { blue, green }
}

/**
 * The production listener rule: forwards matching requests to blue (weight 100) and
 * green (weight 0). Rollouts move these weights (ECS native blue/green through the rule
 * ARN, driven rollouts through the ELB API), so later `pulumi up`s leave the actions
 * alone instead of snapping traffic back.
 */
export const createListenerRule = (
  name: string,
  input: {
    readonly listenerArn: pulumi.Input<string>
    readonly route: ServiceRoute
    readonly blue: aws.lb.TargetGroup
    readonly green: aws.lb.TargetGroup
    readonly tags?: Tags
  },
  parent: pulumi.Resource,
  transforms: TargetTransforms,
): aws.lb.ListenerRule => {
  const conditions: Array<aws.types.input.lb.ListenerRuleCondition> = []
  if (input.route.hostHeader !== undefined && input.route.hostHeader.length > 0) {
    conditions.push({ hostHeader: { values: [...input.route.hostHeader] } })
  }
  if (input.route.pathPattern !== undefined && input.route.pathPattern.length > 0) {
    conditions.push({ pathPattern: { values: [...input.route.pathPattern] } })
  }
  return createChild(
    aws.lb.ListenerRule,
    `${name}-route`,
    {
      listenerArn: input.listenerArn,
      priority: input.route.priority,
      conditions,
      actions: [
        {
          type: "forward",
          forward: {
            targetGroups: [
              { arn: input.blue.arn, weight: 100 },
              { arn: input.green.arn, weight: 0 },
            ],
          },
        },
      ],
      tags: input.tags,
    },
    { parent, ignoreChanges: ["actions"] },
    transforms.listenerRule,
  )
}

/**
 * The app's security group: ingress only from the load balancer's security group on
 * the app port, and the matching egress rule on the load balancer's side. Outbound
 * traffic from the app is open (image pulls, AWS APIs, the app's own dependencies).
 */
export const createAppSecurityGroup = (
  name: string,
  input: {
    readonly vpcId: pulumi.Input<string>
    readonly port: pulumi.Input<number>
    readonly loadBalancer: LoadBalancer
    readonly tags?: Tags
  },
  parent: pulumi.Resource,
  transforms: TargetTransforms,
): aws.ec2.SecurityGroup => {
  const sg = createChild(
    aws.ec2.SecurityGroup,
    `${name}-app`,
    { vpcId: input.vpcId, description: `${name}: app port from its load balancer only`, tags: input.tags },
    { parent },
    transforms.securityGroup,
  )
  createChild(
    aws.vpc.SecurityGroupIngressRule,
    `${name}-app-from-lb`,
    {
      securityGroupId: sg.id,
      referencedSecurityGroupId: input.loadBalancer.securityGroupId,
      ipProtocol: "tcp",
      fromPort: input.port,
      toPort: input.port,
      description: "app port from the load balancer",
      tags: input.tags,
    },
    { parent },
    transforms.securityGroupRule,
  )
  new aws.vpc.SecurityGroupEgressRule(
    `${name}-lb-to-app`,
    {
      securityGroupId: input.loadBalancer.securityGroupId,
      referencedSecurityGroupId: sg.id,
      ipProtocol: "tcp",
      fromPort: input.port,
      toPort: input.port,
      description: `to ${name} on the app port (traffic and health checks)`,
      tags: input.tags,
    },
    { parent },
  )
  new aws.vpc.SecurityGroupEgressRule(
    `${name}-app-out`,
    {
      securityGroupId: sg.id,
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "-1",
      description: "outbound: image pulls, AWS APIs, dependencies",
      tags: input.tags,
    },
    { parent },
  )
  return sg
}
