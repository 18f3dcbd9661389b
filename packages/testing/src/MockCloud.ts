/**
 * What a fake AWS account answers under `pulumi.runtime.setMocks`: realistic ids, ARNs
 * and computed attributes for the resources Slipway creates, and answers to the invokes
 * its components call. Values are derived from the resource's type and name (never from
 * randomness or the clock), so a program run twice sees the same ids and a test can
 * assert on them.
 */
import { createHash } from "node:crypto"
import type { runtime } from "@pulumi/pulumi"

type MockCallArgs = runtime.MockCallArgs
type MockResourceArgs = runtime.MockResourceArgs

/**
 * The account, region and hosted zones the fake cloud pretends to have.
 *
 * @example
 * const ctx: MockCloudContext = { region: "us-east-1", accountId: "123456789012", zones: new Map(), vpcs: new Map() }
 */
export interface MockCloudContext {
  readonly region: string
  readonly accountId: string
  /** Hosted zones by name (no trailing dot) → zone id; `getZone` by id resolves through it. */
  readonly zones: Map<string, string>
  /** Existing VPCs `getVpc` knows: id → CIDR (unknown ids answer `10.0.0.0/16`). */
  readonly vpcs: Map<string, string>
}

const hex = (seed: string, length: number): string =>
  createHash("sha256").update(seed).digest("hex").slice(0, length)

/** A physical name the way AWS providers auto-name: `<logical>-<7 hex>`. */
const autoName = (name: string, seed: string): string => `${name}-${hex(`name:${seed}`, 7)}`

const uuidFrom = (seed: string): string => {
  const h = hex(`uuid:${seed}`, 32)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

// Canonical hosted zone ids of ALBs per region (what Route 53 alias records point at).
const ALB_ZONE_IDS: Record<string, string> = {
  "us-east-1": "Z35SXDOTRQ7X7K",
  "us-east-2": "Z3AADJGX6KTTL2",
  "us-west-1": "Z368ELLRRE2KJ0",
  "us-west-2": "Z1H1FL5HABSF5",
  "eu-west-1": "Z32O12XQLNTSW2",
  "eu-central-1": "Z215JYRZR1TBD5",
  "ap-southeast-2": "Z1GM3OXH4ZPM65",
}

const stripDot = (name: string): string => name.replace(/\.$/, "")

const zoneIdFor = (ctx: MockCloudContext, zoneName: string): string => {
  const name = stripDot(zoneName)
  const known = ctx.zones.get(name)
  if (known !== undefined) return known
  const id = `Z${hex(`zone:${name}`, 13).toUpperCase()}`
  ctx.zones.set(name, id)
  return id
}

const domainValidationOptions = (domainName: string, sans: ReadonlyArray<string>) =>
  [domainName, ...sans]
    .filter((d, i, all) => all.indexOf(d) === i)
    .map((d) => {
      // ACM gives a wildcard and its apex the same validation record.
      const base = d.replace(/^\*\./, "")
      return {
        domainName: d,
        resourceRecordName: `_${hex(`dvo:${base}`, 32)}.${base}.`,
        resourceRecordType: "CNAME",
        resourceRecordValue: `_${hex(`dvo-value:${base}`, 32)}.acm-validations.aws.`,
      }
    })

/**
 * Computed attributes for a resource, layered under its inputs. `seed` is unique per
 * registration (type, name and occurrence), so ids are stable across runs.
 *
 * @example
 * defaultResourceState({ type: "aws:ec2/vpc:Vpc", name: "main", inputs: { cidrBlock: "10.0.0.0/16" } }, ctx, "seed")
 * // { id: "vpc-0a1b2c3d4e5f60718", arn: "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-…", … }
 */
export const defaultResourceState = (
  args: Pick<MockResourceArgs, "type" | "name" | "inputs" | "id">,
  ctx: MockCloudContext,
  seed: string,
): { id: string; state: Record<string, unknown> } => {
  const { region, accountId } = ctx
  const inputs = (args.inputs ?? {}) as Record<string, unknown>
  // The mock monitor passes "" when nothing is being imported.
  const importId = args.id ? args.id : undefined
  const [, module = "", kind = ""] = args.type.split(":")
  const service = module.split("/")[0] ?? module
  const arnBase = `arn:aws:${service}:${region}:${accountId}`
  const h8 = hex(seed, 8)
  const h17 = hex(seed, 17)
  const physical = typeof inputs.name === "string" ? inputs.name : autoName(args.name, seed)
  const ec2 = (prefix: string, resource: string) => {
    const id = importId ?? `${prefix}-${h17}`
    return { id, state: { arn: `${arnBase}:${resource}/${id}`, ownerId: accountId } }
  }
  switch (args.type) {
    case "aws:ec2/vpc:Vpc": {
      const v = ec2("vpc", "vpc")
      return {
        id: v.id,
        state: {
          ...v.state,
          defaultSecurityGroupId: `sg-${hex(`${seed}:sg`, 17)}`,
          mainRouteTableId: `rtb-${hex(`${seed}:rtb`, 17)}`,
          defaultNetworkAclId: `acl-${hex(`${seed}:acl`, 17)}`,
        },
      }
    }
    case "aws:ec2/subnet:Subnet": {
      const v = ec2("subnet", "subnet")
      return {
        id: v.id,
        state: { ...v.state, availabilityZoneId: `use1-az${(Number.parseInt(h8, 16) % 6) + 1}` },
      }
    }
    case "aws:ec2/internetGateway:InternetGateway":
      return ec2("igw", "internet-gateway")
    case "aws:ec2/routeTable:RouteTable":
      return ec2("rtb", "route-table")
    case "aws:ec2/route:Route":
      return { id: `r-${inputs.routeTableId ?? h8}${hex(`${seed}:r`, 9)}`, state: { state: "active" } }
    case "aws:ec2/routeTableAssociation:RouteTableAssociation":
      return { id: `rtbassoc-${h17}`, state: {} }
    case "aws:ec2/eip:Eip": {
      const n = Number.parseInt(h8, 16)
      return {
        id: `eipalloc-${h17}`,
        state: {
          allocationId: `eipalloc-${h17}`,
          publicIp: `54.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
          arn: `${arnBase}:elastic-ip/eipalloc-${h17}`,
        },
      }
    }
    case "aws:ec2/natGateway:NatGateway":
      return ec2("nat", "natgateway")
    case "aws:ec2/securityGroup:SecurityGroup": {
      const v = ec2("sg", "security-group")
      return { id: v.id, state: { ...v.state, name: physical } }
    }
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
    case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
      return {
        id: `sgr-${h17}`,
        state: { securityGroupRuleId: `sgr-${h17}`, arn: `${arnBase}:security-group-rule/sgr-${h17}` },
      }
    case "aws:ec2/vpcEndpoint:VpcEndpoint":
      return ec2("vpce", "vpc-endpoint")
    case "aws:ec2/launchTemplate:LaunchTemplate": {
      const v = ec2("lt", "launch-template")
      return { id: v.id, state: { ...v.state, latestVersion: 1, defaultVersion: 1, name: physical } }
    }
    case "aws:ec2/instance:Instance": {
      const v = ec2("i", "instance")
      return { id: v.id, state: { ...v.state, privateIp: `10.0.${Number.parseInt(h8, 16) % 250}.10` } }
    }
    case "aws:lb/loadBalancer:LoadBalancer":
    case "aws:alb/loadBalancer:LoadBalancer": {
      const kindPath = inputs.loadBalancerType === "network" ? "net" : "app"
      const short = physical.slice(0, 32)
      const suffix = `${kindPath}/${short}/${hex(seed, 16)}`
      const arn = `arn:aws:elasticloadbalancing:${region}:${accountId}:loadbalancer/${suffix}`
      return {
        id: arn,
        state: {
          arn,
          arnSuffix: suffix,
          name: short,
          dnsName: `${short}-${Number.parseInt(h8, 16)}.${region}.elb.amazonaws.com`,
          zoneId: ALB_ZONE_IDS[region] ?? "Z35SXDOTRQ7X7K",
        },
      }
    }
    case "aws:lb/targetGroup:TargetGroup":
    case "aws:alb/targetGroup:TargetGroup": {
      const short = physical.slice(0, 32)
      const suffix = `targetgroup/${short}/${hex(seed, 16)}`
      const arn = `arn:aws:elasticloadbalancing:${region}:${accountId}:${suffix}`
      return { id: arn, state: { arn, arnSuffix: suffix, name: short } }
    }
    case "aws:lb/listener:Listener":
    case "aws:alb/listener:Listener": {
      const arn = `arn:aws:elasticloadbalancing:${region}:${accountId}:listener/app/${args.name}/${hex(seed, 16)}/${hex(`${seed}:l`, 16)}`
      return { id: arn, state: { arn } }
    }
    case "aws:lb/listenerRule:ListenerRule":
    case "aws:alb/listenerRule:ListenerRule": {
      const arn = `arn:aws:elasticloadbalancing:${region}:${accountId}:listener-rule/app/${args.name}/${hex(seed, 16)}`
      return { id: arn, state: { arn } }
    }
    case "aws:acm/certificate:Certificate": {
      const arn = `arn:aws:acm:${region}:${accountId}:certificate/${uuidFrom(seed)}`
      const domain = String(inputs.domainName ?? "")
      const sans = Array.isArray(inputs.subjectAlternativeNames)
        ? (inputs.subjectAlternativeNames as Array<unknown>).map(String)
        : []
      return {
        id: arn,
        state: {
          arn,
          status: "ISSUED",
          domainValidationOptions: domain ? domainValidationOptions(domain, sans) : [],
        },
      }
    }
    case "aws:acm/certificateValidation:CertificateValidation":
      return { id: String(inputs.certificateArn ?? h17), state: {} }
    case "aws:route53/zone:Zone": {
      const zoneId = zoneIdFor(ctx, String(inputs.name ?? args.name))
      return {
        id: zoneId,
        state: {
          zoneId,
          arn: `arn:aws:route53:::hostedzone/${zoneId}`,
          nameServers: [1, 2, 3, 4].map((i) => `ns-${i}.awsdns-${hex(`${seed}:${i}`, 2)}.net`),
        },
      }
    }
    case "aws:route53/record:Record": {
      const name = stripDot(String(inputs.name ?? args.name))
      return {
        id: `${inputs.zoneId}_${name}_${inputs.type}`,
        state: { fqdn: name },
      }
    }
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { id: physical, state: { name: physical, arn: `${arnBase}:alarm:${physical}` } }
    case "aws:cloudwatch/dashboard:Dashboard": {
      const name = String(inputs.dashboardName ?? physical)
      return { id: name, state: { dashboardArn: `arn:aws:cloudwatch::${accountId}:dashboard/${name}` } }
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return {
        id: physical,
        state: { name: physical, arn: `arn:aws:logs:${region}:${accountId}:log-group:${physical}` },
      }
    case "aws:ecr/repository:Repository":
      return {
        id: physical,
        state: {
          name: physical,
          arn: `${arnBase}:repository/${physical}`,
          registryId: accountId,
          repositoryUrl: `${accountId}.dkr.ecr.${region}.amazonaws.com/${physical}`,
        },
      }
    case "aws:ecr/lifecyclePolicy:LifecyclePolicy":
      return { id: String(inputs.repository ?? physical), state: { registryId: accountId } }
    case "docker-build:index:Image": {
      const digest = `sha256:${createHash("sha256").update(JSON.stringify(inputs)).digest("hex")}`
      const tags = Array.isArray(inputs.tags) ? (inputs.tags as Array<unknown>).map(String) : []
      const repo = (tags[0] ?? `${args.name}`).replace(/:[^:/@]+$/, "")
      return {
        id: `${args.name}-${hex(seed, 12)}`,
        state: { digest, ref: `${repo}@${digest}`, contextHash: hex(`${seed}:ctx`, 64) },
      }
    }
    case "aws:ecs/cluster:Cluster":
      return {
        id: `${arnBase}:cluster/${physical}`,
        state: { name: physical, arn: `${arnBase}:cluster/${physical}` },
      }
    case "aws:ecs/taskDefinition:TaskDefinition": {
      const family = String(inputs.family ?? physical)
      return {
        id: family,
        state: {
          arn: `${arnBase}:task-definition/${family}:1`,
          arnWithoutRevision: `${arnBase}:task-definition/${family}`,
          revision: 1,
        },
      }
    }
    case "aws:ecs/service:Service":
      return { id: `${arnBase}:service/${physical}`, state: { name: physical } }
    case "aws:iam/role:Role":
      return {
        id: physical,
        state: {
          name: physical,
          arn: `arn:aws:iam::${accountId}:role/${physical}`,
          uniqueId: `AROA${h17.toUpperCase()}`,
        },
      }
    case "aws:iam/policy:Policy":
      return {
        id: `arn:aws:iam::${accountId}:policy/${physical}`,
        state: {
          name: physical,
          arn: `arn:aws:iam::${accountId}:policy/${physical}`,
          policyId: `ANPA${h17.toUpperCase()}`,
        },
      }
    case "aws:iam/instanceProfile:InstanceProfile":
      return {
        id: physical,
        state: { name: physical, arn: `arn:aws:iam::${accountId}:instance-profile/${physical}` },
      }
    case "aws:lambda/function:Function": {
      const arn = `arn:aws:lambda:${region}:${accountId}:function:${physical}`
      const version = inputs.publish === true ? "1" : "$LATEST"
      return {
        id: physical,
        state: {
          name: physical,
          arn,
          version,
          qualifiedArn: `${arn}:${version}`,
          invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
          sourceCodeHash: hex(`${seed}:code`, 44),
        },
      }
    }
    case "aws:lambda/alias:Alias": {
      const arn = `arn:aws:lambda:${region}:${accountId}:function:${inputs.functionName}:${inputs.name}`
      return {
        id: arn,
        state: {
          arn,
          invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
        },
      }
    }
    case "aws:lambda/functionUrl:FunctionUrl":
      return {
        id: String(inputs.functionName ?? physical),
        state: { functionUrl: `https://${hex(seed, 32)}.lambda-url.${region}.on.aws/`, urlId: hex(seed, 32) },
      }
    case "aws:apigatewayv2/api:Api":
      return {
        id: hex(seed, 10),
        state: {
          apiEndpoint: `https://${hex(seed, 10)}.execute-api.${region}.amazonaws.com`,
          arn: `arn:aws:apigateway:${region}::/apis/${hex(seed, 10)}`,
        },
      }
    case "aws:apigatewayv2/domainName:DomainName":
      return {
        id: String(inputs.domainName ?? physical),
        state: {
          domainNameConfiguration: {
            ...((inputs.domainNameConfiguration as Record<string, unknown>) ?? {}),
            targetDomainName: `d-${hex(seed, 10)}.execute-api.${region}.amazonaws.com`,
            hostedZoneId: "Z1UJRXOUMOOFQ8",
          },
        },
      }
    case "aws:autoscaling/group:Group":
      return {
        id: physical,
        state: {
          name: physical,
          arn: `arn:aws:autoscaling:${region}:${accountId}:autoScalingGroup:${uuidFrom(seed)}:autoScalingGroupName/${physical}`,
        },
      }
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      const bucket = String(inputs.bucket ?? physical).toLowerCase()
      return {
        id: bucket,
        state: {
          bucket,
          arn: `arn:aws:s3:::${bucket}`,
          bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
        },
      }
    }
    case "aws:sns/topic:Topic":
      return { id: `${arnBase}:${physical}`, state: { name: physical, arn: `${arnBase}:${physical}` } }
    default: {
      // Any other resource: a stable id and an ARN in its service's namespace.
      const resource = kind.charAt(0).toLowerCase() + kind.slice(1)
      return { id: importId ?? `${args.name}-${h8}`, state: { arn: `${arnBase}:${resource}/${physical}` } }
    }
  }
}

/**
 * Thrown when a program calls an invoke the fake cloud cannot answer; names the option to add.
 *
 * @example
 * await runPulumiProgram(program, { calls: (args) => (args.token === "aws:ec2/getAmi:getAmi" ? { id: "ami-0123" } : undefined) })
 */
export class UnmockedInvoke extends Error {
  constructor(token: string) {
    super(
      `no mock answer for invoke ${token}; pass \`calls: (args) => args.token === "${token}" ? { … } : undefined\` to runPulumiProgram`,
    )
    this.name = "UnmockedInvoke"
  }
}

type Statement = {
  readonly sid?: string
  readonly effect?: string
  readonly actions?: ReadonlyArray<string>
  readonly notActions?: ReadonlyArray<string>
  readonly resources?: ReadonlyArray<string>
  readonly notResources?: ReadonlyArray<string>
  readonly principals?: ReadonlyArray<{ type: string; identifiers: ReadonlyArray<string> }>
  readonly conditions?: ReadonlyArray<{ test: string; variable: string; values: ReadonlyArray<string> }>
}

const one = <A>(xs: ReadonlyArray<A>): A | ReadonlyArray<A> => (xs.length === 1 ? xs[0]! : xs)

// aws.iam.getPolicyDocument, as the provider renders it: the JSON IAM reads.
const policyDocument = (statements: ReadonlyArray<Statement>): string =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => {
      const out: Record<string, unknown> = {}
      if (s.sid) out.Sid = s.sid
      out.Effect = s.effect ?? "Allow"
      if (s.actions?.length) out.Action = one(s.actions)
      if (s.notActions?.length) out.NotAction = one(s.notActions)
      if (s.resources?.length) out.Resource = one(s.resources)
      if (s.notResources?.length) out.NotResource = one(s.notResources)
      if (s.principals?.length) {
        const principal: Record<string, unknown> = {}
        for (const p of s.principals) principal[p.type] = one(p.identifiers)
        out.Principal = principal
      }
      if (s.conditions?.length) {
        const condition: Record<string, Record<string, unknown>> = {}
        for (const c of s.conditions) {
          condition[c.test] = { ...(condition[c.test] ?? {}), [c.variable]: one(c.values) }
        }
        out.Condition = condition
      }
      return out
    }),
  })

/**
 * Answers for the invokes Slipway's components and typical programs call; `undefined`
 * for anything else.
 *
 * @example
 * defaultCallResult({ token: "aws:index/getAvailabilityZones:getAvailabilityZones", inputs: {} }, ctx)
 * // { names: ["us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: [...], state: "available", ... }
 */
export const defaultCallResult = (
  args: Pick<MockCallArgs, "token" | "inputs">,
  ctx: MockCloudContext,
): Record<string, unknown> | undefined => {
  const { region, accountId } = ctx
  const inputs = (args.inputs ?? {}) as Record<string, unknown>
  switch (args.token) {
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      const letters = ["a", "b", "c"]
      return {
        id: region,
        region,
        names: letters.map((l) => `${region}${l}`),
        zoneIds: letters.map((_, i) => `${region.replace(/-/g, "").slice(0, 4)}-az${i + 1}`),
        groupNames: [region],
        state: inputs.state ?? "available",
      }
    }
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        id: accountId,
        accountId,
        arn: `arn:aws:iam::${accountId}:user/slipway-test`,
        userId: "AIDASLIPWAYTEST",
      }
    case "aws:index/getRegion:getRegion":
      return {
        id: region,
        name: region,
        region,
        endpoint: `ec2.${region}.amazonaws.com`,
        description: region,
      }
    case "aws:index/getPartition:getPartition":
      return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" }
    case "aws:ec2/getVpc:getVpc": {
      const id = String(inputs.id ?? "vpc-0default0000000")
      return {
        id,
        arn: `arn:aws:ec2:${region}:${accountId}:vpc/${id}`,
        cidrBlock: ctx.vpcs.get(id) ?? "10.0.0.0/16",
        default: inputs.default === true,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        ownerId: accountId,
        region,
        state: "available",
        mainRouteTableId: `rtb-${hex(`main:${id}`, 17)}`,
        tags: {},
      }
    }
    case "aws:route53/getZone:getZone": {
      let name: string
      let zoneId: string
      if (typeof inputs.zoneId === "string") {
        zoneId = inputs.zoneId
        const found = [...ctx.zones.entries()].find(([, id]) => id === zoneId)
        if (found === undefined) {
          throw new Error(
            `no hosted zone with id ${zoneId}; pass \`zones: { "example.com": "${zoneId}" }\` to runPulumiProgram`,
          )
        }
        name = found[0]
      } else {
        name = stripDot(String(inputs.name ?? ""))
        zoneId = zoneIdFor(ctx, name)
      }
      return {
        id: zoneId,
        zoneId,
        name,
        arn: `arn:aws:route53:::hostedzone/${zoneId}`,
        privateZone: inputs.privateZone === true,
        nameServers: [1, 2, 3, 4].map((i) => `ns-${i}.awsdns-0${i}.net`),
        primaryNameServer: "ns-1.awsdns-01.net",
        resourceRecordSetCount: 2,
        callerReference: hex(name, 12),
        comment: "",
        linkedServiceDescription: "",
        linkedServicePrincipal: "",
        tags: {},
      }
    }
    case "aws:iam/getPolicyDocument:getPolicyDocument": {
      const json = policyDocument((inputs.statements as ReadonlyArray<Statement> | undefined) ?? [])
      return { id: hex(json, 10), json, minifiedJson: json }
    }
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return {
        id: region,
        authorizationToken: Buffer.from("AWS:mock-password").toString("base64"),
        userName: "AWS",
        password: "mock-password",
        proxyEndpoint: `https://${accountId}.dkr.ecr.${region}.amazonaws.com`,
        expiresAt: "2099-01-01T00:00:00Z",
      }
    default:
      return undefined
  }
}
