/**
 * Runs a Pulumi program in-process under `pulumi.runtime.setMocks` and records every
 * resource it registers — type, name, inputs (as the provider would receive them),
 * parent, resolved outputs — so tests can assert on the resource graph without a Pulumi
 * CLI or a cloud account.
 *
 * Pulumi's mock monitor is process-global: one program runs at a time. Each call to
 * `runPulumiProgram` installs fresh mocks, runs the program, waits for every
 * registration to settle and returns; calls must not overlap (await each one). vitest
 * runs every test file in its own process, so files never see each other's mocks.
 *
 * What the harness adds over bare `setMocks`:
 * - parent URNs and component outputs (the mock API hides both);
 * - realistic outputs (ids, ARNs, ALB DNS names, ACM validation records…) from
 *   `MockCloud`, overridable per resource with `outputs`;
 * - resource `transforms` and stack transforms applied the way the engine applies them
 *   (the resource's own, then its parents', then the stack's) — the mock monitor skips them;
 * - errors: a duplicate URN, a failed registration or an unmocked invoke fails the run.
 */
import { inspect } from "node:util"
import * as pulumi from "@pulumi/pulumi"
import {
  defaultCallResult,
  defaultResourceState,
  type MockCloudContext,
  UnmockedInvoke,
} from "./MockCloud.ts"
import { checkPolicies, type PolicyViolation } from "./Policy.ts"

type MockResourceArgs = pulumi.runtime.MockResourceArgs
/** Provider inputs and outputs: arbitrary JSON that tests read field by field. */
// biome-ignore lint/suspicious/noExplicitAny: inputs are untyped provider JSON; `any` lets tests write `record.inputs.cidrBlock`
type Json = any
type MockCallArgs = pulumi.runtime.MockCallArgs

/**
 * One resource the program registered.
 *
 * @example
 * const vpc = run.get("aws:ec2/vpc:Vpc")
 * vpc.inputs.cidrBlock // "10.0.0.0/16"
 * run.children(vpc.urn)
 */
export interface ResourceRecord {
  /** URN as the engine would assign it. */
  readonly urn: string
  /** Type token, e.g. `aws:ec2/vpc:Vpc` or `slipway:aws:Network`. */
  readonly type: string
  /** Logical name. */
  readonly name: string
  /** `false` for component resources. */
  readonly custom: boolean
  /** Parent URN; `undefined` for resources at the top of the stack. */
  readonly parent: string | undefined
  /** Inputs after transforms, with secrets unwrapped (see `secretPaths`). */
  readonly inputs: Record<string, Json>
  /** Dotted paths of inputs that were Pulumi secrets (`environment.variables.TOKEN`). */
  readonly secretPaths: ReadonlyArray<string>
  /** Outputs the fake cloud returned (inputs plus computed attributes); a component's registered outputs. */
  readonly outputs: Record<string, Json>
  readonly id: string | undefined
  /** `true` for `Resource.get(...)` reads of existing resources. */
  readonly read: boolean
}

/**
 * Options for `runPulumiProgram`.
 *
 * @example
 * await runPulumiProgram(program, { stack: "prod", config: { "aws:region": "eu-west-1" }, zones: { "example.com": "Z0EXAMPLE" } })
 */
export interface RunOptions {
  /** Pulumi project name (default `"project"`). */
  readonly project?: string
  /** Stack name (default `"test"`). */
  readonly stack?: string
  /**
   * Stack configuration, keys namespaced as in `Pulumi.<stack>.yaml`
   * (`"aws:region": "eu-west-1"`, `"project:domain": "example.com"`).
   */
  readonly config?: Readonly<Record<string, string>>
  /** Config keys whose values are secrets. */
  readonly secretConfig?: ReadonlyArray<string>
  /** Extra or overriding outputs for a resource, layered over the defaults. */
  readonly outputs?: (args: MockResourceArgs) => Record<string, unknown> | undefined
  /** Answers for invokes the defaults do not cover (`undefined` falls through to them). */
  readonly calls?: (args: MockCallArgs) => Record<string, unknown> | undefined
  /** Hosted zones the account has, name → id, for `getZone({ zoneId })`. */
  readonly zones?: Readonly<Record<string, string>>
  /** Existing VPCs `getVpc` knows, id → CIDR. */
  readonly vpcs?: Readonly<Record<string, string>>
  /** AWS account id (default `123456789012`). */
  readonly accountId?: string
}

/**
 * What a program run produced.
 *
 * @example
 * const run = await runPulumiProgram(() => new Network("net").vpcId)
 * run.byType("aws:ec2/subnet:Subnet").length // 4
 * run.outputs // "vpc-…"
 */
export interface PulumiRun<T> {
  /** Every resource (provider resources excluded), in registration order. */
  readonly resources: ReadonlyArray<ResourceRecord>
  /** Default and explicit provider resources (`pulumi:providers:*`). */
  readonly providers: ReadonlyArray<ResourceRecord>
  /** Every invoke the program made, in order. */
  readonly calls: ReadonlyArray<{ readonly token: string; readonly inputs: Record<string, Json> }>
  /** The program's return value with every Output resolved. */
  readonly outputs: pulumi.Unwrap<T>
  /** The first resource of a type (and name), or `undefined`. */
  readonly find: (type: string, name?: string) => ResourceRecord | undefined
  /** Like `find`, but throws listing what exists when nothing matches. */
  readonly get: (type: string, name?: string) => ResourceRecord
  /** Every resource of a type. */
  readonly byType: (type: string) => ReadonlyArray<ResourceRecord>
  /** Direct children of a resource. */
  readonly children: (urn: string) => ReadonlyArray<ResourceRecord>
  /** Every resource below a resource, at any depth. */
  readonly descendants: (urn: string) => ReadonlyArray<ResourceRecord>
  /** The stack policy check list run over `resources`. */
  readonly policy: () => ReadonlyArray<PolicyViolation>
}

// The SDK counts every registration and invoke from the moment it starts (before its
// inputs resolve) and exposes a wait for them all: internal, so fall back to watching the
// monitor when it is missing.
const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs

/** Waits until no registration is in flight, including ones started by applies meanwhile. */
const settle = async (pending: ReadonlySet<Promise<unknown>>): Promise<void> => {
  for (let round = 0; round < 1_000; round++) {
    await waitForRPCs?.()
    await Promise.allSettled([...pending])
    await new Promise((r) => setImmediate(r))
    if (pending.size === 0 && round >= 2) return
  }
  throw new Error("registrations never settled")
}

/**
 * A registration or program error, with the resources recorded until then.
 *
 * @example
 * const error = await runPulumiProgram(program).catch((e) => e)
 * if (error instanceof PulumiProgramError) console.error(error.message, error.resources.length)
 */
export class PulumiProgramError extends Error {
  readonly resources: ReadonlyArray<ResourceRecord>
  constructor(message: string, resources: ReadonlyArray<ResourceRecord>, cause?: unknown) {
    super(message, { cause })
    this.name = "PulumiProgramError"
    this.resources = resources
  }
}

/**
 * Resolves an Output (or any input) to its value. Works only outside preview, where
 * every value is known — which is how `runPulumiProgram` runs.
 *
 * @example
 * import { resolve } from "@slipway/testing"
 * const cidr = await resolve(network.vpc.cidrBlock) // "10.0.0.0/16"
 */
export const resolve = async <T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> => {
  // Output's `promise()` and `isKnown` are internal but stable; `apply` alone would never
  // call back for an unknown value and the test would hang instead of failing.
  const out = pulumi.output(value) as unknown as {
    promise: () => Promise<pulumi.Unwrap<T>>
    isKnown: Promise<boolean>
  }
  const [known, resolved] = await Promise.all([out.isKnown, out.promise()])
  if (!known) {
    throw new Error("the value is unknown: it depends on an output the engine computes only during an update")
  }
  return resolved
}

// Outputs anywhere in a returned value (resources are left as they are: they hold Outputs
// the test can resolve itself).
const resolveDeep = async (value: unknown): Promise<unknown> => {
  if (pulumi.Output.isInstance(value)) return resolveDeep(await resolve(value))
  if (pulumi.Resource.isInstance(value)) return value
  if (value instanceof Promise) return resolveDeep(await value)
  if (Array.isArray(value)) return Promise.all(value.map(resolveDeep))
  // Plain objects, and module namespaces (a program file's exports, prototype null).
  const proto = value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined
  if (proto === Object.prototype || proto === null) {
    const entries = await Promise.all(
      Object.entries(value as object).map(async ([k, v]) => [k, await resolveDeep(v)] as const),
    )
    return Object.fromEntries(entries)
  }
  return value
}

// The SDK wraps a failed input in "error serializing property …" layers; the innermost
// message is the one a user can act on.
const rootCause = (error: unknown): unknown => {
  if (!(error instanceof Error)) return error
  const inner = error.message.replace(/^(?:error serializing property "[^"]*": )+/, "")
  if (inner === error.message) return error
  const unwrapped = new Error(inner, { cause: error })
  unwrapped.stack = error.stack
  return unwrapped
}

/**
 * What a failure says, whatever was thrown. Errors that crossed a thread (ts-node's
 * loader) arrive as plain objects, some without a prototype, on which `String()` itself
 * throws ("Cannot convert object to primitive value"): their `message`, or else their
 * contents, are shown instead.
 */
const failureText = (failure: unknown): string => {
  if (failure instanceof Error) return failure.message
  if (typeof failure === "object" && failure !== null) {
    const message = (failure as { readonly message?: unknown }).message
    if (typeof message === "string" && message !== "") return message
    return inspect(failure, { depth: 4, breakLength: Number.POSITIVE_INFINITY })
  }
  return String(failure)
}

// The runtime's secret wrapper as it appears in mock inputs.
const SIG_KEY = "4dabf18193072939515e22adb298388d"
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

const isSecretWrapper = (v: unknown): v is { value: unknown } =>
  v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG

/** Unwraps secrets, noting where they were. */
const unwrapSecrets = (value: unknown, path: string, secrets: Array<string>): unknown => {
  if (isSecretWrapper(value)) {
    secrets.push(path)
    return unwrapSecrets(value.value, path, secrets)
  }
  if (Array.isArray(value))
    return value.map((v, i) => unwrapSecrets(v, path ? `${path}.${i}` : `${i}`, secrets))
  if (
    value !== null &&
    typeof value === "object" &&
    !pulumi.Resource.isInstance(value) &&
    !pulumi.asset.Asset.isInstance(value) &&
    !pulumi.asset.Archive.isInstance(value)
  ) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = unwrapSecrets(v, path ? `${path}.${k}` : k, secrets)
    return out
  }
  return value
}

// The slice of the mock monitor the harness hooks into (see @pulumi/pulumi runtime/mocks.js).
interface MonitorRequest {
  getParent(): string
  getType(): string
  getName(): string
}
interface MockMonitorShape {
  registerResource(
    req: MonitorRequest,
    cb: (err: unknown, resp: { getUrn(): string } | undefined) => void,
  ): Promise<void>
  readResource(
    req: MonitorRequest,
    cb: (err: unknown, resp: { getUrn(): string } | undefined) => void,
  ): Promise<void>
  registerResourceOutputs(
    req: { getUrn(): string; getOutputs(): unknown },
    cb: (err: unknown, resp: unknown) => void,
  ): void
}

interface MutableRecord {
  urn: string
  type: string
  name: string
  custom: boolean
  parent: string | undefined
  inputs: Record<string, Json>
  secretPaths: Array<string>
  outputs: Record<string, Json>
  id: string | undefined
  read: boolean
  transforms: ReadonlyArray<pulumi.ResourceTransform>
}

/**
 * Runs a Pulumi program under mocks and returns what it registered.
 *
 * @example
 * import { runPulumiProgram } from "@slipway/testing"
 * import { Network } from "@slipway/aws"
 *
 * const run = await runPulumiProgram(() => {
 *   const net = new Network("net", { nat: "single" })
 *   return { vpcId: net.vpcId }
 * }, { config: { "aws:region": "eu-west-1" } })
 * run.byType("aws:ec2/subnet:Subnet").length // 4
 * run.outputs.vpcId // "vpc-…"
 * run.policy() // []
 */
export const runPulumiProgram = async <T>(
  program: () => T | Promise<T>,
  options: RunOptions = {},
): Promise<PulumiRun<T>> => {
  const project = options.project ?? "project"
  const stack = options.stack ?? "test"
  const config = { "aws:region": "us-east-1", ...options.config }
  const ctx: MockCloudContext = {
    region: config["aws:region"]!,
    accountId: options.accountId ?? "123456789012",
    zones: new Map(Object.entries(options.zones ?? {})),
    vpcs: new Map(Object.entries(options.vpcs ?? {})),
  }

  const records: Array<MutableRecord> = []
  const byUrn = new Map<string, MutableRecord>()
  const calls: Array<{ token: string; inputs: Record<string, Json> }> = []
  const errors: Array<unknown> = []
  // Errors the harness itself detected (unmocked invokes, duplicate URNs): the most precise.
  const harnessErrors: Array<unknown> = []
  const pending = new Set<Promise<unknown>>()
  const stackTransforms: Array<pulumi.ResourceTransform> = []
  const occurrences = new Map<string, number>()
  // Set by the monitor hook just before the mock monitor calls newResource (synchronously).
  let registering: { parent: string | undefined; record?: MutableRecord } | undefined

  const transformChain = (own: ReadonlyArray<pulumi.ResourceTransform>, parent: string | undefined) => {
    const chain = [...own]
    for (let p = parent; p !== undefined; p = byUrn.get(p)?.parent)
      chain.push(...(byUrn.get(p)?.transforms ?? []))
    return [...chain, ...stackTransforms]
  }

  const newResource = async (args: MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> => {
    const slot = registering
    registering = undefined
    if (slot === undefined) {
      throw new Error(
        "@slipway/testing: the mock monitor no longer calls newResource synchronously; the harness needs updating for this @pulumi/pulumi version",
      )
    }
    let props = (args.inputs ?? {}) as Record<string, unknown>
    const own = args.transforms ?? []
    for (const transform of transformChain(own, slot.parent)) {
      const result = await transform({
        custom: args.custom ?? true,
        type: args.type,
        name: args.name,
        props,
        opts: {},
      })
      if (result !== undefined) props = result.props as Record<string, unknown>
    }
    const secretPaths: Array<string> = []
    const inputs = unwrapSecrets(props, "", secretPaths) as Record<string, Json>
    const key = `${args.type}::${args.name}`
    const n = (occurrences.get(key) ?? 0) + 1
    occurrences.set(key, n)
    const record: MutableRecord = {
      urn: "",
      type: args.type,
      name: args.name,
      custom: args.custom ?? true,
      parent: slot.parent,
      inputs,
      secretPaths,
      outputs: {},
      id: undefined,
      read: false,
      transforms: own,
    }
    slot.record = record
    if (!record.custom) {
      records.push(record)
      return { id: undefined, state: {} }
    }
    const computed = args.type.startsWith("pulumi:providers:")
      ? { id: `${args.name}-provider`, state: {} }
      : defaultResourceState({ ...args, inputs }, ctx, `${key}::${n}`)
    const extra = options.outputs?.({ ...args, inputs }) ?? {}
    // The monitor passes "" (not undefined) when nothing is imported.
    const id = (extra.id as string | undefined) || args.id || computed.id
    // Raw props keep their secret wrappers so secrets stay secret in the program's outputs.
    const state = { ...computed.state, ...props, ...extra }
    record.id = id
    record.outputs = unwrapSecrets(state, "", []) as Record<string, Json>
    records.push(record)
    return { id, state }
  }

  const call = (args: MockCallArgs): Record<string, unknown> => {
    calls.push({
      token: args.token,
      inputs: unwrapSecrets(args.inputs ?? {}, "", []) as Record<string, Json>,
    })
    try {
      const result = options.calls?.(args) ?? defaultCallResult(args, ctx)
      if (result === undefined) throw new UnmockedInvoke(args.token)
      return result
    } catch (error) {
      // The SDK reports a failed invoke without its message; keep the original.
      harnessErrors.push(error)
      throw error
    }
  }

  await pulumi.runtime.setMocks(
    {
      newResource,
      call,
      registerTransform: (transform) => {
        stackTransforms.push(transform as pulumi.ResourceTransform)
      },
    },
    project,
    stack,
    false,
  )
  pulumi.runtime.setAllConfig(config, [...(options.secretConfig ?? [])])

  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorShape
  const hook =
    (method: "registerResource" | "readResource") =>
    (original: MockMonitorShape["registerResource"]) =>
    (req: MonitorRequest, cb: (err: unknown, resp: { getUrn(): string } | undefined) => void) => {
      const slot: { parent: string | undefined; record?: MutableRecord } = {
        parent: req.getParent() || undefined,
      }
      registering = slot
      const done = original(req, (err, resp) => {
        if (err !== null && err !== undefined) {
          errors.push(err)
        } else if (resp !== undefined && slot.record !== undefined) {
          slot.record.urn = resp.getUrn()
          slot.record.read = method === "readResource"
          if (byUrn.has(slot.record.urn)) {
            harnessErrors.push(
              new Error(
                `duplicate resource URN ${slot.record.urn}: two resources of type ${slot.record.type} named "${slot.record.name}" under the same parent; give them different names`,
              ),
            )
          }
          byUrn.set(slot.record.urn, slot.record)
        }
        cb(err, resp)
      })
      registering = undefined
      pending.add(done)
      void done.finally(() => pending.delete(done))
      return done
    }
  monitor.registerResource = hook("registerResource")(monitor.registerResource.bind(monitor))
  monitor.readResource = hook("readResource")(monitor.readResource.bind(monitor))
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor)
  monitor.registerResourceOutputs = (req, cb) => {
    registerOutputs(req, (err, resp) => {
      const record = byUrn.get(req.getUrn())
      if (record !== undefined && err == null) {
        const struct = req.getOutputs() as
          | Parameters<typeof pulumi.runtime.deserializeProperties>[0]
          | undefined
        const raw = struct === undefined ? {} : pulumi.runtime.deserializeProperties(struct)
        record.outputs = unwrapSecrets(raw, "", []) as Record<string, Json>
      }
      cb(err, resp)
    })
  }

  const snapshot = (): ReadonlyArray<ResourceRecord> =>
    records.filter((r) => !r.type.startsWith("pulumi:providers:")).map(({ transforms: _, ...r }) => r)

  // A failed input (an apply that throws, an invoke that fails) rejects promises inside the
  // SDK that nobody awaits; the Pulumi language host owns those rejections during a run
  // and fails the update with them. Do the same while the program runs.
  const hostListeners = process.listeners("unhandledRejection")
  process.removeAllListeners("unhandledRejection")
  const onRejection = (reason: unknown) => void errors.push(reason)
  process.on("unhandledRejection", onRejection)
  let outputs: unknown
  try {
    outputs = await resolveDeep(await program())
  } catch (cause) {
    errors.unshift(cause)
  } finally {
    await settle(pending)
    process.off("unhandledRejection", onRejection)
    for (const listener of hostListeners) process.on("unhandledRejection", listener)
  }
  const all = [...harnessErrors, ...errors]
  if (all.length > 0) {
    const first = rootCause(all[0])
    throw new PulumiProgramError(`the program failed: ${failureText(first)}`, snapshot(), first)
  }

  const resources = snapshot()
  const providers = records
    .filter((r) => r.type.startsWith("pulumi:providers:"))
    .map(({ transforms: _, ...r }) => r)
  const byType = (type: string) => resources.filter((r) => r.type === type)
  const find = (type: string, name?: string) =>
    resources.find((r) => r.type === type && (name === undefined || r.name === name))
  const children = (urn: string) => resources.filter((r) => r.parent === urn)
  const descendants = (urn: string): ReadonlyArray<ResourceRecord> =>
    children(urn).flatMap((c) => [c, ...descendants(c.urn)])
  return {
    resources,
    providers,
    calls,
    outputs: outputs as pulumi.Unwrap<T>,
    find,
    get: (type, name) => {
      const found = find(type, name)
      if (found !== undefined) return found
      const have = resources.map((r) => `${r.type} ${r.name}`).join("\n  ")
      throw new Error(
        `no ${type}${name === undefined ? "" : ` named "${name}"`} was registered; have:\n  ${have}`,
      )
    },
    byType,
    children,
    descendants,
    policy: () => checkPolicies(resources),
  }
}
