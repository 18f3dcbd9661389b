/**
 * What every Slipway component shares: the per-child escape hatch (adjust any child's
 * arguments before it is registered), child and physical naming within AWS length
 * limits, the tags every taggable child carries, and argument validation that fails
 * before anything is registered.
 *
 * Two ways to adjust children, both supported:
 * - a component's `transform` argument, one entry per child role, typed with that
 *   child's own `Args` — runs in-process, so it works under `pulumi.runtime.setMocks` too;
 * - Pulumi's `transforms` resource option on the component, which the engine applies to
 *   every child (`@slipway/testing` applies it under mocks as the engine would).
 */
import { createHash } from "node:crypto"
import * as pulumi from "@pulumi/pulumi"
import { Data } from "effect"

// ---------------------------------------------------------------- transforms

/**
 * Adjusts one child's arguments (and options) before it is created: either a partial
 * set of arguments merged over the component's (shallowly), or a function that edits
 * the arguments and options in place or returns replacement arguments.
 *
 * @example
 * import type { Transform } from "@slipway/aws"
 * import type * as aws from "@pulumi/aws"
 * // merge: keep the component's arguments, override one
 * const t1: Transform<aws.ec2.VpcArgs> = { instanceTenancy: "dedicated" }
 * // function: edit in place (and protect the resource)
 * const t2: Transform<aws.ec2.VpcArgs> = (args, opts) => {
 *   args.enableNetworkAddressUsageMetrics = true
 *   opts.protect = true
 * }
 */
export type Transform<Args> =
  | Partial<Args>
  // biome-ignore lint/suspicious/noConfusingVoidType: lets an editing function simply not return
  | ((args: Args, opts: pulumi.CustomResourceOptions, name: string) => Args | undefined | void)

/**
 * A Pulumi custom resource class (`aws.ec2.Vpc`, `aws.route53.Record`, …).
 *
 * @example
 * const ctor: ResourceClass<aws.ec2.Vpc, aws.ec2.VpcArgs> = aws.ec2.Vpc
 */
export type ResourceClass<R, Args> = new (name: string, args: Args, opts?: pulumi.CustomResourceOptions) => R

/**
 * Creates a child resource after applying its transform. Options are copied so one
 * transform cannot affect siblings that share an options object.
 *
 * @example
 * const vpc = createChild(aws.ec2.Vpc, `${name}-vpc`, { cidrBlock }, { parent: this }, args.transform?.vpc)
 */
export const createChild = <R, Args extends object>(
  ctor: ResourceClass<R, Args>,
  name: string,
  args: Args,
  opts: pulumi.CustomResourceOptions,
  transform: Transform<Args> | undefined,
): R => {
  const copy = { ...opts }
  if (transform === undefined) return new ctor(name, args, copy)
  if (typeof transform === "function") {
    const edited = { ...args }
    const returned = transform(edited, copy, name)
    return new ctor(name, returned ?? edited, copy)
  }
  return new ctor(name, { ...args, ...transform }, copy)
}

// ---------------------------------------------------------------- naming

const hash = (text: string, length: number): string =>
  createHash("sha256").update(text).digest("hex").slice(0, length)

/**
 * A physical AWS name that fits `max` characters and AWS's usual alphabet
 * (letters, digits, hyphens): long names are cut and suffixed with a hash of the whole,
 * so two long names never collide and the same input always gives the same name.
 *
 * @example
 * import { physicalName } from "@slipway/aws"
 * physicalName("my-very-long-project-production-web-service", 32) // "my-very-long-project-pr-<8 hex>"
 */
export const physicalName = (name: string, max: number): string => {
  const clean = name
    .replace(/[^A-Za-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "")
  if (clean.length <= max) return clean
  const suffix = hash(name, 8)
  return `${clean.slice(0, max - suffix.length - 1).replace(/-$/, "")}-${suffix}`
}

// ---------------------------------------------------------------- tags

/**
 * Tags applied to every taggable child.
 *
 * @example
 * const tags: Tags = { team: "payments", costCenter: config.require("costCenter") }
 */
export type Tags = Readonly<Record<string, pulumi.Input<string>>>

/**
 * The tags a component puts on its children: the user's tags plus where the child comes
 * from (`slipway:component`, `slipway:name`), so resources can be traced back to the
 * program in the AWS console and in cost reports. User tags win on conflict.
 *
 * @example
 * import { componentTags } from "@slipway/aws"
 * componentTags("slipway:aws:Network", "net", { team: "payments" })
 * // { "slipway:component": "Network", "slipway:name": "net", team: "payments" }
 */
export const componentTags = (type: string, name: string, tags: Tags | undefined): Tags => ({
  "slipway:component": type.split(":").pop() ?? type,
  "slipway:name": name,
  ...tags,
})

/**
 * Tags plus a `Name` tag (what the EC2 console lists resources by).
 *
 * @example
 * namedTags({ team: "payments" }, "net-public-a") // { Name: "net-public-a", team: "payments" }
 */
export const namedTags = (tags: Tags, name: string): Tags => ({ Name: name, ...tags })

// ---------------------------------------------------------------- validation

/**
 * One thing wrong with a component's arguments.
 *
 * @example
 * const problem: ArgProblem = { arg: "cidrBlock", problem: "/8 is larger than a VPC can be", fix: 'use "10.0.0.0/16"' }
 */
export interface ArgProblem {
  /** The argument, as a path (`cidrBlock`, `availabilityZones[2]`). */
  readonly arg: string
  /** What is wrong with the value given. */
  readonly problem: string
  /** What to write instead. */
  readonly fix: string
}

/**
 * Raised by a component's constructor when its arguments cannot work. Nothing has been
 * registered with Pulumi when it is thrown.
 *
 * @example
 * import { ComponentArgsInvalid, Network } from "@slipway/aws"
 * try {
 *   new Network("net", { cidrBlock: "10.0.0.0/8" })
 * } catch (e) {
 *   if (e instanceof ComponentArgsInvalid) console.error(e.message)
 *   // invalid arguments for slipway:aws:Network "net":
 *   //   - cidrBlock: /8 is larger than a VPC can be; use a prefix between /16 and /24, e.g. "10.0.0.0/16"
 * }
 */
export class ComponentArgsInvalid extends Data.TaggedError("ComponentArgsInvalid")<{
  /** The component's type token, e.g. `slipway:aws:Network`. */
  readonly component: string
  readonly name: string
  readonly problems: ReadonlyArray<ArgProblem>
}> {
  override get message(): string {
    const lines = this.problems.map((p) => `  - ${p.arg}: ${p.problem}; ${p.fix}`)
    return `invalid arguments for ${this.component} "${this.name}":\n${lines.join("\n")}`
  }
}

/**
 * An error to throw from inside an `apply` when a check only possible once a value is
 * known fails. Pulumi prefixes the message of errors raised there (`error serializing
 * property …`), which a tagged error's computed message does not allow, so the tagged
 * error travels as the `cause` of a plain one carrying its message.
 *
 * @example
 * zoneName.apply((zone) => {
 *   if (!inZone(name, zone)) throw inApply(new ComponentArgsInvalid({ component, name, problems }))
 *   return zone
 * })
 */
export const inApply = (error: ComponentArgsInvalid): Error => new Error(error.message, { cause: error })

/**
 * Collects argument problems, then throws them all at once.
 *
 * @example
 * const problems = new ArgProblems("slipway:aws:Network", name)
 * if (azCount > 3) problems.add("azCount", `${azCount} is not supported`, "use 2 or 3")
 * problems.throwIfAny() // before super(): nothing is registered
 */
export class ArgProblems {
  readonly problems: Array<ArgProblem> = []
  readonly component: string
  readonly name: string

  constructor(component: string, name: string) {
    this.component = component
    this.name = name
  }

  add(arg: string, problem: string, fix: string): void {
    this.problems.push({ arg, problem, fix })
  }

  /** Throws `ComponentArgsInvalid` when any problem was found. */
  throwIfAny(): void {
    if (this.problems.length > 0) {
      throw new ComponentArgsInvalid({ component: this.component, name: this.name, problems: this.problems })
    }
  }
}

/**
 * The value of an input when it is already known (a plain literal), or `undefined` when
 * it is absent or only known later (an Output or a Promise) — in which case it is
 * checked when it resolves instead.
 *
 * @example
 * knownValue("app.example.com") // "app.example.com"
 * knownValue(pulumi.output("x")) // undefined
 */
export const knownValue = <T>(input: pulumi.Input<T> | undefined): T | undefined => {
  if (input === undefined || input === null) return undefined
  if (pulumi.Output.isInstance(input)) return undefined
  if (typeof (input as { then?: unknown }).then === "function") return undefined
  return input as T
}
