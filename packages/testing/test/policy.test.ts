/**
 * The check list's API and each rule on hand-written resource records (the shapes the
 * harness records); packages/aws/test/policy.test.ts runs the same rules over real
 * @pulumi/aws resources.
 */
import { assert, describe, it } from "@effect/vitest"
import {
  assertPolicies,
  checkPolicies,
  looksLikeSecretName,
  type PolicyResource,
  type PolicyRuleId,
  PolicyViolationsError,
  policyRules,
} from "../src/index.ts"

const r = (
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<PolicyResource> = {},
): PolicyResource => ({
  type,
  name,
  inputs,
  custom: true,
  ...extra,
})

const rulesBroken = (resources: ReadonlyArray<PolicyResource>): ReadonlyArray<PolicyRuleId> => [
  ...new Set(checkPolicies(resources).map((v) => v.rule)),
]

const openSsh = r(
  "aws:ec2/securityGroup:SecurityGroup",
  "app",
  {
    ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
  },
  { id: "sg-app" },
)
const foreverLogs = r("aws:cloudwatch/logGroup:LogGroup", "logs", {})

/** One violating and one compliant example per rule. */
const examples: Record<
  PolicyRuleId,
  { bad: ReadonlyArray<PolicyResource>; good: ReadonlyArray<PolicyResource> }
> = {
  "no-public-ingress": {
    bad: [openSsh],
    good: [
      r(
        "aws:ec2/securityGroup:SecurityGroup",
        "alb",
        {
          ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
        },
        { id: "sg-alb" },
      ),
      r(
        "aws:lb/loadBalancer:LoadBalancer",
        "web",
        { securityGroups: ["sg-alb"] },
        { outputs: { arn: "arn:lb" } },
      ),
      r("aws:lb/listener:Listener", "https", {
        loadBalancerArn: "arn:lb",
        protocol: "HTTPS",
        certificateArn: "arn:cert",
      }),
    ],
  },
  "ecs-private-tasks": {
    bad: [
      r("aws:ecs/service:Service", "web", {
        networkConfiguration: { subnets: ["subnet-1"], assignPublicIp: true },
      }),
    ],
    good: [
      r("aws:ecs/service:Service", "web", {
        networkConfiguration: { subnets: ["subnet-1"], assignPublicIp: false },
      }),
    ],
  },
  "no-public-instances": {
    bad: [
      r("aws:ec2/internetGateway:InternetGateway", "igw", {}, { id: "igw-1" }),
      r("aws:ec2/route:Route", "default", {
        routeTableId: "rtb-pub",
        gatewayId: "igw-1",
        destinationCidrBlock: "0.0.0.0/0",
      }),
      r("aws:ec2/routeTableAssociation:RouteTableAssociation", "pub", {
        routeTableId: "rtb-pub",
        subnetId: "subnet-pub",
      }),
      r("aws:autoscaling/group:Group", "asg", { vpcZoneIdentifiers: ["subnet-pub"] }),
    ],
    good: [r("aws:autoscaling/group:Group", "asg", { vpcZoneIdentifiers: ["subnet-priv"] })],
  },
  "imdsv2-required": {
    bad: [r("aws:ec2/launchTemplate:LaunchTemplate", "lt", { metadataOptions: { httpTokens: "optional" } })],
    good: [
      r("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
        metadataOptions: { httpTokens: "required" },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }],
      }),
    ],
  },
  "alb-https-only": {
    bad: [r("aws:lb/loadBalancer:LoadBalancer", "web", {}, { outputs: { arn: "arn:lb" } })],
    good: [
      r("aws:lb/loadBalancer:LoadBalancer", "web", {}, { outputs: { arn: "arn:lb" } }),
      r("aws:lb/listener:Listener", "https", {
        loadBalancerArn: "arn:lb",
        protocol: "HTTPS",
        certificateArn: "arn:cert",
      }),
    ],
  },
  "iam-no-admin-wildcard": {
    bad: [
      r("aws:iam/policy:Policy", "p", {
        policy: { Statement: { Effect: "Allow", Action: "*", Resource: "*" } },
      }),
    ],
    good: [
      r("aws:iam/policy:Policy", "p", {
        policy: { Statement: { Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" } },
      }),
    ],
  },
  "log-retention": {
    bad: [foreverLogs],
    good: [r("aws:cloudwatch/logGroup:LogGroup", "logs", { retentionInDays: 14 })],
  },
  "encrypted-storage": {
    bad: [r("aws:ebs/volume:Volume", "data", { size: 10 })],
    good: [r("aws:ebs/volume:Volume", "data", { size: 10, encrypted: true })],
  },
  "ecr-scan-on-push": {
    bad: [r("aws:ecr/repository:Repository", "web", {})],
    good: [r("aws:ecr/repository:Repository", "web", { imageScanningConfiguration: { scanOnPush: true } })],
  },
  "no-plaintext-secrets": {
    bad: [
      r("aws:apprunner/service:Service", "svc", {
        sourceConfiguration: { env: [{ name: "API_TOKEN", value: "abc" }] },
      }),
    ],
    good: [
      r(
        "aws:apprunner/service:Service",
        "svc",
        { sourceConfiguration: { env: [{ name: "API_TOKEN", value: "abc" }] } },
        {
          secretPaths: ["sourceConfiguration"],
        },
      ),
    ],
  },
}

describe("stack policy check list", () => {
  it("has one rule per id, each described", () => {
    assert.deepStrictEqual(policyRules.map((rule) => rule.id).sort(), Object.keys(examples).sort())
    assert.isTrue(policyRules.every((rule) => rule.description.length > 20))
  })

  for (const [rule, { bad, good }] of Object.entries(examples) as Array<
    [PolicyRuleId, (typeof examples)[PolicyRuleId]]
  >) {
    describe(rule, () => {
      it("reports the violating example, naming the resource", () => {
        const found = checkPolicies(bad).filter((v) => v.rule === rule)
        assert.isAbove(found.length, 0)
        const named = bad.map((x) => `${x.type} ${x.name}`)
        assert.isTrue(found.every((v) => named.includes(v.resource) && v.message.length > 10))
      })
      it("passes the compliant example", () => {
        assert.deepStrictEqual(rulesBroken(good), [])
      })
    })
  }

  it("skips documented exceptions, and only those", () => {
    const exceptions = [
      {
        rule: "no-public-ingress" as const,
        resource: "aws:ec2/securityGroup:SecurityGroup app",
        reason: "bastion, IP-restricted by NACL",
      },
    ]
    assert.deepStrictEqual(
      checkPolicies([openSsh, foreverLogs], { exceptions }).map((v) => v.rule),
      ["log-retention"],
    )
  })

  it("runs only the rules asked for", () => {
    const only = policyRules.filter((rule) => rule.id === "log-retention")
    assert.deepStrictEqual(
      checkPolicies([openSsh, foreverLogs], { rules: only }).map((v) => v.resource),
      ["aws:cloudwatch/logGroup:LogGroup logs"],
    )
  })

  it("assertPolicies lists every violation in one error", () => {
    try {
      assertPolicies([openSsh, foreverLogs])
      assert.fail("expected PolicyViolationsError")
    } catch (e) {
      assert.instanceOf(e, PolicyViolationsError)
      assert.lengthOf(e.violations, 2)
      assert.match(
        e.message,
        /^2 stack policy violation\(s\):\n {2}- \[no-public-ingress\] aws:ec2\/securityGroup:SecurityGroup app: /,
      )
      assert.include(e.message, "- [log-retention] aws:cloudwatch/logGroup:LogGroup logs: ")
    }
    assert.doesNotThrow(() => assertPolicies(examples["log-retention"].good))
  })

  it("ignores component resources when looking for secrets", () => {
    assert.deepStrictEqual(
      checkPolicies([r("slipway:aws:Thing", "t", { password: "x" }, { custom: false })]),
      [],
    )
  })

  it("reports an IAM document that is not JSON", () => {
    const [v] = checkPolicies([r("aws:iam/rolePolicy:RolePolicy", "rp", { policy: "{not json" })])
    assert.strictEqual(v?.message, "policy is not valid JSON")
  })
})

describe("looksLikeSecretName", () => {
  const secret = [
    "DB_PASSWORD",
    "password",
    "apiKey",
    "STRIPE_SECRET_KEY",
    "authToken",
    "GITHUB_TOKEN",
    "clientSecret",
    "AWS_SECRET_ACCESS_KEY",
    "privateKey",
    "secretString",
  ]
  const notSecret = [
    "secretArn",
    "secretId",
    "httpTokens",
    "passwordLength",
    "tokenUrl",
    "PORT",
    "kmsKeyId",
    "apiKeySource",
    "DB_PASSWORD_ARN",
    "PWD",
  ]
  for (const name of secret) it(`treats ${name} as a secret`, () => assert.isTrue(looksLikeSecretName(name)))
  for (const name of notSecret)
    it(`does not treat ${name} as a secret`, () => assert.isFalse(looksLikeSecretName(name)))
})
