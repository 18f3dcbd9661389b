/**
 * The internet-facing Application Load Balancer in front of a Fargate or EC2 service:
 * HTTPS on 443 with an ACM certificate, HTTP on 80 answering only with a redirect to
 * HTTPS, and a security group admitting 80/443 from anywhere. One load balancer can be
 * shared by several services, each routing its own host or path to its own target groups.
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

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgProblems(TYPE, name)
    if (args.network === undefined) {
      check.add("network", "is missing", "pass a Network, or { vpcId, publicSubnetIds, privateSubnetIds }")
    }
    checkHttps(check, args)
    checkInteger(check, "idleTimeout", args.idleTimeout, 1, 4000)
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

    const lb = createChild(
      aws.lb.LoadBalancer,
      name,
      {
        loadBalancerType: "application",
        internal: false,
        ipAddressType: dualstack ? "dualstack" : "ipv4",
        subnets: pulumi.output(args.network.publicSubnetIds).apply((ids) => [...ids]),
        securityGroups: [sg.id],
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
    const domainName = known(args.domain?.name)
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
    })
  }
}
