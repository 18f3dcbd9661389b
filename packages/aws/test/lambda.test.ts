import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as pulumi from "@pulumi/pulumi"
import { defaultAnalysis, type Strategy } from "@slipway/core"
import { type PulumiProgramError, type PulumiRun, runPulumiProgram } from "@slipway/testing"
import type { ComponentArgsInvalid } from "../src/component.ts"
import { LambdaService, type LambdaServiceArgs } from "../src/services/LambdaService.ts"
import { refusedBy } from "./fixtures.ts"

const T = {
  function: "aws:lambda/function:Function",
  alias: "aws:lambda/alias:Alias",
  functionUrl: "aws:lambda/functionUrl:FunctionUrl",
  permission: "aws:lambda/permission:Permission",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  api: "aws:apigatewayv2/api:Api",
  integration: "aws:apigatewayv2/integration:Integration",
  route: "aws:apigatewayv2/route:Route",
  stage: "aws:apigatewayv2/stage:Stage",
  domainName: "aws:apigatewayv2/domainName:DomainName",
  apiMapping: "aws:apigatewayv2/apiMapping:ApiMapping",
  record: "aws:route53/record:Record",
} as const

const code = new pulumi.asset.AssetArchive({
  "index.mjs": new pulumi.asset.StringAsset(
    "export const handler = async () => ({ statusCode: 200, body: 'ok' })",
  ),
})
const domain = {
  name: "api.example.com",
  zoneId: "Z0EXAMPLE",
  certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
}
const base: LambdaServiceArgs = { code }

const deploy = (args: Partial<LambdaServiceArgs> = {}) =>
  runPulumiProgram(() => {
    const fn = new LambdaService("api", { ...base, ...args } as LambdaServiceArgs)
    return { url: fn.url, version: fn.version, aliasArn: fn.aliasArn }
  })

const invalid = (args: Partial<LambdaServiceArgs>): ComponentArgsInvalid =>
  refusedBy(() => new LambdaService("api", { ...base, ...args } as LambdaServiceArgs))

const permissions = (run: PulumiRun<unknown>) =>
  run.byType(T.permission).map((p) => ({
    action: p.inputs.action,
    principal: p.inputs.principal,
    qualifier: p.inputs.qualifier,
  }))

describe("LambdaService", () => {
  describe("function", () => {
    it("publishes a version per deployment and logs JSON to its own group", async () => {
      const run = await deploy({ reservedConcurrency: 25, environment: { STAGE: "prod" } })
      const fn = run.get(T.function, "api").inputs
      assert.strictEqual(fn.publish, true)
      assert.strictEqual(fn.packageType, "Zip")
      assert.strictEqual(fn.handler, "index.handler")
      assert.strictEqual(fn.runtime, "nodejs22.x")
      assert.strictEqual(fn.reservedConcurrentExecutions, 25)
      assert.deepStrictEqual(fn.environment, { variables: { STAGE: "prod" } })
      const logGroup = run.get(T.logGroup, "api")
      assert.deepStrictEqual(fn.loggingConfig, { logFormat: "JSON", logGroup: logGroup.outputs.name })
      assert.strictEqual(logGroup.inputs.retentionInDays, 30)
    })

    it("bundles an entry into a deterministic zip before anything is registered", async () => {
      const dir = mkdtempSync(join(tmpdir(), "slipway-lambda-"))
      try {
        writeFileSync(join(dir, "package.json"), "{}")
        writeFileSync(
          join(dir, "handler.ts"),
          "export const main = async () => ({ statusCode: 200, body: 'ok' })\n",
        )
        const entry = { entry: join(dir, "handler.ts"), handler: "main", outDir: join(dir, "out") }
        const first = await deploy({ code: undefined, entry })
        const fn = first.get(T.function, "api").inputs
        assert.strictEqual(fn.handler, "index.main")
        assert.strictEqual(fn.runtime, "nodejs22.x")
        assert.match(fn.sourceCodeHash, /^[A-Za-z0-9+/]{43}=$/)
        const again = await deploy({ code: undefined, entry })
        assert.strictEqual(again.get(T.function, "api").inputs.sourceCodeHash, fn.sourceCodeHash)

        const broken = await runPulumiProgram(() => {
          new LambdaService("api", { entry: join(dir, "missing.ts") })
          return {}
        }).then(
          () => undefined,
          (e: PulumiProgramError) => e,
        )
        assert.include(broken?.message, "cannot bundle")
        assert.deepStrictEqual(broken?.resources, [])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it("runs an image by digest with no handler or runtime", async () => {
      const imageUri = `123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:${"d".repeat(64)}`
      const run = await deploy({ code: undefined, imageUri })
      const fn = run.get(T.function, "api").inputs
      assert.strictEqual(fn.packageType, "Image")
      assert.strictEqual(fn.imageUri, imageUri)
      assert.strictEqual(fn.handler, undefined)
      assert.strictEqual(fn.runtime, undefined)
    })

    it("may only write to its own log group", async () => {
      const run = await deploy()
      const role = run.get(T.role, "api")
      assert.strictEqual(
        JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service,
        "lambda.amazonaws.com",
      )
      assert.deepStrictEqual(run.byType(T.attachment), [])
      const policies = run.byType(T.rolePolicy)
      assert.deepStrictEqual(
        policies.map((p) => p.name),
        ["api-logs"],
      )
      assert.deepStrictEqual(JSON.parse(policies[0]!.inputs.policy).Statement, [
        {
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [`${run.get(T.logGroup, "api").outputs.arn}:*`],
        },
      ])
    })
  })

  describe("live alias", () => {
    it("points at the published version", async () => {
      const run = await deploy()
      const alias = run.get(T.alias, "api").inputs
      assert.strictEqual(alias.name, "live")
      assert.strictEqual(alias.functionName, run.get(T.function, "api").outputs.name)
      assert.strictEqual(alias.functionVersion, run.outputs.version)
      assert.strictEqual(alias.routingConfig, undefined)
    })

    it("splits traffic between the stable version and the new one by weight", async () => {
      const run = await deploy({ trafficSplit: { stableVersion: "7", candidateWeight: 0.1 } })
      const alias = run.get(T.alias, "api").inputs
      assert.strictEqual(alias.functionVersion, "7")
      assert.deepStrictEqual(alias.routingConfig, {
        additionalVersionWeights: { [run.outputs.version]: 0.1 },
      })
    })

    it("does not split when the new version is the stable one", async () => {
      const run = await runPulumiProgram(
        () => {
          const fn = new LambdaService("api", {
            code,
            trafficSplit: { stableVersion: "1", candidateWeight: 0.5 },
          })
          return { version: fn.version }
        },
        { outputs: (args) => (args.type === T.function ? { version: "1" } : undefined) },
      )
      assert.deepStrictEqual(run.get(T.alias, "api").inputs.routingConfig, { additionalVersionWeights: {} })
    })
  })

  describe("function URL", () => {
    it("invokes the live alias and requires IAM by default", async () => {
      const run = await deploy()
      const url = run.get(T.functionUrl, "api").inputs
      assert.strictEqual(url.authorizationType, "AWS_IAM")
      assert.strictEqual(url.qualifier, "live")
      assert.deepStrictEqual(permissions(run), [])
      assert.match(run.outputs.url, /^https:\/\/[0-9a-f]+\.lambda-url\.us-east-1\.on\.aws\/$/)
    })

    it("is public only when asked, with both URL permissions on the alias", async () => {
      const run = await deploy({ authType: "NONE" })
      assert.strictEqual(run.get(T.functionUrl, "api").inputs.authorizationType, "NONE")
      assert.deepStrictEqual(permissions(run), [
        { action: "lambda:InvokeFunctionUrl", principal: "*", qualifier: "live" },
        { action: "lambda:InvokeFunction", principal: "*", qualifier: "live" },
      ])
      assert.strictEqual(run.get(T.permission, "api-public-invoke").inputs.invokedViaFunctionUrl, true)
    })
  })

  describe("HTTP API", () => {
    it("proxies every route to the live alias and logs access", async () => {
      const run = await deploy({ front: "httpApi", authType: "NONE" })
      const api = run.get(T.api, "api")
      assert.strictEqual(api.inputs.protocolType, "HTTP")
      const integration = run.get(T.integration, "api")
      assert.strictEqual(integration.inputs.integrationType, "AWS_PROXY")
      assert.strictEqual(integration.inputs.integrationUri, run.outputs.aliasArn)
      assert.strictEqual(integration.inputs.payloadFormatVersion, "2.0")
      const route = run.get(T.route, "api").inputs
      assert.strictEqual(route.routeKey, "$default")
      assert.strictEqual(route.target, `integrations/${integration.id}`)
      assert.strictEqual(route.authorizationType, "NONE")
      const stage = run.get(T.stage, "api").inputs
      assert.strictEqual(stage.name, "$default")
      assert.strictEqual(stage.autoDeploy, true)
      assert.strictEqual(
        stage.accessLogSettings.destinationArn,
        run.get(T.logGroup, "api-access").outputs.arn,
      )
      assert.deepStrictEqual(permissions(run), [
        { action: "lambda:InvokeFunction", principal: "apigateway.amazonaws.com", qualifier: "live" },
      ])
      assert.strictEqual(run.byType(T.functionUrl).length, 0)
      assert.strictEqual(run.outputs.url, api.outputs.apiEndpoint)
    })

    it("requires IAM-signed requests by default", async () => {
      const run = await deploy({ front: "httpApi" })
      assert.strictEqual(run.get(T.route, "api").inputs.authorizationType, "AWS_IAM")
    })

    it("serves a custom domain with the domain's certificate", async () => {
      // API Gateway computes the regional target of a custom domain.
      const target = {
        targetDomainName: "d-abc123.execute-api.us-east-1.amazonaws.com",
        hostedZoneId: "Z1UJRXOUMOOFQ8",
      }
      const run = await runPulumiProgram(
        () => new LambdaService("api", { code, front: "httpApi", domain }).url,
        {
          outputs: (args) =>
            args.type === T.domainName
              ? { domainNameConfiguration: { ...args.inputs.domainNameConfiguration, ...target } }
              : undefined,
        },
      )
      const name = run.get(T.domainName, "api")
      assert.strictEqual(name.inputs.domainName, domain.name)
      assert.strictEqual(name.inputs.domainNameConfiguration.certificateArn, domain.certificateArn)
      assert.strictEqual(name.inputs.domainNameConfiguration.securityPolicy, "TLS_1_2")
      assert.strictEqual(run.get(T.apiMapping, "api").inputs.stage, run.get(T.stage, "api").id)
      const record = run.get(T.record, "api").inputs
      assert.deepStrictEqual(record.aliases, [
        { name: target.targetDomainName, zoneId: target.hostedZoneId, evaluateTargetHealth: false },
      ])
      assert.strictEqual(run.outputs, "https://api.example.com")
    })
  })

  describe("rollout strategy", () => {
    const canary = (weight: number, minutes: number, ...extra: Strategy["steps"]): Strategy => ({
      kind: "canary",
      steps: [
        ...extra,
        { _tag: "SetWeight", weight },
        { _tag: "Pause", duration: minutes * 60_000 },
        { _tag: "Gate", gates: ["errors"] },
        { _tag: "SetWeight", weight: 100 },
      ],
      analysis: defaultAnalysis,
      scaleDownDelay: 0,
      progressDeadline: 600_000,
    })
    const gates = [{ name: "errors", check: () => undefined as never }]

    it("compiles to a CodeDeploy deployment group that shifts the live alias and rolls back on alarm", async () => {
      const run = await runPulumiProgram(() => {
        const fn = new LambdaService("api", {
          code,
          strategy: canary(10, 5),
          gates,
          alarmNames: ["api-errors"],
        })
        return { app: fn.codeDeployApplicationName, group: fn.deploymentGroupName, kind: fn.strategy?.kind }
      })
      assert.strictEqual(run.outputs.kind, "canary")
      const app = run.get("aws:codedeploy/application:Application", "api")
      assert.strictEqual(app.inputs.computePlatform, "Lambda")
      const group = run.get("aws:codedeploy/deploymentGroup:DeploymentGroup", "api").inputs
      assert.strictEqual(group.appName, app.outputs.name)
      assert.strictEqual(group.deploymentGroupName, "live")
      assert.strictEqual(group.deploymentConfigName, "CodeDeployDefault.LambdaCanary10Percent5Minutes")
      assert.deepStrictEqual(group.deploymentStyle, {
        deploymentOption: "WITH_TRAFFIC_CONTROL",
        deploymentType: "BLUE_GREEN",
      })
      assert.deepStrictEqual(group.alarmConfiguration, { enabled: true, alarms: ["api-errors"] })
      assert.deepStrictEqual(group.autoRollbackConfiguration, {
        enabled: true,
        events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
      })
      const role = run.get(T.role, "api-codedeploy")
      assert.strictEqual(group.serviceRoleArn, role.outputs.arn)
      assert.strictEqual(
        run.get(T.attachment, "api-codedeploy").inputs.policyArn,
        "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited",
      )
      assert.strictEqual(run.find("aws:codedeploy/deploymentConfig:DeploymentConfig"), undefined)
      assert.strictEqual(run.outputs.group, "live")
    })

    it("judges the new version by alarms on the invocations it serves", async () => {
      const run = await runPulumiProgram(() => {
        new LambdaService("api", { code, strategy: canary(10, 5), gates, observe: { dashboard: false } })
        return {}
      })
      const names: Array<string> = run.get("slipway:aws:Alarms", "api").outputs.alarmNames
      assert.isAbove(names.length, 0)
      assert.deepStrictEqual(
        run.get("aws:codedeploy/deploymentGroup:DeploymentGroup", "api").inputs.alarmConfiguration,
        { enabled: true, alarms: names },
      )
      const version = run.get(T.function, "api").outputs.version
      const inputs = run.byType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => JSON.stringify(a.inputs))
      assert.isTrue(
        inputs.every((i) => i.includes(`"ExecutedVersion":"${version}"`) || !i.includes("ExecutedVersion")),
      )
      assert.isTrue(inputs.some((i) => i.includes(`"ExecutedVersion":"${version}"`)))
    })

    it("creates a deployment configuration when no predefined one matches", async () => {
      const run = await runPulumiProgram(() => {
        new LambdaService("api", { code, strategy: canary(20, 7), gates, alarmNames: ["api-errors"] })
        return {}
      })
      const config = run.get("aws:codedeploy/deploymentConfig:DeploymentConfig", "api")
      assert.deepStrictEqual(config.inputs.trafficRoutingConfig, {
        type: "TimeBasedCanary",
        timeBasedCanary: { percentage: 20, interval: 7 },
      })
      assert.strictEqual(
        run.get("aws:codedeploy/deploymentGroup:DeploymentGroup", "api").inputs.deploymentConfigName,
        config.outputs.deploymentConfigName,
      )
    })

    it("lets CodeDeploy invoke exactly the given hook", async () => {
      const hook = "arn:aws:lambda:us-east-1:123456789012:function:CodeDeployHook_api-smoke"
      const strategy = canary(10, 5, { _tag: "Gate", gates: ["errors"] })
      const run = await runPulumiProgram(() => {
        const fn = new LambdaService("api", {
          code,
          strategy,
          gates,
          alarmNames: ["api-errors"],
          lifecycleHooks: { beforeAllowTraffic: hook },
        })
        return { hooks: fn.native?.appSpecHooks }
      })
      assert.deepStrictEqual(run.outputs.hooks, [{ BeforeAllowTraffic: hook }])
      assert.deepStrictEqual(
        JSON.parse(run.get(T.rolePolicy, "api-codedeploy-hooks").inputs.policy).Statement,
        [{ Sid: "InvokeOwnHooks", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [hook] }],
      )
    })

    it("refuses a gate CodeDeploy cannot watch, before creating anything", () => {
      const e = invalid({ strategy: canary(10, 5), gates })
      assert.strictEqual(e.problems[0]!.arg, "strategy.steps[2]")
      assert.include(e.message, "alarms")
      assert.include(e.message, "driven")
    })

    it("refuses gates the strategy names but nobody defined, and a manual split beside a strategy", () => {
      assert.strictEqual(invalid({ strategy: canary(10, 5) }).problems[0]!.arg, "strategy.steps[2].gates")
      assert.strictEqual(
        invalid({
          strategy: canary(10, 5),
          gates,
          trafficSplit: { stableVersion: "1", candidateWeight: 0.1 },
        }).problems[0]!.arg,
        "trafficSplit",
      )
    })
  })

  describe("argument checks", () => {
    it("need exactly one of code and imageUri", () => {
      assert.include(invalid({ code: undefined }).message, "give exactly one")
      assert.strictEqual(invalid({ entry: "src/handler.ts" }).problems[0]!.arg, "entry")
      assert.strictEqual(
        invalid({ imageUri: `x.example.com/api@sha256:${"e".repeat(64)}` }).problems[0]!.arg,
        "imageUri",
      )
    })

    it("refuse a tag-only image", () => {
      assert.include(invalid({ code: undefined, imageUri: "api:latest" }).message, "use an image digest")
    })

    it("refuse a custom domain on a function URL", () => {
      assert.include(invalid({ domain }).message, 'set `front: "httpApi"`')
    })

    it("refuse weights, memory and timeouts Lambda does not accept", () => {
      assert.deepStrictEqual(
        invalid({
          trafficSplit: { stableVersion: "3", candidateWeight: 1.5 },
          memorySize: 64,
          timeout: 901,
        }).problems.map((i) => i.arg),
        ["memorySize", "timeout", "trafficSplit.candidateWeight"],
      )
      assert.strictEqual(invalid({ front: "httpApi", timeout: 60 }).problems[0]!.arg, "timeout")
    })
  })

  it("parents every child and passes the stack policy checks", async () => {
    const run = await deploy({ front: "httpApi", domain })
    const component = run.get("slipway:aws:LambdaService", "api")
    assert.strictEqual(run.descendants(component.urn).length, run.resources.length - 1)
    assert.deepStrictEqual(run.policy(), [])
  })
})
