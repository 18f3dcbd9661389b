// Native ECS rollouts that judge the new revision before production traffic: the service
// adds a test listener (HTTPS, not open to the internet), a rule on it that ECS points at
// green, and the ecsHookHandler function ECS invokes at POST_TEST_TRAFFIC_SHIFT.
import { assert, describe, it } from "@effect/vitest"
import { defaultAnalysis, type Strategy } from "@slipway/core"
import * as strategies from "@slipway/strategies"
import { type PulumiRun, type ResourceRecord, runPulumiProgram } from "@slipway/testing"
import type { ComponentArgsInvalid } from "../src/component.ts"
import { FargateService, type FargateServiceArgs } from "../src/services/FargateService.ts"
import { LoadBalancer } from "../src/services/LoadBalancer.ts"
import { domain, image, refusedBy, network as vpc } from "./fixtures.ts"

const T = {
  service: "aws:ecs/service:Service",
  listener: "aws:lb/listener:Listener",
  listenerRule: "aws:lb/listenerRule:ListenerRule",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  fn: "aws:lambda/function:Function",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
} as const

// A `Network` exposes its CIDR block and NAT addresses; the test listener admits exactly those.
const network = {
  ...vpc,
  cidrBlock: "10.20.0.0/16",
  natPublicIps: ["54.1.2.3"],
}
const smoke = { name: "smoke", check: () => undefined as never }

// Blue-green that checks the preview (green on the test listener) before the switch.
const previewChecked = strategies.blueGreen({ previewGates: ["smoke"] })
// Blue-green with nothing before the switch.
const plainBlueGreen: Strategy = {
  kind: "blueGreen",
  steps: [
    { _tag: "Scale", percent: 100 },
    { _tag: "SetWeight", weight: 100 },
  ],
  analysis: defaultAnalysis,
  scaleDownDelay: 60_000,
  progressDeadline: 600_000,
}
const base: FargateServiceArgs = {
  network,
  domain,
  image,
  strategy: previewChecked,
  gates: [smoke],
  hookChecks: [{ name: "smoke", path: "/healthz" }],
}

const deploy = (args: Partial<FargateServiceArgs> = {}) =>
  runPulumiProgram(() => {
    const svc = new FargateService("web", { ...base, ...args })
    return { testRule: svc.testListenerRuleArn, hook: svc.hookFunctionArn }
  })

const invalid = (args: Partial<FargateServiceArgs>): ComponentArgsInvalid =>
  refusedBy(() => new FargateService("web", { ...base, ...args } as FargateServiceArgs))

type Statement = { Sid?: string; Action: string | string[]; Resource: string | string[] }
const statements = (run: PulumiRun<unknown>, name: string): Array<Statement> =>
  JSON.parse(run.get(T.rolePolicy, name).inputs.policy).Statement
const list = (x: string | ReadonlyArray<string>): ReadonlyArray<string> => (typeof x === "string" ? [x] : x)
const arnOf = (run: PulumiRun<unknown>, type: string, name: string): string => run.get(type, name).outputs.arn
const kinds = (run: PulumiRun<unknown>): Array<string> =>
  run.resources.map((r: ResourceRecord) => `${r.type} ${r.name}`).sort()

describe("FargateService with gates before production traffic (native ECS)", () => {
  it("compiles a blue-green with a preview gate to a Lambda hook at POST_TEST_TRAFFIC_SHIFT over a test listener rule", async () => {
    const run = await deploy()
    const svc = run.get(T.service, "web").inputs
    assert.strictEqual(svc.deploymentConfiguration.strategy, "BLUE_GREEN")
    const [hook, ...others] = svc.deploymentConfiguration.lifecycleHooks
    assert.deepStrictEqual(others, [])
    assert.strictEqual(hook.targetType, "AWS_LAMBDA")
    assert.deepStrictEqual(hook.lifecycleStages, ["POST_TEST_TRAFFIC_SHIFT"])
    assert.strictEqual(hook.hookTargetArn, arnOf(run, T.fn, "web-hook"))
    assert.strictEqual(hook.roleArn, arnOf(run, T.role, "web-hook-invoke"))
    assert.deepStrictEqual(JSON.parse(hook.hookDetails).slipway.gates, ["smoke"])

    const testRule = run.get(T.listenerRule, "web-test-route")
    assert.deepStrictEqual(svc.loadBalancers[0].advancedConfiguration, {
      alternateTargetGroupArn: arnOf(run, T.targetGroup, "web-green"),
      productionListenerRule: arnOf(run, T.listenerRule, "web-route"),
      testListenerRule: testRule.outputs.arn,
      roleArn: arnOf(run, T.role, "web-infrastructure"),
    })
    assert.strictEqual(run.outputs.testRule, testRule.outputs.arn)
    assert.strictEqual(run.outputs.hook, arnOf(run, T.fn, "web-hook"))
  })

  it("adds an HTTPS test listener on 8443 with the domain's certificate, whose rule matches like production", async () => {
    const run = await deploy()
    const test = run.get(T.listener, "web-test")
    assert.strictEqual(test.inputs.port, 8443)
    assert.strictEqual(test.inputs.protocol, "HTTPS")
    assert.strictEqual(test.inputs.certificateArn, domain.certificateArn)
    assert.match(test.inputs.sslPolicy, /^ELBSecurityPolicy-TLS13/)
    assert.strictEqual(test.inputs.defaultActions[0].fixedResponse.statusCode, "404")

    const rule = run.get(T.listenerRule, "web-test-route")
    const production = run.get(T.listenerRule, "web-route")
    assert.strictEqual(rule.inputs.listenerArn, test.outputs.arn)
    assert.deepStrictEqual(rule.inputs.conditions, production.inputs.conditions)
    assert.deepStrictEqual(rule.inputs.actions[0].forward.targetGroups, [
      { arn: arnOf(run, T.targetGroup, "web-blue"), weight: 100 },
      { arn: arnOf(run, T.targetGroup, "web-green"), weight: 0 },
    ])
  })

  it("admits test traffic only from the VPC and its NAT addresses, in a group of its own", async () => {
    const run = await deploy()
    const testSg = run.get(T.securityGroup, "web-lb-test")
    assert.deepStrictEqual(testSg.inputs.ingress, [
      {
        protocol: "tcp",
        fromPort: 8443,
        toPort: 8443,
        cidrBlocks: ["10.20.0.0/16", "54.1.2.3/32"],
        description: "HTTPS test traffic (pre-production checks)",
      },
    ])
    assert.deepStrictEqual(run.get(T.loadBalancer, "web").inputs.securityGroups, [
      run.get(T.securityGroup, "web-lb").id,
      testSg.id,
    ])
    // Nothing on the production group opens the test port.
    const ports = run.byType(T.ingress).map((r) => r.inputs.fromPort)
    assert.notInclude(ports, 8443)
    assert.deepStrictEqual(run.policy(), [])
  })

  it("takes another port and explicit sources, and refuses a test listener open to the internet", async () => {
    const run = await deploy({ testListener: { port: 9443, allowedCidrs: ["192.168.0.0/24"] } })
    assert.strictEqual(run.get(T.listener, "web-test").inputs.port, 9443)
    assert.deepStrictEqual(run.get(T.securityGroup, "web-lb-test").inputs.ingress[0].cidrBlocks, [
      "192.168.0.0/24",
    ])
    const env = run.get(T.fn, "web-hook").inputs.environment.variables
    assert.strictEqual(env.SLIPWAY_TEST_BASE_URL, "https://web.example.com:9443")

    const open = invalid({ testListener: { allowedCidrs: ["10.0.0.0/8", "0.0.0.0/0"] } })
    assert.strictEqual(open.problems[0]!.arg, "testListener.allowedCidrs[1]")
    assert.include(invalid({ testListener: { allowedCidrs: ["::/0"] } }).message, "internet")
    assert.strictEqual(invalid({ testListener: { port: 443 } }).problems[0]!.arg, "testListener.port")
  })

  it("runs the ecsHookHandler in the private subnets with the checks, reaching only the test port", async () => {
    const run = await deploy()
    const fn = run.get(T.fn, "web-hook").inputs
    assert.strictEqual(fn.handler, "index.handler")
    assert.match(fn.runtime, /^nodejs/)
    assert.deepStrictEqual(JSON.parse(fn.environment.variables.SLIPWAY_HOOK_CHECKS), [
      { name: "smoke", path: "/healthz" },
    ])
    assert.strictEqual(fn.environment.variables.SLIPWAY_TEST_BASE_URL, "https://web.example.com:8443")
    assert.deepStrictEqual(fn.vpcConfig.subnetIds, network.privateSubnetIds)
    const sg = run.get(T.securityGroup, "web-hook")
    assert.deepStrictEqual(fn.vpcConfig.securityGroupIds, [sg.id])
    assert.strictEqual(sg.inputs.ingress, undefined)
    assert.deepStrictEqual(
      sg.inputs.egress.map((e: { fromPort: number; toPort: number; protocol: string }) => [
        e.protocol,
        e.fromPort,
        e.toPort,
      ]),
      [["tcp", 8443, 8443]],
    )
    assert.strictEqual(fn.loggingConfig.logGroup, run.get(T.logGroup, "web-hook").outputs.name)
  })

  it("scopes IAM to exact ARNs: ECS may invoke only the hook, the hook may write only its logs and its own interfaces", async () => {
    const run = await deploy()
    const fnArn = arnOf(run, T.fn, "web-hook")
    assert.deepStrictEqual(statements(run, "web-hook-invoke"), [
      {
        Sid: "InvokeOwnHook",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [fnArn],
      } as Statement,
    ])
    const invokeTrust = JSON.parse(run.get(T.role, "web-hook-invoke").inputs.assumeRolePolicy)
    assert.strictEqual(invokeTrust.Statement[0].Principal.Service, "ecs.amazonaws.com")

    const hook = statements(run, "web-hook")
    const logArn = arnOf(run, T.logGroup, "web-hook")
    assert.deepStrictEqual(list(hook.find((s) => s.Sid === "WriteOwnLogs")!.Resource), [`${logArn}:*`])
    const create = hook.find((s) => s.Sid === "CreateOwnNetworkInterfaces")!
    const sgId = run.get(T.securityGroup, "web-hook").id
    assert.deepStrictEqual(list(create.Resource), [
      "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
      "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-private-a",
      "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-private-b",
      `arn:aws:ec2:us-east-1:123456789012:security-group/${sgId}`,
    ])
    // `*` only where IAM has no resource-level permission.
    for (const s of hook) {
      if (list(s.Resource).includes("*")) {
        assert.deepStrictEqual(list(s.Action), ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"])
      }
    }
    assert.deepStrictEqual(run.policy(), [])
  })

  it("leaves a service whose strategy has no gate before traffic exactly as it was", async () => {
    const canary: Strategy = strategies.canary({ steps: [{ weight: 10, bake: "5m" }] })
    const manualFirst: Strategy = {
      kind: "blueGreen",
      steps: [{ _tag: "Pause" }, { _tag: "SetWeight", weight: 100 }],
      analysis: defaultAnalysis,
      scaleDownDelay: 60_000,
      progressDeadline: 600_000,
    }
    for (const strategy of [canary, plainBlueGreen, manualFirst]) {
      const run = await deploy({
        strategy,
        gates: [],
        hookChecks: undefined,
        observe: { thresholds: { errorRate: 0.01 } },
      })
      const names = kinds(run)
      assert.isFalse(
        names.some((n) => n.includes("-test") || n.includes("-hook") || n.startsWith(T.fn)),
        names.join("\n"),
      )
      const svc = run.get(T.service, "web").inputs
      assert.notProperty(svc.loadBalancers[0].advancedConfiguration, "testListenerRule")
      assert.deepStrictEqual(run.get(T.loadBalancer, "web").inputs.securityGroups, [
        run.get(T.securityGroup, "web-lb").id,
      ])
      for (const hook of svc.deploymentConfiguration.lifecycleHooks ?? []) {
        assert.strictEqual(hook.targetType, "PAUSE")
        // Without a test listener a pause before traffic stays where it always was.
        assert.deepStrictEqual(hook.lifecycleStages, ["POST_SCALE_UP"])
      }
    }
    // The same children a canary service always had, and nothing more.
    const ungated: Strategy = {
      ...manualFirst,
      kind: "canary",
      steps: [
        { _tag: "SetWeight", weight: 10 },
        { _tag: "Pause", duration: 300_000 },
        { _tag: "SetWeight", weight: 100 },
      ],
    }
    const run = await deploy({ strategy: ungated, gates: [], hookChecks: undefined })
    assert.deepStrictEqual(
      kinds(run).filter((n) => !n.startsWith("slipway:")),
      [
        "aws:cloudwatch/logGroup:LogGroup web",
        "aws:ec2/securityGroup:SecurityGroup web-app",
        "aws:ec2/securityGroup:SecurityGroup web-lb",
        "aws:ecs/cluster:Cluster web",
        "aws:ecs/service:Service web",
        "aws:ecs/taskDefinition:TaskDefinition web",
        "aws:iam/role:Role web-execution",
        "aws:iam/role:Role web-infrastructure",
        "aws:iam/role:Role web-task",
        "aws:iam/rolePolicy:RolePolicy web-execution",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment web-infrastructure",
        "aws:lb/listener:Listener web-http",
        "aws:lb/listener:Listener web-https",
        "aws:lb/listenerRule:ListenerRule web-route",
        "aws:lb/loadBalancer:LoadBalancer web",
        "aws:lb/targetGroup:TargetGroup web-blue",
        "aws:lb/targetGroup:TargetGroup web-green",
        "aws:route53/record:Record web-dns",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule web-app-out",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule web-lb-to-app",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule web-app-from-lb",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule web-lb-443-ipv4",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule web-lb-80-ipv4",
        "aws:appautoscaling/policy:Policy web-cpu",
        "aws:appautoscaling/target:Target web",
      ].sort(),
    )
  })

  it("uses your own lifecycleHook with the test listener rule, and builds no function", async () => {
    const lifecycleHook = {
      functionArn: "arn:aws:lambda:us-east-1:123456789012:function:my-hook",
      roleArn: "arn:aws:iam::123456789012:role/ecs-invoke-my-hook",
    }
    const run = await deploy({ lifecycleHook, hookChecks: undefined })
    assert.strictEqual(run.find(T.fn, "web-hook"), undefined)
    const hook = run.get(T.service, "web").inputs.deploymentConfiguration.lifecycleHooks[0]
    assert.strictEqual(hook.hookTargetArn, lifecycleHook.functionArn)
    assert.strictEqual(hook.roleArn, lifecycleHook.roleArn)
    assert.deepStrictEqual(hook.lifecycleStages, ["POST_TEST_TRAFFIC_SHIFT"])
    assert.strictEqual(
      run.get(T.service, "web").inputs.loadBalancers[0].advancedConfiguration.testListenerRule,
      arnOf(run, T.listenerRule, "web-test-route"),
    )
    assert.strictEqual(invalid({ lifecycleHook }).problems[0]!.arg, "hookChecks")
  })

  it("puts the rule on a shared load balancer's test listener, and needs one there", async () => {
    const run = await runPulumiProgram(() => {
      const edge = new LoadBalancer("edge", { network, domain, testListener: {} })
      new FargateService("api", {
        ...base,
        domain: undefined,
        loadBalancer: edge,
        route: { hostHeader: ["api.example.com"], priority: 10 },
      })
      return {}
    })
    const rule = run.get(T.listenerRule, "api-test-route")
    assert.strictEqual(rule.inputs.listenerArn, arnOf(run, T.listener, "edge-test"))
    assert.deepStrictEqual(rule.inputs.conditions, [{ hostHeader: { values: ["api.example.com"] } }])
    assert.strictEqual(
      run.get(T.fn, "api-hook").inputs.environment.variables.SLIPWAY_TEST_BASE_URL,
      "https://api.example.com:8443",
    )
    assert.deepStrictEqual(run.policy(), [])

    await runPulumiProgram(() => {
      const edge = new LoadBalancer("edge", { network, domain })
      // refusedBy asserts the error is a ComponentArgsInvalid.
      const e = refusedBy(
        () =>
          new FargateService("api", {
            ...base,
            domain: undefined,
            loadBalancer: edge,
            route: { pathPattern: ["/api/*"], priority: 10 },
          }),
      )
      assert.strictEqual(e.problems[0]!.arg, "loadBalancer")
      assert.include(e.message, "testListener")
      return {}
    })
  })

  it("refuses what would leave the pre-traffic gate unjudged or the test listener insecure", () => {
    const unmatched = invalid({ hookChecks: [{ name: "other", path: "/healthz" }] })
    assert.strictEqual(unmatched.problems[0]!.arg, "hookChecks")
    assert.include(unmatched.message, '"smoke"')
    assert.strictEqual(invalid({ hookChecks: undefined }).problems[0]!.arg, "hookChecks")
    const plain = invalid({ domain: undefined, insecureHttpOnly: true })
    assert.isTrue(plain.problems.some((p) => p.arg === "testListener" && p.problem.includes("HTTPS")))
    const noHost = invalid({
      domain: undefined,
      certificateArn: domain.certificateArn,
    })
    assert.strictEqual(noHost.problems[0]!.arg, "hookChecks[0].path")
    const unused = invalid({ strategy: plainBlueGreen, gates: [] })
    assert.strictEqual(unused.problems[0]!.arg, "hookChecks")
  })
})
