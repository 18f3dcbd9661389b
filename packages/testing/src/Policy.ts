/**
 * The stack policy check list: security rules every Slipway stack (and every template)
 * must pass, evaluated over the resources a program registered under mocks. Each rule
 * looks at provider inputs exactly as AWS would receive them, and a violation names the
 * rule, the resource and the fix.
 */

/** Provider inputs: arbitrary JSON, read field by field by the rules. */
// biome-ignore lint/suspicious/noExplicitAny: provider inputs are untyped JSON; rules probe them defensively
type Json = any

/**
 * The minimum a check needs to know about a resource (`ResourceRecord` satisfies it).
 *
 * @example
 * checkPolicies([{ type: "aws:cloudwatch/logGroup:LogGroup", name: "app", inputs: { retentionInDays: 30 } }]) // []
 */
export interface PolicyResource {
  readonly type: string
  readonly name: string
  readonly inputs: Record<string, Json>
  readonly outputs?: Record<string, Json>
  readonly id?: string | undefined
  /** Input paths that were Pulumi secrets (encrypted in state). */
  readonly secretPaths?: ReadonlyArray<string>
  readonly custom?: boolean
}

/**
 * The rules, by id.
 *
 * @example
 * const rule: PolicyRuleId = "imdsv2-required"
 */
export type PolicyRuleId =
  | "no-public-ingress"
  | "ecs-private-tasks"
  | "no-public-instances"
  | "imdsv2-required"
  | "alb-https-only"
  | "iam-no-admin-wildcard"
  | "log-retention"
  | "encrypted-storage"
  | "ecr-scan-on-push"
  | "no-plaintext-secrets"

/**
 * One broken rule: which, where (`"<type> <name>"`) and what to change.
 *
 * @example
 * // { rule: "log-retention", resource: "aws:cloudwatch/logGroup:LogGroup app", message: "retentionInDays is not set, …" }
 * for (const v of checkPolicies(run.resources)) console.log(`[${v.rule}] ${v.resource}: ${v.message}`)
 */
export interface PolicyViolation {
  readonly rule: PolicyRuleId
  readonly resource: string
  readonly message: string
}

/**
 * A rule of the check list.
 *
 * @example
 * const noDefaultVpc: PolicyRule = {
 *   id: "no-public-instances",
 *   description: "instances never use the default VPC",
 *   check: (stack) => stack.ofType("aws:ec2/instance:Instance").filter((i) => i.inputs.subnetId === undefined)
 *     .map((i) => ({ rule: "no-public-instances", resource: `${i.type} ${i.name}`, message: "set subnetId" })),
 * }
 */
export interface PolicyRule {
  readonly id: PolicyRuleId
  /** One line: what the rule requires. */
  readonly description: string
  readonly check: (stack: StackIndex) => ReadonlyArray<PolicyViolation>
}

/**
 * A deliberate, documented exception to a rule.
 *
 * @example
 * checkPolicies(run.resources, {
 *   exceptions: [{ rule: "no-public-ingress", resource: "aws:ec2/securityGroup:SecurityGroup bastion", reason: "IP-restricted by NACL" }],
 * })
 */
export interface PolicyException {
  readonly rule: PolicyRuleId
  /** `"<type> <name>"`; omitted means every resource. */
  readonly resource?: string
  /** Why the exception is safe — required so reviews can see it. */
  readonly reason: string
}

// ---------------------------------------------------------------- type tokens

const T = {
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  ecsService: "aws:ecs/service:Service",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  instance: "aws:ec2/instance:Instance",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  subnet: "aws:ec2/subnet:Subnet",
  igw: "aws:ec2/internetGateway:InternetGateway",
  routeTable: "aws:ec2/routeTable:RouteTable",
  route: "aws:ec2/route:Route",
  routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  loadBalancers: ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
  listeners: ["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
  listenerRules: ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"],
  iamDocuments: [
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
  ],
  role: "aws:iam/role:Role",
  attachments: [
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
  ],
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  ebsVolume: "aws:ebs/volume:Volume",
  ebsDefault: "aws:ebs/encryptionByDefault:EncryptionByDefault",
  buckets: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  bucketSse: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  ecrRepository: "aws:ecr/repository:Repository",
  ecrRegistryScanning: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
} as const

// ---------------------------------------------------------------- the stack, indexed

/**
 * The resources of a stack with the cross-resource facts rules need.
 *
 * @example
 * const stack = new StackIndex(run.resources)
 * stack.publicSubnets.has("subnet-0abc") // true when routed to an internet gateway
 */
export class StackIndex {
  readonly resources: ReadonlyArray<PolicyResource>
  /** Ids of security groups attached to an application load balancer. */
  readonly albSecurityGroups: ReadonlySet<string>
  /** Ids of subnets routed to an internet gateway or giving instances public IPs. */
  readonly publicSubnets: ReadonlySet<string>

  constructor(resources: ReadonlyArray<PolicyResource>) {
    this.resources = resources
    const albSgs = new Set<string>()
    for (const lb of this.ofType(...T.loadBalancers)) {
      if (isAlb(lb)) for (const sg of strings(lb.inputs.securityGroups)) albSgs.add(sg)
    }
    this.albSecurityGroups = albSgs

    const igws = new Set(this.ofType(T.igw).map(idOf))
    const publicTables = new Set<string>()
    for (const rt of this.ofType(T.routeTable)) {
      for (const route of arr(rt.inputs.routes)) {
        if (igws.has(String(route?.gatewayId))) publicTables.add(idOf(rt))
      }
    }
    for (const route of this.ofType(T.route)) {
      if (igws.has(String(route.inputs.gatewayId))) publicTables.add(String(route.inputs.routeTableId))
    }
    const pub = new Set<string>()
    for (const assoc of this.ofType(T.routeTableAssociation)) {
      if (publicTables.has(String(assoc.inputs.routeTableId)) && assoc.inputs.subnetId !== undefined) {
        pub.add(String(assoc.inputs.subnetId))
      }
    }
    for (const subnet of this.ofType(T.subnet))
      if (subnet.inputs.mapPublicIpOnLaunch === true) pub.add(idOf(subnet))
    this.publicSubnets = pub
  }

  ofType(...types: ReadonlyArray<string>): ReadonlyArray<PolicyResource> {
    return this.resources.filter((r) => types.includes(r.type))
  }
}

// ---------------------------------------------------------------- helpers

const label = (r: PolicyResource): string => `${r.type} ${r.name}`
const violation = (rule: PolicyRuleId, r: PolicyResource, message: string): PolicyViolation => ({
  rule,
  resource: label(r),
  message,
})
const idOf = (r: PolicyResource): string => String(r.id ?? r.outputs?.id ?? "")
const arnOf = (r: PolicyResource): string => String(r.outputs?.arn ?? r.id ?? "")
const arr = (v: unknown): ReadonlyArray<Json> =>
  Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]
const strings = (v: unknown): ReadonlyArray<string> => arr(v).map(String)
const isTrue = (v: unknown): boolean => v === true || v === "true"
const isAlb = (lb: PolicyResource): boolean =>
  lb.inputs.loadBalancerType === undefined || lb.inputs.loadBalancerType === "application"

const WORLD = ["0.0.0.0/0", "::/0"]
const isTcp = (protocol: unknown) => protocol === "tcp" || protocol === "6" || protocol === 6

// ---------------------------------------------------------------- rules

const publicIngress: PolicyRule = {
  id: "no-public-ingress",
  description:
    "no security group admits 0.0.0.0/0 or ::/0, except an ALB's security group on port 80 or 443 (TCP)",
  check: (stack) => {
    const out: Array<PolicyViolation> = []
    const judge = (
      r: PolicyResource,
      sgId: string,
      cidrs: ReadonlyArray<string>,
      from: unknown,
      to: unknown,
      protocol: unknown,
    ) => {
      const open = cidrs.filter((c) => WORLD.includes(c))
      if (open.length === 0) return
      const webPort = from === to && (from === 80 || from === 443) && isTcp(protocol)
      if (webPort && stack.albSecurityGroups.has(sgId)) return
      const ports =
        protocol === "-1" || protocol === "all"
          ? "all ports"
          : from === to
            ? `port ${from}`
            : `ports ${from}-${to}`
      out.push(
        violation(
          "no-public-ingress",
          r,
          `ingress from ${open.join(", ")} on ${ports}; only an application load balancer's security group may be open to the internet, and only on 80/443 — admit the load balancer's security group (or a narrower CIDR) instead`,
        ),
      )
    }
    for (const sg of stack.ofType(T.securityGroup)) {
      for (const rule of arr(sg.inputs.ingress)) {
        judge(
          sg,
          idOf(sg),
          [...strings(rule?.cidrBlocks), ...strings(rule?.ipv6CidrBlocks)],
          rule?.fromPort,
          rule?.toPort,
          rule?.protocol,
        )
      }
    }
    for (const rule of stack.ofType(T.securityGroupRule)) {
      if (rule.inputs.type !== "ingress") continue
      judge(
        rule,
        String(rule.inputs.securityGroupId),
        [...strings(rule.inputs.cidrBlocks), ...strings(rule.inputs.ipv6CidrBlocks)],
        rule.inputs.fromPort,
        rule.inputs.toPort,
        rule.inputs.protocol,
      )
    }
    for (const rule of stack.ofType(T.ingressRule)) {
      judge(
        rule,
        String(rule.inputs.securityGroupId),
        [...strings(rule.inputs.cidrIpv4), ...strings(rule.inputs.cidrIpv6)],
        rule.inputs.fromPort,
        rule.inputs.toPort,
        rule.inputs.ipProtocol,
      )
    }
    return out
  },
}

const ecsPrivateTasks: PolicyRule = {
  id: "ecs-private-tasks",
  description: "ECS services run tasks in private subnets without public IPs",
  check: (stack) =>
    stack.ofType(T.ecsService).flatMap((svc) => {
      const net = svc.inputs.networkConfiguration
      const out: Array<PolicyViolation> = []
      if (isTrue(net?.assignPublicIp)) {
        out.push(
          violation(
            "ecs-private-tasks",
            svc,
            "networkConfiguration.assignPublicIp is true; set it to false and run tasks in private subnets (egress through NAT or VPC endpoints)",
          ),
        )
      }
      const publicOnes = strings(net?.subnets).filter((s) => stack.publicSubnets.has(s))
      if (publicOnes.length > 0) {
        out.push(
          violation(
            "ecs-private-tasks",
            svc,
            `networkConfiguration.subnets includes public subnet(s) ${publicOnes.join(", ")}; use the network's private subnets`,
          ),
        )
      }
      return out
    }),
}

const publicInstances: PolicyRule = {
  id: "no-public-instances",
  description:
    "EC2 instances, launch templates and Auto Scaling groups use private subnets and no public IPs",
  check: (stack) => {
    const out: Array<PolicyViolation> = []
    const inPublic = (subnets: ReadonlyArray<string>) => subnets.filter((s) => stack.publicSubnets.has(s))
    for (const i of stack.ofType(T.instance)) {
      if (isTrue(i.inputs.associatePublicIpAddress)) {
        out.push(violation("no-public-instances", i, "associatePublicIpAddress is true; set it to false"))
      }
      const pub = inPublic(strings(i.inputs.subnetId))
      if (pub.length > 0) {
        out.push(
          violation("no-public-instances", i, `subnetId ${pub[0]} is a public subnet; use a private subnet`),
        )
      }
    }
    for (const lt of stack.ofType(T.launchTemplate)) {
      arr(lt.inputs.networkInterfaces).forEach((ni, n) => {
        if (isTrue(ni?.associatePublicIpAddress)) {
          out.push(
            violation(
              "no-public-instances",
              lt,
              `networkInterfaces[${n}].associatePublicIpAddress is "true"; set it to "false"`,
            ),
          )
        }
        const pub = inPublic(strings(ni?.subnetId))
        if (pub.length > 0) {
          out.push(
            violation(
              "no-public-instances",
              lt,
              `networkInterfaces[${n}].subnetId ${pub[0]} is a public subnet`,
            ),
          )
        }
      })
    }
    for (const asg of stack.ofType(T.asg)) {
      const pub = inPublic(strings(asg.inputs.vpcZoneIdentifiers))
      if (pub.length > 0) {
        out.push(
          violation(
            "no-public-instances",
            asg,
            `vpcZoneIdentifiers includes public subnet(s) ${pub.join(", ")}; use the network's private subnets`,
          ),
        )
      }
    }
    return out
  },
}

const imdsv2: PolicyRule = {
  id: "imdsv2-required",
  description: 'instances and launch templates require IMDSv2 (metadataOptions.httpTokens = "required")',
  check: (stack) =>
    stack.ofType(T.instance, T.launchTemplate).flatMap((r) => {
      const md = r.inputs.metadataOptions
      if (md?.httpEndpoint === "disabled" || md?.httpTokens === "required") return []
      return [
        violation(
          "imdsv2-required",
          r,
          `metadataOptions.httpTokens is ${md?.httpTokens === undefined ? "not set (IMDSv1 allowed)" : `"${md.httpTokens}"`}; set metadataOptions: { httpTokens: "required" }`,
        ),
      ]
    }),
}

const isHttpsRedirect = (action: Json): boolean =>
  action?.type === "redirect" && String(action?.redirect?.protocol ?? "").toUpperCase() === "HTTPS"

const albHttps: PolicyRule = {
  id: "alb-https-only",
  description:
    "every application load balancer has an HTTPS listener, and any HTTP listener only redirects to HTTPS",
  check: (stack) => {
    const out: Array<PolicyViolation> = []
    const listeners = stack.ofType(...T.listeners)
    const protocolOf = (l: PolicyResource) =>
      String(l.inputs.protocol ?? (l.inputs.certificateArn ? "HTTPS" : "HTTP")).toUpperCase()
    for (const lb of stack.ofType(...T.loadBalancers)) {
      if (!isAlb(lb)) continue
      const own = listeners.filter((l) => String(l.inputs.loadBalancerArn) === arnOf(lb))
      if (!own.some((l) => protocolOf(l) === "HTTPS")) {
        out.push(
          violation(
            "alb-https-only",
            lb,
            "has no HTTPS listener; add a listener with protocol HTTPS on 443 and an ACM certificate",
          ),
        )
      }
    }
    const httpListenerArns = new Set<string>()
    for (const l of listeners) {
      if (protocolOf(l) !== "HTTP") continue
      httpListenerArns.add(arnOf(l))
      const actions = arr(l.inputs.defaultActions)
      if (actions.length === 0 || !actions.every(isHttpsRedirect)) {
        out.push(
          violation(
            "alb-https-only",
            l,
            'is an HTTP listener that does not redirect to HTTPS; set defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]',
          ),
        )
      }
    }
    for (const rule of stack.ofType(...T.listenerRules)) {
      if (!httpListenerArns.has(String(rule.inputs.listenerArn))) continue
      if (!arr(rule.inputs.actions).every(isHttpsRedirect)) {
        out.push(
          violation(
            "alb-https-only",
            rule,
            "serves plain HTTP: it is a rule on an HTTP listener whose action is not a redirect to HTTPS; attach it to the HTTPS listener",
          ),
        )
      }
    }
    return out
  },
}

const ADMIN_POLICIES = [
  "arn:aws:iam::aws:policy/AdministratorAccess",
  "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
]

/** Statements allowing every action on every resource, from an IAM policy document. */
const adminStatements = (document: unknown): { invalid: boolean; sids: ReadonlyArray<string> } => {
  let doc: Json = document
  if (typeof document === "string") {
    try {
      doc = JSON.parse(document)
    } catch {
      return { invalid: true, sids: [] }
    }
  }
  const sids: Array<string> = []
  arr(doc?.Statement).forEach((s: Json, i) => {
    if (s?.Effect !== "Allow") return
    const actions = strings(s.Action)
    const resources = strings(s.Resource)
    if (actions.some((a) => a === "*" || a === "*:*") && resources.includes("*"))
      sids.push(s.Sid ?? `Statement[${i}]`)
  })
  return { invalid: false, sids }
}

const iamAdmin: PolicyRule = {
  id: "iam-no-admin-wildcard",
  description: 'no IAM policy allows Action "*" on Resource "*" (least privilege)',
  check: (stack) => {
    const out: Array<PolicyViolation> = []
    const judge = (r: PolicyResource, where: string, document: unknown) => {
      if (document === undefined || document === null) return
      const { invalid, sids } = adminStatements(document)
      if (invalid) out.push(violation("iam-no-admin-wildcard", r, `${where} is not valid JSON`))
      for (const sid of sids) {
        out.push(
          violation(
            "iam-no-admin-wildcard",
            r,
            `${where} ${sid} allows Action "*" on Resource "*"; list the actions and resources the workload needs`,
          ),
        )
      }
    }
    for (const r of stack.ofType(...T.iamDocuments)) judge(r, "policy", r.inputs.policy)
    for (const role of stack.ofType(T.role)) {
      arr(role.inputs.inlinePolicies).forEach((p, i) => {
        judge(role, `inlinePolicies[${i}]`, p?.policy)
      })
      for (const arn of strings(role.inputs.managedPolicyArns)) {
        if (ADMIN_POLICIES.includes(arn)) {
          out.push(
            violation(
              "iam-no-admin-wildcard",
              role,
              `managedPolicyArns includes ${arn}; grant only what is needed`,
            ),
          )
        }
      }
    }
    for (const a of stack.ofType(...T.attachments)) {
      if (ADMIN_POLICIES.includes(String(a.inputs.policyArn))) {
        out.push(
          violation("iam-no-admin-wildcard", a, `attaches ${a.inputs.policyArn}; grant only what is needed`),
        )
      }
    }
    return out
  },
}

const logRetention: PolicyRule = {
  id: "log-retention",
  description: "every CloudWatch log group sets retentionInDays",
  check: (stack) =>
    stack
      .ofType(T.logGroup)
      .filter((g) => !(typeof g.inputs.retentionInDays === "number" && g.inputs.retentionInDays > 0))
      .map((g) =>
        violation(
          "log-retention",
          g,
          "retentionInDays is not set, so logs are kept (and billed) forever; set e.g. 30",
        ),
      ),
}

const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"]

const encryptedStorage: PolicyRule = {
  id: "encrypted-storage",
  description:
    "EBS volumes (instances, launch templates, volumes) are encrypted; S3 encryption, where set, is AES256 or KMS",
  check: (stack) => {
    const out: Array<PolicyViolation> = []
    const accountDefault = stack.ofType(T.ebsDefault).some((r) => r.inputs.enabled !== false)
    for (const lt of stack.ofType(T.launchTemplate)) {
      const mappings = arr(lt.inputs.blockDeviceMappings).filter((m) => m?.ebs !== undefined)
      if (mappings.length === 0 && !accountDefault) {
        out.push(
          violation(
            "encrypted-storage",
            lt,
            'does not encrypt its root volume; add blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3" } }]',
          ),
        )
      }
      for (const m of mappings) {
        if (!isTrue(m.ebs.encrypted)) {
          out.push(
            violation(
              "encrypted-storage",
              lt,
              `blockDeviceMappings ${m.deviceName ?? ""} ebs.encrypted is not "true"; set it`,
            ),
          )
        }
      }
    }
    for (const i of stack.ofType(T.instance)) {
      if (!isTrue(i.inputs.rootBlockDevice?.encrypted) && !accountDefault) {
        out.push(
          violation(
            "encrypted-storage",
            i,
            "rootBlockDevice.encrypted is not true; set rootBlockDevice: { encrypted: true }",
          ),
        )
      }
      for (const d of arr(i.inputs.ebsBlockDevices)) {
        if (!isTrue(d?.encrypted) && !accountDefault) {
          out.push(
            violation(
              "encrypted-storage",
              i,
              `ebsBlockDevices ${d?.deviceName ?? ""} is not encrypted; set encrypted: true`,
            ),
          )
        }
      }
    }
    for (const v of stack.ofType(T.ebsVolume)) {
      if (!isTrue(v.inputs.encrypted) && !accountDefault) {
        out.push(violation("encrypted-storage", v, "encrypted is not true; set encrypted: true"))
      }
    }
    const badAlgorithm = (rule: Json) => {
      const alg = rule?.applyServerSideEncryptionByDefault?.sseAlgorithm
      return alg === undefined || !SSE_ALGORITHMS.includes(String(alg))
    }
    for (const b of stack.ofType(...T.buckets)) {
      const sse = b.inputs.serverSideEncryptionConfiguration
      if (sse !== undefined && arr(sse.rule ?? sse.rules).some(badAlgorithm)) {
        out.push(
          violation(
            "encrypted-storage",
            b,
            `serverSideEncryptionConfiguration must use one of ${SSE_ALGORITHMS.join(", ")}`,
          ),
        )
      }
    }
    for (const c of stack.ofType(...T.bucketSse)) {
      const rules = arr(c.inputs.rules)
      if (rules.length === 0 || rules.some(badAlgorithm)) {
        out.push(
          violation(
            "encrypted-storage",
            c,
            `rules must apply one of ${SSE_ALGORITHMS.join(", ")} by default`,
          ),
        )
      }
    }
    return out
  },
}

const ecrScanOnPush: PolicyRule = {
  id: "ecr-scan-on-push",
  description: "ECR repositories scan images on push",
  check: (stack) => {
    const registryScans = stack
      .ofType(T.ecrRegistryScanning)
      .some((r) =>
        arr(r.inputs.rules).some(
          (rule) => rule?.scanFrequency === "SCAN_ON_PUSH" || rule?.scanFrequency === "CONTINUOUS_SCAN",
        ),
      )
    if (registryScans) return []
    return stack
      .ofType(T.ecrRepository)
      .filter((r) => r.inputs.imageScanningConfiguration?.scanOnPush !== true)
      .map((r) =>
        violation("ecr-scan-on-push", r, "imageScanningConfiguration.scanOnPush is not true; set it"),
      )
  },
}

// Names that hold a secret, matched at the END of the name once case and separators are
// dropped, so references and settings (`secretArn`, `httpTokens`, `passwordLength`,
// `tokenUrl`) do not count.
const SECRET_NAME =
  /(password|passwd|passphrase|secret|secretkey|secretstring|secretbinary|token|apikey|privatekey|accesskey|credential|credentials)$/

/**
 * True when a key or environment variable name suggests a secret (`DB_PASSWORD`,
 * `apiKey`, `STRIPE_SECRET_KEY`, `authToken`) — and not a reference to one (`secretArn`).
 *
 * @example
 * import { looksLikeSecretName } from "@slipway/testing"
 * looksLikeSecretName("DB_PASSWORD") // true
 * looksLikeSecretName("secretArn") // false
 */
export const looksLikeSecretName = (name: string): boolean =>
  SECRET_NAME.test(name.toLowerCase().replace(/[^a-z0-9]/g, ""))

// Values that point at a secret instead of holding one.
const isReference = (value: string): boolean =>
  value.startsWith("arn:") ||
  value.startsWith("{{resolve:") ||
  value.startsWith("${") ||
  value.startsWith("ssm:")

const plaintextSecrets: PolicyRule = {
  id: "no-plaintext-secrets",
  description:
    "no secret-looking input (password, secret, token, apiKey…) holds a literal string; container environments use `secrets` (valueFrom) instead",
  check: (stack) => {
    const out: Array<PolicyViolation> = []
    for (const r of stack.resources) {
      if (r.custom === false) continue
      const secret = r.secretPaths ?? []
      const isSecretPath = (path: string) =>
        secret.some((s) => s === "" || path === s || path.startsWith(`${s}.`))
      const walk = (value: unknown, path: string, key: string) => {
        if (typeof value === "string") {
          if (value !== "" && looksLikeSecretName(key) && !isReference(value) && !isSecretPath(path)) {
            out.push(
              violation(
                "no-plaintext-secrets",
                r,
                `${path} holds a literal secret; read it from config as a secret (config.requireSecret) or from SSM/Secrets Manager`,
              ),
            )
          }
          return
        }
        if (Array.isArray(value)) {
          value.forEach((v, i) => {
            walk(v, `${path}.${i}`, key)
          })
          return
        }
        if (
          value !== null &&
          typeof value === "object" &&
          Object.getPrototypeOf(value) === Object.prototype
        ) {
          const o = value as Record<string, unknown>
          // { name: "DB_PASSWORD", value: "…" } pairs (environment lists)
          if (typeof o.name === "string" && typeof o.value === "string" && looksLikeSecretName(o.name)) {
            walk(o.value, `${path}.value`, o.name)
          }
          for (const [k, v] of Object.entries(o)) walk(v, path ? `${path}.${k}` : k, k)
        }
      }
      walk(r.inputs, "", "")
      if (r.type === T.taskDefinition && typeof r.inputs.containerDefinitions === "string") {
        let containers: unknown
        try {
          containers = JSON.parse(r.inputs.containerDefinitions)
        } catch {
          continue
        }
        for (const c of arr(containers)) {
          for (const env of arr(c?.environment)) {
            if (
              typeof env?.name === "string" &&
              looksLikeSecretName(env.name) &&
              typeof env.value === "string" &&
              env.value !== ""
            ) {
              out.push(
                violation(
                  "no-plaintext-secrets",
                  r,
                  `container "${c.name}" sets ${env.name} in environment, where anyone who can describe the task definition reads it; move it to secrets: [{ name: "${env.name}", valueFrom: "<SSM parameter or Secrets Manager ARN>" }]`,
                ),
              )
            }
          }
        }
      }
    }
    return out
  },
}

/**
 * Every rule of the stack policy check list.
 *
 * @example
 * import { policyRules } from "@slipway/testing"
 * for (const rule of policyRules) console.log(`${rule.id}: ${rule.description}`)
 */
export const policyRules: ReadonlyArray<PolicyRule> = [
  publicIngress,
  ecsPrivateTasks,
  publicInstances,
  imdsv2,
  albHttps,
  iamAdmin,
  logRetention,
  encryptedStorage,
  ecrScanOnPush,
  plaintextSecrets,
]

/**
 * Options for `checkPolicies`.
 *
 * @example
 * checkPolicies(run.resources, { rules: policyRules.filter((r) => r.id !== "log-retention") })
 */
export interface PolicyOptions {
  /** Rules to run (default: all of `policyRules`). */
  readonly rules?: ReadonlyArray<PolicyRule>
  /** Documented exceptions; a matching violation is dropped. */
  readonly exceptions?: ReadonlyArray<PolicyException>
}

/**
 * Runs the check list over a stack's resources and returns every violation (empty when
 * the stack complies).
 *
 * @example
 * import { checkPolicies, runPulumiProgram } from "@slipway/testing"
 * const run = await runPulumiProgram(() => import("../index.ts"))
 * checkPolicies(run.resources)
 * // [{ rule: "log-retention", resource: "aws:cloudwatch/logGroup:LogGroup app-logs", message: "retentionInDays is not set, …" }]
 */
export const checkPolicies = (
  resources: ReadonlyArray<PolicyResource>,
  options: PolicyOptions = {},
): ReadonlyArray<PolicyViolation> => {
  const stack = new StackIndex(resources)
  const exceptions = options.exceptions ?? []
  // Rule by rule, resources alphabetically: registrations settle in no fixed order, reports should.
  return (options.rules ?? policyRules).flatMap((rule) =>
    [...rule.check(stack)]
      .filter(
        (v) =>
          !exceptions.some(
            (e) => e.rule === v.rule && (e.resource === undefined || e.resource === v.resource),
          ),
      )
      .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)),
  )
}

/**
 * Thrown by `assertPolicies`, listing every violation.
 *
 * @example
 * try {
 *   assertPolicies(run.resources)
 * } catch (e) {
 *   if (e instanceof PolicyViolationsError) console.error(e.violations.map((v) => v.rule))
 * }
 */
export class PolicyViolationsError extends Error {
  readonly violations: ReadonlyArray<PolicyViolation>
  constructor(violations: ReadonlyArray<PolicyViolation>) {
    super(
      `${violations.length} stack policy violation(s):\n${violations.map((v) => `  - [${v.rule}] ${v.resource}: ${v.message}`).join("\n")}`,
    )
    this.name = "PolicyViolationsError"
    this.violations = violations
  }
}

/**
 * Throws `PolicyViolationsError` listing every violation, or returns when the stack complies.
 *
 * @example
 * import { assertPolicies, runPulumiProgram } from "@slipway/testing"
 * const run = await runPulumiProgram(program)
 * assertPolicies(run.resources)
 */
export const assertPolicies = (
  resources: ReadonlyArray<PolicyResource>,
  options: PolicyOptions = {},
): void => {
  const violations = checkPolicies(resources, options)
  if (violations.length > 0) throw new PolicyViolationsError(violations)
}
