/**
 * The stack policy check list against real @pulumi/aws resources under mocks: for each
 * rule, a program that breaks it and one that complies — so the rules read the inputs
 * exactly as the provider's schema shapes them.
 */
import { assert, describe, it } from "@effect/vitest"
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import { type PolicyRuleId, runPulumiProgram } from "@slipway/testing"
import { Network } from "../src/index.ts"

const violationsOf = async (rule: PolicyRuleId, program: () => void) => {
  const run = await runPulumiProgram(program)
  return run.policy().filter((v) => v.rule === rule)
}

const doc = (statement: Record<string, unknown>) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [statement] })

/** An ALB with its security group; `listeners` adds listeners to it. */
const albWith = (
  listeners: (alb: aws.lb.LoadBalancer) => void,
  ingress?: aws.ec2.SecurityGroupArgs["ingress"],
) => {
  const sg = new aws.ec2.SecurityGroup("alb", { vpcId: "vpc-1", ingress })
  const alb = new aws.lb.LoadBalancer("web", {
    loadBalancerType: "application",
    securityGroups: [sg.id],
    subnets: ["subnet-1", "subnet-2"],
  })
  listeners(alb)
  return { sg, alb }
}

const httpsListener = (alb: aws.lb.LoadBalancer) =>
  new aws.lb.Listener("https", {
    loadBalancerArn: alb.arn,
    port: 443,
    protocol: "HTTPS",
    certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/x",
    defaultActions: [
      { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404" } },
    ],
  })

const redirectListener = (alb: aws.lb.LoadBalancer) =>
  new aws.lb.Listener("http", {
    loadBalancerArn: alb.arn,
    port: 80,
    protocol: "HTTP",
    defaultActions: [
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ],
  })

describe("stack policy", () => {
  describe("no-public-ingress", () => {
    it("flags a security group open to the internet on SSH", async () => {
      const found = await violationsOf("no-public-ingress", () => {
        new aws.ec2.SecurityGroup("app", {
          vpcId: "vpc-1",
          ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
        })
      })
      assert.lengthOf(found, 1)
      assert.strictEqual(found[0]!.resource, "aws:ec2/securityGroup:SecurityGroup app")
      assert.include(found[0]!.message, "0.0.0.0/0 on port 22")
    })

    it("flags IPv6-wide ingress rules and all-protocol rules, on standalone rule resources too", async () => {
      const found = await violationsOf("no-public-ingress", () => {
        const sg = new aws.ec2.SecurityGroup("app", { vpcId: "vpc-1" })
        new aws.vpc.SecurityGroupIngressRule("v6", {
          securityGroupId: sg.id,
          cidrIpv6: "::/0",
          ipProtocol: "-1",
        })
        new aws.ec2.SecurityGroupRule("legacy", {
          type: "ingress",
          securityGroupId: sg.id,
          protocol: "tcp",
          fromPort: 0,
          toPort: 65535,
          cidrBlocks: ["0.0.0.0/0"],
        })
      })
      assert.deepStrictEqual(
        found.map((v) => v.resource),
        [
          "aws:ec2/securityGroupRule:SecurityGroupRule legacy",
          "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule v6",
        ],
      )
      assert.include(found[1]!.message, "all ports")
    })

    it("allows an ALB's security group open on 80 and 443 — but not on other ports", async () => {
      const found = await violationsOf("no-public-ingress", () => {
        const { sg } = albWith(
          (alb) => {
            httpsListener(alb)
            redirectListener(alb)
          },
          [
            {
              protocol: "tcp",
              fromPort: 443,
              toPort: 443,
              cidrBlocks: ["0.0.0.0/0"],
              ipv6CidrBlocks: ["::/0"],
            },
            { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] },
          ],
        )
        new aws.vpc.SecurityGroupIngressRule("debug", {
          securityGroupId: sg.id,
          cidrIpv4: "0.0.0.0/0",
          ipProtocol: "tcp",
          fromPort: 8080,
          toPort: 8080,
        })
      })
      assert.deepStrictEqual(
        found.map((v) => v.resource),
        ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule debug"],
      )
    })

    it("allows ingress from another security group or a private range", async () => {
      const found = await violationsOf("no-public-ingress", () => {
        const alb = new aws.ec2.SecurityGroup("alb", { vpcId: "vpc-1" })
        const app = new aws.ec2.SecurityGroup("app", { vpcId: "vpc-1" })
        new aws.vpc.SecurityGroupIngressRule("from-alb", {
          securityGroupId: app.id,
          referencedSecurityGroupId: alb.id,
          ipProtocol: "tcp",
          fromPort: 3000,
          toPort: 3000,
        })
        new aws.vpc.SecurityGroupIngressRule("from-vpc", {
          securityGroupId: app.id,
          cidrIpv4: "10.0.0.0/16",
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
        })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  describe("ecs-private-tasks", () => {
    it("flags a service assigning public IPs or placed in a public subnet", async () => {
      const found = await violationsOf("ecs-private-tasks", () => {
        const net = new Network("net")
        new aws.ecs.Service("web", {
          cluster: "c",
          taskDefinition: "td:1",
          networkConfiguration: { subnets: net.publicSubnetIds, assignPublicIp: true, securityGroups: [] },
        })
      })
      assert.lengthOf(found, 2)
      assert.include(found[0]!.message, "assignPublicIp is true")
      assert.include(found[1]!.message, "public subnet(s)")
    })

    it("passes a service in private subnets without public IPs", async () => {
      const found = await violationsOf("ecs-private-tasks", () => {
        const net = new Network("net")
        new aws.ecs.Service("web", {
          cluster: "c",
          taskDefinition: "td:1",
          networkConfiguration: { subnets: net.privateSubnetIds, assignPublicIp: false },
        })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  describe("no-public-instances", () => {
    it("flags public IPs on instances and launch templates, and groups in public subnets", async () => {
      const found = await violationsOf("no-public-instances", () => {
        const net = new Network("net")
        new aws.ec2.Instance("box", {
          ami: "ami-1",
          instanceType: "t3.micro",
          associatePublicIpAddress: true,
        })
        new aws.ec2.LaunchTemplate("lt", { networkInterfaces: [{ associatePublicIpAddress: "true" }] })
        new aws.autoscaling.Group("asg", { maxSize: 2, minSize: 1, vpcZoneIdentifiers: net.publicSubnetIds })
      })
      assert.deepStrictEqual(
        found.map((v) => v.resource),
        [
          "aws:autoscaling/group:Group asg",
          "aws:ec2/instance:Instance box",
          "aws:ec2/launchTemplate:LaunchTemplate lt",
        ],
      )
    })

    it("flags an instance placed in a subnet routed to the internet gateway", async () => {
      const found = await violationsOf("no-public-instances", () => {
        const net = new Network("net")
        new aws.ec2.Instance("box", {
          ami: "ami-1",
          instanceType: "t3.micro",
          subnetId: net.publicSubnets[0]!.id,
          associatePublicIpAddress: false,
        })
      })
      assert.lengthOf(found, 1)
      assert.include(found[0]!.message, "is a public subnet")
    })

    it("passes private placement without public IPs", async () => {
      const found = await violationsOf("no-public-instances", () => {
        const net = new Network("net")
        new aws.ec2.Instance("box", {
          ami: "ami-1",
          instanceType: "t3.micro",
          subnetId: net.privateSubnets[0]!.id,
          associatePublicIpAddress: false,
        })
        new aws.ec2.LaunchTemplate("lt", { networkInterfaces: [{ associatePublicIpAddress: "false" }] })
        new aws.autoscaling.Group("asg", { maxSize: 2, minSize: 1, vpcZoneIdentifiers: net.privateSubnetIds })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  describe("imdsv2-required", () => {
    it("flags instances and launch templates that allow IMDSv1", async () => {
      const found = await violationsOf("imdsv2-required", () => {
        new aws.ec2.Instance("box", { ami: "ami-1", instanceType: "t3.micro" })
        new aws.ec2.LaunchTemplate("lt", { metadataOptions: { httpTokens: "optional" } })
      })
      // reported rule by rule, resources in alphabetical order
      assert.lengthOf(found, 2)
      assert.include(found[0]!.message, "not set (IMDSv1 allowed)")
      assert.include(found[1]!.message, '"optional"')
    })

    it("passes httpTokens required", async () => {
      const found = await violationsOf("imdsv2-required", () => {
        new aws.ec2.LaunchTemplate("lt", {
          metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
        })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  describe("alb-https-only", () => {
    it("flags an ALB without HTTPS, and an HTTP listener that forwards", async () => {
      const found = await violationsOf("alb-https-only", () => {
        albWith((alb) => {
          new aws.lb.Listener("http", {
            loadBalancerArn: alb.arn,
            port: 80,
            protocol: "HTTP",
            defaultActions: [{ type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:tg" }],
          })
        })
      })
      assert.deepStrictEqual(
        found.map((v) => v.resource),
        ["aws:lb/listener:Listener http", "aws:lb/loadBalancer:LoadBalancer web"],
      )
      assert.include(found[1]!.message, "has no HTTPS listener")
    })

    it("flags a listener rule serving plain HTTP behind a redirecting listener", async () => {
      const found = await violationsOf("alb-https-only", () => {
        albWith((alb) => {
          httpsListener(alb)
          const http = redirectListener(alb)
          new aws.lb.ListenerRule("api", {
            listenerArn: http.arn,
            conditions: [{ pathPattern: { values: ["/api/*"] } }],
            actions: [{ type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:tg" }],
          })
        })
      })
      assert.deepStrictEqual(
        found.map((v) => v.resource),
        ["aws:lb/listenerRule:ListenerRule api"],
      )
    })

    it("passes HTTPS plus an HTTP → HTTPS redirect, and ignores network load balancers", async () => {
      const found = await violationsOf("alb-https-only", () => {
        albWith((alb) => {
          httpsListener(alb)
          redirectListener(alb)
        })
        new aws.lb.LoadBalancer("nlb", { loadBalancerType: "network", subnets: ["subnet-1"] })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  describe("iam-no-admin-wildcard", () => {
    const admin = doc({ Effect: "Allow", Action: "*", Resource: "*" })
    it("flags * on * in policies, role policies, inline policies and AdministratorAccess", async () => {
      const found = await violationsOf("iam-no-admin-wildcard", () => {
        new aws.iam.Policy("p", { policy: admin })
        const role = new aws.iam.Role("r", {
          assumeRolePolicy: doc({
            Effect: "Allow",
            Principal: { Service: "ecs-tasks.amazonaws.com" },
            Action: "sts:AssumeRole",
          }),
          inlinePolicies: [{ name: "all", policy: admin }],
        })
        new aws.iam.RolePolicy("rp", {
          role: role.name,
          policy: doc({ Sid: "Everything", Effect: "Allow", Action: ["*"], Resource: ["*"] }),
        })
        new aws.iam.RolePolicyAttachment("admin", {
          role: role.name,
          policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        })
      })
      assert.deepStrictEqual(
        found.map((v) => v.resource),
        [
          "aws:iam/policy:Policy p",
          "aws:iam/role:Role r",
          "aws:iam/rolePolicy:RolePolicy rp",
          "aws:iam/rolePolicyAttachment:RolePolicyAttachment admin",
        ],
      )
      assert.include(found[2]!.message, "Everything")
    })

    it("passes scoped statements, Deny * and policies built with getPolicyDocument", async () => {
      const found = await violationsOf("iam-no-admin-wildcard", () => {
        const scoped = aws.iam.getPolicyDocumentOutput({
          statements: [
            {
              actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
              resources: ["arn:aws:logs:*:*:log-group:/app:*"],
            },
          ],
        })
        new aws.iam.Policy("logs", { policy: scoped.json })
        new aws.iam.Policy("deny", { policy: doc({ Effect: "Deny", Action: "*", Resource: "*" }) })
        new aws.iam.Policy("read", {
          policy: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }),
        })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  describe("log-retention", () => {
    it("flags a log group kept forever", async () => {
      const found = await violationsOf("log-retention", () => {
        new aws.cloudwatch.LogGroup("app", {})
      })
      assert.lengthOf(found, 1)
    })
    it("passes a log group with retention", async () => {
      const found = await violationsOf("log-retention", () => {
        new aws.cloudwatch.LogGroup("app", { retentionInDays: 30 })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  describe("encrypted-storage", () => {
    it("flags unencrypted EBS in launch templates, instances and volumes, and unknown S3 algorithms", async () => {
      const found = await violationsOf("encrypted-storage", () => {
        new aws.ec2.LaunchTemplate("lt", {
          blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false", volumeSize: 20 } }],
        })
        new aws.ec2.LaunchTemplate("bare", {})
        new aws.ec2.Instance("box", { ami: "ami-1", instanceType: "t3.micro" })
        new aws.ebs.Volume("data", { availabilityZone: "us-east-1a", size: 10 })
        const bucket = new aws.s3.Bucket("b", {})
        new aws.s3.BucketServerSideEncryptionConfiguration("sse", {
          bucket: bucket.id,
          rules: [{ bucketKeyEnabled: true }],
        })
      })
      assert.deepStrictEqual(
        found.map((v) => v.resource),
        [
          "aws:ebs/volume:Volume data",
          "aws:ec2/instance:Instance box",
          "aws:ec2/launchTemplate:LaunchTemplate bare",
          "aws:ec2/launchTemplate:LaunchTemplate lt",
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration sse",
        ],
      )
    })

    it("passes encrypted volumes and AES256 or KMS bucket encryption", async () => {
      const found = await violationsOf("encrypted-storage", () => {
        new aws.ec2.LaunchTemplate("lt", {
          blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3" } }],
        })
        new aws.ec2.Instance("box", {
          ami: "ami-1",
          instanceType: "t3.micro",
          rootBlockDevice: { encrypted: true },
        })
        new aws.ebs.Volume("data", { availabilityZone: "us-east-1a", size: 10, encrypted: true })
        const bucket = new aws.s3.Bucket("b", {})
        new aws.s3.BucketServerSideEncryptionConfiguration("sse", {
          bucket: bucket.id,
          rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
        })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  describe("ecr-scan-on-push", () => {
    it("flags a repository that does not scan on push", async () => {
      const found = await violationsOf("ecr-scan-on-push", () => {
        new aws.ecr.Repository("web", {})
      })
      assert.lengthOf(found, 1)
    })
    it("passes scanOnPush", async () => {
      const found = await violationsOf("ecr-scan-on-push", () => {
        new aws.ecr.Repository("web", { imageScanningConfiguration: { scanOnPush: true } })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  describe("no-plaintext-secrets", () => {
    it("flags a password in a container's environment and a literal secret input", async () => {
      const found = await violationsOf("no-plaintext-secrets", () => {
        new aws.ecs.TaskDefinition("web", {
          family: "web",
          containerDefinitions: JSON.stringify([
            {
              name: "app",
              image: "nginx",
              environment: [
                { name: "PORT", value: "3000" },
                { name: "DB_PASSWORD", value: "hunter2" },
              ],
            },
          ]),
        })
        new aws.lambda.Function("api", {
          role: "arn:aws:iam::123456789012:role/api",
          runtime: "nodejs22.x",
          handler: "index.handler",
          environment: { variables: { STRIPE_API_KEY: "sk_live_123", TABLE: "orders" } },
        })
      })
      assert.deepStrictEqual(
        found.map((v) => v.resource),
        ["aws:ecs/taskDefinition:TaskDefinition web", "aws:lambda/function:Function api"],
      )
      assert.include(found[0]!.message, 'secrets: [{ name: "DB_PASSWORD", valueFrom')
      assert.include(found[1]!.message, "environment.variables.STRIPE_API_KEY")
    })

    it("passes secrets from valueFrom, Pulumi secrets and references to secrets", async () => {
      const found = await violationsOf("no-plaintext-secrets", () => {
        new aws.ecs.TaskDefinition("web", {
          family: "web",
          containerDefinitions: JSON.stringify([
            {
              name: "app",
              image: "nginx",
              secrets: [
                { name: "DB_PASSWORD", valueFrom: "arn:aws:ssm:us-east-1:123456789012:parameter/db" },
              ],
              environment: [
                { name: "DB_PASSWORD_ARN", value: "arn:aws:ssm:us-east-1:123456789012:parameter/db" },
              ],
            },
          ]),
        })
        new aws.lambda.Function("api", {
          role: "arn:aws:iam::123456789012:role/api",
          runtime: "nodejs22.x",
          handler: "index.handler",
          environment: { variables: { STRIPE_API_KEY: pulumi.secret("sk_live_123") } },
        })
        // the provider SDK marks a parameter's value secret itself
        new aws.ssm.Parameter("token", { type: "SecureString", value: "abc" })
        new aws.ec2.LaunchTemplate("lt", { metadataOptions: { httpTokens: "required" } })
      })
      assert.deepStrictEqual(found, [])
    })
  })

  it("passes a Network end to end", async () => {
    const run = await runPulumiProgram(() => {
      new Network("net", { azCount: 3, nat: "perAz" })
    })
    assert.deepStrictEqual(run.policy(), [])
  })
})
