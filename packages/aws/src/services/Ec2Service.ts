/**
 * An app on EC2 instances in an Auto Scaling group behind an HTTPS load balancer:
 * instances in private subnets, reachable only from the load balancer, IMDSv2 only,
 * encrypted disks, no SSH key (Session Manager instead), and the app run by systemd with
 * restart on exit. Instance refresh settings come from the native compiler.
 */

import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import * as core from "@slipway/core"
import {
  ArgProblems,
  componentTags,
  createChild,
  knownValue as known,
  type Tags,
  type Transform,
} from "../component.ts"
import { compileInstanceRefresh, type InstanceRefreshSettings } from "../native/compileInstanceRefresh.ts"
import type { StaticAssets, StaticAssetsArgs } from "../packaging/StaticAssets.ts"
import type { DrivenRollout } from "../rollout/DrivenRollout.ts"
import {
  checkCount,
  checkEnvNames,
  checkGates,
  checkHealthPath,
  checkImageDigest,
  checkInteger,
  checkPort,
  checkRange,
  checkRetention,
  checkSecrets,
  checkStrategy,
  refusalProblem,
  refusedLate,
  secretSource,
  warnIfTag,
  watchedAlarms,
} from "./args.ts"
import { checkAssets, createServiceAssets, type ServiceAssets } from "./assets.ts"
import {
  checkRolloutMode,
  createDrivenRollout,
  type DrivenServiceRollout,
  drivenOutputs,
  imageArtifact,
  isDriven,
} from "./driven.ts"
import {
  assumeRolePolicy,
  ecrPullStatements,
  ecrRepository,
  policyDocument,
  type Statement,
  secretReadStatements,
} from "./iam.ts"
import type { LoadBalancer, LoadBalancerArgs } from "./LoadBalancer.ts"
import { albSlots, createLoadBalancedTraffic, createTargetGroupAlarms } from "./loadBalancedService.ts"
import { checkLoadBalancing, type ServiceRoute, serviceUrl, type TargetTransforms } from "./targets.ts"
import type { HttpsArgs, ObserveArgs, RolloutArgs, ServiceNetwork } from "./types.ts"
import { type Ec2Artifact, renderUserData } from "./userData.ts"

const TYPE = "slipway:aws:Ec2Service"

/**
 * Where instances get the app: a `.tar.gz` from an HTTPS URL or S3 (unpacked into
 * `/opt/app` and started with `command`), or a container image by digest.
 *
 * @example
 * const fromUrl: Ec2ArtifactArgs = { url: "https://releases.example.com/web-1.4.2.tar.gz", sha256: "9f86d0…", command: "node server.js" }
 * const fromS3: Ec2ArtifactArgs = { s3: { bucket: "releases", key: "web/1.4.2.tar.gz" }, command: "./bin/web" }
 * const fromImage: Ec2ArtifactArgs = { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:4f1c…" }
 */
export type Ec2ArtifactArgs =
  | {
      readonly url: pulumi.Input<string>
      readonly sha256?: pulumi.Input<string>
      readonly command: pulumi.Input<string>
    }
  | {
      readonly s3: { readonly bucket: pulumi.Input<string>; readonly key: pulumi.Input<string> }
      readonly sha256?: pulumi.Input<string>
      readonly command: pulumi.Input<string>
    }
  | {
      readonly image: pulumi.Input<string>
      readonly command?: pulumi.Input<string>
    }

/**
 * Arguments of an {@link Ec2Service}.
 *
 * @example
 * const args: Ec2ServiceArgs = {
 *   network,
 *   domain,
 *   artifact: { s3: { bucket: "releases", key: "web/1.4.2.tar.gz" }, command: "node server.js" },
 *   minSize: 2,
 *   maxSize: 6,
 * }
 */
export interface Ec2ServiceArgs extends HttpsArgs, RolloutArgs {
  /**
   * The VPC: instances run in its private subnets, the load balancer in its public ones.
   *
   * @example
   * { network: new Network("net") }
   */
  readonly network: ServiceNetwork
  /**
   * The app to install on every instance.
   *
   * @example
   * { artifact: { url: "https://releases.example.com/web-1.4.2.tar.gz", sha256: "9f86d0…", command: "node server.js" } }
   */
  readonly artifact: Ec2ArtifactArgs
  /**
   * Port the app listens on (default 8080); exported to it as `PORT`.
   *
   * @example
   * { port: 3000 }
   */
  readonly port?: pulumi.Input<number>
  /**
   * Instance type (default `t3.small`; use a Graviton type such as `t4g.small` with `architecture: "arm64"`).
   *
   * @example
   * { instanceType: "m7g.large", architecture: "arm64" }
   */
  readonly instanceType?: pulumi.Input<string>
  /**
   * CPU architecture, which selects the default AMI (default `x86_64`).
   *
   * @example
   * { architecture: "arm64" }
   */
  readonly architecture?: "x86_64" | "arm64"
  /**
   * AMI id (default: the latest Amazon Linux 2023, resolved from SSM at launch). The
   * boot script expects a dnf-based Amazon Linux.
   *
   * @example
   * { imageId: "ami-0123456789abcdef0" }
   */
  readonly imageId?: pulumi.Input<string>
  /**
   * Root volume size in GiB (default 20); always gp3 and encrypted.
   *
   * @example
   * { volumeSize: 40 }
   */
  readonly volumeSize?: pulumi.Input<number>
  /**
   * Fewest instances (default 2). In driven mode both slot groups have `minSize` 0 and this
   * is only the default of `desiredCapacity`.
   *
   * @example
   * { minSize: 2 }
   */
  readonly minSize?: pulumi.Input<number>
  /**
   * Most instances (default 4 or `minSize`, whichever is larger).
   *
   * @example
   * { maxSize: 10 }
   */
  readonly maxSize?: pulumi.Input<number>
  /**
   * Instances to start with (default `minSize`); in driven mode, the instances every
   * revision runs on once promoted.
   *
   * @example
   * { desiredCapacity: 3 }
   */
  readonly desiredCapacity?: pulumi.Input<number>
  /**
   * Plain environment variables. They are written into the instance's user data, which
   * anyone with `ec2:DescribeInstanceAttribute` can read: put secrets in `secrets`.
   *
   * @example
   * { environment: { LOG_LEVEL: "info" } }
   */
  readonly environment?: Readonly<Record<string, pulumi.Input<string>>>
  /**
   * Secret environment variables: name → ARN of an SSM parameter or Secrets Manager
   * secret, read by the instance at boot with its role (which may read exactly these).
   *
   * @example
   * { secrets: { DATABASE_URL: "arn:aws:ssm:eu-west-1:123456789012:parameter/web/db-url" } }
   */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>
  /**
   * Path the load balancer probes (default `/healthz`).
   *
   * @example
   * { healthCheckPath: "/up" }
   */
  readonly healthCheckPath?: string
  /**
   * Seconds after launch before failing ELB health checks replace an instance (default 300).
   *
   * @example
   * { healthCheckGracePeriod: 180 }
   */
  readonly healthCheckGracePeriod?: pulumi.Input<number>
  /**
   * Days to keep the app's logs (default 30).
   *
   * @example
   * { logRetentionDays: 90 }
   */
  readonly logRetentionDays?: pulumi.Input<number>
  /**
   * Target tracking on average CPU (default on, 60%; off in driven mode, where the rollout
   * sets each slot's capacity), or `false` for a fixed size.
   *
   * @example
   * { autoScaling: { cpuTarget: 50 } }
   */
  readonly autoScaling?: { readonly cpuTarget?: number } | false
  /**
   * CloudWatch alarms that stand for the gates while instances are replaced (at most 10);
   * a firing alarm fails the instance refresh and rolls it back. Needed when the strategy gates.
   *
   * @example
   * { alarmNames: ["web-5xx-rate"] }
   */
  readonly alarmNames?: ReadonlyArray<pulumi.Input<string>>
  /**
   * Build CloudWatch alarms over this service's own blue and green target groups (5xx rate, p95/p99
   * latency, unhealthy instances) and a dashboard; their names join `alarmNames` for the rollout.
   *
   * @example
   * { observe: { thresholds: { errorRate: 0.01, latencyP99: "800ms" } } }
   */
  readonly observe?: ObserveArgs
  /**
   * Instance refresh settings written by hand, instead of compiling them from `strategy`.
   * Passed through unchanged.
   *
   * @example
   * { instanceRefresh: { strategy: "Rolling", preferences: { checkpointPercentages: [10, 50, 100], checkpointDelay: "300", autoRollback: true } } }
   */
  readonly instanceRefresh?: pulumi.Input<aws.types.input.autoscaling.GroupInstanceRefresh>
  /**
   * A load balancer shared with other services (see `route`). By default the service gets its own.
   *
   * @example
   * { loadBalancer: edge, route: { pathPattern: ["/legacy/*"], priority: 30 } }
   */
  readonly loadBalancer?: LoadBalancer
  /**
   * Which requests this service takes from a shared `loadBalancer`.
   *
   * @example
   * { route: { hostHeader: ["legacy.example.com"], priority: 30 } }
   */
  readonly route?: ServiceRoute
  /**
   * An IAM policy document (JSON) with what the app needs beyond booting (the instance
   * role otherwise has only Session Manager access, its log group, its artifact and its secrets).
   *
   * @example
   * { instanceRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: queue.arn }] }) }
   */
  readonly instanceRolePolicy?: pulumi.Input<string>
  /**
   * A folder of static files to upload to a private bucket of the service's own: the
   * instance role may read exactly those objects, and the app finds them through
   * `ASSETS_BUCKET` and `ASSETS_PREFIX` (written with the rest of its environment;
   * `<prefix><digest>/`, from the files' contents, so each launch template version reads
   * its own revision's files).
   *
   * @example
   * { assets: { directory: "web/dist", prefix: "static/" } }
   */
  readonly assets?: ServiceAssets
  /**
   * Tags for every taggable child (and propagated to instances).
   *
   * @example
   * { tags: { team: "payments" } }
   */
  readonly tags?: Tags
  /**
   * Adjust any child before it is created.
   *
   * @example
   * { transform: { launchTemplate: (args) => { args.monitoring = { enabled: false } } } }
   */
  readonly transform?: TargetTransforms & {
    readonly logGroup?: Transform<aws.cloudwatch.LogGroupArgs>
    readonly role?: Transform<aws.iam.RoleArgs>
    readonly instanceProfile?: Transform<aws.iam.InstanceProfileArgs>
    readonly launchTemplate?: Transform<aws.ec2.LaunchTemplateArgs>
    readonly autoScalingGroup?: Transform<aws.autoscaling.GroupArgs>
    readonly autoScalingPolicy?: Transform<aws.autoscaling.PolicyArgs>
    readonly loadBalancer?: LoadBalancerArgs["transform"]
    readonly assets?: StaticAssetsArgs["transform"]
  }
}

// What a revision's artifact is: the archive's checksum when given (a changed archive at
// the same place is then noticed), the image's digest, or else the place itself.
const artifactRef = (a: Ec2Artifact): core.ArtifactRef => {
  if ("image" in a) return imageArtifact(a.image)
  const uri = "url" in a ? a.url : `s3://${a.s3.bucket}/${a.s3.key}`
  return { digest: a.sha256 !== undefined ? `sha256:${a.sha256}` : core.sha256(uri), uri }
}

const validateArtifact = (check: ArgProblems, artifact: Ec2ArtifactArgs | undefined): void => {
  if (artifact === undefined) {
    check.add(
      "artifact",
      "is missing",
      "pass { url, command }, { s3: { bucket, key }, command } or { image } (an image by digest)",
    )
    return
  }
  const kinds = (["url", "s3", "image"] as const).filter((k) => k in artifact)
  if (kinds.length !== 1) {
    check.add(
      "artifact",
      kinds.length === 0 ? "names no source" : `names ${kinds.join(" and ")}`,
      "give exactly one of `url`, `s3` or `image`",
    )
    return
  }
  if ("image" in artifact) {
    checkImageDigest(check, "artifact.image", artifact.image)
    return
  }
  if (artifact.command === undefined || known(artifact.command) === "") {
    check.add("artifact.command", "is missing", 'say how to start the unpacked app, e.g. "node server.js"')
  }
  if ("url" in artifact) {
    const url = known(artifact.url)
    if (url !== undefined && !/^https:\/\/\S+$/.test(url)) {
      check.add(
        "artifact.url",
        `"${url}" is not an https:// URL`,
        "serve the archive over HTTPS (or use `s3`)",
      )
    }
  }
  const sha = known(artifact.sha256)
  if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha)) {
    check.add(
      "artifact.sha256",
      "is not a sha256 hex digest",
      "use the 64 lowercase hex characters of `sha256sum`",
    )
  }
}

const validate = (name: string, args: Ec2ServiceArgs): void => {
  const check = new ArgProblems(TYPE, name)
  if (args.network === undefined) {
    check.add("network", "is missing", "pass a Network, or { vpcId, publicSubnetIds, privateSubnetIds }")
  }
  validateArtifact(check, args.artifact)
  checkPort(check, "port", args.port)
  checkInteger(check, "volumeSize", args.volumeSize, 8, 16_384)
  checkCount(check, "minSize", args.minSize)
  checkCount(check, "maxSize", args.maxSize)
  checkCount(check, "desiredCapacity", args.desiredCapacity)
  const maxSize = known(args.maxSize)
  if (maxSize === 0) check.add("maxSize", "is 0", "use at least 1")
  checkRange(
    check,
    { min: "minSize", desired: "desiredCapacity", max: "maxSize" },
    { min: args.minSize ?? 2, desired: args.desiredCapacity, max: args.maxSize },
  )
  checkHealthPath(check, "healthCheckPath", args.healthCheckPath)
  checkInteger(check, "healthCheckGracePeriod", args.healthCheckGracePeriod, 0, 7200)
  checkRetention(check, "logRetentionDays", args.logRetentionDays)
  checkEnvNames(check, "environment", Object.keys(args.environment ?? {}))
  checkSecrets(check, "secrets", args.secrets, args.environment)
  checkAssets(check, args.assets, args.environment, args.secrets)
  for (const [key, value] of Object.entries(args.environment ?? {})) {
    const v = known(value)
    if (v?.includes("\n")) {
      check.add(
        `environment.${key}`,
        "contains a newline",
        "pass single-line values (encode multi-line ones)",
      )
    }
  }
  checkLoadBalancing(check, args)
  if (args.autoScaling !== false && args.autoScaling !== undefined) {
    checkInteger(check, "autoScaling.cpuTarget", args.autoScaling.cpuTarget, 1, 100)
  }
  checkStrategy(check, args.strategy)
  const driven = isDriven(args)
  if (!driven) checkGates(check, args.gates, args.strategy)
  checkRolloutMode(check, args, [
    {
      arg: "instanceRefresh",
      given: args.instanceRefresh !== undefined,
      what: "the Auto Scaling instance refresh",
    },
  ])
  if (driven) {
    // The rollout sets each slot's capacity; a scaling policy would fight it.
    if (args.autoScaling !== undefined && args.autoScaling !== false) {
      check.add(
        "autoScaling",
        "is not available in driven mode: the rollout sets each slot's capacity",
        'drop it (driven services run `desiredCapacity` instances), or use rollout: { mode: "native" }',
      )
    }
    if (known(args.desiredCapacity ?? args.minSize ?? 2) === 0) {
      check.add(
        "desiredCapacity",
        "is 0: a driven rollout needs instances to shift traffic to",
        "use at least 1 (in driven mode it is the instance count of a revision; both groups' minSize is 0)",
      )
    }
  }
  if (driven) {
    // Nothing to compile: `pulumi up` runs the strategy itself.
  } else if (args.strategy !== undefined && args.instanceRefresh !== undefined) {
    check.add(
      "instanceRefresh",
      "is set together with `strategy`",
      "drop one: `strategy` is compiled to the instance refresh",
    )
  } else if (args.strategy !== undefined && check.problems.length === 0) {
    // Only the number of alarms matters to the compiler, so a refusal is known up front.
    const compiled = compileInstanceRefresh(
      args.strategy,
      refreshOptions(args, () => "(pending)", args.observe !== undefined ? ["(pending)"] : []),
    )
    if (compiled._tag === "Refused") check.problems.push(refusalProblem("An instance refresh", compiled))
  }
  check.throwIfAny()
}

const refreshOptions = <Ref>(
  args: Ec2ServiceArgs,
  ref: (input: pulumi.Input<string>) => Ref,
  observed: ReadonlyArray<Ref>,
) => {
  const warmup =
    known(args.healthCheckGracePeriod) ?? (args.healthCheckGracePeriod === undefined ? 300 : undefined)
  return {
    alarms: watchedAlarms(args.alarmNames, ref, observed),
    ...(warmup !== undefined ? { instanceWarmupSeconds: warmup } : {}),
  }
}

/**
 * An Auto Scaling group of EC2 instances behind an HTTPS Application Load Balancer, with
 * blue and green target groups for progressive delivery.
 *
 * Children: a launch template (IMDSv2 required with a hop limit of 1, encrypted gp3 root
 * volume, no key pair, Amazon Linux 2023, a boot script that installs the app and runs it
 * under systemd with `Restart=always`); an instance role with Session Manager access
 * (`AmazonSSMManagedInstanceCore`) plus read access to exactly its artifact and secrets
 * and write access to exactly its log group; the group in private subnets attached to the
 * blue target group with ELB health checks; a load balancer (unless shared) and the
 * blue/green wiring; CPU target tracking; optional alarms (`observe`) and static files
 * (`assets`) in a private bucket the instance role may read.
 *
 * A `strategy` is compiled to the group's instance refresh (checkpoints at the strategy's
 * weights, a checkpoint delay for its bakes, alarms and auto rollback); a strategy an
 * instance refresh cannot express is refused before anything is created.
 *
 * With `rollout: { mode: "driven" }`, `pulumi up` runs the strategy itself: two groups,
 * `<name>-blue` (`desiredCapacity` instances) and `<name>-green` (none), both with
 * `minSize` 0 and each in its own target group, whose launch template version and capacity
 * Pulumi then leaves to the rollout (no instance refresh); a `DrivenRollout` that points
 * the idle group at the new launch template version and moves the listener rule's weights;
 * and a `RolloutJournalBucket` (unless `rollout.journal` names one).
 *
 * Type token `slipway:aws:Ec2Service`.
 *
 * @example
 * import { Ec2Service, Network } from "@slipway/aws"
 *
 * const network = new Network("net")
 * const web = new Ec2Service("web", {
 *   network,
 *   certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e…",
 *   artifact: { s3: { bucket: "releases", key: "web/1.4.2.tar.gz" }, command: "node server.js" },
 *   port: 8080,
 *   minSize: 2,
 *   maxSize: 6,
 * })
 * export const url = web.url
 *
 * // Driven: the same service, rolled out 10% → 30% → 60% → 100% by `pulumi up`.
 * const api = new Ec2Service("api", {
 *   network,
 *   certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e…",
 *   artifact: { s3: { bucket: "releases", key: "api/2.0.0.tar.gz" }, sha256: "9f86d0…", command: "./bin/api" },
 *   strategy: canary({ steps: [10, 30, 60].map((weight) => ({ weight, bake: "10m" })) }),
 *   rollout: { mode: "driven", gates: { http: [{ url: "/healthz" }] } },
 * })
 */
export class Ec2Service extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>
  /** The Auto Scaling group (in driven mode, the blue slot's). */
  readonly autoScalingGroupName: pulumi.Output<string>
  readonly autoScalingGroupArn: pulumi.Output<string>
  readonly launchTemplateId: pulumi.Output<string>
  readonly blueTargetGroupArn: pulumi.Output<string>
  readonly greenTargetGroupArn: pulumi.Output<string>
  readonly listenerArn: pulumi.Output<string>
  readonly listenerRuleArn: pulumi.Output<string>
  readonly loadBalancerArn: pulumi.Output<string>
  /** CloudWatch dimensions (`app/…`, `targetgroup/…`), e.g. for `ServiceAlarms`. */
  readonly loadBalancerArnSuffix: pulumi.Output<string>
  readonly blueTargetGroupArnSuffix: pulumi.Output<string>
  readonly greenTargetGroupArnSuffix: pulumi.Output<string>
  /** The instances' security group (ingress from the load balancer only). */
  readonly securityGroupId: pulumi.Output<string>
  readonly loadBalancerSecurityGroupId: pulumi.Output<string>
  readonly logGroupName: pulumi.Output<string>
  readonly instanceRoleArn: pulumi.Output<string>
  /** With `assets`: the bucket the files were uploaded to. */
  readonly assetsBucketName: pulumi.Output<string> | undefined

  /** The rollout strategy, checked and compiled to the group's instance refresh. */
  readonly strategy: core.Strategy | undefined
  readonly gates: ReadonlyArray<core.Gate<unknown>>
  /** What `strategy` compiled to (absent without a strategy). */
  readonly native: InstanceRefreshSettings<pulumi.Input<string>> | undefined
  /** How each step of `strategy` maps onto the instance refresh, one line each. */
  readonly nativeNotes: ReadonlyArray<string> = []
  /** Driven mode: the rollout resource, its journal and the CLI command that watches it. */
  readonly driven: DrivenServiceRollout | undefined

  /** The children, for wiring beyond what the outputs offer. */
  readonly resources: {
    /** The group (in driven mode, the blue slot). */
    readonly autoScalingGroup: aws.autoscaling.Group
    /** Driven mode: the green slot's group. */
    readonly greenAutoScalingGroup: aws.autoscaling.Group | undefined
    /** Driven mode: the resource that performs rollouts. */
    readonly rollout: DrivenRollout | undefined
    readonly launchTemplate: aws.ec2.LaunchTemplate
    readonly loadBalancer: LoadBalancer
    readonly blueTargetGroup: aws.lb.TargetGroup
    readonly greenTargetGroup: aws.lb.TargetGroup
    readonly listenerRule: aws.lb.ListenerRule
    readonly securityGroup: aws.ec2.SecurityGroup
    readonly logGroup: aws.cloudwatch.LogGroup
    readonly role: aws.iam.Role
    /** With `assets`: the uploaded files and their bucket. */
    readonly assets: StaticAssets | undefined
  }

  constructor(name: string, args: Ec2ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    validate(name, args)
    super(TYPE, name, {}, opts)
    const driven = isDriven(args)
    this.strategy = args.strategy
    this.gates = args.gates ?? []
    if ("image" in args.artifact) warnIfTag(args.artifact.image, "artifact.image", this)

    const parent = { parent: this }
    const t = args.transform ?? {}
    const tags = componentTags(TYPE, name, args.tags)
    const port = args.port ?? 8080
    const minSize = args.minSize ?? 2
    const maxSize = args.maxSize ?? pulumi.output(minSize).apply((m) => Math.max(4, m))
    const desiredCapacity = args.desiredCapacity ?? minSize
    const maxSizeFor = driven
      ? // Each slot must be able to hold a whole revision.
        pulumi.all([maxSize, desiredCapacity]).apply(([max, desired]) => Math.max(max, desired))
      : maxSize

    // ---------------------------------------------------------------- logs and role
    const logGroup = createChild(
      aws.cloudwatch.LogGroup,
      name,
      { retentionInDays: args.logRetentionDays ?? 30, tags },
      parent,
      t.logGroup,
    )
    const role = createChild(
      aws.iam.Role,
      `${name}-instance`,
      {
        assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
        description: `Instances of ${name}: Session Manager, own logs, own artifact and secrets`,
        tags,
      },
      parent,
      t.role,
    )
    new aws.iam.RolePolicyAttachment(
      `${name}-ssm`,
      { role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
      parent,
    )
    const artifact = pulumi.output(args.artifact) as pulumi.Output<Ec2Artifact>
    const secrets = pulumi.output(args.secrets ?? {})
    new aws.iam.RolePolicy(
      `${name}-instance`,
      {
        role: role.id,
        policy: pulumi.all([logGroup.arn, artifact, secrets]).apply(([logArn, a, s]) => {
          const statements: Array<Statement> = [
            {
              Sid: "WriteOwnLogs",
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              Resource: [`${logArn}:*`],
            },
          ]
          if ("s3" in a) {
            statements.push({
              Sid: "ReadOwnArtifact",
              Effect: "Allow",
              Action: ["s3:GetObject"],
              Resource: [`arn:aws:s3:::${a.s3.bucket}/${a.s3.key}`],
            })
          }
          if ("image" in a) statements.push(...ecrPullStatements(a.image))
          statements.push(...secretReadStatements(Object.values(s)))
          return policyDocument(statements)
        }),
      },
      parent,
    )
    if (args.instanceRolePolicy !== undefined) {
      new aws.iam.RolePolicy(`${name}-app`, { role: role.id, policy: args.instanceRolePolicy }, parent)
    }
    const assets = createServiceAssets(name, args, role, { parent: this, driven })
    const environment = { ...args.environment, ...assets?.environment }
    // Instances start once their files are in the bucket.
    const uploaded = assets === undefined ? [] : [assets.assets]
    const profile = createChild(
      aws.iam.InstanceProfile,
      name,
      { role: role.name, tags },
      parent,
      t.instanceProfile,
    )

    // ---------------------------------------------------------------- traffic
    const traffic = createLoadBalancedTraffic(
      name,
      args,
      { port, targetType: "instance", healthCheckPath: args.healthCheckPath ?? "/healthz", tags },
      this,
      t,
    )
    const { blue, green, loadBalancer, rule, appSg } = traffic

    // ---------------------------------------------------------------- launch template
    const region = aws.getRegionOutput({}, parent).region
    const userData = pulumi
      .all([artifact, port, pulumi.output(environment), secrets, logGroup.name, region])
      .apply(([a, p, environment, s, logGroupName, r]) => {
        const repo = "image" in a ? ecrRepository(a.image) : undefined
        const script = renderUserData({
          app: name,
          artifact: a,
          port: p,
          environment,
          secrets: Object.fromEntries(
            Object.entries(s).map(([key, arn]) => [key, { arn, source: secretSource(arn) ?? "ssm" }]),
          ),
          logGroupName,
          region: r,
          ...(repo !== undefined
            ? {
                ecrRegistry: `${repo.account}.dkr.ecr.${repo.region}.amazonaws.com${repo.partition === "aws-cn" ? ".cn" : ""}`,
              }
            : {}),
        })
        return Buffer.from(script, "utf8").toString("base64")
      })
    const arch = args.architecture === "arm64" ? "arm64" : "x86_64"
    const launchTemplate = createChild(
      aws.ec2.LaunchTemplate,
      name,
      {
        imageId:
          args.imageId ??
          `resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch}`,
        instanceType: args.instanceType ?? (arch === "arm64" ? "t4g.small" : "t3.small"),
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [appSg.id],
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          // 1 hop: processes on the instance reach IMDS, containers behind a bridge do not.
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [
          {
            deviceName: "/dev/xvda",
            ebs: {
              volumeSize: args.volumeSize ?? 20,
              volumeType: "gp3",
              encrypted: "true",
              deleteOnTermination: "true",
            },
          },
        ],
        monitoring: { enabled: true },
        userData,
        updateDefaultVersion: true,
        tagSpecifications: [
          { resourceType: "instance", tags: { Name: name, ...tags } },
          { resourceType: "volume", tags: { Name: name, ...tags } },
        ],
        tags,
      },
      parent,
      t.launchTemplate,
    )

    // ---------------------------------------------------------------- alarms
    const observed = createTargetGroupAlarms(name, args, traffic, this)

    // ---------------------------------------------------------------- group
    let native: InstanceRefreshSettings<pulumi.Input<string>> | undefined
    if (args.strategy !== undefined && !driven) {
      const compiled = compileInstanceRefresh<pulumi.Input<string>>(
        args.strategy,
        refreshOptions(args, (a) => a, observed?.alarmNames ?? []),
      )
      if (compiled._tag === "Refused") throw refusedLate(TYPE, name, "An instance refresh", compiled)
      native = compiled.settings
      this.nativeNotes = compiled.notes
    }
    this.native = native
    const instanceRefresh: pulumi.Input<aws.types.input.autoscaling.GroupInstanceRefresh> | undefined =
      native !== undefined
        ? {
            strategy: native.strategy,
            preferences: {
              ...native.preferences,
              ...(native.preferences.checkpointPercentages !== undefined
                ? { checkpointPercentages: [...native.preferences.checkpointPercentages] }
                : {}),
              ...(native.preferences.alarmSpecification !== undefined
                ? { alarmSpecification: { alarms: [...native.preferences.alarmSpecification.alarms] } }
                : {}),
            },
          }
        : args.instanceRefresh
    const scaling = driven || args.autoScaling === false ? undefined : (args.autoScaling ?? {})
    const groupTags = (slot: string | undefined) => [
      { key: "Name", value: slot === undefined ? name : `${name}-${slot}`, propagateAtLaunch: true },
      ...Object.entries(tags ?? {}).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      ...(slot === undefined ? [] : [{ key: "slipway:slot", value: slot, propagateAtLaunch: true }]),
    ]
    // Driven: one group per slot, each in its own target group. The rollout points a group
    // at a launch template version and sets its capacity; Pulumi must not undo either.
    const slotGroup = (
      slot: "blue" | "green",
      targetGroup: aws.lb.TargetGroup,
      capacity: pulumi.Input<number>,
    ) =>
      createChild(
        aws.autoscaling.Group,
        `${name}-${slot}`,
        {
          vpcZoneIdentifiers: pulumi.output(args.network.privateSubnetIds).apply((ids) => [...ids]),
          launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
          minSize: 0,
          maxSize: maxSizeFor,
          desiredCapacity: capacity,
          targetGroupArns: [targetGroup.arn],
          healthCheckType: "ELB",
          healthCheckGracePeriod: args.healthCheckGracePeriod ?? 300,
          enabledMetrics: ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupTotalInstances"],
          tags: groupTags(slot),
        },
        {
          parent: this,
          dependsOn: [rule, ...uploaded],
          ignoreChanges: ["desiredCapacity", "launchTemplate"],
        },
        t.autoScalingGroup,
      )
    const greenGroup = driven ? slotGroup("green", green, 0) : undefined
    const group = driven
      ? slotGroup("blue", blue, desiredCapacity)
      : createChild(
          aws.autoscaling.Group,
          name,
          {
            vpcZoneIdentifiers: pulumi.output(args.network.privateSubnetIds).apply((ids) => [...ids]),
            launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
            minSize,
            maxSize,
            desiredCapacity,
            targetGroupArns: [blue.arn],
            healthCheckType: "ELB",
            healthCheckGracePeriod: args.healthCheckGracePeriod ?? 300,
            ...(instanceRefresh !== undefined ? { instanceRefresh } : {}),
            enabledMetrics: ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupTotalInstances"],
            tags: groupTags(undefined),
          },
          {
            parent: this,
            // Register instances only once the target group is behind the listener.
            dependsOn: [rule, ...uploaded],
            ...(scaling !== undefined ? { ignoreChanges: ["desiredCapacity"] } : {}),
          },
          t.autoScalingGroup,
        )
    if (scaling !== undefined) {
      createChild(
        aws.autoscaling.Policy,
        `${name}-cpu`,
        {
          autoscalingGroupName: group.name,
          policyType: "TargetTrackingScaling",
          targetTrackingConfiguration: {
            predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
            targetValue: scaling.cpuTarget ?? 60,
          },
        },
        parent,
        t.autoScalingPolicy,
      )
    }

    this.url = serviceUrl(loadBalancer, args.route, args.loadBalancer !== undefined)

    // ---------------------------------------------------------------- driven rollout
    this.driven =
      driven && args.rollout !== undefined && args.strategy !== undefined && greenGroup !== undefined
        ? createDrivenRollout({
            name,
            parent: this,
            rollout: args.rollout,
            strategy: args.strategy,
            artifact: artifact.apply(artifactRef),
            // Everything the launch template depends on; the boot script (user data) by digest.
            config: pulumi
              .all([
                artifact,
                port,
                pulumi.output(environment),
                secrets,
                args.instanceType,
                args.imageId,
                args.volumeSize,
                userData,
              ])
              .apply(([a, p, environment, s, instanceType, imageId, volumeSize, script]) => ({
                artifact: a,
                port: p,
                environment,
                secrets: s,
                healthCheckPath: args.healthCheckPath ?? "/healthz",
                architecture: arch,
                instanceType,
                imageId,
                volumeSize,
                userData: core.sha256(script),
              })),
            release: {
              kind: "asg",
              launchTemplateId: launchTemplate.id,
              launchTemplateVersion: launchTemplate.latestVersion.apply(String),
            },
            backend: {
              kind: "asg",
              ...albSlots(traffic, { autoScalingGroup: group.name }, { autoScalingGroup: greenGroup.name }),
            },
            replicas: desiredCapacity,
            url: this.url,
            alarms: watchedAlarms(args.alarmNames, (a) => a, observed?.alarmNames ?? []),
            dependsOn: [group, greenGroup, rule],
            tags,
          })
        : undefined
    this.autoScalingGroupName = group.name
    this.autoScalingGroupArn = group.arn
    this.launchTemplateId = launchTemplate.id
    this.blueTargetGroupArn = blue.arn
    this.greenTargetGroupArn = green.arn
    this.listenerArn = loadBalancer.listenerArn
    this.listenerRuleArn = rule.arn
    this.loadBalancerArn = loadBalancer.arn
    this.loadBalancerArnSuffix = loadBalancer.arnSuffix
    this.blueTargetGroupArnSuffix = blue.arnSuffix
    this.greenTargetGroupArnSuffix = green.arnSuffix
    this.securityGroupId = appSg.id
    this.loadBalancerSecurityGroupId = loadBalancer.securityGroupId
    this.logGroupName = logGroup.name
    this.instanceRoleArn = role.arn
    this.assetsBucketName = assets?.assets.bucketName
    this.resources = {
      autoScalingGroup: group,
      greenAutoScalingGroup: greenGroup,
      rollout: this.driven?.rollout,
      launchTemplate,
      loadBalancer,
      blueTargetGroup: blue,
      greenTargetGroup: green,
      listenerRule: rule,
      securityGroup: appSg,
      logGroup,
      role,
      assets: assets?.assets,
    }
    this.registerOutputs({
      url: this.url,
      autoScalingGroupName: this.autoScalingGroupName,
      autoScalingGroupArn: this.autoScalingGroupArn,
      launchTemplateId: this.launchTemplateId,
      blueTargetGroupArn: this.blueTargetGroupArn,
      greenTargetGroupArn: this.greenTargetGroupArn,
      listenerArn: this.listenerArn,
      listenerRuleArn: this.listenerRuleArn,
      loadBalancerArn: this.loadBalancerArn,
      securityGroupId: this.securityGroupId,
      loadBalancerSecurityGroupId: this.loadBalancerSecurityGroupId,
      logGroupName: this.logGroupName,
      instanceRoleArn: this.instanceRoleArn,
      ...(this.assetsBucketName !== undefined ? { assetsBucketName: this.assetsBucketName } : {}),
      ...drivenOutputs(this.driven),
    })
  }
}
