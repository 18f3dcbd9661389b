/**
 * Where services run: a VPC with public subnets (load balancers, NAT gateways) and
 * private subnets (tasks, instances, functions) over 2–3 availability zones, with a
 * choice of NAT — or an existing VPC adopted as it is.
 *
 * The subnet layout is computed when the component is constructed, from a plain CIDR,
 * so `pulumi preview` shows every subnet's exact range and a bad CIDR fails before
 * anything is registered. For a VPC of prefix /p, each private subnet is /p+2 (three
 * quarters of the space across up to three AZs: where the tasks and instances live) and
 * each public subnet is /p+4, carved from the last quarter (load balancers and NAT need
 * few addresses).
 */
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import {
  ArgProblems,
  componentTags,
  createChild,
  knownValue,
  namedTags,
  type Tags,
  type Transform,
} from "./component.ts"

// ---------------------------------------------------------------- CIDR arithmetic

interface Cidr {
  readonly base: number
  readonly prefix: number
}

const ipToInt = (ip: string): number | undefined => {
  const parts = ip.split(".")
  if (parts.length !== 4) return undefined
  let n = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined
    const octet = Number(part)
    if (octet > 255) return undefined
    n = n * 256 + octet
  }
  return n
}

const intToIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")

const formatCidr = (c: Cidr): string => `${intToIp(c.base)}/${c.prefix}`

/** Ranges AWS lets a VPC use that are not on the public internet. */
const PRIVATE_RANGES: ReadonlyArray<Cidr> = [
  { base: ipToInt("10.0.0.0")!, prefix: 8 },
  { base: ipToInt("172.16.0.0")!, prefix: 12 },
  { base: ipToInt("192.168.0.0")!, prefix: 16 },
  { base: ipToInt("100.64.0.0")!, prefix: 10 },
]

const size = (prefix: number): number => 2 ** (32 - prefix)
const contains = (outer: Cidr, inner: Cidr): boolean =>
  inner.prefix >= outer.prefix &&
  inner.base >= outer.base &&
  inner.base + size(inner.prefix) <= outer.base + size(outer.prefix)

/** Smallest VPC prefix the layout supports: public subnets (/p+4) must stay /27 or larger for an ALB. */
const MAX_VPC_PREFIX = 23
const MIN_VPC_PREFIX = 16

/** The subnets a VPC CIDR is split into, per AZ index. */
const subnetLayout = (vpc: Cidr, azs: number): { public: Array<string>; private: Array<string> } => {
  const privatePrefix = vpc.prefix + 2
  const publicPrefix = vpc.prefix + 4
  const lastQuarter = vpc.base + 3 * size(privatePrefix)
  return {
    private: Array.from({ length: azs }, (_, i) =>
      formatCidr({ base: vpc.base + i * size(privatePrefix), prefix: privatePrefix }),
    ),
    public: Array.from({ length: azs }, (_, i) =>
      formatCidr({ base: lastQuarter + i * size(publicPrefix), prefix: publicPrefix }),
    ),
  }
}

/** Validates a VPC CIDR, adding what is wrong to `problems`; returns it parsed when valid. */
const checkVpcCidr = (problems: ArgProblems, text: string): Cidr | undefined => {
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text.trim())
  const base = match ? ipToInt(match[1]!) : undefined
  if (!match || base === undefined) {
    problems.add(
      "cidrBlock",
      `"${text}" is not an IPv4 CIDR block`,
      'write it as address/prefix, e.g. "10.0.0.0/16"',
    )
    return undefined
  }
  const prefix = Number(match[2])
  if (prefix < MIN_VPC_PREFIX || prefix > MAX_VPC_PREFIX) {
    problems.add(
      "cidrBlock",
      prefix < MIN_VPC_PREFIX
        ? `/${prefix} is larger than a VPC can be (AWS allows /16 at most)`
        : `/${prefix} is too small: public subnets would be smaller than the /27 an application load balancer needs`,
      `use a prefix between /${MIN_VPC_PREFIX} and /${MAX_VPC_PREFIX}, e.g. "10.0.0.0/16"`,
    )
    return undefined
  }
  const aligned = base - (base % size(prefix))
  if (aligned !== base) {
    problems.add(
      "cidrBlock",
      `"${text}" has host bits set`,
      `use the network address: "${formatCidr({ base: aligned, prefix })}"`,
    )
    return undefined
  }
  const cidr = { base, prefix }
  if (!PRIVATE_RANGES.some((range) => contains(range, cidr))) {
    problems.add(
      "cidrBlock",
      `"${text}" is not a private range, so hosts in it could not reach the public addresses it shadows`,
      "use a block inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10",
    )
    return undefined
  }
  return cidr
}

// ---------------------------------------------------------------- the shape services consume

/**
 * A VPC as services see it: where the load balancer goes (public subnets) and where
 * workloads run (private subnets). `Network` implements it; `Network.fromExisting`
 * returns one for a VPC made elsewhere.
 *
 * @example
 * import { Network, type NetworkRef } from "@slipway/aws"
 * const network: NetworkRef = new Network("net")
 */
export interface NetworkRef {
  /** @example network.vpcId // Output<"vpc-0abc…"> */
  readonly vpcId: pulumi.Output<string>
  /** Subnets routed to the internet gateway, one per AZ. @example network.publicSubnetIds */
  readonly publicSubnetIds: pulumi.Output<Array<string>>
  /** Subnets without public routes, one per AZ. @example network.privateSubnetIds */
  readonly privateSubnetIds: pulumi.Output<Array<string>>
  /** The VPC's IPv4 CIDR block. @example network.cidrBlock // Output<"10.0.0.0/16"> */
  readonly cidrBlock: pulumi.Output<string>
}

// ---------------------------------------------------------------- arguments

/**
 * How private subnets reach the internet.
 *
 * @example
 * const nat: NatMode = "perAz"
 */
export type NatMode = "none" | "single" | "perAz"

/**
 * AWS services reachable from private subnets through VPC endpoints. `s3` and `dynamodb`
 * are free gateway endpoints; the others are interface endpoints (billed per AZ-hour);
 * `ecr` stands for both `ecr.api` and `ecr.dkr`.
 *
 * @example
 * const endpoints: ReadonlyArray<EndpointService> = ["s3", "ecr", "logs"]
 */
export type EndpointService =
  | "s3"
  | "dynamodb"
  | "ecr"
  | "logs"
  | "secretsmanager"
  | "ssm"
  | "sts"
  | "monitoring"
  | "kms"
  | "lambda"

const ENDPOINT_SERVICES: ReadonlyArray<EndpointService> = [
  "s3",
  "dynamodb",
  "ecr",
  "logs",
  "secretsmanager",
  "ssm",
  "sts",
  "monitoring",
  "kms",
  "lambda",
]
const GATEWAY_ENDPOINTS: ReadonlyArray<EndpointService> = ["s3", "dynamodb"]

/** What a Fargate task in a subnet without NAT needs: pull from ECR (layers in S3), ship logs, read secrets. */
const NO_NAT_ENDPOINTS: ReadonlyArray<EndpointService> = ["s3", "ecr", "logs", "secretsmanager", "ssm"]

/**
 * Per-child transforms of a `Network`.
 *
 * @example
 * const transform: NetworkTransforms = { vpc: { enableNetworkAddressUsageMetrics: true } }
 */
export interface NetworkTransforms {
  /** @example { vpc: { enableNetworkAddressUsageMetrics: true } } */
  readonly vpc?: Transform<aws.ec2.VpcArgs>
  /** @example { internetGateway: (args, opts) => { opts.protect = true } } */
  readonly internetGateway?: Transform<aws.ec2.InternetGatewayArgs>
  /** Applies to each public subnet. @example { publicSubnet: { tags: { "kubernetes.io/role/elb": "1" } } } */
  readonly publicSubnet?: Transform<aws.ec2.SubnetArgs>
  /** Applies to each private subnet. @example { privateSubnet: { tags: { tier: "app" } } } */
  readonly privateSubnet?: Transform<aws.ec2.SubnetArgs>
  /** @example { publicRouteTable: { tags: { tier: "edge" } } } */
  readonly publicRouteTable?: Transform<aws.ec2.RouteTableArgs>
  /** Applies to each private route table. @example { privateRouteTable: { tags: { tier: "app" } } } */
  readonly privateRouteTable?: Transform<aws.ec2.RouteTableArgs>
  /** Applies to each NAT gateway's Elastic IP. @example { eip: { tags: { allowlisted: "true" } } } */
  readonly eip?: Transform<aws.ec2.EipArgs>
  /** Applies to each NAT gateway. @example { natGateway: { tags: { cost: "network" } } } */
  readonly natGateway?: Transform<aws.ec2.NatGatewayArgs>
  /** Applies to each VPC endpoint. @example { endpoint: { policy: JSON.stringify(doc) } } */
  readonly endpoint?: Transform<aws.ec2.VpcEndpointArgs>
  /** The security group of interface endpoints. @example { endpointSecurityGroup: { description: "endpoints" } } */
  readonly endpointSecurityGroup?: Transform<aws.ec2.SecurityGroupArgs>
  /** Applies to each default route (to the internet gateway or a NAT). @example { route: (a, o) => { o.protect = true } } */
  readonly route?: Transform<aws.ec2.RouteArgs>
  /** Applies to each subnet ↔ route table association. @example { routeTableAssociation: (a, o) => { o.protect = true } } */
  readonly routeTableAssociation?: Transform<aws.ec2.RouteTableAssociationArgs>
}

/**
 * Arguments of a `Network`. Values that decide how many resources exist (CIDR, zones,
 * NAT mode, endpoints) are plain values, so the layout is known at construction time.
 *
 * @example
 * const args: NetworkArgs = { cidrBlock: "10.20.0.0/16", azCount: 3, nat: "perAz" }
 */
export interface NetworkArgs {
  /**
   * The VPC's IPv4 range: a private block between /16 and /23 (default `"10.0.0.0/16"`).
   *
   * @example
   * { cidrBlock: "10.20.0.0/16" }
   */
  readonly cidrBlock?: string
  /**
   * How many availability zones to span, 2 or 3 (default 2: the minimum an application
   * load balancer accepts; use 3 for production). Zones are the region's first
   * available ones, Local and Wavelength Zones excluded.
   *
   * @example
   * { azCount: 3 }
   */
  readonly azCount?: 2 | 3
  /**
   * Exact zones to use instead of `azCount` (2 or 3 names in the stack's region).
   *
   * @example
   * { availabilityZones: ["eu-west-1a", "eu-west-1b"] }
   */
  readonly availabilityZones?: ReadonlyArray<string>
  /**
   * How private subnets reach the internet (default `"single"`):
   * - `"none"`: they do not; AWS services are reached through VPC endpoints;
   * - `"single"`: one NAT gateway (in the first AZ) for all — cheap, but an AZ outage
   *   cuts egress for every zone;
   * - `"perAz"`: one NAT gateway per AZ — what production wants.
   *
   * @example
   * { nat: "perAz" }
   */
  readonly nat?: NatMode
  /**
   * AWS services to reach through VPC endpoints. Default: `["s3"]` (a free gateway
   * endpoint that keeps image layer pulls off the NAT), or, with `nat: "none"`,
   * `["s3", "ecr", "logs", "secretsmanager", "ssm"]` — what Fargate tasks need to
   * start without internet access.
   *
   * @example
   * { nat: "none", endpoints: ["s3", "ecr", "logs", "sts"] }
   */
  readonly endpoints?: ReadonlyArray<EndpointService>
  /**
   * Tags for every taggable child (each also gets a `Name`).
   *
   * @example
   * { tags: { team: "payments" } }
   */
  readonly tags?: Tags
  /**
   * Adjust any child before it is created.
   *
   * @example
   * { transform: { vpc: { instanceTenancy: "dedicated" } } }
   */
  readonly transform?: NetworkTransforms
}

/**
 * An existing VPC, described by its ids.
 *
 * @example
 * const existing: ExistingNetworkArgs = {
 *   vpcId: "vpc-0abc123",
 *   publicSubnetIds: ["subnet-0a", "subnet-0b"],
 *   privateSubnetIds: ["subnet-1a", "subnet-1b"],
 * }
 */
export interface ExistingNetworkArgs {
  /** @example { vpcId: "vpc-0abc123" } */
  readonly vpcId: pulumi.Input<string>
  /** At least two, in different AZs (an ALB needs two). @example { publicSubnetIds: ["subnet-0a", "subnet-0b"] } */
  readonly publicSubnetIds: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>
  /** @example { privateSubnetIds: ["subnet-1a", "subnet-1b"] } */
  readonly privateSubnetIds: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>
  /**
   * The VPC's CIDR, when known; otherwise it is looked up (an invoke, not a resource)
   * the first time `cidrBlock` is read.
   *
   * @example
   * { cidrBlock: "172.31.0.0/16" }
   */
  readonly cidrBlock?: pulumi.Input<string>
}

// ---------------------------------------------------------------- the component

const idList = (input: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>): pulumi.Output<Array<string>> =>
  pulumi.output(input as pulumi.Input<Array<pulumi.Input<string>>>)

const TYPE = "slipway:aws:Network"

interface Plan {
  readonly cidr: string
  readonly azCount: number
  readonly zones: ReadonlyArray<string> | undefined
  readonly nat: NatMode
  readonly endpoints: ReadonlyArray<EndpointService>
  readonly publicCidrs: ReadonlyArray<string>
  readonly privateCidrs: ReadonlyArray<string>
}

const plan = (name: string, args: NetworkArgs): Plan => {
  const problems = new ArgProblems(TYPE, name)
  const cidrText = args.cidrBlock ?? "10.0.0.0/16"
  const cidr = checkVpcCidr(problems, cidrText)

  let azCount: number = args.azCount ?? 2
  const zones = args.availabilityZones
  if (zones !== undefined) {
    azCount = zones.length
    if (zones.length < 2 || zones.length > 3) {
      problems.add(
        "availabilityZones",
        `${zones.length} zone(s) given`,
        "give 2 or 3 zone names (an application load balancer needs at least 2)",
      )
    }
    const dup = zones.find((z, i) => zones.indexOf(z) !== i)
    if (dup !== undefined)
      problems.add("availabilityZones", `"${dup}" is listed twice`, "list each zone once")
    if (args.azCount !== undefined && args.azCount !== zones.length) {
      problems.add(
        "azCount",
        `${args.azCount} contradicts the ${zones.length} availabilityZones given`,
        "give one or the other",
      )
    }
  } else if (!Number.isInteger(azCount) || azCount < 2 || azCount > 3) {
    problems.add(
      "azCount",
      `${azCount} is not a supported zone count`,
      "use 2 (the minimum for a load balancer) or 3",
    )
  }

  const nat = args.nat ?? "single"
  if (!["none", "single", "perAz"].includes(nat)) {
    problems.add("nat", `"${nat}" is not a NAT mode`, 'use "none", "single" or "perAz"')
  }

  const endpoints = args.endpoints ?? (nat === "none" ? NO_NAT_ENDPOINTS : ["s3"])
  for (const e of endpoints) {
    if (!ENDPOINT_SERVICES.includes(e)) {
      problems.add(
        "endpoints",
        `"${e}" is not a supported endpoint`,
        `use some of ${ENDPOINT_SERVICES.join(", ")}`,
      )
    }
  }
  problems.throwIfAny()
  const layout = subnetLayout(cidr!, azCount)
  return {
    cidr: formatCidr(cidr!),
    azCount,
    zones,
    nat,
    endpoints: [...new Set(endpoints)],
    publicCidrs: layout.public,
    privateCidrs: layout.private,
  }
}

/**
 * A VPC with public and private subnets over 2–3 availability zones, an internet
 * gateway, route tables, NAT (none, one, or one per zone) and VPC endpoints.
 *
 * Children: `aws:ec2/vpc:Vpc`, one `Subnet` per tier per zone, an `InternetGateway`,
 * a public `RouteTable` with a default route to the gateway, one private `RouteTable`
 * per zone (with a default route to its NAT gateway unless `nat: "none"`), `Eip` +
 * `NatGateway` per NAT, and `VpcEndpoint`s (+ a `SecurityGroup` admitting HTTPS from
 * the VPC for interface endpoints). No subnet assigns public IPs on launch.
 *
 * @example
 * import { Network } from "@slipway/aws"
 *
 * const network = new Network("net", { azCount: 3, nat: "perAz" })
 * export const vpcId = network.vpcId
 * export const privateSubnetIds = network.privateSubnetIds
 *
 * // or adopt a VPC made elsewhere (registers nothing):
 * const existing = Network.fromExisting({
 *   vpcId: "vpc-0abc123",
 *   publicSubnetIds: ["subnet-0a", "subnet-0b"],
 *   privateSubnetIds: ["subnet-1a", "subnet-1b"],
 * })
 */
export class Network extends pulumi.ComponentResource implements NetworkRef {
  readonly vpc: aws.ec2.Vpc
  readonly vpcId: pulumi.Output<string>
  readonly cidrBlock: pulumi.Output<string>
  readonly publicSubnets: ReadonlyArray<aws.ec2.Subnet>
  readonly privateSubnets: ReadonlyArray<aws.ec2.Subnet>
  readonly publicSubnetIds: pulumi.Output<Array<string>>
  readonly privateSubnetIds: pulumi.Output<Array<string>>
  /** The zones used, in subnet order. */
  readonly availabilityZones: pulumi.Output<Array<string>>
  /** Subnet ranges, known at construction (one per zone). */
  readonly publicSubnetCidrs: ReadonlyArray<string>
  readonly privateSubnetCidrs: ReadonlyArray<string>
  readonly natGateways: ReadonlyArray<aws.ec2.NatGateway>
  /** Public IPs private workloads egress from (empty with `nat: "none"`): what to allowlist elsewhere. */
  readonly natPublicIps: pulumi.Output<Array<string>>
  readonly privateRouteTableIds: pulumi.Output<Array<string>>
  readonly endpoints: Readonly<Record<string, aws.ec2.VpcEndpoint>>

  constructor(name: string, args: NetworkArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const p = plan(name, args)
    super(TYPE, name, {}, opts)
    const parent = { parent: this }
    const t = args.transform ?? {}
    const tags = componentTags(TYPE, name, args.tags)

    const zoneNames: ReadonlyArray<pulumi.Output<string>> =
      p.zones !== undefined
        ? p.zones.map((z) => pulumi.output(z))
        : (() => {
            const azs = aws.getAvailabilityZonesOutput(
              { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
              parent,
            )
            return Array.from({ length: p.azCount }, (_, i) =>
              azs.names.apply((names) => {
                if (names.length < p.azCount) {
                  throw new Error(
                    `${TYPE} "${name}": the region has ${names.length} available zone(s) but azCount is ${p.azCount}; lower azCount or pick availabilityZones`,
                  )
                }
                return names[i]!
              }),
            )
          })()

    this.vpc = createChild(
      aws.ec2.Vpc,
      `${name}-vpc`,
      { cidrBlock: p.cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: namedTags(tags, name) },
      parent,
      t.vpc,
    )
    const vpcId = this.vpc.id
    const igw = createChild(
      aws.ec2.InternetGateway,
      `${name}-igw`,
      { vpcId, tags: namedTags(tags, `${name}-igw`) },
      parent,
      t.internetGateway,
    )

    const suffix = (i: number) => String.fromCharCode(97 + i) // a, b, c
    this.publicSubnets = p.publicCidrs.map((cidrBlock, i) =>
      createChild(
        aws.ec2.Subnet,
        `${name}-public-${suffix(i)}`,
        {
          vpcId,
          cidrBlock,
          availabilityZone: zoneNames[i]!,
          // Nothing launched here gets a public IP by accident; load balancers and NAT
          // gateways bring their own addresses.
          mapPublicIpOnLaunch: false,
          tags: namedTags({ ...tags, "slipway:tier": "public" }, `${name}-public-${suffix(i)}`),
        },
        parent,
        t.publicSubnet,
      ),
    )
    this.privateSubnets = p.privateCidrs.map((cidrBlock, i) =>
      createChild(
        aws.ec2.Subnet,
        `${name}-private-${suffix(i)}`,
        {
          vpcId,
          cidrBlock,
          availabilityZone: zoneNames[i]!,
          mapPublicIpOnLaunch: false,
          tags: namedTags({ ...tags, "slipway:tier": "private" }, `${name}-private-${suffix(i)}`),
        },
        parent,
        t.privateSubnet,
      ),
    )

    const publicRt = createChild(
      aws.ec2.RouteTable,
      `${name}-public`,
      { vpcId, tags: namedTags(tags, `${name}-public`) },
      parent,
      t.publicRouteTable,
    )
    // Separate Route resources, not inline routes: the two cannot be mixed on one table.
    createChild(
      aws.ec2.Route,
      `${name}-public-internet`,
      { routeTableId: publicRt.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id },
      parent,
      t.route,
    )
    this.publicSubnets.forEach((subnet, i) => {
      createChild(
        aws.ec2.RouteTableAssociation,
        `${name}-public-${suffix(i)}`,
        { subnetId: subnet.id, routeTableId: publicRt.id },
        parent,
        t.routeTableAssociation,
      )
    })

    const natCount = p.nat === "none" ? 0 : p.nat === "single" ? 1 : p.azCount
    this.natGateways = Array.from({ length: natCount }, (_, i) => {
      const eip = createChild(
        aws.ec2.Eip,
        `${name}-nat-${suffix(i)}`,
        { domain: "vpc", tags: namedTags(tags, `${name}-nat-${suffix(i)}`) },
        { ...parent, dependsOn: [igw] },
        t.eip,
      )
      return createChild(
        aws.ec2.NatGateway,
        `${name}-nat-${suffix(i)}`,
        {
          allocationId: eip.allocationId,
          subnetId: this.publicSubnets[i]!.id,
          connectivityType: "public",
          tags: namedTags(tags, `${name}-nat-${suffix(i)}`),
        },
        { ...parent, dependsOn: [igw] },
        t.natGateway,
      )
    })

    const privateRts = this.privateSubnets.map((subnet, i) => {
      const rt = createChild(
        aws.ec2.RouteTable,
        `${name}-private-${suffix(i)}`,
        { vpcId, tags: namedTags(tags, `${name}-private-${suffix(i)}`) },
        parent,
        t.privateRouteTable,
      )
      const nat = this.natGateways[p.nat === "perAz" ? i : 0]
      if (nat !== undefined) {
        createChild(
          aws.ec2.Route,
          `${name}-private-${suffix(i)}-egress`,
          { routeTableId: rt.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id },
          parent,
          t.route,
        )
      }
      createChild(
        aws.ec2.RouteTableAssociation,
        `${name}-private-${suffix(i)}`,
        { subnetId: subnet.id, routeTableId: rt.id },
        parent,
        t.routeTableAssociation,
      )
      return rt
    })

    const endpoints: Record<string, aws.ec2.VpcEndpoint> = {}
    const interfaceServices = p.endpoints
      .filter((e) => !GATEWAY_ENDPOINTS.includes(e))
      .flatMap((e) => (e === "ecr" ? ["ecr.api", "ecr.dkr"] : [e]))
    const region = aws.getRegionOutput({}, parent).region
    for (const service of p.endpoints.filter((e) => GATEWAY_ENDPOINTS.includes(e))) {
      endpoints[service] = createChild(
        aws.ec2.VpcEndpoint,
        `${name}-${service}`,
        {
          vpcId,
          serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
          vpcEndpointType: "Gateway",
          routeTableIds: privateRts.map((rt) => rt.id),
          tags: namedTags(tags, `${name}-${service}`),
        },
        parent,
        t.endpoint,
      )
    }
    if (interfaceServices.length > 0) {
      const sg = createChild(
        aws.ec2.SecurityGroup,
        `${name}-endpoints`,
        {
          vpcId,
          description: `HTTPS from ${name} to AWS service endpoints`,
          tags: namedTags(tags, `${name}-endpoints`),
        },
        parent,
        t.endpointSecurityGroup,
      )
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-endpoints-https`,
        {
          securityGroupId: sg.id,
          cidrIpv4: p.cidr,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          description: "HTTPS from inside the VPC",
        },
        parent,
      )
      for (const service of interfaceServices) {
        endpoints[service] = createChild(
          aws.ec2.VpcEndpoint,
          `${name}-${service.replace(".", "-")}`,
          {
            vpcId,
            serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: this.privateSubnets.map((s) => s.id),
            securityGroupIds: [sg.id],
            tags: namedTags(tags, `${name}-${service}`),
          },
          parent,
          t.endpoint,
        )
      }
    }

    this.vpcId = vpcId
    this.cidrBlock = this.vpc.cidrBlock
    this.publicSubnetIds = pulumi.all(this.publicSubnets.map((s) => s.id))
    this.privateSubnetIds = pulumi.all(this.privateSubnets.map((s) => s.id))
    this.availabilityZones = pulumi.all([...zoneNames])
    this.publicSubnetCidrs = p.publicCidrs
    this.privateSubnetCidrs = p.privateCidrs
    this.natPublicIps = pulumi.all(this.natGateways.map((n) => n.publicIp))
    this.privateRouteTableIds = pulumi.all(privateRts.map((rt) => rt.id))
    this.endpoints = endpoints
    this.registerOutputs({
      vpcId: this.vpcId,
      cidrBlock: this.cidrBlock,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      availabilityZones: this.availabilityZones,
      natPublicIps: this.natPublicIps,
    })
  }

  /**
   * Adopts an existing VPC: returns its ids in the shape services take, registering
   * nothing. Known subnet lists are checked (two public subnets at least, no repeats).
   *
   * @example
   * import { FargateService, Network } from "@slipway/aws"
   * const network = Network.fromExisting({
   *   vpcId: config.require("vpcId"),
   *   publicSubnetIds: config.requireObject<string[]>("publicSubnetIds"),
   *   privateSubnetIds: config.requireObject<string[]>("privateSubnetIds"),
   * })
   */
  static fromExisting(args: ExistingNetworkArgs, opts?: pulumi.InvokeOptions): NetworkRef {
    const problems = new ArgProblems(TYPE, "fromExisting")
    const vpcId = knownValue(args.vpcId)
    if (typeof vpcId === "string" && !/^vpc-[0-9a-f]+$/.test(vpcId)) {
      problems.add(
        "vpcId",
        `"${vpcId}" is not a VPC id`,
        'pass the id AWS shows, e.g. "vpc-0abc123def4567890"',
      )
    }
    const checkList = (arg: string, input: ExistingNetworkArgs["publicSubnetIds"], min: number) => {
      const list = knownValue(input)
      if (list === undefined) return
      const ids = list.map((s) => knownValue(s)).filter((s): s is string => typeof s === "string")
      if (list.length < min) {
        problems.add(
          arg,
          `${list.length} subnet(s) given`,
          `give at least ${min}, in different availability zones`,
        )
      }
      for (const id of ids) {
        if (!/^subnet-[0-9a-f]+$/.test(id))
          problems.add(arg, `"${id}" is not a subnet id`, 'pass ids like "subnet-0abc123"')
      }
      const dup = ids.find((s, i) => ids.indexOf(s) !== i)
      if (dup !== undefined) problems.add(arg, `"${dup}" is listed twice`, "list each subnet once")
    }
    checkList("publicSubnetIds", args.publicSubnetIds, 2)
    checkList("privateSubnetIds", args.privateSubnetIds, 1)
    problems.throwIfAny()
    const vpc = pulumi.output(args.vpcId)
    let cidr: pulumi.Output<string> | undefined
    return {
      vpcId: vpc,
      publicSubnetIds: idList(args.publicSubnetIds),
      privateSubnetIds: idList(args.privateSubnetIds),
      // Looked up only if someone reads it.
      get cidrBlock() {
        cidr ??=
          args.cidrBlock !== undefined
            ? pulumi.output(args.cidrBlock)
            : aws.ec2.getVpcOutput({ id: vpc }, opts).cidrBlock
        return cidr
      },
    }
  }
}
