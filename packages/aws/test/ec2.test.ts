import { assert, describe, it } from "@effect/vitest"
import { defaultAnalysis, type Strategy } from "@slipway/core"
import { type PulumiRun, runPulumiProgram } from "@slipway/testing"
import type { ComponentArgsInvalid } from "../src/component.ts"
import { Ec2Service, type Ec2ServiceArgs } from "../src/services/Ec2Service.ts"
import { renderUserData } from "../src/services/userData.ts"
import { certificateArn, network, refusedBy } from "./fixtures.ts"

const T = {
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  group: "aws:autoscaling/group:Group",
  scalingPolicy: "aws:autoscaling/policy:Policy",
  listener: "aws:lb/listener:Listener",
  listenerRule: "aws:lb/listenerRule:ListenerRule",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  profile: "aws:iam/instanceProfile:InstanceProfile",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
} as const

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
const release = {
  url: "https://releases.example.com/web-1.4.2.tar.gz",
  sha256: sha,
  command: "node server.js",
}
const dbUrl = "arn:aws:ssm:us-east-1:123456789012:parameter/web/db-url"

const base: Ec2ServiceArgs = { network, certificateArn, artifact: release }

const deploy = (args: Partial<Ec2ServiceArgs> = {}) =>
  runPulumiProgram(() => {
    const svc = new Ec2Service("web", { ...base, ...args } as Ec2ServiceArgs)
    return { url: svc.url, logGroupName: svc.logGroupName }
  })

const invalid = (args: Partial<Ec2ServiceArgs>): ComponentArgsInvalid =>
  refusedBy(() => new Ec2Service("web", { ...base, ...args } as Ec2ServiceArgs))

const bootScript = (run: PulumiRun<unknown>): string =>
  Buffer.from(run.get(T.launchTemplate, "web").inputs.userData, "base64").toString("utf8")

const statements = (run: PulumiRun<unknown>, name: string): Array<{ Action: string[]; Resource: string[] }> =>
  JSON.parse(run.get(T.rolePolicy, name).inputs.policy).Statement

const grants = (run: PulumiRun<unknown>, action: string): ReadonlyArray<string> =>
  statements(run, "web-instance")
    .filter((s) => s.Action.includes(action))
    .flatMap((s) => s.Resource)

describe("Ec2Service", () => {
  describe("launch template", () => {
    it("requires IMDSv2 with a hop limit of 1", async () => {
      const run = await deploy()
      const metadata = run.get(T.launchTemplate, "web").inputs.metadataOptions
      assert.strictEqual(metadata.httpTokens, "required")
      assert.strictEqual(metadata.httpPutResponseHopLimit, 1)
      assert.strictEqual(metadata.httpEndpoint, "enabled")
    })

    it("boots from an encrypted gp3 volume with no key pair, on Amazon Linux 2023", async () => {
      const run = await deploy({ volumeSize: 40 })
      const lt = run.get(T.launchTemplate, "web").inputs
      assert.deepStrictEqual(lt.blockDeviceMappings[0].ebs, {
        volumeSize: 40,
        volumeType: "gp3",
        encrypted: "true",
        deleteOnTermination: "true",
      })
      assert.strictEqual(lt.keyName, undefined)
      assert.strictEqual(
        lt.imageId,
        "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      )
      assert.deepStrictEqual(lt.vpcSecurityGroupIds, [run.get(T.securityGroup, "web-app").id])
      assert.strictEqual(lt.iamInstanceProfile.arn, run.get(T.profile, "web").outputs.arn)
    })

    it("installs the archive, checks its digest and runs it under systemd with Restart=always", async () => {
      const run = await deploy({ environment: { LOG_LEVEL: "info" } })
      const script = bootScript(run)
      assert.match(script, /^#!\/bin\/bash\n/)
      assert.include(
        script,
        `curl --fail --silent --show-error --location --retry 5 -o "$tmp" '${release.url}'`,
      )
      assert.include(script, `echo '${sha}  '"$tmp" | sha256sum --check --status`)
      assert.include(script, "Restart=always")
      assert.include(script, "ExecStart=/bin/sh -c 'exec node server.js'")
      assert.include(script, 'LOG_LEVEL="info"')
      assert.include(script, 'PORT="8080"')
      assert.include(script, "systemctl enable --now app.service")
      assert.include(script, `"log_group_name":"${run.outputs.logGroupName}"`)
    })

    it("runs a container image with docker, logging in to ECR first", async () => {
      const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:${"c".repeat(64)}`
      const run = await deploy({ artifact: { image }, port: 3000 })
      const script = bootScript(run)
      assert.include(script, "dnf install -y amazon-cloudwatch-agent docker")
      assert.include(
        script,
        "docker login --username AWS --password-stdin '123456789012.dkr.ecr.us-east-1.amazonaws.com'",
      )
      assert.include(script, `ExecStart=/usr/bin/docker run --rm --name app -p 3000:3000 -e PORT ${image}`)
      assert.deepStrictEqual(grants(run, "ecr:BatchGetImage"), [
        "arn:aws:ecr:us-east-1:123456789012:repository/web",
      ])
    })
  })

  describe("auto scaling group", () => {
    it("runs in the private subnets behind the blue target group with ELB health checks", async () => {
      const run = await deploy({ minSize: 2, maxSize: 6, desiredCapacity: 3 })
      const group = run.get(T.group, "web").inputs
      assert.deepStrictEqual(group.vpcZoneIdentifiers, network.privateSubnetIds)
      assert.deepStrictEqual(group.targetGroupArns, [run.get(T.targetGroup, "web-blue").outputs.arn])
      assert.strictEqual(group.healthCheckType, "ELB")
      assert.deepStrictEqual([group.minSize, group.desiredCapacity, group.maxSize], [2, 3, 6])
      assert.deepStrictEqual(group.launchTemplate, { id: run.get(T.launchTemplate, "web").id, version: "1" })
      const blue = run.get(T.targetGroup, "web-blue").inputs
      assert.strictEqual(blue.targetType, "instance")
      assert.strictEqual(blue.healthCheck.path, "/healthz")
    })

    it("passes instance refresh settings through unchanged", async () => {
      const instanceRefresh = {
        strategy: "Rolling",
        preferences: { checkpointPercentages: [10, 50, 100], checkpointDelay: "300", autoRollback: true },
      }
      const run = await deploy({ instanceRefresh })
      assert.deepStrictEqual(run.get(T.group, "web").inputs.instanceRefresh, instanceRefresh)
    })

    it("tracks average CPU", async () => {
      const run = await deploy({ autoScaling: { cpuTarget: 55 } })
      const policy = run.get(T.scalingPolicy, "web-cpu").inputs
      assert.strictEqual(policy.autoscalingGroupName, run.get(T.group, "web").outputs.name)
      assert.deepStrictEqual(policy.targetTrackingConfiguration, {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: 55,
      })
    })
  })

  describe("access", () => {
    it("admits only the load balancer on the app port", async () => {
      const run = await deploy({ port: 9000 })
      const appSg = run.get(T.securityGroup, "web-app").id
      const ingress = run.byType(T.ingress).filter((r) => r.inputs.securityGroupId === appSg)
      assert.deepStrictEqual(
        ingress.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort, r.inputs.toPort]),
        [[run.get(T.securityGroup, "web-lb").id, 9000, 9000]],
      )
    })

    it("uses Session Manager instead of SSH", async () => {
      const run = await deploy()
      const role = run.get(T.role, "web-instance")
      const attached = run.byType(T.attachment).filter((a) => a.inputs.role === role.outputs.name)
      assert.deepStrictEqual(
        attached.map((a) => a.inputs.policyArn),
        ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
      )
      assert.strictEqual(
        JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service,
        "ec2.amazonaws.com",
      )
    })

    it("reads exactly its S3 object and its secrets, and writes exactly its log group", async () => {
      const run = await deploy({
        artifact: { s3: { bucket: "releases", key: "web/1.4.2.tar.gz" }, command: "./bin/web" },
        secrets: { DATABASE_URL: dbUrl },
      })
      assert.deepStrictEqual(grants(run, "s3:GetObject"), ["arn:aws:s3:::releases/web/1.4.2.tar.gz"])
      assert.deepStrictEqual(grants(run, "ssm:GetParameter"), [dbUrl])
      const logGroupArn = run.get(T.logGroup, "web").outputs.arn
      assert.deepStrictEqual(grants(run, "logs:PutLogEvents"), [`${logGroupArn}:*`])
      for (const s of statements(run, "web-instance")) {
        assert.notInclude(s.Resource, "*")
        assert.isFalse(s.Action.some((a) => a.includes("*")))
      }
      const script = bootScript(run)
      assert.include(script, "aws s3 cp 's3://releases/web/1.4.2.tar.gz'")
      assert.include(script, `--with-decryption --name '${dbUrl}'`)
      assert.include(script, 'env_line DATABASE_URL "$v"')
    })
  })

  describe("rollout strategy", () => {
    const strategy: Strategy = {
      kind: "linear",
      steps: [
        { _tag: "SetWeight", weight: 50 },
        { _tag: "Pause", duration: 120_000 },
        { _tag: "SetWeight", weight: 100 },
      ],
      analysis: defaultAnalysis,
      scaleDownDelay: 0,
      progressDeadline: 600_000,
    }

    it("compiles to an instance refresh with checkpoints, alarms and auto rollback", async () => {
      const run = await runPulumiProgram(() => {
        const svc = new Ec2Service("web", { ...base, strategy, alarmNames: ["web-5xx"] })
        return { kind: svc.strategy?.kind, notes: svc.nativeNotes.length }
      })
      assert.strictEqual(run.outputs.kind, "linear")
      assert.isAbove(run.outputs.notes, 0)
      const refresh = run.get(T.group, "web").inputs.instanceRefresh
      assert.strictEqual(refresh.strategy, "Rolling")
      assert.deepStrictEqual(refresh.preferences.checkpointPercentages, [50, 100])
      assert.strictEqual(refresh.preferences.checkpointDelay, "120")
      assert.strictEqual(refresh.preferences.autoRollback, true)
      assert.strictEqual(refresh.preferences.minHealthyPercentage, 100)
      assert.strictEqual(refresh.preferences.instanceWarmup, "300")
      assert.deepStrictEqual(refresh.preferences.alarmSpecification, { alarms: ["web-5xx"] })
    })

    it("fails the refresh on its own target groups' alarms when observe is set", async () => {
      const run = await deploy({ strategy, observe: { dashboard: false } })
      const names: Array<string> = run.get("slipway:aws:Alarms", "web").outputs.alarmNames
      assert.isAbove(names.length, 0)
      assert.deepStrictEqual(run.get(T.group, "web").inputs.instanceRefresh.preferences.alarmSpecification, {
        alarms: names,
      })
    })

    it("refuses a strategy an instance refresh cannot run, before creating anything", () => {
      const manual: Strategy = {
        ...strategy,
        steps: [{ _tag: "SetWeight", weight: 50 }, { _tag: "Pause" }, { _tag: "SetWeight", weight: 100 }],
      }
      const e = invalid({ strategy: manual })
      assert.strictEqual(e.problems[0]!.arg, "strategy.steps[1]")
      assert.include(e.message, "cannot wait for a person")
    })

    it("refuses an invalid strategy and a hand-written refresh beside a strategy", () => {
      assert.strictEqual(
        invalid({ strategy: { ...strategy, analysis: { ...defaultAnalysis, interval: -1 } } }).problems[0]!
          .arg,
        "strategy.analysis.interval",
      )
      assert.strictEqual(
        invalid({ strategy, instanceRefresh: { strategy: "Rolling" } }).problems[0]!.arg,
        "instanceRefresh",
      )
    })
  })

  describe("argument checks", () => {
    it("refuse negative counts and min > desired > max", () => {
      assert.strictEqual(invalid({ minSize: -1 }).problems[0]!.arg, "minSize")
      assert.deepStrictEqual(
        invalid({ minSize: 4, maxSize: 2 }).problems.map((i) => i.arg),
        ["minSize"],
      )
      assert.deepStrictEqual(
        invalid({ minSize: 1, desiredCapacity: 5, maxSize: 3 }).problems.map((i) => i.arg),
        ["desiredCapacity"],
      )
      assert.strictEqual(invalid({ maxSize: 0, minSize: 0 }).problems[0]!.arg, "maxSize")
    })

    it("refuse an artifact that is not pinned or cannot start", () => {
      assert.include(
        invalid({ artifact: { image: "nginx:1.27" } }).message,
        "use an image digest (repo@sha256:…)",
      )
      assert.strictEqual(
        invalid({ artifact: { url: "http://insecure.example.com/app.tgz", command: "./app" } }).problems[0]!
          .arg,
        "artifact.url",
      )
      assert.strictEqual(
        invalid({ artifact: { url: release.url, command: "" } }).problems[0]!.arg,
        "artifact.command",
      )
      assert.strictEqual(
        invalid({ artifact: { ...release, sha256: "abc" } }).problems[0]!.arg,
        "artifact.sha256",
      )
    })

    it("refuse a bad port and a multi-line environment value", () => {
      assert.strictEqual(invalid({ port: 65_536 }).problems[0]!.arg, "port")
      assert.strictEqual(invalid({ environment: { MOTD: "a\nb" } }).problems[0]!.arg, "environment.MOTD")
    })
  })

  it("passes the stack policy checks", async () => {
    const run = await deploy({ secrets: { DATABASE_URL: dbUrl } })
    assert.deepStrictEqual(run.policy(), [])
    const component = run.get("slipway:aws:Ec2Service", "web")
    assert.strictEqual(run.descendants(component.urn).length, run.resources.length - 1)
  })
})

describe("renderUserData", () => {
  const input = {
    app: "web",
    artifact: release,
    port: 8080,
    environment: { GREETING: 'say "hi" \\ bye', A: "1" },
    secrets: {},
    logGroupName: "/slipway/web",
    region: "eu-west-1",
  }

  it("is deterministic: same inputs, same script, variables sorted", () => {
    const script = renderUserData(input)
    assert.strictEqual(
      renderUserData({ ...input, environment: { A: "1", GREETING: 'say "hi" \\ bye' } }),
      script,
    )
    const env = script.slice(script.indexOf("cat >/etc/app/app.env"), script.indexOf("env_line() {"))
    assert.isBelow(env.indexOf('A="1"'), env.indexOf("GREETING="))
    assert.isBelow(env.indexOf("GREETING="), env.indexOf("PORT="))
  })

  it("quotes values so systemd reads them literally", () => {
    const script = renderUserData({ ...input, environment: { ...input.environment, PRICE: "$5 `now`" } })
    assert.include(script, 'GREETING="say \\"hi\\" \\\\ bye"')
    assert.include(script, 'PRICE="\\$5 \\`now\\`"')
  })

  it("single-quotes shell arguments", () => {
    const script = renderUserData({
      ...input,
      artifact: { ...release, url: "https://x.example.com/it's.tgz" },
    })
    assert.include(script, `'https://x.example.com/it'\\''s.tgz'`)
  })
})
