/**
 * The load-balanced half that Fargate and EC2 services share: blue and green target
 * groups, the load balancer (the service's own unless a shared one is given), the weighted
 * listener rule, the app's security group, alarms over both target groups (`observe`), and
 * the ALB part of a driven backend. The services differ only in what runs behind the
 * target groups (tasks by IP, or instances), so the wiring — and every child's name — is
 * the same for both.
 */
import type * as aws from "@pulumi/aws"
import type * as pulumi from "@pulumi/pulumi"
import type { Tags } from "../component.ts"
import { ServiceAlarms } from "../Observe.ts"
import { LoadBalancer, type LoadBalancerArgs, type TestListenerArgs } from "./LoadBalancer.ts"
import {
  catchAllRoute,
  createAppSecurityGroup,
  createListenerRule,
  createTargetGroups,
  type ServiceRoute,
  type TargetTransforms,
} from "./targets.ts"
import type { HttpsArgs, ObserveArgs, ServiceNetwork } from "./types.ts"

/** The service arguments the wiring reads. */
export interface LoadBalancedArgs extends HttpsArgs {
  readonly network: ServiceNetwork
  readonly loadBalancer?: LoadBalancer
  readonly route?: ServiceRoute
  readonly observe?: ObserveArgs
  /** The user's tags (children the wiring creates as components tag themselves). */
  readonly tags?: Tags
}

/** The children that carry a load-balanced service's traffic. */
export interface LoadBalancedTraffic {
  /** Production traffic at first (stable). */
  readonly blue: aws.lb.TargetGroup
  /** The candidate during a rollout. */
  readonly green: aws.lb.TargetGroup
  readonly loadBalancer: LoadBalancer
  /** The rule whose forward weights split traffic between blue and green. */
  readonly rule: aws.lb.ListenerRule
  /** With a test listener: the rule on it that ECS points at the new revision before production traffic. */
  readonly testRule: aws.lb.ListenerRule | undefined
  /** The app's security group: the app port from the load balancer only. */
  readonly appSg: aws.ec2.SecurityGroup
}

/**
 * Target groups, load balancer, listener rule and app security group, parented to the
 * service. A load balancer of the service's own sends unmatched requests to blue.
 */
export const createLoadBalancedTraffic = (
  name: string,
  args: LoadBalancedArgs,
  input: {
    readonly port: pulumi.Input<number>
    readonly targetType: "ip" | "instance"
    readonly healthCheckPath: string
    /** The component's tags. */
    readonly tags: Tags
    /**
     * Add a test listener rule (native deployments that check a revision before production
     * traffic). The service's own load balancer gets the listener with these settings; a
     * shared one must have been created with `testListener` (the service checks that).
     */
    readonly testListener?: TestListenerArgs
  },
  parent: pulumi.ComponentResource,
  t: TargetTransforms & { readonly loadBalancer?: LoadBalancerArgs["transform"] },
): LoadBalancedTraffic => {
  const { port, tags } = input
  const vpcId = args.network.vpcId
  const { blue, green } = createTargetGroups(
    name,
    { vpcId, port, targetType: input.targetType, healthCheck: { path: input.healthCheckPath }, tags },
    parent,
    t,
  )
  const loadBalancer =
    args.loadBalancer ??
    new LoadBalancer(
      name,
      {
        network: args.network,
        domain: args.domain,
        certificateArn: args.certificateArn,
        insecureHttpOnly: args.insecureHttpOnly,
        defaultTargetGroupArn: blue.arn,
        ...(input.testListener !== undefined ? { testListener: input.testListener } : {}),
        tags: args.tags,
        transform: t.loadBalancer,
      },
      { parent },
    )
  const rule = createListenerRule(
    name,
    { listenerArn: loadBalancer.listenerArn, route: args.route ?? catchAllRoute, blue, green, tags },
    parent,
    t,
  )
  // Same match as production, on the test listener; ECS repoints it at green during a deployment.
  const testRule =
    input.testListener !== undefined && loadBalancer.testListenerArn !== undefined
      ? createListenerRule(
          `${name}-test`,
          {
            listenerArn: loadBalancer.testListenerArn,
            route: args.route ?? catchAllRoute,
            blue,
            green,
            tags,
          },
          parent,
          t,
        )
      : undefined
  const appSg = createAppSecurityGroup(name, { vpcId, port, loadBalancer, tags }, parent, t)
  return { blue, green, loadBalancer, rule, testRule, appSg }
}

/** With `observe`: alarms and a dashboard over the blue and the green target group. */
export const createTargetGroupAlarms = (
  name: string,
  args: LoadBalancedArgs,
  traffic: LoadBalancedTraffic,
  parent: pulumi.ComponentResource,
): ServiceAlarms | undefined => {
  if (args.observe === undefined) return undefined
  const { loadBalancer, blue, green } = traffic
  return new ServiceAlarms(
    name,
    {
      ...args.observe,
      targetGroups: [
        {
          label: "blue",
          loadBalancerArnSuffix: loadBalancer.arnSuffix,
          targetGroupArnSuffix: blue.arnSuffix,
        },
        {
          label: "green",
          loadBalancerArnSuffix: loadBalancer.arnSuffix,
          targetGroupArnSuffix: green.arnSuffix,
        },
      ],
      tags: args.observe.tags ?? args.tags,
    },
    { parent },
  )
}

/**
 * The ALB part of a driven backend: the rule whose weights the rollout moves and the two
 * slots, each a target group plus what runs in it (`blueRuns`, `greenRuns`).
 */
export const albSlots = <Runs extends object>(
  traffic: LoadBalancedTraffic,
  blueRuns: Runs,
  greenRuns: Runs,
) => {
  const { blue, green, loadBalancer, rule } = traffic
  return {
    ruleArn: rule.arn,
    loadBalancerArnSuffix: loadBalancer.arnSuffix,
    slots: [
      { name: "blue", targetGroupArn: blue.arn, targetGroupArnSuffix: blue.arnSuffix, ...blueRuns },
      { name: "green", targetGroupArn: green.arn, targetGroupArnSuffix: green.arnSuffix, ...greenRuns },
    ],
  }
}
