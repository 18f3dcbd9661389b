/**
 * The internet-facing Application Load Balancer in front of a Fargate or EC2 service:
 * HTTPS on 443 with an ACM certificate, HTTP on 80 answering only with a redirect to
 * HTTPS, and a security group admitting 80/443 from anywhere. One load balancer can be
 * shared by several services, each routing its own host or path to its own target groups.
 *
 * Optionally a test listener: HTTPS on a second port (default 8443) with the same
 * certificate, where ECS sends test traffic to a new revision before it gets production
 * traffic. It is not open to the internet: its own security group admits only the VPC and
 * the VPC's NAT addresses (or the CIDRs given).
 */
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import {
  ArgProblems,
  componentTags,
  createChild,
  knownValue as known,
  type Tags,
  type Transform,
} from "../component.ts"
import { checkInteger } from "./args.ts"
import type { HttpsArgs, ServiceNetwork } from "./types.ts"

const TYPE = "slipway:aws:LoadBalancer"
/** TLS 1.3 with 1.2 fallback: AWS's recommended policy for new listeners. */
const DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
/** Port of the test listener unless one is given. */
export const DEFAULT_TEST_PORT = 8443

/**
 * A second HTTPS listener for test traffic: ECS points its rule at the new revision
 * before production traffic moves, so checks (the lifecycle hook) can reach it alone.
 *
 * @example
 * const test: TestListenerArgs = { port: 9443, allowedCidrs: ["10.0.0.0/16", "203.0.113.7/32"] }
 */
export interface TestListenerArgs {
  /**
   * Port of the test listener (default 8443; not 80 or 443).
   *
   * @example
   * { port: 9443 }
   */
  readonly port?: number
  /**
   * Who may connect to it. Default: the VPC's CIDR block plus, when the network has NAT
   * gateways (`natPublicIps`, as a `Network` does), their addresses, because a caller in a
   * private subnet (the hook function) reaches an internet-facing load balancer through
   * the NAT. Never `0.0.0.0/0` or `::/0`: test traffic reaches a revision before it is judged.
   *
   * @example
   * { allowedCidrs: ["10.0.0.0/16", "198.51.100.0/24"] }
   */
  readonly allowedCidrs?: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>
}

/**
 * Arguments of a {@link LoadBalancer}.
 *
 * @example
 * const args: LoadBalancerArgs = { network, domain }
 */
export interface LoadBalancerArgs extends HttpsArgs {
  /**
   * The VPC; the load balancer goes in its public subnets.
   *
   * @example
   * { network: new Network("net") }
   */
  readonly network: ServiceNetwork
  /**
   * Where requests no service rule matches go. A service that owns its load balancer
   * sends them to its blue target group; a shared load balancer answers 404.
   *
   * @example
   * { defaultTargetGroupArn: blue.arn }
   */
  readonly defaultTargetGroupArn?: pulumi.Input<string>
  /**
   * `"ipv4"` (default) or `"dualstack"` (IPv4 and IPv6: the public subnets need IPv6
   * CIDR blocks; adds IPv6 ingress and an AAAA record).
   *
   * @example
   * { ipAddressType: "dualstack" }
   */
  readonly ipAddressType?: "ipv4" | "dualstack"
  /**
   * Seconds an idle connection stays open (default 60).
   *
   * @example
   * { idleTimeout: 120 }
   */
  readonly idleTimeout?: pulumi.Input<number>
  /**
   * TLS policy of the HTTPS listener (default `ELBSecurityPolicy-TLS13-1-2-2021-06`).
   *
   * @example
   * { sslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06" }
   */
  readonly sslPolicy?: pulumi.Input<string>
  /**
   * Refuse deletion of the load balancer through the AWS API (default false).
   *
   * @example
   * { deletionProtection: true }
   */
  readonly deletionProtection?: pulumi.Input<boolean>
  /**
   * A test listener (HTTPS on its own port, same certificate, not open to the internet)
   * for native ECS deployments that check a new revision before production traffic.
   * A `FargateService` with its own load balancer adds it when its strategy needs it;
   * a shared load balancer needs it set here.
   *
   * @example
   * { testListener: {} } // HTTPS on 8443 from the VPC and its NAT addresses
   */
  readonly testListener?: TestListenerArgs
  /**
   * Tags for every child.
   *
   * @example
   * { tags: { team: "payments" } }
   */
  readonly tags?: Tags
  /**
   * Adjust any child before it is created.
   *
   * @example
   * { transform: { loadBalancer: { idleTimeout: 300 }, httpsListener: (args) => { args.sslPolicy = "…" } } }
   */
  readonly transform?: {
    readonly securityGroup?: Transform<aws.ec2.SecurityGroupArgs>
    readonly testSecurityGroup?: Transform<aws.ec2.SecurityGroupArgs>
    readonly testListener?: Transform<aws.lb.ListenerArgs>
    readonly ingress?: Transform<aws.vpc.SecurityGroupIngressRuleArgs>
    readonly loadBalancer?: Transform<aws.lb.LoadBalancerArgs>
    readonly httpListener?: Transform<aws.lb.ListenerArgs>
    readonly httpsListener?: Transform<aws.lb.ListenerArgs>
    readonly record?: Transform<aws.route53.RecordArgs>
  }
}

/** Checks the HTTPS choice; shared with the services that build their own load balancer. */
export const checkHttps = (check: ArgProblems, args: HttpsArgs): void => {
  const given = [
    args.domain !== undefined && "domain",
    args.certificateArn !== undefined && "certificateArn",
    args.insecureHttpOnly === true && "insecureHttpOnly",
  ].filter((x): x is string => x !== false)
  if (given.length === 0) {
    check.add(
      "domain",
      "HTTPS needs a certificate and none was given",
      "pass `domain` (a Domain, or { name, zoneId, certificateArn }) or `certificateArn`; " +
        "for a throwaway stack only, set `insecureHttpOnly: true`",
    )
  }
  if (args.insecureHttpOnly === true && given.length > 1) {
    check.add(
      "insecureHttpOnly",
      `is set together with ${given.filter((g) => g !== "insecureHttpOnly").join(" and ")}`,
      "drop `insecureHttpOnly`: a certificate is available, so serve HTTPS",
    )
  }
  if (args.domain !== undefined && args.certificateArn !== undefined) {
    check.add(
      "certificateArn",
      "is set together with `domain`",
      "drop `certificateArn`: the domain's is used",
    )
  }
  if (
    args.domain !== undefined &&
    !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i.test(args.domain.name)
  ) {
    check.add("domain.name", `"${args.domain.name}" is not a DNS name`, 'use a name like "app.example.com"')
  }
}

// A `/0` block is every address (0.0.0.0/0, ::/0, or any other spelling of them).
const isWholeInternet = (cidr: string): boolean => cidr.endsWith("/0")

/** Checks a test listener's port and sources; shared with the services that build their own load balancer. */
export const checkTestListener = (
  check: ArgProblems,
  arg: string,
  test: TestListenerArgs,
  https: HttpsArgs,
): void => {
  if (https.insecureHttpOnly === true) {
    check.add(
      arg,
      "needs HTTPS, and `insecureHttpOnly` serves plain HTTP",
      "pass `domain` or `certificateArn`: the test listener uses the same certificate",
    )
  }
  checkInteger(check, `${arg}.port`, test.port, 1, 65_535)
  if (test.port === 80 || test.port === 443) {
    check.add(
      `${arg}.port`,
      `${test.port} is a production port`,
      `use another port (default ${DEFAULT_TEST_PORT})`,
    )
  }
  const cidrs = known(test.allowedCidrs)
  if (cidrs !== undefined) {
    if (cidrs.length === 0) {
      check.add(
        `${arg}.allowedCidrs`,
        "is empty",
        "name who may send test traffic, or leave it out for the VPC's own addresses",
      )
    }
    cidrs.forEach((cidr, i) => {
      const value = known(cidr)
      if (value !== undefined && isWholeInternet(value)) {
        check.add(
          `${arg}.allowedCidrs[${i}]`,
          `"${value}" opens the test listener to the internet, where a revision answers before it is judged`,
          "list the networks that run the checks (the default is the VPC and its NAT addresses)",
        )
      }
    })
  }
}

// The VPC's CIDR block and, for a `Network`, the NAT gateways' public addresses: a caller in a
// private subnet reaches an internet-facing load balancer's public addresses through the NAT.
const ownAddresses = (
  network: ServiceNetwork,
  opts: pulumi.InvokeOutputOptions,
): pulumi.Output<Array<string>> => {
  const n = network as ServiceNetwork & {
    readonly cidrBlock?: pulumi.Input<string>
    readonly natPublicIps?: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>
  }
  const cidr = n.cidrBlock ?? aws.ec2.getVpcOutput({ id: network.vpcId }, opts).cidrBlock
  return pulumi
    .all([cidr, pulumi.output(n.natPublicIps ?? [])])
    .apply(([block, ips]) => [block, ...ips.map((ip) => `${ip}/32`)])
}

/**
 * An internet-facing Application Load Balancer with an HTTPS listener (443) and an
 * HTTP listener (80) that redirects to HTTPS. Services attach their target groups with
 * listener rules; pass one instance to several services to share it.
 *
 * Type token `slipway:aws:LoadBalancer`.
 *
 * @example
 * import { LoadBalancer, FargateService } from "@slipway/aws"
 * const lb = new LoadBalancer("edge", { network, domain })
 * new FargateService("api", { network, image, loadBalancer: lb, route: { pathPattern: ["/api/*"], priority: 10 } })
 * new FargateService("web", { network, image: webImage, loadBalancer: lb, route: { pathPattern: ["/*"], priority: 100 } })
 *
 * // With a test listener (HTTPS 8443, from the VPC and its NAT addresses only) for services
 * // whose native strategy checks a new revision before production traffic:
 * const edge = new LoadBalancer("edge", { network, domain, testListener: {} })
 */
export class LoadBalancer extends pulumi.ComponentResource {
  /** ARN of the load balancer. */
  readonly arn: pulumi.Output<string>
  /** `app/<name>/<id>`: the CloudWatch dimension value of the load balancer. */
  readonly arnSuffix: pulumi.Output<string>
  readonly dnsName: pulumi.Output<string>
  /** Hosted zone of the load balancer's DNS name (for alias records). */
  readonly zoneId: pulumi.Output<string>
  /** Security group of the load balancer; services admit only this group. */
  readonly securityGroupId: pulumi.Output<string>
  /** The listener serving traffic: HTTPS, or HTTP when `insecureHttpOnly`. Services add rules here. */
  readonly listenerArn: pulumi.Output<string>
  /** The HTTPS listener, when there is one. */
  readonly httpsListenerArn: pulumi.Output<string | undefined>
  /** The HTTP listener (redirecting to HTTPS unless `insecureHttpOnly`). */
  readonly httpListenerArn: pulumi.Output<string>
  /** Where the load balancer answers: `https://<domain>`, `https://<dns name>` or `http://<dns name>`. */
  readonly url: pulumi.Output<string>
  /** True when the load balancer serves plain HTTP only. */
  readonly insecure: boolean
  /** The `domain`'s name, when one was given (the name its certificate covers). */
  readonly domainName: string | undefined
  /** With `testListener`: the test listener's ARN (ECS repoints its rules at new revisions). */
  readonly testListenerArn: pulumi.Output<string> | undefined
  /** With `testListener`: its port. */
  readonly testListenerPort: number | undefined
  /** With `testListener`: who may connect to it. */
  readonly testListenerCidrs: pulumi.Output<Array<string>> | undefined

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgProblems(TYPE, name)
    if (args.network === undefined) {
      check.add("network", "is missing", "pass a Network, or { vpcId, publicSubnetIds, privateSubnetIds }")
    }
    checkHttps(check, args)
    checkInteger(check, "idleTimeout", args.idleTimeout, 1, 4000)
    if (args.testListener !== undefined) checkTestListener(check, "testListener", args.testListener, args)
    check.throwIfAny()

    super(TYPE, name, {}, opts)
    const parent = { parent: this }
    const t = args.transform ?? {}
    const tags = componentTags(TYPE, name, args.tags)
    this.insecure = args.insecureHttpOnly === true && args.certificateArn === undefined && !args.domain

    if (this.insecure) {
      void pulumi.log.warn(
        `LoadBalancer "${name}" serves plain HTTP with no TLS (insecureHttpOnly: true). ` +
          "Traffic, cookies and credentials cross the internet unencrypted; pass `domain` or `certificateArn` for HTTPS.",
        this,
      )
    }

    const sg = createChild(
      aws.ec2.SecurityGroup,
      `${name}-lb`,
      {
        vpcId: args.network.vpcId,
        description: `Load balancer ${name}: HTTP/HTTPS from anywhere`,
        tags,
      },
      parent,
      t.securityGroup,
    )
    const dualstack = args.ipAddressType === "dualstack"
    const sources = dualstack
      ? ([
          ["ipv4", "0.0.0.0/0"],
          ["ipv6", "::/0"],
        ] as const)
      : ([["ipv4", "0.0.0.0/0"]] as const)
    const ports = this.insecure ? [80] : [80, 443]
    for (const port of ports) {
      for (const [family, cidr] of sources) {
        createChild(
          aws.vpc.SecurityGroupIngressRule,
          `${name}-lb-${port}-${family}`,
          {
            securityGroupId: sg.id,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            ...(family === "ipv4" ? { cidrIpv4: cidr } : { cidrIpv6: cidr }),
            description: port === 80 ? "HTTP (redirected to HTTPS)" : "HTTPS",
            tags,
          },
          parent,
          t.ingress,
        )
      }
    }

    // The test listener's sources live in a group of their own, so the production group's
    // rules stay as they are and the test port can never inherit "from anywhere".
    let testSg: aws.ec2.SecurityGroup | undefined
    const testPort =
      args.testListener === undefined ? undefined : (args.testListener.port ?? DEFAULT_TEST_PORT)
    const testCidrs =
      args.testListener === undefined
        ? undefined
        : args.testListener.allowedCidrs !== undefined
          ? pulumi
              .output(args.testListener.allowedCidrs)
              .apply((cidrs) => cidrs.filter((c) => !isWholeInternet(c)))
          : ownAddresses(args.network, parent)
    if (testPort !== undefined && testCidrs !== undefined) {
      testSg = createChild(
        aws.ec2.SecurityGroup,
        `${name}-lb-test`,
        {
          vpcId: args.network.vpcId,
          description: `Load balancer ${name}: test listener (HTTPS ${testPort}) from the VPC only`,
          ingress: [
            {
              protocol: "tcp",
              fromPort: testPort,
              toPort: testPort,
              cidrBlocks: testCidrs,
              description: "HTTPS test traffic (pre-production checks)",
            },
          ],
          tags,
        },
        parent,
        t.testSecurityGroup,
      )
    }

    const lb = createChild(
      aws.lb.LoadBalancer,
      name,
      {
        loadBalancerType: "application",
        internal: false,
        ipAddressType: dualstack ? "dualstack" : "ipv4",
        subnets: pulumi.output(args.network.publicSubnetIds).apply((ids) => [...ids]),
        securityGroups: testSg === undefined ? [sg.id] : [sg.id, testSg.id],
        dropInvalidHeaderFields: true,
        idleTimeout: args.idleTimeout ?? 60,
        enableDeletionProtection: args.deletionProtection ?? false,
        tags,
      },
      parent,
      t.loadBalancer,
    )

    const fallback: aws.types.input.lb.ListenerDefaultAction =
      args.defaultTargetGroupArn !== undefined
        ? { type: "forward", targetGroupArn: args.defaultTargetGroupArn }
        : {
            type: "fixed-response",
            fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not Found" },
          }

    const certificateArn = args.domain?.certificateArn ?? args.certificateArn
    let https: aws.lb.Listener | undefined
    if (certificateArn !== undefined) {
      https = createChild(
        aws.lb.Listener,
        `${name}-https`,
        {
          loadBalancerArn: lb.arn,
          port: 443,
          protocol: "HTTPS",
          certificateArn,
          sslPolicy: args.sslPolicy ?? DEFAULT_SSL_POLICY,
          defaultActions: [fallback],
          tags,
        },
        parent,
        t.httpsListener,
      )
    }
    let test: aws.lb.Listener | undefined
    if (testPort !== undefined && certificateArn !== undefined) {
      test = createChild(
        aws.lb.Listener,
        `${name}-test`,
        {
          loadBalancerArn: lb.arn,
          port: testPort,
          protocol: "HTTPS",
          certificateArn,
          sslPolicy: args.sslPolicy ?? DEFAULT_SSL_POLICY,
          // Only a service's test rule forwards; everything else is answered here.
          defaultActions: [
            {
              type: "fixed-response",
              fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not Found" },
            },
          ],
          tags,
        },
        parent,
        t.testListener,
      )
    }
    const http = createChild(
      aws.lb.Listener,
      `${name}-http`,
      {
        loadBalancerArn: lb.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: this.insecure
          ? [fallback]
          : [
              {
                type: "redirect",
                redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
              },
            ],
        tags,
      },
      parent,
      t.httpListener,
    )

    if (args.domain !== undefined) {
      createChild(
        aws.route53.Record,
        `${name}-dns`,
        {
          zoneId: args.domain.zoneId,
          name: args.domain.name,
          type: "A",
          aliases: [{ name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: true }],
        },
        parent,
        t.record,
      )
      if (dualstack) {
        createChild(
          aws.route53.Record,
          `${name}-dns6`,
          {
            zoneId: args.domain.zoneId,
            name: args.domain.name,
            type: "AAAA",
            aliases: [{ name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: true }],
          },
          parent,
          t.record,
        )
      }
    }

    this.arn = lb.arn
    this.arnSuffix = lb.arnSuffix
    this.dnsName = lb.dnsName
    this.zoneId = lb.zoneId
    this.securityGroupId = sg.id
    this.httpListenerArn = http.arn
    this.httpsListenerArn = https === undefined ? pulumi.output(undefined) : https.arn
    this.listenerArn = (https ?? http).arn
    this.testListenerArn = test?.arn
    this.testListenerPort = test === undefined ? undefined : testPort
    this.testListenerCidrs = test === undefined ? undefined : testCidrs
    const domainName = known(args.domain?.name)
    this.domainName = domainName
    this.url =
      domainName !== undefined
        ? pulumi.output(`https://${domainName}`)
        : pulumi.interpolate`${this.insecure ? "http" : "https"}://${lb.dnsName}`

    this.registerOutputs({
      arn: this.arn,
      dnsName: this.dnsName,
      securityGroupId: this.securityGroupId,
      listenerArn: this.listenerArn,
      httpListenerArn: this.httpListenerArn,
      httpsListenerArn: this.httpsListenerArn,
      url: this.url,
      ...(this.testListenerArn !== undefined ? { testListenerArn: this.testListenerArn } : {}),
    })
  }
}
