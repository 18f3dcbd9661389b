import { assert, describe, it } from "@effect/vitest"
import * as aws from "@pulumi/aws"
import { defaultAnalysis, type Strategy } from "@slipway/core"
import * as strategies from "@slipway/strategies"
import { PulumiProgramError, type PulumiRun, type ResourceRecord, runPulumiProgram } from "@slipway/testing"
import { vi } from "vitest"
import { ComponentArgsInvalid } from "../src/component.ts"
import { FargateService, type FargateServiceArgs } from "../src/services/FargateService.ts"
import { fargateMemoryByCpu, fargateSizeProblem } from "../src/services/fargateSizes.ts"
import { LoadBalancer } from "../src/services/LoadBalancer.ts"
import { domain, network, refusedBy } from "./fixtures.ts"

const T = {
  service: "aws:ecs/service:Service",
  cluster: "aws:ecs/cluster:Cluster",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  listenerRule: "aws:lb/listenerRule:ListenerRule",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  scalingTarget: "aws:appautoscaling/target:Target",
  scalingPolicy: "aws:appautoscaling/policy:Policy",
  namespace: "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
  discovery: "aws:servicediscovery/service:Service",
  record: "aws:route53/record:Record",
} as const

const repo = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"
const image = `${repo}@sha256:${"a".repeat(64)}`
const dbUrl = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/db-url-AbCdEf"
const apiKey = "arn:aws:ssm:us-east-1:123456789012:parameter/web/api-key"

const base: FargateServiceArgs = { network, domain, image }

const deploy = (args: Partial<FargateServiceArgs> = {}, name = "web") =>
  runPulumiProgram(() => {
    const svc = new FargateService(name, { ...base, ...args })
    return { url: svc.url, serviceName: svc.serviceName, logGroupName: svc.logGroupName }
  })

const invalid = (args: Partial<FargateServiceArgs>): ComponentArgsInvalid =>
  refusedBy(() => new FargateService("web", { ...base, ...args } as FargateServiceArgs))

const statements = (policy: string): Array<{ Action: string | string[]; Resource: string | string[] }> =>
  JSON.parse(policy).Statement

const asList = (x: string | ReadonlyArray<string>): ReadonlyArray<string> => (typeof x === "string" ? [x] : x)

const arnOf = (run: PulumiRun<unknown>, type: string, name: string): string => run.get(type, name).outputs.arn

const canary: Strategy = {
  kind: "canary",
  steps: [
    { _tag: "SetWeight", weight: 10 },
    { _tag: "Pause", duration: 300_000 },
    { _tag: "SetWeight", weight: 100 },
  ],
  analysis: defaultAnalysis,
  scaleDownDelay: 60_000,
  progressDeadline: 600_000,
}

describe("FargateService", () => {
  describe("load balancer", () => {
    it("forwards HTTPS on 443 to the blue target group with the domain's certificate", async () => {
      const run = await deploy()
      const https = run.get(T.listener, "web-https")
      assert.strictEqual(https.inputs.port, 443)
      assert.strictEqual(https.inputs.protocol, "HTTPS")
      assert.strictEqual(https.inputs.certificateArn, domain.certificateArn)
      assert.match(https.inputs.sslPolicy, /^ELBSecurityPolicy-TLS13/)
      assert.deepStrictEqual(https.inputs.defaultActions, [
        { type: "forward", targetGroupArn: arnOf(run, T.targetGroup, "web-blue") },
      ])
    })

    it("answers HTTP on 80 only with a permanent redirect to HTTPS", async () => {
      const run = await deploy()
      const http = run.get(T.listener, "web-http")
      assert.strictEqual(http.inputs.port, 80)
      assert.deepStrictEqual(http.inputs.defaultActions, [
        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
      ])
    })

    it("weights the production rule 100/0 between blue and green", async () => {
      const run = await deploy()
      const rule = run.get(T.listenerRule, "web-route")
      assert.strictEqual(rule.inputs.listenerArn, arnOf(run, T.listener, "web-https"))
      assert.deepStrictEqual(rule.inputs.conditions, [{ pathPattern: { values: ["/*"] } }])
      assert.deepStrictEqual(rule.inputs.actions[0].forward.targetGroups, [
        { arn: arnOf(run, T.targetGroup, "web-blue"), weight: 100 },
        { arn: arnOf(run, T.targetGroup, "web-green"), weight: 0 },
      ])
    })

    it("puts an internet-facing ALB in the public subnets and points the domain at it", async () => {
      const run = await deploy()
      const alb = run.get(T.loadBalancer, "web")
      assert.strictEqual(alb.inputs.internal, false)
      assert.deepStrictEqual(alb.inputs.subnets, network.publicSubnetIds)
      assert.strictEqual(alb.inputs.dropInvalidHeaderFields, true)
      const record = run.get(T.record, "web-dns")
      assert.strictEqual(record.inputs.name, domain.name)
      assert.strictEqual(record.inputs.zoneId, domain.zoneId)
      assert.strictEqual(record.inputs.aliases[0].name, alb.outputs.dnsName)
      assert.strictEqual(run.outputs.url, "https://web.example.com")
    })

    it("health-checks both target groups on /healthz by default, or on healthCheckPath", async () => {
      const byDefault = await deploy()
      for (const color of ["blue", "green"]) {
        const tg = byDefault.get(T.targetGroup, `web-${color}`)
        assert.strictEqual(tg.inputs.targetType, "ip")
        assert.strictEqual(tg.inputs.port, 8080)
        assert.strictEqual(tg.inputs.vpcId, network.vpcId)
        assert.strictEqual(tg.inputs.healthCheck.path, "/healthz")
      }
      const custom = await deploy({ healthCheckPath: "/up", port: 3000 })
      assert.strictEqual(custom.get(T.targetGroup, "web-green").inputs.healthCheck.path, "/up")
      assert.strictEqual(custom.get(T.targetGroup, "web-green").inputs.port, 3000)
    })
  })

  describe("security groups", () => {
    it("admit the load balancer from anywhere on 80 and 443", async () => {
      const run = await deploy()
      const lbSg = run.get(T.securityGroup, "web-lb").id
      const ingress = run.byType(T.ingress).filter((r) => r.inputs.securityGroupId === lbSg)
      assert.deepStrictEqual(ingress.map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4]).sort(), [
        [443, "0.0.0.0/0"],
        [80, "0.0.0.0/0"],
      ])
    })

    it("admit only the load balancer's security group on the app port into the tasks", async () => {
      const run = await deploy({ port: 3000 })
      const appSg = run.get(T.securityGroup, "web-app").id
      const lbSg = run.get(T.securityGroup, "web-lb").id
      const ingress = run.byType(T.ingress).filter((r) => r.inputs.securityGroupId === appSg)
      assert.strictEqual(ingress.length, 1)
      assert.strictEqual(ingress[0]!.inputs.referencedSecurityGroupId, lbSg)
      assert.strictEqual(ingress[0]!.inputs.cidrIpv4, undefined)
      assert.deepStrictEqual([ingress[0]!.inputs.fromPort, ingress[0]!.inputs.toPort], [3000, 3000])
      const lbEgress = run.byType(T.egress).filter((r) => r.inputs.securityGroupId === lbSg)
      assert.deepStrictEqual(
        lbEgress.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort]),
        [[appSg, 3000]],
      )
    })
  })

  describe("ECS service", () => {
    it("runs Fargate tasks in the private subnets with no public IP, behind the blue target group", async () => {
      const run = await deploy({ desiredCount: 3 })
      const svc = run.get(T.service, "web")
      assert.strictEqual(svc.inputs.launchType, "FARGATE")
      assert.deepStrictEqual(svc.inputs.networkConfiguration.subnets, network.privateSubnetIds)
      assert.strictEqual(svc.inputs.networkConfiguration.assignPublicIp, false)
      assert.deepStrictEqual(svc.inputs.networkConfiguration.securityGroups, [
        run.get(T.securityGroup, "web-app").id,
      ])
      assert.deepStrictEqual(svc.inputs.deploymentController, { type: "ECS" })
      assert.strictEqual(svc.inputs.desiredCount, 3)
      assert.deepStrictEqual(svc.inputs.loadBalancers, [
        { targetGroupArn: arnOf(run, T.targetGroup, "web-blue"), containerName: "app", containerPort: 8080 },
      ])
      assert.strictEqual(svc.inputs.cluster, arnOf(run, T.cluster, "web"))
    })

    it("creates its own cluster with Container Insights, or joins the given one", async () => {
      const own = await deploy()
      assert.deepStrictEqual(own.get(T.cluster, "web").inputs.settings, [
        { name: "containerInsights", value: "enabled" },
      ])
      const shared = await runPulumiProgram(() => {
        const cluster = new aws.ecs.Cluster("shared", {})
        new FargateService("web", { ...base, cluster })
        return {}
      })
      assert.deepStrictEqual(
        shared.byType(T.cluster).map((c) => c.name),
        ["shared"],
      )
      assert.strictEqual(shared.get(T.service, "web").inputs.cluster, arnOf(shared, T.cluster, "shared"))
    })

    it("registers in Cloud Map when serviceDiscovery is set", async () => {
      const run = await deploy({ serviceDiscovery: { namespace: "internal.local", name: "api" } })
      const ns = run.get(T.namespace, "web")
      assert.strictEqual(ns.inputs.name, "internal.local")
      assert.strictEqual(ns.inputs.vpc, network.vpcId)
      const sd = run.get(T.discovery, "web")
      assert.strictEqual(sd.inputs.name, "api")
      assert.strictEqual(sd.inputs.dnsConfig.namespaceId, ns.id)
      assert.deepStrictEqual(run.get(T.service, "web").inputs.serviceRegistries, {
        registryArn: sd.outputs.arn,
      })
    })
  })

  describe("task definition", () => {
    it("pins the image by digest and sends logs to its own group, kept 30 days", async () => {
      const run = await deploy({ environment: { LOG_LEVEL: "info" }, cpu: 512, memory: 2048 })
      const td = run.get(T.taskDefinition, "web")
      assert.deepStrictEqual(td.inputs.requiresCompatibilities, ["FARGATE"])
      assert.strictEqual(td.inputs.networkMode, "awsvpc")
      assert.deepStrictEqual([td.inputs.cpu, td.inputs.memory], ["512", "2048"])
      const [container] = JSON.parse(td.inputs.containerDefinitions)
      assert.strictEqual(container.image, image)
      assert.deepStrictEqual(container.portMappings, [{ containerPort: 8080, protocol: "tcp" }])
      assert.deepStrictEqual(container.environment, [
        { name: "LOG_LEVEL", value: "info" },
        { name: "PORT", value: "8080" },
      ])
      const logGroup = run.get(T.logGroup, "web")
      assert.strictEqual(logGroup.inputs.retentionInDays, 30)
      assert.strictEqual(container.logConfiguration.options["awslogs-group"], logGroup.outputs.name)
      assert.strictEqual(container.logConfiguration.options["awslogs-region"], "us-east-1")
    })

    it("passes secrets by reference and lets the execution role read exactly those", async () => {
      const run = await deploy({ secrets: { DATABASE_URL: `${dbUrl}:url::`, API_KEY: apiKey } })
      const [container] = JSON.parse(run.get(T.taskDefinition, "web").inputs.containerDefinitions)
      assert.deepStrictEqual(container.secrets, [
        { name: "API_KEY", valueFrom: apiKey },
        { name: "DATABASE_URL", valueFrom: `${dbUrl}:url::` },
      ])
      const policy = statements(run.get(T.rolePolicy, "web-execution").inputs.policy)
      const grants = (action: string) =>
        policy.filter((s) => asList(s.Action).includes(action)).flatMap((s) => asList(s.Resource))
      assert.deepStrictEqual(grants("secretsmanager:GetSecretValue"), [dbUrl])
      assert.deepStrictEqual(grants("ssm:GetParameters"), [apiKey])
      assert.deepStrictEqual(grants("ecr:BatchGetImage"), [
        "arn:aws:ecr:us-east-1:123456789012:repository/web",
      ])
      assert.deepStrictEqual(grants("logs:PutLogEvents"), [`${arnOf(run, T.logGroup, "web")}:*`])
    })

    it("grants no wildcard actions and leaves the task role without permissions", async () => {
      const run = await deploy({ secrets: { API_KEY: apiKey } })
      for (const policy of run.byType(T.rolePolicy)) {
        for (const s of statements(policy.inputs.policy)) {
          assert.isFalse(
            asList(s.Action).some((a) => a.includes("*")),
            `${policy.name}: ${s.Action}`,
          )
          // Only the ECR login has no resource-level permission in IAM.
          if (asList(s.Resource).includes("*"))
            assert.deepStrictEqual(asList(s.Action), ["ecr:GetAuthorizationToken"])
        }
      }
      const taskRole = run.get(T.role, "web-task")
      const attached = [...run.byType(T.rolePolicy), ...run.byType(T.attachment)].filter(
        (p) => p.inputs.role === taskRole.id || p.inputs.role === taskRole.outputs.name,
      )
      assert.deepStrictEqual(attached, [])
      assert.strictEqual(
        JSON.parse(taskRole.inputs.assumeRolePolicy).Statement[0].Principal.Service,
        "ecs-tasks.amazonaws.com",
      )
    })

    it("needs no ECR permissions for an image outside ECR", async () => {
      const run = await deploy({ image: `public.ecr.aws/nginx/nginx@sha256:${"b".repeat(64)}` })
      const actions = statements(run.get(T.rolePolicy, "web-execution").inputs.policy).flatMap((s) =>
        asList(s.Action),
      )
      assert.isFalse(actions.some((a) => a.startsWith("ecr:")))
    })
  })

  describe("auto scaling", () => {
    it("tracks CPU and requests per target on the blue target group", async () => {
      const run = await deploy({
        desiredCount: 2,
        autoScaling: { max: 12, cpuTarget: 70, requestsPerTarget: 500 },
      })
      const target = run.get(T.scalingTarget, "web")
      assert.strictEqual(
        target.inputs.resourceId,
        `service/${run.get(T.cluster, "web").outputs.name}/${run.outputs.serviceName}`,
      )
      assert.strictEqual(target.inputs.scalableDimension, "ecs:service:DesiredCount")
      assert.deepStrictEqual([target.inputs.minCapacity, target.inputs.maxCapacity], [2, 12])
      const cpu = run.get(T.scalingPolicy, "web-cpu").inputs.targetTrackingScalingPolicyConfiguration
      assert.strictEqual(
        cpu.predefinedMetricSpecification.predefinedMetricType,
        "ECSServiceAverageCPUUtilization",
      )
      assert.strictEqual(cpu.targetValue, 70)
      const requests = run.get(T.scalingPolicy, "web-requests").inputs
        .targetTrackingScalingPolicyConfiguration
      assert.strictEqual(
        requests.predefinedMetricSpecification.predefinedMetricType,
        "ALBRequestCountPerTarget",
      )
      assert.strictEqual(
        requests.predefinedMetricSpecification.resourceLabel,
        `${run.get(T.loadBalancer, "web").outputs.arnSuffix}/${run.get(T.targetGroup, "web-blue").outputs.arnSuffix}`,
      )
      assert.strictEqual(requests.targetValue, 500)
    })

    it("is off with autoScaling: false", async () => {
      const run = await deploy({ autoScaling: false })
      assert.strictEqual(run.byType(T.scalingTarget).length, 0)
      assert.strictEqual(run.byType(T.scalingPolicy).length, 0)
    })
  })

  describe("rollout strategy", () => {
    it("compiles a canary to ECS CANARY and hands the green group and the rule to ECS", async () => {
      const run = await deploy({ strategy: canary })
      const svc = run.get(T.service, "web")
      assert.strictEqual(svc.inputs.deploymentConfiguration.strategy, "CANARY")
      assert.deepStrictEqual(svc.inputs.deploymentConfiguration.canaryConfiguration, {
        canaryPercent: 10,
        canaryBakeTimeInMinutes: "5",
      })
      const infra = run.get(T.role, "web-infrastructure")
      assert.deepStrictEqual(svc.inputs.loadBalancers[0].advancedConfiguration, {
        alternateTargetGroupArn: arnOf(run, T.targetGroup, "web-green"),
        productionListenerRule: arnOf(run, T.listenerRule, "web-route"),
        roleArn: infra.outputs.arn,
      })
      assert.strictEqual(
        JSON.parse(infra.inputs.assumeRolePolicy).Statement[0].Principal.Service,
        "ecs.amazonaws.com",
      )
      assert.strictEqual(
        run.get(T.attachment, "web-infrastructure").inputs.policyArn,
        "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
      )
      // The production group alternates under native shifting: only CPU is tracked.
      assert.deepStrictEqual(
        run.byType(T.scalingPolicy).map((p) => p.name),
        ["web-cpu"],
      )
    })

    it("hands the green group to ECS for a hand-written BLUE_GREEN configuration, not for ROLLING", async () => {
      const blueGreen = await deploy({
        deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: "5" },
      })
      const svc = blueGreen.get(T.service, "web")
      assert.deepStrictEqual(svc.inputs.deploymentConfiguration, {
        strategy: "BLUE_GREEN",
        bakeTimeInMinutes: "5",
      })
      assert.strictEqual(
        svc.inputs.loadBalancers[0].advancedConfiguration.alternateTargetGroupArn,
        arnOf(blueGreen, T.targetGroup, "web-green"),
      )
      const rolling = await deploy({ deploymentConfiguration: { strategy: "ROLLING" } })
      assert.strictEqual(
        rolling.get(T.service, "web").inputs.loadBalancers[0].advancedConfiguration,
        undefined,
      )
      assert.strictEqual(rolling.find(T.role, "web-infrastructure"), undefined)
    })

    it("keeps the strategy and gates on the component for the rollout to read", async () => {
      const gate = { name: "errors", check: () => undefined as never }
      const run = await runPulumiProgram(() => {
        const svc = new FargateService("web", { ...base, strategy: canary, gates: [gate] })
        return {
          kind: svc.strategy?.kind,
          gates: svc.gates.map((g) => g.name),
          notes: svc.nativeNotes.length,
        }
      })
      assert.deepStrictEqual(run.outputs.kind, "canary")
      assert.deepStrictEqual(run.outputs.gates, ["errors"])
      assert.isAbove(run.outputs.notes, 0)
    })

    it("watches its own target groups with alarms that roll a gated canary back", async () => {
      const gated: Strategy = {
        ...canary,
        steps: [
          { _tag: "SetWeight", weight: 10 },
          { _tag: "Pause", duration: 300_000 },
          { _tag: "Gate" },
          { _tag: "SetWeight", weight: 100 },
        ],
      }
      const run = await deploy({ strategy: gated, observe: { thresholds: { errorRate: 0.01 } } })
      const alarms = run.get("slipway:aws:Alarms", "web")
      const names: Array<string> = alarms.outputs.alarmNames
      assert.isTrue(names.some((n) => n.includes("-blue-errorRate")))
      assert.isTrue(names.some((n) => n.includes("-green-errorRate")))
      assert.deepStrictEqual(run.get(T.service, "web").inputs.alarms, {
        alarmNames: names,
        enable: true,
        rollback: true,
      })
      const dimensions = run
        .byType("aws:cloudwatch/metricAlarm:MetricAlarm")
        .flatMap((a) => JSON.stringify(a.inputs))
        .join("\n")
      assert.include(dimensions, run.get(T.targetGroup, "web-green").outputs.arnSuffix)
      assert.strictEqual(alarms.parent, run.get("slipway:aws:FargateService", "web").urn)
    })

    it("runs a canary from @slipway/strategies, gates and all, on ECS with its own alarms", async () => {
      const run = await deploy({
        strategy: strategies.canary({ steps: [{ weight: 10, bake: "5m" }] }),
        observe: { thresholds: { errorRate: 0.01, latencyP99: "800ms" } },
      })
      const svc = run.get(T.service, "web").inputs
      assert.strictEqual(svc.deploymentConfiguration.strategy, "CANARY")
      assert.strictEqual(svc.deploymentConfiguration.canaryConfiguration.canaryPercent, 10)
      assert.deepStrictEqual(svc.alarms.alarmNames, run.get("slipway:aws:Alarms", "web").outputs.alarmNames)
      assert.deepStrictEqual(run.policy(), [])
    })

    it("refuses a gate while traffic shifts when nothing can judge it", () => {
      const gated: Strategy = {
        ...canary,
        steps: [{ _tag: "SetWeight", weight: 10 }, { _tag: "Gate" }, { _tag: "SetWeight", weight: 100 }],
      }
      const e = invalid({ strategy: gated })
      assert.strictEqual(e.problems[0]!.arg, "strategy.steps[1]")
      assert.include(e.message, "alarms")
    })

    it("refuses an invalid strategy, naming the field", () => {
      const e = invalid({ strategy: { ...canary, steps: [{ _tag: "SetWeight", weight: 50 }] } })
      assert.include(e.message, "strategy.steps")
      assert.include(e.message, "never sends 100%")
    })

    it("refuses a strategy ECS cannot run natively, with the alternative", () => {
      const uneven: Strategy = {
        ...canary,
        steps: [
          { _tag: "SetWeight", weight: 10 },
          { _tag: "Pause", duration: 60_000 },
          { _tag: "SetWeight", weight: 25 },
          { _tag: "Pause", duration: 60_000 },
          { _tag: "SetWeight", weight: 100 },
        ],
      }
      const e = invalid({ strategy: uneven })
      assert.include(e.message, "ECS cannot run it natively")
      assert.include(e.message, "driven")
    })
  })

  describe("shared load balancer", () => {
    it("routes each service by its rule and answers 404 for the rest", async () => {
      const run = await runPulumiProgram(() => {
        const edge = new LoadBalancer("edge", { network, domain })
        new FargateService("api", {
          network,
          image,
          loadBalancer: edge,
          route: { pathPattern: ["/api/*"], priority: 10 },
        })
        const web = new FargateService("site", {
          network,
          image,
          loadBalancer: edge,
          route: { hostHeader: ["www.example.com"], priority: 20 },
        })
        return { url: web.url }
      })
      assert.strictEqual(run.byType(T.loadBalancer).length, 1)
      const https = run.get(T.listener, "edge-https")
      assert.strictEqual(https.inputs.defaultActions[0].fixedResponse.statusCode, "404")
      const rules = run.byType(T.listenerRule)
      assert.deepStrictEqual(
        rules.map((r) => [r.name, r.inputs.priority, r.inputs.listenerArn === https.outputs.arn]),
        [
          ["api-route", 10, true],
          ["site-route", 20, true],
        ],
      )
      assert.strictEqual(run.outputs.url, "https://www.example.com")
    })

    it("requires a route with a shared load balancer", async () => {
      await runPulumiProgram(() => {
        const edge = new LoadBalancer("edge", { network, domain })
        try {
          new FargateService("api", { network, image, loadBalancer: edge })
          assert.fail("expected the arguments to be refused")
        } catch (e) {
          assert.instanceOf(e, ComponentArgsInvalid)
          assert.include((e as Error).message, "route")
        }
        return {}
      })
    })
  })

  describe("HTTPS", () => {
    it("accepts a certificate ARN without a domain", async () => {
      const run = await deploy({ domain: undefined, certificateArn: domain.certificateArn })
      assert.strictEqual(run.get(T.listener, "web-https").inputs.certificateArn, domain.certificateArn)
      assert.strictEqual(run.byType(T.record).length, 0)
      assert.match(run.outputs.url, /^https:\/\/web-[0-9a-f]+-\d+\.us-east-1\.elb\.amazonaws\.com$/)
    })

    it("serves plain HTTP only when told to, with a warning", async () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {})
      try {
        const run = await deploy({ domain: undefined, insecureHttpOnly: true })
        assert.deepStrictEqual(
          run.byType(T.listener).map((l) => l.name),
          ["web-http"],
        )
        assert.strictEqual(run.get(T.listener, "web-http").inputs.defaultActions[0].type, "forward")
        assert.match(run.outputs.url, /^http:\/\//)
        assert.isTrue(warn.mock.calls.some(([msg]) => String(msg).includes("insecureHttpOnly")))
        assert.isTrue(run.policy().some((v) => v.rule === "alb-https-only"))
      } finally {
        warn.mockRestore()
      }
    })

    it("refuses to build without a certificate unless insecureHttpOnly is set", () => {
      const e = invalid({ domain: undefined })
      assert.deepStrictEqual(
        e.problems.map((i) => i.arg),
        ["domain"],
      )
      assert.include(e.message, "insecureHttpOnly: true")
    })
  })

  describe("argument checks", () => {
    it("refuse a tag-only image", () => {
      const e = invalid({ image: "nginx:latest" })
      assert.deepStrictEqual(e.problems[0]!.arg, "image")
      assert.include(e.message, "use an image digest (repo@sha256:…) so deployments are reproducible")
    })

    it("refuse a port outside 1..65535", () => {
      assert.strictEqual(invalid({ port: 0 }).problems[0]!.arg, "port")
      assert.strictEqual(invalid({ port: 70_000 }).problems[0]!.arg, "port")
      assert.strictEqual(invalid({ port: 80.5 }).problems[0]!.arg, "port")
    })

    it("refuse a cpu/memory pair Fargate does not offer, listing the memory values it does", () => {
      const e = invalid({ cpu: 256, memory: 4096 })
      assert.strictEqual(e.problems[0]!.arg, "memory")
      assert.include(e.message, "use one of 512, 1024, 2048")
      assert.strictEqual(invalid({ cpu: 300 }).problems[0]!.arg, "cpu")
    })

    it("refuse negative counts and min > max", () => {
      assert.strictEqual(invalid({ desiredCount: -1 }).problems[0]!.arg, "desiredCount")
      const e = invalid({ desiredCount: 2, autoScaling: { min: 5, max: 3 } })
      assert.includeMembers(
        e.problems.map((i) => i.arg),
        ["autoScaling.min", "desiredCount"],
      )
    })

    it("refuse secrets that are values rather than ARNs, and variables set twice", () => {
      const e = invalid({
        secrets: { TOKEN: "hunter2", API_KEY: apiKey },
        environment: { API_KEY: "x" },
      })
      assert.deepStrictEqual(
        e.problems.map((i) => i.arg),
        ["secrets.TOKEN", "secrets.API_KEY"],
      )
    })

    it("list every problem at once and register nothing", async () => {
      const error = await runPulumiProgram(() => {
        new FargateService("web", { ...base, image: "nginx", port: -1, cpu: 256, memory: 3000 })
        return {}
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.instanceOf(error, PulumiProgramError)
      const cause = (error as PulumiProgramError).cause as ComponentArgsInvalid
      assert.deepStrictEqual(
        cause.problems.map((i) => i.arg),
        ["image", "port", "memory"],
      )
      assert.deepStrictEqual((error as PulumiProgramError).resources, [])
    })
  })

  describe("task sizes", () => {
    it("accept every pair Fargate lists and nothing else", () => {
      assert.isUndefined(fargateSizeProblem(256, 512))
      assert.isUndefined(fargateSizeProblem(4096, 30720))
      assert.isUndefined(fargateSizeProblem(8192, 61440))
      assert.isUndefined(fargateSizeProblem(16384, 122880))
      assert.strictEqual(fargateSizeProblem(8192, 18432)?.arg, "memory") // 8 vCPU steps by 4 GiB
      assert.strictEqual(fargateSizeProblem(512, 512)?.arg, "memory")
      assert.strictEqual(fargateSizeProblem(16384, 131072)?.arg, "memory")
      assert.deepStrictEqual(fargateMemoryByCpu[16384]?.length, 12)
    })
  })

  describe("escape hatch", () => {
    it("transforms one child by merging arguments or by a function", async () => {
      const run = await deploy({
        transform: {
          logGroup: { retentionInDays: 90 },
          service: (args) => {
            args.enableExecuteCommand = true
          },
          loadBalancer: { loadBalancer: { idleTimeout: 300 } },
        },
      })
      assert.strictEqual(run.get(T.logGroup, "web").inputs.retentionInDays, 90)
      assert.strictEqual(run.get(T.service, "web").inputs.enableExecuteCommand, true)
      assert.strictEqual(run.get(T.loadBalancer, "web").inputs.idleTimeout, 300)
    })
  })

  it("parents every child to the component and passes the stack policy checks", async () => {
    const run = await deploy({ secrets: { DATABASE_URL: dbUrl }, tags: { team: "payments" } })
    const component = run.get("slipway:aws:FargateService", "web")
    assert.deepStrictEqual(run.get(T.service, "web").inputs.tags, {
      "slipway:component": "FargateService",
      "slipway:name": "web",
      team: "payments",
    })
    assert.strictEqual(run.get(T.loadBalancer, "web").inputs.tags.team, "payments")
    const below = new Set(run.descendants(component.urn).map((r: ResourceRecord) => r.urn))
    const strays = run.resources.filter((r) => r.urn !== component.urn && !below.has(r.urn))
    assert.deepStrictEqual(
      strays.map((r) => `${r.type} ${r.name}`),
      [],
    )
    assert.deepStrictEqual(run.policy(), [])
    assert.strictEqual(component.outputs.url, "https://web.example.com")
  })
})
