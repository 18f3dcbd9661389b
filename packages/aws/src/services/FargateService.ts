/**
 * A container service on ECS Fargate behind an HTTPS load balancer, ready for
 * progressive delivery: tasks run in private subnets with no public IP, only the load
 * balancer reaches them, a blue and a green target group are wired for traffic shifting,
 * and the image is pinned by digest so every deployment is reproducible.
 */

import { dirname, extname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import type * as core from "@slipway/core"
import {
  ArgProblems,
  componentTags,
  createChild,
  knownValue as known,
  type Tags,
  type Transform,
} from "../component.ts"
import { compileEcs, type EcsNativeOptions, type EcsNativeSettings } from "../native/compileEcs.ts"
import { type EcsHookCheck, type EcsHookPolicy, ecsHookEnv } from "../native/ecsHookHandler.ts"
import type { Compilation } from "../native/Native.ts"
import { lambdaBundle } from "../packaging/LambdaBundle.ts"
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
import { fargateSizeProblem } from "./fargateSizes.ts"
import {
  arnScope,
  assumeRolePolicy,
  ecrPullStatements,
  invokeFunctionStatement,
  lambdaVpcStatements,
  logWriteStatement,
  policyDocument,
  secretReadStatements,
} from "./iam.ts"
import {
  checkTestListener,
  DEFAULT_TEST_PORT,
  type LoadBalancer,
  type LoadBalancerArgs,
  type TestListenerArgs,
} from "./LoadBalancer.ts"
import { albSlots, createLoadBalancedTraffic, createTargetGroupAlarms } from "./loadBalancedService.ts"
import { checkLoadBalancing, type ServiceRoute, serviceUrl, type TargetTransforms } from "./targets.ts"
import type { HttpsArgs, ObserveArgs, RolloutArgs, ServiceNetwork } from "./types.ts"

const TYPE = "slipway:aws:FargateService"
/** The container's name in the task definition (the load balancer and ECS refer to it). */
const CONTAINER = "app"
const NATIVE_STRATEGIES = new Set(["BLUE_GREEN", "CANARY", "LINEAR"])

/**
 * Target-tracking auto scaling of the service's task count.
 *
 * @example
 * const scaling: FargateAutoScaling = { min: 2, max: 20, cpuTarget: 60, requestsPerTarget: 500 }
 */
export interface FargateAutoScaling {
  /**
   * Fewest tasks (default: `desiredCount`).
   *
   * @example
   * { min: 2 }
   */
  readonly min?: number
  /**
   * Most tasks (default: 4 × `min`).
   *
   * @example
   * { max: 20 }
   */
  readonly max?: number
  /**
   * Average CPU utilisation (%) to hold (default 60).
   *
   * @example
   * { cpuTarget: 70 }
   */
  readonly cpuTarget?: number
  /**
   * Requests per task per minute to hold, measured by the load balancer (default 1000).
   *
   * @example
   * { requestsPerTarget: 500 }
   */
  readonly requestsPerTarget?: number
}

/**
 * Cloud Map registration, so other services in the VPC reach this one by name.
 *
 * @example
 * const discovery: FargateServiceDiscovery = { namespace: "internal.local", name: "api" } // api.internal.local
 */
export interface FargateServiceDiscovery {
  /**
   * An existing private DNS namespace to register in.
   *
   * @example
   * { namespaceId: "ns-abc123" }
   */
  readonly namespaceId?: pulumi.Input<string>
  /**
   * Name of a private DNS namespace to create when `namespaceId` is not given (default `<name>.local`).
   *
   * @example
   * { namespace: "internal.local" }
   */
  readonly namespace?: string
  /**
   * The service's name in the namespace (default: the component's name).
   *
   * @example
   * { name: "api" }
   */
  readonly name?: string
}

/**
 * Arguments of a {@link FargateService}.
 *
 * @example
 * const args: FargateServiceArgs = {
 *   network,
 *   domain,
 *   image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:4f1c…",
 *   port: 8080,
 *   cpu: 512,
 *   memory: 1024,
 *   secrets: { DATABASE_URL: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-url-AbCdEf" },
 * }
 */
export interface FargateServiceArgs extends HttpsArgs, RolloutArgs {
  /**
   * The VPC: tasks run in its private subnets, the load balancer in its public ones.
   *
   * @example
   * { network: new Network("net") }
   */
  readonly network: ServiceNetwork
  /**
   * Container image, by digest (`repo@sha256:…`). A tag-only reference is refused.
   *
   * @example
   * { image: "public.ecr.aws/nginx/nginx@sha256:0f0e…" }
   */
  readonly image: pulumi.Input<string>
  /**
   * Port the app listens on (default 8080); also exported to the app as `PORT`.
   *
   * @example
   * { port: 3000 }
   */
  readonly port?: pulumi.Input<number>
  /**
   * CPU units per task (1024 = 1 vCPU; default 256). Must pair with `memory` as Fargate allows.
   *
   * @example
   * { cpu: 1024 }
   */
  readonly cpu?: pulumi.Input<number>
  /**
   * Memory per task in MiB (default 512). Must pair with `cpu` as Fargate allows.
   *
   * @example
   * { memory: 2048 }
   */
  readonly memory?: pulumi.Input<number>
  /**
   * CPU architecture of the image (default `x86_64`).
   *
   * @example
   * { architecture: "arm64" }
   */
  readonly architecture?: "x86_64" | "arm64"
  /**
   * Tasks to run (default 2). With auto scaling it is the starting count; in driven mode,
   * the tasks every revision runs once promoted.
   *
   * @example
   * { desiredCount: 3 }
   */
  readonly desiredCount?: pulumi.Input<number>
  /**
   * Overrides the image's command.
   *
   * @example
   * { command: ["node", "server.js"] }
   */
  readonly command?: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>
  /**
   * Plain environment variables (stored in the task definition; not for secrets).
   *
   * @example
   * { environment: { LOG_LEVEL: "info" } }
   */
  readonly environment?: Readonly<Record<string, pulumi.Input<string>>>
  /**
   * Secret environment variables: name → ARN of an SSM parameter or a Secrets Manager
   * secret. ECS injects the values at start; the execution role may read exactly these.
   *
   * @example
   * { secrets: { API_KEY: "arn:aws:ssm:eu-west-1:123456789012:parameter/web/api-key" } }
   */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>
  /**
   * Path the load balancer probes; a 2xx/3xx answer means healthy (default `/healthz`).
   *
   * @example
   * { healthCheckPath: "/up" }
   */
  readonly healthCheckPath?: string
  /**
   * Seconds after a task starts before failing health checks count (default 60).
   *
   * @example
   * { healthCheckGracePeriodSeconds: 120 }
   */
  readonly healthCheckGracePeriodSeconds?: pulumi.Input<number>
  /**
   * Days to keep container logs (default 30).
   *
   * @example
   * { logRetentionDays: 90 }
   */
  readonly logRetentionDays?: pulumi.Input<number>
  /**
   * An existing cluster to run in; by default the service gets its own, with Container Insights.
   *
   * @example
   * { cluster: sharedCluster } // an aws.ecs.Cluster
   */
  readonly cluster?: { readonly arn: pulumi.Input<string>; readonly name: pulumi.Input<string> }
  /**
   * A load balancer shared with other services; `route` then says which requests are this service's.
   * By default the service gets its own.
   *
   * @example
   * { loadBalancer: edge, route: { pathPattern: ["/api/*"], priority: 10 } }
   */
  readonly loadBalancer?: LoadBalancer
  /**
   * Which requests this service takes from a shared `loadBalancer` (default with its own: all).
   *
   * @example
   * { route: { hostHeader: ["api.example.com"], priority: 10 } }
   */
  readonly route?: ServiceRoute
  /**
   * Target tracking on CPU and on requests per task (default on; off in driven mode, where
   * the rollout sets each slot's task count), or `false` for a fixed count.
   *
   * @example
   * { autoScaling: { min: 2, max: 10 } }
   */
  readonly autoScaling?: FargateAutoScaling | false
  /**
   * Register the tasks in Cloud Map (private DNS) for service-to-service calls.
   *
   * @example
   * { serviceDiscovery: { namespace: "internal.local" } }
   */
  readonly serviceDiscovery?: FargateServiceDiscovery
  /**
   * An IAM policy document (JSON) granting the app what it needs. The task role has no
   * permissions otherwise.
   *
   * @example
   * { taskRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::assets/*" }] }) }
   */
  readonly taskRolePolicy?: pulumi.Input<string>
  /**
   * A folder of static files to upload to a private bucket of the service's own: the
   * task role may read exactly those objects, and the app finds them through
   * `ASSETS_BUCKET` and `ASSETS_PREFIX` (`<prefix><digest>/`, from the files' contents: each
   * task definition reads its own revision's files, so a canary or a rollback never serves
   * another revision's).
   *
   * @example
   * { assets: { directory: "web/dist", prefix: "static/" } }
   */
  readonly assets?: ServiceAssets
  /**
   * CloudWatch alarms that stand for the gates while traffic shifts (e.g. from `Observe`).
   * ECS watches them during a native deployment and its bake, and rolls back on ALARM.
   * Needed when the strategy gates at a weight above 0.
   *
   * @example
   * { alarmNames: ["web-5xx-rate", sharedAlarm.name] }
   */
  readonly alarmNames?: ReadonlyArray<pulumi.Input<string>>
  /**
   * Build CloudWatch alarms over this service's own blue and green target groups (5xx rate, p95/p99
   * latency, unhealthy tasks) and a dashboard; their names join `alarmNames` for the rollout.
   *
   * @example
   * { observe: { thresholds: { errorRate: 0.01, latencyP99: "800ms" } } }
   */
  readonly observe?: ObserveArgs
  /**
   * Your own lifecycle hook function and the role ECS assumes to invoke it, for a strategy
   * that gates or pauses before production traffic. By default the service builds one: the
   * `ecsHookHandler`, running `hookChecks`.
   *
   * @example
   * { lifecycleHook: { functionArn: hook.arn, roleArn: hookInvokeRole.arn } }
   */
  readonly lifecycleHook?: {
    readonly functionArn: pulumi.Input<string>
    readonly roleArn: pulumi.Input<string>
  }
  /**
   * The HTTP checks the service's own lifecycle hook runs against the new revision through
   * the test listener, before it gets production traffic; one per gate the strategy names
   * there (matched by `name`). A `path` is resolved against
   * `https://<route host, or domain>:<test port>`. Needed when the strategy gates before
   * traffic and no `lifecycleHook` is given.
   *
   * @example
   * { hookChecks: [{ name: "smoke", path: "/healthz" }, { name: "api", path: "/api/ping", expectStatus: 200 }] }
   */
  readonly hookChecks?: ReadonlyArray<EcsHookCheck>
  /**
   * Port and sources of the test listener the service's own load balancer gets when the
   * strategy gates before production traffic (default: HTTPS on 8443 from the VPC and its
   * NAT addresses only). With a shared `loadBalancer`, set `testListener` on it instead.
   *
   * @example
   * { testListener: { port: 9443, allowedCidrs: ["10.0.0.0/16"] } }
   */
  readonly testListener?: TestListenerArgs
  /**
   * ECS deployment settings written by hand, instead of compiling them from `strategy`.
   * With `BLUE_GREEN`, `CANARY` or `LINEAR` the green target group, the listener rule and
   * an infrastructure role are handed to ECS.
   *
   * @example
   * { deploymentConfiguration: { strategy: "CANARY", canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: "5" }, bakeTimeInMinutes: "10" } }
   */
  readonly deploymentConfiguration?: pulumi.Input<aws.types.input.ecs.ServiceDeploymentConfiguration>
  /**
   * Tags for every taggable child.
   *
   * @example
   * { tags: { team: "payments" } }
   */
  readonly tags?: Tags
  /**
   * Adjust any child before it is created.
   *
   * @example
   * { transform: { service: (args) => { args.enableExecuteCommand = true }, logGroup: { kmsKeyId: key.arn } } }
   */
  readonly transform?: TargetTransforms & {
    readonly cluster?: Transform<aws.ecs.ClusterArgs>
    readonly logGroup?: Transform<aws.cloudwatch.LogGroupArgs>
    readonly executionRole?: Transform<aws.iam.RoleArgs>
    readonly taskRole?: Transform<aws.iam.RoleArgs>
    readonly taskDefinition?: Transform<aws.ecs.TaskDefinitionArgs>
    readonly service?: Transform<aws.ecs.ServiceArgs>
    readonly autoScalingTarget?: Transform<aws.appautoscaling.TargetArgs>
    readonly autoScalingPolicy?: Transform<aws.appautoscaling.PolicyArgs>
    readonly namespace?: Transform<aws.servicediscovery.PrivateDnsNamespaceArgs>
    readonly discoveryService?: Transform<aws.servicediscovery.ServiceArgs>
    readonly loadBalancer?: LoadBalancerArgs["transform"]
    readonly assets?: StaticAssetsArgs["transform"]
    readonly hookFunction?: Transform<aws.lambda.FunctionArgs>
    readonly hookRole?: Transform<aws.iam.RoleArgs>
    readonly hookInvokeRole?: Transform<aws.iam.RoleArgs>
    readonly hookLogGroup?: Transform<aws.cloudwatch.LogGroupArgs>
    readonly hookSecurityGroup?: Transform<aws.ec2.SecurityGroupArgs>
  }
}

// Compiling needs only the strategy and which options are present, so a refusal is known
// before any child exists; the real ARNs are filled in once the children are declared.
const nativeOptions = <Ref>(
  args: FargateServiceArgs,
  refs: {
    readonly roleArn: Ref
    readonly alternateTargetGroupArn: Ref
    readonly productionListenerRuleArn: Ref
    /** Present only when the strategy gates before traffic (the service then adds the rule). */
    readonly testListenerRuleArn?: Ref | undefined
    /** The service's own hook, when it builds one. */
    readonly hook?: { readonly functionArn: Ref; readonly roleArn: Ref } | undefined
  },
  ref: (input: pulumi.Input<string>) => Ref,
  observed: ReadonlyArray<Ref>,
): EcsNativeOptions<Ref> => ({
  roleArn: refs.roleArn,
  alternateTargetGroupArn: refs.alternateTargetGroupArn,
  productionListenerRuleArn: refs.productionListenerRuleArn,
  ...(refs.testListenerRuleArn !== undefined ? { testListenerRuleArn: refs.testListenerRuleArn } : {}),
  alarms: watchedAlarms(args.alarmNames, ref, observed),
  ...(args.lifecycleHook !== undefined
    ? { hookFunctionArn: ref(args.lifecycleHook.functionArn), hookRoleArn: ref(args.lifecycleHook.roleArn) }
    : refs.hook !== undefined
      ? { hookFunctionArn: refs.hook.functionArn, hookRoleArn: refs.hook.roleArn }
      : {}),
})

/**
 * What a strategy's steps before production traffic ask the service to build. Both are
 * false for every strategy ECS ran natively before pre-traffic gates were wired, so those
 * services keep exactly their resources.
 */
interface PreTrafficWiring {
  /** Gates before traffic: a test listener rule sends the new revision requests first. */
  readonly testListener: boolean
  /** Gates or timed pauses before traffic and no `lifecycleHook`: the service builds the hook function. */
  readonly ownHook: boolean
}

const noPreTraffic: PreTrafficWiring = { testListener: false, ownHook: false }

// Where a check's `path` points: the host the certificate covers, on the test port.
const testHost = (args: FargateServiceArgs): string | undefined => {
  const host = args.route?.hostHeader?.find((h) => !h.includes("*") && !h.includes("?"))
  return host ?? args.domain?.name ?? args.loadBalancer?.domainName
}

const checkPreTraffic = (
  check: ArgProblems,
  args: FargateServiceArgs,
  wiring: PreTrafficWiring,
  policy: EcsHookPolicy | undefined,
): void => {
  if (args.testListener !== undefined) {
    if (args.loadBalancer !== undefined) {
      check.add(
        "testListener",
        "is set together with a shared `loadBalancer`",
        "set `testListener` on the LoadBalancer instead",
      )
    } else if (!wiring.testListener) {
      check.add(
        "testListener",
        "is not used: the strategy has no gate before production traffic",
        "drop it (the test listener is added only for pre-traffic gates)",
      )
    }
  }
  if (wiring.testListener) {
    if (args.loadBalancer !== undefined) {
      if (args.loadBalancer.testListenerArn === undefined) {
        check.add(
          "loadBalancer",
          "has no test listener, and the strategy gates the new revision before production traffic",
          "create the shared LoadBalancer with `testListener: {}`",
        )
      }
    } else {
      checkTestListener(check, "testListener", args.testListener ?? {}, args)
    }
  }
  if (args.hookChecks !== undefined && !(wiring.ownHook && wiring.testListener)) {
    check.add(
      "hookChecks",
      args.lifecycleHook !== undefined
        ? "is not used: `lifecycleHook` is your own function, which configures its own checks"
        : "is not used: the strategy has no gate before production traffic",
      "drop it",
    )
    return
  }
  if (!(wiring.ownHook && wiring.testListener)) return
  const checks = args.hookChecks ?? []
  checks.forEach((c, i) => {
    if (typeof c?.name !== "string" || c.name.length === 0) {
      check.add(`hookChecks[${i}].name`, "is missing", "name the gate this check stands for")
    }
    if (c?.url === undefined && c?.path === undefined) {
      check.add(
        `hookChecks[${i}]`,
        "has neither `url` nor `path`",
        'give a path on the service, e.g. "/healthz"',
      )
    } else if (c.url === undefined && testHost(args) === undefined) {
      check.add(
        `hookChecks[${i}].path`,
        "cannot be resolved: no host name is known that the certificate covers (no `domain`, route host or shared load balancer domain)",
        "pass `domain`, or give the check an absolute `url` on the test port",
      )
    }
  })
  const wanted = policy?.gates
  if (wanted === undefined) {
    if (checks.length === 0) {
      check.add(
        "hookChecks",
        "is missing: the strategy gates the new revision before production traffic and the service's hook would have nothing to check",
        'pass the checks, e.g. hookChecks: [{ name: "smoke", path: "/healthz" }], or your own `lifecycleHook`',
      )
    }
  } else {
    for (const gate of wanted) {
      if (!checks.some((c) => c?.name === gate)) {
        check.add(
          "hookChecks",
          `has no check named "${gate}", which the strategy's pre-traffic gate names`,
          `add { name: "${gate}", path: "/…" }, or your own \`lifecycleHook\``,
        )
      }
    }
  }
}

const validate = (
  name: string,
  args: FargateServiceArgs,
): {
  readonly compiled: Compilation<EcsNativeSettings<string>> | undefined
  readonly wiring: PreTrafficWiring
} => {
  const check = new ArgProblems(TYPE, name)
  if (args.network === undefined) {
    check.add("network", "is missing", "pass a Network, or { vpcId, publicSubnetIds, privateSubnetIds }")
  }
  if (args.image === undefined) {
    check.add("image", "is missing", "pass a container image by digest (repo@sha256:…)")
  }
  checkImageDigest(check, "image", args.image)
  checkPort(check, "port", args.port)
  const cpu = known(args.cpu) ?? (args.cpu === undefined ? 256 : undefined)
  const memory = known(args.memory) ?? (args.memory === undefined ? 512 : undefined)
  if (cpu !== undefined && memory !== undefined) {
    const problem = fargateSizeProblem(cpu, memory)
    if (problem !== undefined) check.add(problem.arg, problem.problem, problem.fix)
  }
  checkCount(check, "desiredCount", args.desiredCount)
  checkHealthPath(check, "healthCheckPath", args.healthCheckPath)
  checkInteger(check, "healthCheckGracePeriodSeconds", args.healthCheckGracePeriodSeconds, 0, 2_147_483_647)
  checkRetention(check, "logRetentionDays", args.logRetentionDays)
  checkEnvNames(check, "environment", Object.keys(args.environment ?? {}))
  checkSecrets(check, "secrets", args.secrets, args.environment)
  checkAssets(check, args.assets, args.environment, args.secrets)
  checkLoadBalancing(check, args)
  if (args.autoScaling !== false && args.autoScaling !== undefined) {
    const a = args.autoScaling
    checkCount(check, "autoScaling.min", a.min)
    checkCount(check, "autoScaling.max", a.max)
    if (a.max !== undefined && a.max < 1) check.add("autoScaling.max", "is 0", "use at least 1")
    checkRange(
      check,
      { min: "autoScaling.min", desired: "desiredCount", max: "autoScaling.max" },
      { min: a.min, desired: args.desiredCount ?? 2, max: a.max },
    )
    checkInteger(check, "autoScaling.cpuTarget", a.cpuTarget, 1, 100)
    checkInteger(check, "autoScaling.requestsPerTarget", a.requestsPerTarget, 1, 1_000_000)
  }
  checkStrategy(check, args.strategy)
  const driven = isDriven(args)
  if (!driven) checkGates(check, args.gates, args.strategy)
  checkRolloutMode(check, args, [
    {
      arg: "deploymentConfiguration",
      given: args.deploymentConfiguration !== undefined,
      what: "ECS's own deployment settings",
    },
    {
      arg: "lifecycleHook",
      given: args.lifecycleHook !== undefined,
      what: "the hook ECS calls during a native deployment",
    },
    {
      arg: "hookChecks",
      given: args.hookChecks !== undefined,
      what: "the checks of the hook ECS calls during a native deployment",
    },
    {
      arg: "testListener",
      given: args.testListener !== undefined,
      what: "the test listener ECS sends a native deployment's test traffic to",
    },
  ])
  if (driven) {
    // The rollout sets each slot's task count; a scaler would fight it (and scale the idle slot up).
    if (args.autoScaling !== undefined && args.autoScaling !== false) {
      check.add(
        "autoScaling",
        "is not available in driven mode: the rollout sets each slot's task count",
        'drop it (driven services run `desiredCount` tasks), or use rollout: { mode: "native" }',
      )
    }
    if (args.serviceDiscovery !== undefined) {
      check.add(
        "serviceDiscovery",
        "is not available in driven mode: callers resolving Cloud Map names would reach both slots, bypassing the traffic weights",
        'call the service through its load balancer, or use rollout: { mode: "native" }',
      )
    }
    if (known(args.desiredCount) === 0) {
      check.add("desiredCount", "is 0: a driven rollout needs tasks to shift traffic to", "use at least 1")
    }
  }
  let compiled: Compilation<EcsNativeSettings<string>> | undefined
  let wiring = noPreTraffic
  if (driven) {
    // Nothing to compile: `pulumi up` runs the strategy itself.
  } else if (args.strategy !== undefined && args.deploymentConfiguration !== undefined) {
    check.add(
      "deploymentConfiguration",
      "is set together with `strategy`",
      "drop one: `strategy` is compiled to the deployment configuration",
    )
  } else if (args.strategy !== undefined && check.problems.length === 0) {
    const placeholder = "(pending)"
    // Compiled with everything the service can wire, to learn what the steps before traffic
    // ask for (`hookPolicy`); the constructor compiles again with the real ARNs and exactly
    // that wiring, which refuses nothing this did not (it gives what the steps need).
    compiled = compileEcs(
      args.strategy,
      nativeOptions(
        args,
        {
          roleArn: placeholder,
          alternateTargetGroupArn: placeholder,
          productionListenerRuleArn: placeholder,
          testListenerRuleArn: placeholder,
          // Ignored when `lifecycleHook` is given: the user's own hook is wired instead.
          hook: { functionArn: placeholder, roleArn: placeholder },
        },
        () => placeholder,
        args.observe !== undefined ? [placeholder] : [],
      ),
    )
    if (compiled._tag === "Refused") {
      check.problems.push(refusalProblem("ECS", compiled))
    } else {
      const policy = compiled.settings.hookPolicy
      wiring = {
        testListener: policy?.requireChecks === true,
        ownHook: policy !== undefined && args.lifecycleHook === undefined,
      }
      checkPreTraffic(check, args, wiring, policy)
    }
  }
  if (!driven && args.strategy === undefined) checkPreTraffic(check, args, noPreTraffic, undefined)
  check.throwIfAny()
  return { compiled, wiring }
}

// Whether a hand-written deployment configuration may use a strategy in which ECS shifts
// traffic between target groups (unknown values count: the role is cheap, a failed deploy is not).
const mayShiftNatively = (
  input: pulumi.Input<aws.types.input.ecs.ServiceDeploymentConfiguration> | undefined,
): boolean => {
  if (input === undefined) return false
  const config = known(input)
  if (config === undefined || config.strategy === undefined) return config === undefined
  const strategy = known(config.strategy)
  return strategy === undefined || NATIVE_STRATEGIES.has(strategy)
}

// The hook handler next to this module: `.ts` when running from source, `.js` from `dist/`.
const hookHandlerEntry = (): string => {
  const here = fileURLToPath(import.meta.url)
  return join(dirname(here), "..", "native", `ecsHookHandler${extname(here)}`)
}

/**
 * The lifecycle hook a `FargateService` builds for pre-traffic gates: the `ecsHookHandler`
 * function, its role, the role ECS invokes it with, its log group and (with a test
 * listener) its security group.
 *
 * @example
 * const hook: FargateHookResources | undefined = web.resources.hook
 * export const hookLogs = hook?.logGroup.name
 */
export interface FargateHookResources {
  readonly function: aws.lambda.Function
  readonly role: aws.iam.Role
  readonly invokeRole: aws.iam.Role
  readonly logGroup: aws.cloudwatch.LogGroup
  readonly securityGroup: aws.ec2.SecurityGroup | undefined
}

// The ecsHookHandler as a Lambda function. With a test listener it runs in the private
// subnets (the listener admits only the VPC and its NAT addresses) and may only open
// connections to the test port; its role may write its own logs and manage its own network
// interfaces, nothing else. ECS invokes it through a role allowed to invoke this one function.
const createOwnHook = (
  name: string,
  args: FargateServiceArgs,
  input: {
    readonly test: { readonly port: number; readonly baseUrl: string | undefined } | undefined
    readonly vpcId: pulumi.Input<string>
    readonly privateSubnets: pulumi.Output<Array<string>>
    readonly tags: Tags
  },
  parent: pulumi.ComponentResource,
): FargateHookResources => {
  const opts = { parent }
  const t = args.transform ?? {}
  const { tags, test } = input
  const bundle = lambdaBundle(`${name}-hook`, {
    entry: hookHandlerEntry(),
    // The Pulumi project's artifacts folder, not the installed package's.
    outDir: resolve(".slipway", "artifacts"),
  })
  const logGroup = createChild(
    aws.cloudwatch.LogGroup,
    `${name}-hook`,
    { retentionInDays: args.logRetentionDays ?? 30, tags },
    opts,
    t.hookLogGroup,
  )
  const securityGroup =
    test === undefined
      ? undefined
      : createChild(
          aws.ec2.SecurityGroup,
          `${name}-hook`,
          {
            vpcId: input.vpcId,
            description: `Lifecycle hook of ${name}: no ingress; HTTPS to the test listener (${test.port}) only`,
            // The load balancer's public addresses change, so the destination is any address on the test port.
            egress: [
              {
                protocol: "tcp",
                fromPort: test.port,
                toPort: test.port,
                cidrBlocks: ["0.0.0.0/0"],
                description: "HTTPS to the test listener",
              },
            ],
            tags,
          },
          opts,
          t.hookSecurityGroup,
        )
  const role = createChild(
    aws.iam.Role,
    `${name}-hook`,
    {
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
      description: `Lifecycle hook of ${name}: write its logs${test === undefined ? "" : ", reach the test listener from the VPC"}`,
      tags,
    },
    opts,
    t.hookRole,
  )
  const rolePolicy = new aws.iam.RolePolicy(
    `${name}-hook`,
    {
      role: role.id,
      policy: pulumi
        .all([logGroup.arn, input.privateSubnets, securityGroup?.id ?? pulumi.output(undefined)])
        .apply(([logArn, subnets, sg]) => {
          const scope = arnScope(logArn)
          return policyDocument([
            logWriteStatement(logArn),
            ...(sg !== undefined && scope !== undefined ? lambdaVpcStatements(scope, subnets, [sg]) : []),
          ])
        }),
    },
    opts,
  )
  const longestCheck = Math.max(5_000, ...(args.hookChecks ?? []).map((c) => c.timeoutMs ?? 5_000))
  const fn = createChild(
    aws.lambda.Function,
    `${name}-hook`,
    {
      description: `Slipway lifecycle hook of ${name}: checks the new revision before production traffic`,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      code: bundle.archive,
      handler: bundle.handler,
      sourceCodeHash: bundle.sourceCodeHash,
      role: role.arn,
      memorySize: 128,
      // Checks run in parallel, each within its own timeout.
      timeout: Math.ceil(longestCheck / 1_000) + 10,
      environment: {
        variables: {
          [ecsHookEnv.checks]: JSON.stringify(args.hookChecks ?? []),
          ...(test?.baseUrl !== undefined ? { [ecsHookEnv.baseUrl]: test.baseUrl } : {}),
        },
      },
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      ...(securityGroup !== undefined
        ? { vpcConfig: { subnetIds: input.privateSubnets, securityGroupIds: [securityGroup.id] } }
        : {}),
      tags,
    },
    // Lambda checks the role may create network interfaces when the function is created.
    { parent, dependsOn: [rolePolicy] },
    t.hookFunction,
  )
  const invokeRole = createChild(
    aws.iam.Role,
    `${name}-hook-invoke`,
    {
      assumeRolePolicy: assumeRolePolicy("ecs.amazonaws.com"),
      description: `ECS invokes ${name}'s lifecycle hook`,
      tags,
    },
    opts,
    t.hookInvokeRole,
  )
  new aws.iam.RolePolicy(
    `${name}-hook-invoke`,
    { role: invokeRole.id, policy: fn.arn.apply((arn) => policyDocument([invokeFunctionStatement(arn)])) },
    opts,
  )
  return { function: fn, role, invokeRole, logGroup, securityGroup }
}

// The compiler's read-only settings in the provider's (mutable) argument shape.
const deploymentArgs = (
  c: EcsNativeSettings<pulumi.Input<string>>["deploymentConfiguration"],
): aws.types.input.ecs.ServiceDeploymentConfiguration => ({
  strategy: c.strategy,
  ...(c.bakeTimeInMinutes !== undefined ? { bakeTimeInMinutes: c.bakeTimeInMinutes } : {}),
  ...(c.canaryConfiguration !== undefined ? { canaryConfiguration: { ...c.canaryConfiguration } } : {}),
  ...(c.linearConfiguration !== undefined ? { linearConfiguration: { ...c.linearConfiguration } } : {}),
  ...(c.lifecycleHooks !== undefined
    ? {
        lifecycleHooks: c.lifecycleHooks.map((h) => ({
          ...h,
          lifecycleStages: [...h.lifecycleStages],
          ...(h.timeoutConfiguration !== undefined
            ? { timeoutConfiguration: { ...h.timeoutConfiguration } }
            : {}),
        })),
      }
    : {}),
})

/**
 * An ECS Fargate service behind an HTTPS Application Load Balancer, with blue and green
 * target groups for progressive delivery.
 *
 * Children: a cluster (unless `cluster` is given) with Container Insights; a task
 * definition (image by digest, env, secrets from SSM / Secrets Manager, logs to a log
 * group with retention); an execution role that may read exactly the given secrets, pull
 * exactly the given ECR repository and write exactly its log group; a task role with no
 * permissions unless `taskRolePolicy` grants some; a load balancer (unless shared) and
 * a listener rule weighting blue and green; an app security group admitting only the load
 * balancer on the app port; the ECS service in private subnets with no public IP;
 * target-tracking auto scaling on CPU and requests per task; optional Cloud Map,
 * alarms (`observe`) and static files (`assets`) in a private bucket the task role may read.
 *
 * A `strategy` is compiled to ECS's own deployment controller (BLUE_GREEN, CANARY, LINEAR
 * or ROLLING, with bake time, lifecycle hooks and alarms): ECS runs the rollout
 * server-side, shifting the listener rule between blue and green with an infrastructure
 * role. A strategy ECS cannot express is refused before anything is created.
 *
 * With `rollout: { mode: "driven" }`, `pulumi up` runs the strategy itself (any steps, any
 * gates in `rollout.gates`): two ECS services, `<name>-blue` (`desiredCount` tasks) and
 * `<name>-green` (none), each on its own target group, whose task definition and count
 * Pulumi then leaves to the rollout; a `DrivenRollout` that places each new revision in the
 * idle slot and moves the listener rule's weights; and a `RolloutJournalBucket` (unless
 * `rollout.journal` names one) for `slipway status | promote | abort --target aws`. Task
 * definitions are kept when replaced (`skipDestroy`), so the previous revision can come back.
 *
 * Type token `slipway:aws:FargateService`.
 *
 * @example
 * import { Domain, FargateService, Network } from "@slipway/aws"
 * import { canary } from "@slipway/strategies"
 *
 * const network = new Network("net")
 * const domain = new Domain("web", { name: "web.example.com", zoneName: "example.com" })
 * const web = new FargateService("web", {
 *   network,
 *   domain,
 *   image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:4f1c…",
 *   port: 8080,
 *   environment: { LOG_LEVEL: "info" },
 *   secrets: { DATABASE_URL: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-url-AbCdEf" },
 *   // ECS CANARY: 10% for 5 minutes; its gates are judged by the service's own alarms
 *   strategy: canary({ steps: [{ weight: 10, bake: "5m" }] }),
 *   observe: { thresholds: { errorRate: 0.01, latencyP99: "800ms" } },
 * })
 * export const url = web.url
 *
 * // Driven: four traffic steps (ECS CANARY shifts once), judged by probes and the 5xx rate.
 * const api = new FargateService("api", {
 *   network,
 *   certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e…",
 *   image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:9b2e…",
 *   strategy: canary({ steps: [10, 25, 50, 75].map((weight) => ({ weight, bake: "5m" })) }),
 *   rollout: { mode: "driven", gates: { http: [{ url: "/healthz" }], errorRate: { max: 0.01, window: "1m", minRequests: 50 } } },
 * })
 * export const status = api.driven?.statusCommand
 */
export class FargateService extends pulumi.ComponentResource {
  /** Where the service answers (`https://<domain>` or the load balancer's address). */
  readonly url: pulumi.Output<string>
  /** The ECS service (in driven mode, the blue slot's; `resources.greenService` is the other). */
  readonly serviceName: pulumi.Output<string>
  readonly serviceArn: pulumi.Output<string>
  readonly clusterName: pulumi.Output<string>
  readonly clusterArn: pulumi.Output<string>
  readonly taskDefinitionArn: pulumi.Output<string>
  /** Target group serving production traffic at first (stable). */
  readonly blueTargetGroupArn: pulumi.Output<string>
  /** Target group for the candidate during a rollout. */
  readonly greenTargetGroupArn: pulumi.Output<string>
  /** The listener carrying the service's traffic (HTTPS unless `insecureHttpOnly`). */
  readonly listenerArn: pulumi.Output<string>
  /** The listener rule whose forward weights split traffic between blue and green. */
  readonly listenerRuleArn: pulumi.Output<string>
  /** With gates before production traffic: the rule on the test listener ECS points at the new revision. */
  readonly testListenerRuleArn: pulumi.Output<string> | undefined
  /** The service's own lifecycle hook function, when it built one. */
  readonly hookFunctionArn: pulumi.Output<string> | undefined
  readonly loadBalancerArn: pulumi.Output<string>
  /** CloudWatch dimensions (`app/…`, `targetgroup/…`), e.g. for `ServiceAlarms`. */
  readonly loadBalancerArnSuffix: pulumi.Output<string>
  readonly blueTargetGroupArnSuffix: pulumi.Output<string>
  readonly greenTargetGroupArnSuffix: pulumi.Output<string>
  /** The app's security group (ingress from the load balancer only). */
  readonly securityGroupId: pulumi.Output<string>
  readonly loadBalancerSecurityGroupId: pulumi.Output<string>
  readonly logGroupName: pulumi.Output<string>
  readonly executionRoleArn: pulumi.Output<string>
  readonly taskRoleArn: pulumi.Output<string>
  /** With `assets`: the bucket the files were uploaded to. */
  readonly assetsBucketName: pulumi.Output<string> | undefined

  /** The rollout strategy, checked and compiled to ECS's native deployment settings. */
  readonly strategy: core.Strategy | undefined
  readonly gates: ReadonlyArray<core.Gate<unknown>>
  /** What `strategy` compiled to (absent without a strategy). */
  readonly native: EcsNativeSettings<pulumi.Input<string>> | undefined
  /** How each step of `strategy` maps onto ECS, one line each (for previews and `explain`). */
  readonly nativeNotes: ReadonlyArray<string> = []
  /** Driven mode: the rollout resource, its journal and the CLI command that watches it. */
  readonly driven: DrivenServiceRollout | undefined

  /** The children, for wiring beyond what the outputs offer. */
  readonly resources: {
    /** The service (in driven mode, the blue slot). */
    readonly service: aws.ecs.Service
    /** Driven mode: the green slot's service. */
    readonly greenService: aws.ecs.Service | undefined
    /** Driven mode: the resource that performs rollouts. */
    readonly rollout: DrivenRollout | undefined
    readonly taskDefinition: aws.ecs.TaskDefinition
    readonly cluster: aws.ecs.Cluster | undefined
    readonly loadBalancer: LoadBalancer
    readonly blueTargetGroup: aws.lb.TargetGroup
    readonly greenTargetGroup: aws.lb.TargetGroup
    readonly listenerRule: aws.lb.ListenerRule
    /** With gates before production traffic: the rule on the test listener. */
    readonly testListenerRule: aws.lb.ListenerRule | undefined
    /** The service's own lifecycle hook (function, its role, the role ECS invokes it with), when built. */
    readonly hook: FargateHookResources | undefined
    readonly securityGroup: aws.ec2.SecurityGroup
    readonly logGroup: aws.cloudwatch.LogGroup
    readonly executionRole: aws.iam.Role
    readonly taskRole: aws.iam.Role
    /** The role ECS assumes to shift traffic, present with a native deployment strategy. */
    readonly infrastructureRole: aws.iam.Role | undefined
    /** With `assets`: the uploaded files and their bucket. */
    readonly assets: StaticAssets | undefined
  }

  constructor(name: string, args: FargateServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { compiled: precompiled, wiring } = validate(name, args)
    super(TYPE, name, {}, opts)
    const driven = isDriven(args)
    this.strategy = args.strategy
    this.gates = args.gates ?? []
    warnIfTag(args.image, "image", this)

    const parent = { parent: this }
    const t = args.transform ?? {}
    const tags = componentTags(TYPE, name, args.tags)
    const port = args.port ?? 8080
    const desiredCount = args.desiredCount ?? 2
    const healthCheckPath = args.healthCheckPath ?? "/healthz"
    const vpcId = args.network.vpcId
    const privateSubnets = pulumi.output(args.network.privateSubnetIds).apply((ids) => [...ids])

    // ---------------------------------------------------------------- cluster
    const ownCluster =
      args.cluster === undefined
        ? createChild(
            aws.ecs.Cluster,
            name,
            { settings: [{ name: "containerInsights", value: "enabled" }], tags },
            parent,
            t.cluster,
          )
        : undefined
    const cluster = ownCluster ?? args.cluster!

    // ---------------------------------------------------------------- logs and roles
    const logGroup = createChild(
      aws.cloudwatch.LogGroup,
      name,
      { retentionInDays: args.logRetentionDays ?? 30, tags },
      parent,
      t.logGroup,
    )
    const executionRole = createChild(
      aws.iam.Role,
      `${name}-execution`,
      {
        assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
        description: `ECS agent for ${name}: pull its image, write its logs, read its secrets`,
        tags,
      },
      parent,
      t.executionRole,
    )
    const secretArns = pulumi.all(Object.values(args.secrets ?? {}))
    new aws.iam.RolePolicy(
      `${name}-execution`,
      {
        role: executionRole.id,
        policy: pulumi
          .all([logGroup.arn, args.image, secretArns])
          .apply(([logArn, image, arns]) =>
            policyDocument([
              logWriteStatement(logArn),
              ...ecrPullStatements(image),
              ...secretReadStatements(arns),
            ]),
          ),
      },
      parent,
    )
    const taskRole = createChild(
      aws.iam.Role,
      `${name}-task`,
      {
        assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
        description: `The app ${name}: no permissions unless granted by taskRolePolicy`,
        tags,
      },
      parent,
      t.taskRole,
    )
    if (args.taskRolePolicy !== undefined) {
      new aws.iam.RolePolicy(`${name}-task`, { role: taskRole.id, policy: args.taskRolePolicy }, parent)
    }
    const assets = createServiceAssets(name, args, taskRole, { parent: this, driven })
    const environment = { ...args.environment, ...assets?.environment }

    // ---------------------------------------------------------------- task definition
    const region = aws.getRegionOutput({}, parent).region
    const containerDefinitions = pulumi
      .all([
        args.image,
        port,
        args.command,
        pulumi.output(environment),
        pulumi.output(args.secrets ?? {}),
        logGroup.name,
        region,
      ])
      .apply(([image, p, command, environment, secrets, logGroupName, r]) =>
        JSON.stringify([
          {
            name: CONTAINER,
            image,
            essential: true,
            ...(command !== undefined ? { command } : {}),
            portMappings: [{ containerPort: p, protocol: "tcp" }],
            environment: Object.entries({ PORT: String(p), ...environment })
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([key, value]) => ({ name: key, value })),
            secrets: Object.entries(secrets)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([key, valueFrom]) => ({ name: key, valueFrom })),
            logConfiguration: {
              logDriver: "awslogs",
              options: {
                "awslogs-group": logGroupName,
                "awslogs-region": r,
                "awslogs-stream-prefix": CONTAINER,
              },
            },
            // Lets the app receive SIGTERM as PID 1's child and reaps zombies.
            linuxParameters: { initProcessEnabled: true },
          },
        ]),
      )
    const taskDefinition = createChild(
      aws.ecs.TaskDefinition,
      name,
      {
        family: `${pulumi.getProject()}-${pulumi.getStack()}-${name}`
          .replace(/[^A-Za-z0-9_-]/g, "-")
          .slice(0, 255),
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: pulumi.output(args.cpu ?? 256).apply(String),
        memory: pulumi.output(args.memory ?? 512).apply(String),
        runtimePlatform: {
          operatingSystemFamily: "LINUX",
          cpuArchitecture: args.architecture === "arm64" ? "ARM64" : "X86_64",
        },
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        containerDefinitions,
        // Driven: a replaced revision keeps running in its slot until the rollout moves
        // off it, and may be rolled back to; deregistering it would break both.
        ...(driven ? { skipDestroy: true } : {}),
        tags,
      },
      parent,
      t.taskDefinition,
    )

    // ---------------------------------------------------------------- traffic
    const traffic = createLoadBalancedTraffic(
      name,
      args,
      {
        port,
        targetType: "ip",
        healthCheckPath,
        tags,
        // A shared load balancer brings its own test listener (checked up front).
        ...(wiring.testListener
          ? { testListener: args.loadBalancer === undefined ? (args.testListener ?? {}) : {} }
          : {}),
      },
      this,
      t,
    )
    const { blue, green, loadBalancer, rule, testRule, appSg } = traffic

    // ---------------------------------------------------------------- alarms
    const observed = createTargetGroupAlarms(name, args, traffic, this)
    const watched = watchedAlarms(args.alarmNames, (a) => a, observed?.alarmNames ?? [])

    // ---------------------------------------------------------------- native deployments
    // ECS shifts traffic itself for BLUE_GREEN / CANARY / LINEAR: it needs a role to edit
    // the listener rule and register tasks in the green target group.
    const needsInfrastructureRole =
      (precompiled?._tag === "Compiled" && precompiled.settings.advancedConfiguration !== undefined) ||
      mayShiftNatively(args.deploymentConfiguration)
    let infrastructureRole: aws.iam.Role | undefined
    if (needsInfrastructureRole) {
      infrastructureRole = new aws.iam.Role(
        `${name}-infrastructure`,
        {
          assumeRolePolicy: assumeRolePolicy("ecs.amazonaws.com"),
          description: `ECS shifts ${name}'s traffic between its blue and green target groups`,
          tags,
        },
        parent,
      )
      new aws.iam.RolePolicyAttachment(
        `${name}-infrastructure`,
        {
          role: infrastructureRole.name,
          policyArn: "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
        },
        parent,
      )
    }
    const testPort = wiring.testListener ? (loadBalancer.testListenerPort ?? DEFAULT_TEST_PORT) : undefined
    const host = testHost(args)
    const ownHook = wiring.ownHook
      ? createOwnHook(
          name,
          args,
          {
            test:
              testPort === undefined
                ? undefined
                : { port: testPort, baseUrl: host === undefined ? undefined : `https://${host}:${testPort}` },
            vpcId,
            privateSubnets,
            tags,
          },
          this,
        )
      : undefined
    let native: EcsNativeSettings<pulumi.Input<string>> | undefined
    if (args.strategy !== undefined && !driven) {
      const compiled = compileEcs<pulumi.Input<string>>(
        args.strategy,
        nativeOptions(
          args,
          {
            roleArn: infrastructureRole?.arn ?? "",
            alternateTargetGroupArn: green.arn,
            productionListenerRuleArn: rule.arn,
            testListenerRuleArn: testRule?.arn,
            hook:
              ownHook === undefined
                ? undefined
                : { functionArn: ownHook.function.arn, roleArn: ownHook.invokeRole.arn },
          },
          (input) => input,
          observed?.alarmNames ?? [],
        ),
      )
      if (compiled._tag === "Refused") throw refusedLate(TYPE, name, "ECS", compiled)
      native = compiled.settings
      this.nativeNotes = compiled.notes
    }
    this.native = native
    const entry: aws.types.input.ecs.ServiceLoadBalancer = {
      targetGroupArn: blue.arn,
      containerName: CONTAINER,
      containerPort: port,
    }
    const handOver = (): aws.types.input.ecs.ServiceLoadBalancerAdvancedConfiguration => ({
      alternateTargetGroupArn: green.arn,
      productionListenerRule: rule.arn,
      roleArn: infrastructureRole!.arn,
    })
    const loadBalancers: pulumi.Input<Array<pulumi.Input<aws.types.input.ecs.ServiceLoadBalancer>>> =
      native?.advancedConfiguration !== undefined
        ? [{ ...entry, advancedConfiguration: { ...native.advancedConfiguration } }]
        : args.deploymentConfiguration !== undefined && infrastructureRole !== undefined
          ? pulumi
              .output(args.deploymentConfiguration)
              .apply((d) => [
                d?.strategy !== undefined && NATIVE_STRATEGIES.has(d.strategy)
                  ? { ...entry, advancedConfiguration: handOver() }
                  : entry,
              ])
          : [entry]
    const shiftsNatively = infrastructureRole !== undefined

    // ---------------------------------------------------------------- discovery
    let registry: aws.servicediscovery.Service | undefined
    if (args.serviceDiscovery !== undefined) {
      const d = args.serviceDiscovery
      const namespaceId =
        d.namespaceId ??
        createChild(
          aws.servicediscovery.PrivateDnsNamespace,
          name,
          {
            name: d.namespace ?? `${name}.local`,
            vpc: vpcId,
            description: `Service discovery for ${name}`,
            tags,
          },
          parent,
          t.namespace,
        ).id
      registry = createChild(
        aws.servicediscovery.Service,
        name,
        {
          name: d.name ?? name,
          dnsConfig: { namespaceId, routingPolicy: "MULTIVALUE", dnsRecords: [{ type: "A", ttl: 10 }] },
          tags,
        },
        parent,
        t.discoveryService,
      )
    }

    // ---------------------------------------------------------------- service
    const scaling = driven || args.autoScaling === false ? undefined : (args.autoScaling ?? {})
    const networkConfiguration = {
      subnets: privateSubnets,
      securityGroups: [appSg.id],
      assignPublicIp: false,
    }
    // Tasks start once their files are in the bucket.
    const uploaded = assets === undefined ? [] : [assets.assets]
    // Driven: one service per slot, each on its own target group. The rollout points a slot
    // at a task definition and sets its count; Pulumi must not undo either.
    const slotService = (
      slot: "blue" | "green",
      targetGroup: aws.lb.TargetGroup,
      count: pulumi.Input<number>,
    ) =>
      createChild(
        aws.ecs.Service,
        `${name}-${slot}`,
        {
          cluster: cluster.arn,
          taskDefinition: taskDefinition.arn,
          desiredCount: count,
          launchType: "FARGATE",
          platformVersion: "LATEST",
          networkConfiguration,
          loadBalancers: [{ targetGroupArn: targetGroup.arn, containerName: CONTAINER, containerPort: port }],
          deploymentController: { type: "ECS" },
          // A slot whose tasks cannot start fails the candidate; the rollout, not ECS, rolls back.
          deploymentCircuitBreaker: { enable: true, rollback: false },
          healthCheckGracePeriodSeconds: args.healthCheckGracePeriodSeconds ?? 60,
          propagateTags: "SERVICE",
          enableEcsManagedTags: true,
          tags: { ...tags, "slipway:slot": slot },
        },
        { parent: this, dependsOn: [rule, ...uploaded], ignoreChanges: ["taskDefinition", "desiredCount"] },
        t.service,
      )
    const greenService = driven ? slotService("green", green, 0) : undefined
    const service = driven
      ? slotService("blue", blue, desiredCount)
      : createChild(
          aws.ecs.Service,
          name,
          {
            cluster: cluster.arn,
            taskDefinition: taskDefinition.arn,
            desiredCount,
            launchType: "FARGATE",
            platformVersion: "LATEST",
            networkConfiguration,
            loadBalancers,
            deploymentController: { type: "ECS" },
            deploymentCircuitBreaker: native?.deploymentCircuitBreaker ?? { enable: true, rollback: true },
            ...(native !== undefined
              ? { deploymentConfiguration: deploymentArgs(native.deploymentConfiguration) }
              : {}),
            ...(args.deploymentConfiguration !== undefined
              ? { deploymentConfiguration: args.deploymentConfiguration }
              : {}),
            ...(native?.alarms !== undefined
              ? { alarms: { ...native.alarms, alarmNames: [...native.alarms.alarmNames] } }
              : watched.length > 0
                ? { alarms: { alarmNames: [...watched], enable: true, rollback: true } }
                : {}),
            ...(native?.deploymentMinimumHealthyPercent !== undefined
              ? { deploymentMinimumHealthyPercent: native.deploymentMinimumHealthyPercent }
              : {}),
            ...(native?.deploymentMaximumPercent !== undefined
              ? { deploymentMaximumPercent: native.deploymentMaximumPercent }
              : {}),
            healthCheckGracePeriodSeconds: args.healthCheckGracePeriodSeconds ?? 60,
            ...(registry !== undefined ? { serviceRegistries: { registryArn: registry.arn } } : {}),
            propagateTags: "SERVICE",
            enableEcsManagedTags: true,
            tags,
          },
          {
            parent: this,
            // The target groups must be attached to the listener before ECS registers tasks.
            dependsOn: [rule, ...(testRule === undefined ? [] : [testRule]), ...uploaded],
            // The auto scaler owns the task count once the service exists.
            ...(scaling !== undefined ? { ignoreChanges: ["desiredCount"] } : {}),
          },
          t.service,
        )

    // ---------------------------------------------------------------- auto scaling
    if (scaling !== undefined) {
      const min = scaling.min ?? desiredCount
      const max = scaling.max ?? pulumi.output(min).apply((m) => Math.max(1, m * 4))
      const target = createChild(
        aws.appautoscaling.Target,
        name,
        {
          serviceNamespace: "ecs",
          scalableDimension: "ecs:service:DesiredCount",
          resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
          minCapacity: min,
          maxCapacity: max,
          tags,
        },
        parent,
        t.autoScalingTarget,
      )
      const policy = (
        suffix: string,
        configuration: aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfiguration,
      ) =>
        createChild(
          aws.appautoscaling.Policy,
          `${name}-${suffix}`,
          {
            policyType: "TargetTrackingScaling",
            serviceNamespace: target.serviceNamespace,
            scalableDimension: target.scalableDimension,
            resourceId: target.resourceId,
            targetTrackingScalingPolicyConfiguration: configuration,
          },
          parent,
          t.autoScalingPolicy,
        )
      policy("cpu", {
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        targetValue: scaling.cpuTarget ?? 60,
        scaleInCooldown: 120,
        scaleOutCooldown: 60,
      })
      // Requests per target are read from one target group. With native traffic shifting
      // the production group alternates between blue and green, so only CPU is tracked.
      if (!shiftsNatively) {
        policy("requests", {
          predefinedMetricSpecification: {
            predefinedMetricType: "ALBRequestCountPerTarget",
            // The blue group carries production traffic outside rollouts.
            resourceLabel: pulumi.interpolate`${loadBalancer.arnSuffix}/${blue.arnSuffix}`,
          },
          targetValue: scaling.requestsPerTarget ?? 1000,
          scaleInCooldown: 120,
          scaleOutCooldown: 60,
        })
      }
    }

    // ---------------------------------------------------------------- outputs
    this.url = serviceUrl(loadBalancer, args.route, args.loadBalancer !== undefined)

    // ---------------------------------------------------------------- driven rollout
    this.driven =
      driven && args.rollout !== undefined && args.strategy !== undefined && greenService !== undefined
        ? createDrivenRollout({
            name,
            parent: this,
            rollout: args.rollout,
            strategy: args.strategy,
            artifact: pulumi.output(args.image).apply(imageArtifact),
            // Everything the task definition's behaviour depends on.
            config: pulumi
              .all([
                args.image,
                port,
                pulumi.output(args.cpu ?? 256),
                pulumi.output(args.memory ?? 512),
                args.command,
                pulumi.output(environment),
                pulumi.output(args.secrets ?? {}),
              ])
              .apply(([image, p, cpu, memory, command, environment, secrets]) => ({
                image,
                port: p,
                cpu,
                memory,
                architecture: args.architecture ?? "x86_64",
                command,
                environment,
                secrets,
                healthCheckPath,
              })),
            release: { kind: "ecs", taskDefinitionArn: taskDefinition.arn },
            backend: {
              kind: "ecs",
              cluster: cluster.name,
              ...albSlots(traffic, { service: service.name }, { service: greenService.name }),
            },
            replicas: desiredCount,
            url: this.url,
            alarms: watched,
            dependsOn: [service, greenService, rule],
            tags,
          })
        : undefined

    this.serviceName = service.name
    this.serviceArn = service.arn
    this.clusterName = pulumi.output(cluster.name)
    this.clusterArn = pulumi.output(cluster.arn)
    this.taskDefinitionArn = taskDefinition.arn
    this.blueTargetGroupArn = blue.arn
    this.greenTargetGroupArn = green.arn
    this.listenerArn = loadBalancer.listenerArn
    this.listenerRuleArn = rule.arn
    this.testListenerRuleArn = testRule?.arn
    this.hookFunctionArn = ownHook?.function.arn
    this.loadBalancerArn = loadBalancer.arn
    this.loadBalancerArnSuffix = loadBalancer.arnSuffix
    this.blueTargetGroupArnSuffix = blue.arnSuffix
    this.greenTargetGroupArnSuffix = green.arnSuffix
    this.securityGroupId = appSg.id
    this.loadBalancerSecurityGroupId = loadBalancer.securityGroupId
    this.logGroupName = logGroup.name
    this.executionRoleArn = executionRole.arn
    this.taskRoleArn = taskRole.arn
    this.assetsBucketName = assets?.assets.bucketName
    this.resources = {
      service,
      greenService,
      rollout: this.driven?.rollout,
      taskDefinition,
      cluster: ownCluster,
      loadBalancer,
      blueTargetGroup: blue,
      greenTargetGroup: green,
      listenerRule: rule,
      testListenerRule: testRule,
      hook: ownHook,
      securityGroup: appSg,
      logGroup,
      executionRole,
      taskRole,
      infrastructureRole,
      assets: assets?.assets,
    }
    this.registerOutputs({
      url: this.url,
      serviceName: this.serviceName,
      serviceArn: this.serviceArn,
      clusterArn: this.clusterArn,
      taskDefinitionArn: this.taskDefinitionArn,
      blueTargetGroupArn: this.blueTargetGroupArn,
      greenTargetGroupArn: this.greenTargetGroupArn,
      listenerArn: this.listenerArn,
      listenerRuleArn: this.listenerRuleArn,
      ...(this.testListenerRuleArn !== undefined ? { testListenerRuleArn: this.testListenerRuleArn } : {}),
      ...(this.hookFunctionArn !== undefined ? { hookFunctionArn: this.hookFunctionArn } : {}),
      loadBalancerArn: this.loadBalancerArn,
      securityGroupId: this.securityGroupId,
      loadBalancerSecurityGroupId: this.loadBalancerSecurityGroupId,
      logGroupName: this.logGroupName,
      ...(this.assetsBucketName !== undefined ? { assetsBucketName: this.assetsBucketName } : {}),
      ...drivenOutputs(this.driven),
    })
  }
}
