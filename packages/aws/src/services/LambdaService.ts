/**
 * A Lambda function served over HTTPS, ready for progressive delivery: every deployment
 * publishes an immutable version, traffic goes through the `live` alias (whose routing
 * weights split it between two versions), and the front door — a function URL or an
 * HTTP API — invokes the alias, never `$LATEST`.
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
import {
  type CodeDeployLambdaOptions,
  type CodeDeployLambdaSettings,
  compileCodeDeployLambda,
} from "../native/compileCodeDeployLambda.ts"
import { ServiceAlarms } from "../Observe.ts"
import { type LambdaBundle, type LambdaBundleArgs, lambdaBundle } from "../packaging/LambdaBundle.ts"
import type { StaticAssets, StaticAssetsArgs } from "../packaging/StaticAssets.ts"
import type { DrivenRollout } from "../rollout/DrivenRollout.ts"
import {
  checkEnvNames,
  checkGates,
  checkImageDigest,
  checkInteger,
  checkRetention,
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
import { assumeRolePolicy, logWriteStatement, policyDocument } from "./iam.ts"
import type { ObserveArgs, RolloutArgs, ServiceDomain } from "./types.ts"

const TYPE = "slipway:aws:LambdaService"
/**
 * The alias every front door invokes and rollouts move.
 *
 * @example
 * import { LIVE_ALIAS } from "@slipway/aws"
 * `${functionArn}:${LIVE_ALIAS}` // the ARN callers invoke
 */
export const LIVE_ALIAS = "live"

/**
 * A manual split of `live` traffic between the version that serves now and the version
 * this deployment publishes.
 *
 * @example
 * const split: LambdaTrafficSplit = { stableVersion: "7", candidateWeight: 0.1 } // 10% to the new version
 */
export interface LambdaTrafficSplit {
  /**
   * The version that keeps the rest of the traffic.
   *
   * @example
   * { stableVersion: "7" }
   */
  readonly stableVersion: pulumi.Input<string>
  /**
   * Share (0..1) of `live` traffic sent to the newly published version.
   *
   * @example
   * { candidateWeight: 0.25 }
   */
  readonly candidateWeight: pulumi.Input<number>
}

/**
 * Arguments of a {@link LambdaService}. Give exactly one of `code` and `imageUri`.
 *
 * @example
 * const args: LambdaServiceArgs = {
 *   code: new pulumi.asset.FileArchive("./dist/api.zip"),
 *   handler: "index.handler",
 *   front: "httpApi",
 *   domain,
 * }
 */
export interface LambdaServiceArgs extends RolloutArgs {
  /**
   * The function's code as a zip archive (build it deterministically, e.g. with Slipway's
   * packaging, so an unchanged program shows no diff).
   *
   * @example
   * { code: new pulumi.asset.FileArchive("./dist/api.zip") }
   */
  readonly code?: pulumi.asset.Archive
  /**
   * A handler source file to bundle (esbuild) into a deterministic zip before anything is
   * deployed, instead of `code`; or the full bundling options. The same code always gives
   * the same zip, so an unchanged program shows no diff.
   *
   * @example
   * { entry: "src/handler.ts" }
   * { entry: { entry: "src/handler.ts", handler: "main", format: "esm", external: ["@aws-sdk/*"] } }
   */
  readonly entry?: string | LambdaBundleArgs
  /**
   * The handler inside `code` (default `index.handler`; with `entry`, the bundle's).
   *
   * @example
   * { handler: "server.handler" }
   */
  readonly handler?: pulumi.Input<string>
  /**
   * The runtime for `code` (default `nodejs22.x`).
   *
   * @example
   * { runtime: "python3.13" }
   */
  readonly runtime?: pulumi.Input<string>
  /**
   * A container image for the function, by digest (`repo@sha256:…`), instead of `code`.
   *
   * @example
   * { imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:4f1c…" }
   */
  readonly imageUri?: pulumi.Input<string>
  /**
   * Instruction set (default `arm64`: cheaper per GB-second; use `x86_64` for native modules built for it).
   *
   * @example
   * { architecture: "x86_64" }
   */
  readonly architecture?: "x86_64" | "arm64"
  /**
   * Memory in MB, 128..10240 (default 512; CPU scales with it).
   *
   * @example
   * { memorySize: 1024 }
   */
  readonly memorySize?: pulumi.Input<number>
  /**
   * Seconds before an invocation is stopped, 1..900 (default 10; an HTTP API gives up after 30).
   *
   * @example
   * { timeout: 29 }
   */
  readonly timeout?: pulumi.Input<number>
  /**
   * Environment variables (visible in the function's configuration: no secrets).
   *
   * @example
   * { environment: { TABLE: table.name } }
   */
  readonly environment?: Readonly<Record<string, pulumi.Input<string>>>
  /**
   * Concurrent executions reserved for (and capping) this function.
   *
   * @example
   * { reservedConcurrency: 50 }
   */
  readonly reservedConcurrency?: pulumi.Input<number>
  /**
   * The front door: a function URL (default) or an API Gateway HTTP API.
   *
   * @example
   * { front: "httpApi" }
   */
  readonly front?: "url" | "httpApi"
  /**
   * Who may call it: `AWS_IAM` (default: SigV4-signed requests only) or `NONE` (public).
   *
   * @example
   * { authType: "NONE" } // a public endpoint, on purpose
   */
  readonly authType?: "AWS_IAM" | "NONE"
  /**
   * A custom domain for the HTTP API (`front: "httpApi"` only: function URLs cannot have one).
   *
   * @example
   * { front: "httpApi", domain: new Domain("api", { name: "api.example.com", zoneName: "example.com" }) }
   */
  readonly domain?: ServiceDomain
  /**
   * Days to keep the function's logs (default 30).
   *
   * @example
   * { logRetentionDays: 90 }
   */
  readonly logRetentionDays?: pulumi.Input<number>
  /**
   * Split `live` traffic by hand between a stable version and the one being published.
   * Not with `strategy`, which moves the split itself.
   *
   * @example
   * { trafficSplit: { stableVersion: "7", candidateWeight: 0.1 } }
   */
  readonly trafficSplit?: LambdaTrafficSplit
  /**
   * CloudWatch alarms that stand for the gates while CodeDeploy shifts traffic (at most
   * 10); a firing alarm stops the deployment and rolls the alias back. Needed when the
   * strategy gates at a weight above 0.
   *
   * @example
   * { alarmNames: ["api-error-rate"] }
   */
  readonly alarmNames?: ReadonlyArray<pulumi.Input<string>>
  /**
   * Build CloudWatch alarms over the invocations the newly published version serves
   * through `live` (error rate, throttles, p99 duration) and a dashboard; their names join
   * `alarmNames` for the rollout.
   *
   * @example
   * { observe: { thresholds: { errorRate: 0.01, durationP99: "2s" } } }
   */
  readonly observe?: ObserveArgs
  /**
   * Hook functions CodeDeploy runs before traffic reaches a new version and after the last
   * shift (gates before traffic and after 100%). CodeDeploy's role may invoke exactly these.
   *
   * @example
   * { lifecycleHooks: { beforeAllowTraffic: smokeTest.arn } }
   */
  readonly lifecycleHooks?: {
    readonly beforeAllowTraffic?: pulumi.Input<string>
    readonly afterAllowTraffic?: pulumi.Input<string>
  }
  /**
   * An IAM policy document (JSON) with what the function needs; beyond writing its own
   * logs it has no permissions otherwise.
   *
   * @example
   * { policy: table.arn.apply((arn) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "dynamodb:GetItem", Resource: arn }] })) }
   */
  readonly policy?: pulumi.Input<string>
  /**
   * A folder of static files to upload to a private bucket of the function's own: its role
   * may read exactly those objects, and the code finds them through `ASSETS_BUCKET` and
   * `ASSETS_PREFIX` (`<prefix><digest>/`, from the files' contents). Each published version
   * keeps the prefix it was published with, so while `live` is split the stable version
   * reads its own files and the new version the new ones.
   *
   * @example
   * { assets: { directory: "web/dist", prefix: "static/" } }
   */
  readonly assets?: ServiceAssets
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
   * { transform: { function: (args) => { args.tracingConfig = { mode: "Active" } } } }
   */
  readonly transform?: {
    readonly logGroup?: Transform<aws.cloudwatch.LogGroupArgs>
    readonly role?: Transform<aws.iam.RoleArgs>
    readonly function?: Transform<aws.lambda.FunctionArgs>
    readonly alias?: Transform<aws.lambda.AliasArgs>
    readonly functionUrl?: Transform<aws.lambda.FunctionUrlArgs>
    readonly api?: Transform<aws.apigatewayv2.ApiArgs>
    readonly stage?: Transform<aws.apigatewayv2.StageArgs>
    readonly route?: Transform<aws.apigatewayv2.RouteArgs>
    readonly deploymentGroup?: Transform<aws.codedeploy.DeploymentGroupArgs>
    readonly assets?: StaticAssetsArgs["transform"]
  }
}

const DEFAULT_RUNTIME = "nodejs22.x"

// esbuild targets the Node version of the runtime unless the bundling options say otherwise.
const bundleArgs = (
  entry: string | LambdaBundleArgs,
  runtime: pulumi.Input<string> | undefined,
): LambdaBundleArgs => {
  const options = typeof entry === "string" ? { entry } : entry
  const node = /^nodejs(\d+)\.x$/.exec(known(runtime) ?? DEFAULT_RUNTIME)?.[1]
  return options.target === undefined && node !== undefined ? { ...options, target: `node${node}` } : options
}

const codeDeployOptions = <Ref>(
  args: LambdaServiceArgs,
  ref: (input: pulumi.Input<string>) => Ref,
  observed: ReadonlyArray<Ref>,
): CodeDeployLambdaOptions<Ref> => ({
  alarms: watchedAlarms(args.alarmNames, ref, observed),
  ...(args.lifecycleHooks?.beforeAllowTraffic !== undefined
    ? { beforeAllowTrafficHook: ref(args.lifecycleHooks.beforeAllowTraffic) }
    : {}),
  ...(args.lifecycleHooks?.afterAllowTraffic !== undefined
    ? { afterAllowTrafficHook: ref(args.lifecycleHooks.afterAllowTraffic) }
    : {}),
})

const validate = (name: string, args: LambdaServiceArgs): void => {
  const check = new ArgProblems(TYPE, name)
  const sources = (["code", "entry", "imageUri"] as const).filter((key) => args[key] !== undefined)
  if (sources.length !== 1) {
    check.add(
      sources[1] ?? "code",
      sources.length === 0
        ? "is missing (and so are entry and imageUri)"
        : `is set together with \`${sources[0]}\``,
      "give exactly one: `code` (a zip archive), `entry` (a handler file to bundle) or `imageUri` (an image by digest)",
    )
  }
  if (args.entry !== undefined && args.handler !== undefined) {
    check.add(
      "handler",
      "is set together with `entry`",
      "name the export in `entry: { entry, handler }` instead",
    )
  }
  checkImageDigest(check, "imageUri", args.imageUri)
  if (args.imageUri !== undefined) {
    for (const key of ["handler", "runtime"] as const) {
      if (args[key] !== undefined) {
        check.add(key, "is set for an image function", "set the handler in the image (CMD) and drop it here")
      }
    }
  }
  checkInteger(check, "memorySize", args.memorySize, 128, 10_240)
  checkInteger(check, "timeout", args.timeout, 1, 900)
  if (args.front === "httpApi") {
    const timeout = known(args.timeout)
    if (timeout !== undefined && timeout > 30) {
      check.add(
        "timeout",
        `${timeout}s is longer than an HTTP API waits (30s)`,
        'use 30 or less, or `front: "url"`',
      )
    }
  }
  checkInteger(check, "reservedConcurrency", args.reservedConcurrency, 0, 1_000_000)
  checkRetention(check, "logRetentionDays", args.logRetentionDays)
  checkEnvNames(check, "environment", Object.keys(args.environment ?? {}))
  checkAssets(check, args.assets, args.environment, undefined)
  if (args.front !== undefined && args.front !== "url" && args.front !== "httpApi") {
    check.add("front", `"${String(args.front)}" is not a front door`, 'use "url" or "httpApi"')
  }
  if (args.authType !== undefined && args.authType !== "AWS_IAM" && args.authType !== "NONE") {
    check.add("authType", `"${String(args.authType)}" is not an auth type`, 'use "AWS_IAM" or "NONE"')
  }
  if (args.domain !== undefined && args.front !== "httpApi") {
    check.add(
      "domain",
      "needs an HTTP API: function URLs cannot have a custom domain",
      'set `front: "httpApi"`',
    )
  }
  if (args.trafficSplit !== undefined) {
    const weight = known(args.trafficSplit.candidateWeight)
    if (weight !== undefined && !(weight >= 0 && weight <= 1)) {
      check.add(
        "trafficSplit.candidateWeight",
        `${weight} is not a share`,
        "use a number between 0 and 1 (0.1 sends 10%)",
      )
    }
    if (args.strategy !== undefined) {
      check.add("trafficSplit", "is set together with `strategy`", "drop it: the rollout moves the split")
    }
  }
  checkStrategy(check, args.strategy)
  const driven = isDriven(args)
  if (!driven) checkGates(check, args.gates, args.strategy)
  checkRolloutMode(check, args, [
    {
      arg: "lifecycleHooks",
      given: args.lifecycleHooks !== undefined,
      what: "the hook functions CodeDeploy runs",
    },
  ])
  if (args.strategy !== undefined && check.problems.length === 0 && !driven) {
    // The compiler looks only at which options are present, so a refusal is known up front.
    const compiled = compileCodeDeployLambda(
      args.strategy,
      codeDeployOptions(args, () => "(pending)", args.observe !== undefined ? ["(pending)"] : []),
    )
    if (compiled._tag === "Refused") check.problems.push(refusalProblem("CodeDeploy", compiled))
  }
  check.throwIfAny()
}

/**
 * A published version's code, as a revision's artifact: the bundle's digest or the image's
 * (known before deployment), else the SHA-256 Lambda computed of the uploaded package.
 */
const functionArtifact = (
  args: LambdaServiceArgs,
  bundle: LambdaBundle | undefined,
  fn: aws.lambda.Function,
): pulumi.Output<core.ArtifactRef> => {
  if (bundle !== undefined) return pulumi.output({ digest: bundle.digest, uri: `file://${bundle.path}` })
  if (args.imageUri !== undefined) return pulumi.output(args.imageUri).apply(imageArtifact)
  return pulumi.all([fn.codeSha256, fn.sourceCodeHash, fn.qualifiedArn]).apply(([code, source, arn]) => {
    const base64 = code ?? source
    return {
      digest:
        base64 === undefined || base64 === ""
          ? core.sha256(arn)
          : `sha256:${Buffer.from(base64, "base64").toString("hex")}`,
      uri: arn,
    }
  })
}

/** The CodeDeploy application, configuration, role and deployment group that shift `live`. */
const createCodeDeploy = (
  name: string,
  native: CodeDeployLambdaSettings<pulumi.Input<string>>,
  hooks: LambdaServiceArgs["lifecycleHooks"],
  parent: { readonly parent: pulumi.Resource },
  tags: Tags,
  transform: Transform<aws.codedeploy.DeploymentGroupArgs> | undefined,
): { readonly application: aws.codedeploy.Application; readonly group: aws.codedeploy.DeploymentGroup } => {
  const application = new aws.codedeploy.Application(name, { computePlatform: "Lambda", tags }, parent)
  const routing = native.deploymentConfig.trafficRoutingConfig
  const configName =
    native.predefinedConfigName ??
    new aws.codedeploy.DeploymentConfig(
      name,
      {
        computePlatform: "Lambda",
        trafficRoutingConfig:
          routing.type === "AllAtOnce"
            ? { type: routing.type }
            : routing.type === "TimeBasedCanary"
              ? { type: routing.type, timeBasedCanary: { ...routing.timeBasedCanary } }
              : { type: routing.type, timeBasedLinear: { ...routing.timeBasedLinear } },
      },
      parent,
    ).deploymentConfigName
  const codeDeployRole = new aws.iam.Role(
    `${name}-codedeploy`,
    {
      assumeRolePolicy: assumeRolePolicy("codedeploy.amazonaws.com"),
      description: `CodeDeploy shifts ${name}'s live alias between versions`,
      tags,
    },
    parent,
  )
  new aws.iam.RolePolicyAttachment(
    `${name}-codedeploy`,
    {
      role: codeDeployRole.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited",
    },
    parent,
  )
  const hookArns = [hooks?.beforeAllowTraffic, hooks?.afterAllowTraffic].filter(
    (arn): arn is pulumi.Input<string> => arn !== undefined,
  )
  if (hookArns.length > 0) {
    new aws.iam.RolePolicy(
      `${name}-codedeploy-hooks`,
      {
        role: codeDeployRole.id,
        policy: pulumi.all(hookArns).apply((arns) =>
          policyDocument([
            {
              Sid: "InvokeOwnHooks",
              Effect: "Allow",
              Action: ["lambda:InvokeFunction"],
              Resource: arns,
            },
          ]),
        ),
      },
      parent,
    )
  }
  const settings = native.deploymentGroup
  const group = createChild(
    aws.codedeploy.DeploymentGroup,
    name,
    {
      appName: application.name,
      deploymentGroupName: LIVE_ALIAS,
      serviceRoleArn: codeDeployRole.arn,
      deploymentConfigName: configName,
      deploymentStyle: { ...settings.deploymentStyle },
      autoRollbackConfiguration: {
        ...settings.autoRollbackConfiguration,
        events: [...settings.autoRollbackConfiguration.events],
      },
      ...(settings.alarmConfiguration !== undefined
        ? {
            alarmConfiguration: {
              ...settings.alarmConfiguration,
              alarms: [...settings.alarmConfiguration.alarms],
            },
          }
        : {}),
      tags,
    },
    parent,
    transform,
  )
  return { application, group }
}

/**
 * A Lambda function with published versions, a `live` alias with weighted routing, and a
 * function URL or HTTP API in front of the alias.
 *
 * Children: a log group with retention; an execution role whose only permission is
 * writing to that log group (plus `policy`, if given); the function (`publish: true`, JSON
 * logs to its log group); the `live` alias; a function URL (`AWS_IAM` unless
 * `authType: "NONE"`) or an HTTP API with an `AWS_PROXY` integration to the alias, a
 * `$default` stage with access logs, and optionally a custom domain. With `assets`, static
 * files in a private bucket the role may read, under a prefix per published version.
 *
 * With a `strategy`, the alias is created on the first version and then left to the
 * rollout: the strategy is compiled to a CodeDeploy application, deployment
 * configuration and deployment group (alarms and auto rollback) that shift `live`, and a
 * new version is published on every change but receives traffic only as the strategy
 * says. A strategy CodeDeploy cannot express is refused before anything is created.
 *
 * With `rollout: { mode: "driven" }`, `pulumi up` runs the strategy itself instead of
 * CodeDeploy (any steps, any gates in `rollout.gates`): a `DrivenRollout` moves the `live`
 * alias's routing weights from the version serving to the version just published, and a
 * `RolloutJournalBucket` (unless `rollout.journal` names one) keeps its journal.
 *
 * Type token `slipway:aws:LambdaService`.
 *
 * @example
 * import { LambdaService } from "@slipway/aws"
 * import * as pulumi from "@pulumi/pulumi"
 *
 * const api = new LambdaService("api", {
 *   code: new pulumi.asset.FileArchive("./dist/api.zip"),
 *   handler: "index.handler",
 *   front: "httpApi",
 *   authType: "NONE",
 * })
 * export const url = api.url
 *
 * // Driven: 5% → 20% → 50% → 100% of `live`, judged by the new version's error rate.
 * const worker = new LambdaService("worker", {
 *   entry: "src/worker.ts",
 *   strategy: canary({ steps: [5, 20, 50].map((weight) => ({ weight, bake: "3m" })) }),
 *   rollout: { mode: "driven", gates: { errorRate: { max: 0.01, window: "1m", minRequests: 20 } } },
 * })
 */
export class LambdaService extends pulumi.ComponentResource {
  /** Where the function answers (function URL, HTTP API endpoint or `https://<domain>`). */
  readonly url: pulumi.Output<string>
  readonly functionName: pulumi.Output<string>
  readonly functionArn: pulumi.Output<string>
  /** The bundle built from `entry` (its digest identifies the code), when `entry` was given. */
  readonly bundle: LambdaBundle | undefined
  /** The version this deployment published. */
  readonly version: pulumi.Output<string>
  readonly aliasName: pulumi.Output<string>
  readonly aliasArn: pulumi.Output<string>
  readonly roleArn: pulumi.Output<string>
  readonly logGroupName: pulumi.Output<string>
  /** The HTTP API's id (with `front: "httpApi"`). */
  readonly apiId: pulumi.Output<string | undefined>
  /** With `assets`: the bucket the files were uploaded to. */
  readonly assetsBucketName: pulumi.Output<string> | undefined

  /** The rollout strategy, checked and compiled to a CodeDeploy deployment group. */
  readonly strategy: core.Strategy | undefined
  readonly gates: ReadonlyArray<core.Gate<unknown>>
  /** What `strategy` compiled to, including the AppSpec hooks each deployment passes. */
  readonly native: CodeDeployLambdaSettings<pulumi.Input<string>> | undefined
  /** How each step of `strategy` maps onto CodeDeploy, one line each. */
  readonly nativeNotes: ReadonlyArray<string> = []
  /** Driven mode: the rollout resource, its journal and the CLI command that watches it. */
  readonly driven: DrivenServiceRollout | undefined
  /** The CodeDeploy application and deployment group that shift `live` (with a native strategy). */
  readonly codeDeployApplicationName: pulumi.Output<string | undefined>
  readonly deploymentGroupName: pulumi.Output<string | undefined>

  /** The children, for wiring beyond what the outputs offer. */
  readonly resources: {
    readonly function: aws.lambda.Function
    readonly alias: aws.lambda.Alias
    readonly role: aws.iam.Role
    readonly logGroup: aws.cloudwatch.LogGroup
    readonly functionUrl: aws.lambda.FunctionUrl | undefined
    readonly api: aws.apigatewayv2.Api | undefined
    /** With `assets`: the uploaded files and their bucket. */
    readonly assets: StaticAssets | undefined
    /** Driven mode: the resource that performs rollouts. */
    readonly rollout: DrivenRollout | undefined
  }

  constructor(name: string, args: LambdaServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    validate(name, args)
    const driven = isDriven(args)
    // Built before anything is registered: a broken build fails before AWS changes.
    const bundle =
      args.entry === undefined ? undefined : lambdaBundle(name, bundleArgs(args.entry, args.runtime))
    super(TYPE, name, {}, opts)
    this.strategy = args.strategy
    this.gates = args.gates ?? []
    this.bundle = bundle
    if (args.imageUri !== undefined) warnIfTag(args.imageUri, "imageUri", this)

    const parent = { parent: this }
    const t = args.transform ?? {}
    const tags = componentTags(TYPE, name, args.tags)
    const authType = args.authType ?? "AWS_IAM"
    if (authType === "NONE") {
      void pulumi.log.info(`LambdaService "${name}" is public (authType: "NONE"): anyone can invoke it`, this)
    }

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
      name,
      {
        assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
        description: `Function ${name}: writes its own logs, nothing else unless granted`,
        tags,
      },
      parent,
      t.role,
    )
    // AWSLambdaBasicExecutionRole grants logs on every group in the account; this is the same, for one group.
    const logsPolicy = new aws.iam.RolePolicy(
      `${name}-logs`,
      { role: role.id, policy: logGroup.arn.apply((arn) => policyDocument([logWriteStatement(arn)])) },
      parent,
    )
    const appPolicy =
      args.policy !== undefined
        ? new aws.iam.RolePolicy(`${name}-app`, { role: role.id, policy: args.policy }, parent)
        : undefined
    const assets = createServiceAssets(name, args, role, { parent: this, driven })
    // In the function's configuration, so each published version keeps its own `ASSETS_PREFIX`.
    const environment =
      args.environment === undefined && assets === undefined
        ? undefined
        : { ...args.environment, ...assets?.environment }

    // ---------------------------------------------------------------- function
    const arch = args.architecture ?? "arm64"
    const fn = createChild(
      aws.lambda.Function,
      name,
      {
        role: role.arn,
        ...(args.imageUri !== undefined
          ? { packageType: "Image", imageUri: args.imageUri }
          : {
              packageType: "Zip",
              code: bundle?.archive ?? args.code,
              handler: bundle?.handler ?? args.handler ?? "index.handler",
              runtime: args.runtime ?? DEFAULT_RUNTIME,
              ...(bundle !== undefined ? { sourceCodeHash: bundle.sourceCodeHash } : {}),
            }),
        architectures: [arch],
        memorySize: args.memorySize ?? 512,
        timeout: args.timeout ?? 10,
        publish: true,
        ...(environment !== undefined ? { environment: { variables: environment } } : {}),
        ...(args.reservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: args.reservedConcurrency }
          : {}),
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        tags,
      },
      // The role must be able to write logs (and read its files) before the first invocation,
      // and a version naming an assets prefix is published only once its files are uploaded.
      {
        parent: this,
        dependsOn: [
          logsPolicy,
          ...(appPolicy !== undefined ? [appPolicy] : []),
          ...(assets !== undefined ? [assets.readPolicy, assets.assets] : []),
        ],
      },
      t.function,
    )

    // ---------------------------------------------------------------- alias
    const split = args.trafficSplit
    const alias = createChild(
      aws.lambda.Alias,
      name,
      {
        name: LIVE_ALIAS,
        functionName: fn.name,
        description: "Production traffic; front doors invoke this alias",
        ...(split === undefined
          ? { functionVersion: fn.version }
          : {
              functionVersion: split.stableVersion,
              // When nothing changed, the published version is the stable one: no split.
              routingConfig: pulumi
                .all([fn.version, split.stableVersion, split.candidateWeight])
                .apply(([candidate, stable, weight]) =>
                  candidate === stable || weight === 0
                    ? { additionalVersionWeights: {} }
                    : { additionalVersionWeights: { [candidate]: weight } },
                ),
            }),
      },
      // With a strategy, the rollout moves the alias; a later `pulumi up` must not snap it to the new version.
      {
        parent: this,
        ...(args.strategy !== undefined ? { ignoreChanges: ["functionVersion", "routingConfig"] } : {}),
      },
      t.alias,
    )

    // ---------------------------------------------------------------- front door
    let functionUrl: aws.lambda.FunctionUrl | undefined
    let api: aws.apigatewayv2.Api | undefined
    let url: pulumi.Output<string>
    if ((args.front ?? "url") === "url") {
      functionUrl = createChild(
        aws.lambda.FunctionUrl,
        name,
        { functionName: fn.name, qualifier: alias.name, authorizationType: authType },
        parent,
        t.functionUrl,
      )
      if (authType === "NONE") {
        // A public URL needs both statements since Oct 2025: the URL action, and invoke via the URL.
        new aws.lambda.Permission(
          `${name}-public-url`,
          {
            function: fn.name,
            qualifier: alias.name,
            action: "lambda:InvokeFunctionUrl",
            principal: "*",
            functionUrlAuthType: "NONE",
          },
          parent,
        )
        new aws.lambda.Permission(
          `${name}-public-invoke`,
          {
            function: fn.name,
            qualifier: alias.name,
            action: "lambda:InvokeFunction",
            principal: "*",
            invokedViaFunctionUrl: true,
          },
          parent,
        )
      }
      url = functionUrl.functionUrl
    } else {
      api = createChild(
        aws.apigatewayv2.Api,
        name,
        { protocolType: "HTTP", description: `HTTP front door of ${name}`, tags },
        parent,
        t.api,
      )
      const integration = new aws.apigatewayv2.Integration(
        name,
        {
          apiId: api.id,
          integrationType: "AWS_PROXY",
          integrationUri: alias.arn,
          payloadFormatVersion: "2.0",
        },
        parent,
      )
      createChild(
        aws.apigatewayv2.Route,
        name,
        {
          apiId: api.id,
          routeKey: "$default",
          target: pulumi.interpolate`integrations/${integration.id}`,
          authorizationType: authType === "AWS_IAM" ? "AWS_IAM" : "NONE",
        },
        parent,
        t.route,
      )
      const accessLogs = new aws.cloudwatch.LogGroup(
        `${name}-access`,
        { retentionInDays: args.logRetentionDays ?? 30, tags },
        parent,
      )
      const stage = createChild(
        aws.apigatewayv2.Stage,
        name,
        {
          apiId: api.id,
          name: "$default",
          autoDeploy: true,
          accessLogSettings: {
            destinationArn: accessLogs.arn,
            format: JSON.stringify({
              requestId: "$context.requestId",
              ip: "$context.identity.sourceIp",
              requestTime: "$context.requestTime",
              method: "$context.httpMethod",
              path: "$context.path",
              status: "$context.status",
              responseLength: "$context.responseLength",
              integrationLatency: "$context.integrationLatency",
              latency: "$context.responseLatency",
            }),
          },
          tags,
        },
        parent,
        t.stage,
      )
      new aws.lambda.Permission(
        `${name}-api`,
        {
          function: fn.name,
          qualifier: alias.name,
          action: "lambda:InvokeFunction",
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
        },
        parent,
      )
      url = api.apiEndpoint
      if (args.domain !== undefined) {
        const domainName = new aws.apigatewayv2.DomainName(
          name,
          {
            domainName: args.domain.name,
            domainNameConfiguration: {
              certificateArn: args.domain.certificateArn,
              endpointType: "REGIONAL",
              securityPolicy: "TLS_1_2",
            },
            tags,
          },
          parent,
        )
        new aws.apigatewayv2.ApiMapping(
          name,
          { apiId: api.id, domainName: domainName.id, stage: stage.id },
          parent,
        )
        new aws.route53.Record(
          name,
          {
            zoneId: args.domain.zoneId,
            name: args.domain.name,
            type: "A",
            aliases: [
              {
                name: domainName.domainNameConfiguration.targetDomainName.apply((n) => n ?? ""),
                zoneId: domainName.domainNameConfiguration.hostedZoneId.apply((z) => z ?? ""),
                evaluateTargetHealth: false,
              },
            ],
          },
          parent,
        )
        url = pulumi.output(`https://${args.domain.name}`)
      }
    }

    // ---------------------------------------------------------------- alarms
    // Judge the version this deployment published, by the invocations it served through `live`.
    const timeout = known(args.timeout) ?? (args.timeout === undefined ? 10 : undefined)
    const observed =
      args.observe === undefined
        ? undefined
        : new ServiceAlarms(
            name,
            {
              ...args.observe,
              functions: [
                {
                  label: LIVE_ALIAS,
                  functionName: fn.name,
                  qualifier: LIVE_ALIAS,
                  executedVersion: fn.version,
                  ...(timeout !== undefined ? { timeout: timeout * 1000 } : {}),
                },
              ],
              tags: args.observe.tags ?? args.tags,
            },
            parent,
          )

    // ---------------------------------------------------------------- CodeDeploy
    let codeDeploy: ReturnType<typeof createCodeDeploy> | undefined
    this.native = undefined
    if (args.strategy !== undefined && !driven) {
      const compiled = compileCodeDeployLambda<pulumi.Input<string>>(
        args.strategy,
        codeDeployOptions(args, (a) => a, observed?.alarmNames ?? []),
      )
      if (compiled._tag === "Refused") throw refusedLate(TYPE, name, "CodeDeploy", compiled)
      this.native = compiled.settings
      this.nativeNotes = compiled.notes
      codeDeploy = createCodeDeploy(
        name,
        compiled.settings,
        args.lifecycleHooks,
        parent,
        tags,
        t.deploymentGroup,
      )
    }
    this.codeDeployApplicationName = codeDeploy?.application.name ?? pulumi.output(undefined)
    this.deploymentGroupName = codeDeploy?.group.deploymentGroupName ?? pulumi.output(undefined)

    // ---------------------------------------------------------------- driven rollout
    this.driven =
      driven && args.rollout !== undefined && args.strategy !== undefined
        ? createDrivenRollout({
            name,
            parent: this,
            rollout: args.rollout,
            strategy: args.strategy,
            artifact: functionArtifact(args, bundle, fn),
            // Everything a published version is made of, besides its code.
            config: pulumi
              .all([
                fn.packageType,
                fn.handler,
                fn.runtime,
                fn.memorySize,
                fn.timeout,
                pulumi.output(environment ?? {}),
                args.imageUri,
              ])
              .apply(([packageType, handler, runtime, memorySize, timeout, environment, imageUri]) => ({
                packageType,
                handler,
                runtime,
                architecture: arch,
                memorySize,
                timeout,
                environment,
                imageUri,
              })),
            release: { kind: "lambda", version: fn.version },
            backend: { kind: "lambda", functionName: fn.name, alias: LIVE_ALIAS },
            // A version serves whatever share it is given: nothing to scale.
            replicas: 1,
            url,
            alarms: watchedAlarms(args.alarmNames, (a) => a, observed?.alarmNames ?? []),
            dependsOn: [fn, alias],
            tags,
          })
        : undefined

    this.url = url
    this.functionName = fn.name
    this.functionArn = fn.arn
    this.version = fn.version
    this.aliasName = alias.name
    this.aliasArn = alias.arn
    this.roleArn = role.arn
    this.logGroupName = logGroup.name
    this.apiId = api === undefined ? pulumi.output(undefined) : api.id
    this.assetsBucketName = assets?.assets.bucketName
    this.resources = {
      function: fn,
      alias,
      role,
      logGroup,
      functionUrl,
      api,
      assets: assets?.assets,
      rollout: this.driven?.rollout,
    }
    this.registerOutputs({
      url: this.url,
      functionName: this.functionName,
      functionArn: this.functionArn,
      version: this.version,
      aliasName: this.aliasName,
      aliasArn: this.aliasArn,
      roleArn: this.roleArn,
      logGroupName: this.logGroupName,
      apiId: this.apiId,
      codeDeployApplicationName: this.codeDeployApplicationName,
      deploymentGroupName: this.deploymentGroupName,
      ...(this.assetsBucketName !== undefined ? { assetsBucketName: this.assetsBucketName } : {}),
      ...drivenOutputs(this.driven),
    })
  }
}
