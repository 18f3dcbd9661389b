/**
 * What compiling a strategy to a native AWS mechanism gives back: the settings the
 * mechanism runs server-side, or a refusal that says why it cannot express the strategy
 * and what to do instead. A strategy is never approximated: either the mechanism does
 * exactly what the steps say, or it is refused.
 */
import { type Backend, backendLimits } from "@slipway/strategies"
import { Data, Effect } from "effect"

/**
 * The AWS mechanisms a strategy can be compiled to.
 *
 * @example
 * import type { NativeBackend } from "@slipway/aws"
 * const backend: NativeBackend = "ecs"
 */
export type NativeBackend = "ecs" | "codedeploy-lambda" | "instance-refresh"

/**
 * The `@slipway/strategies` name of each mechanism (`explain`'s `backend` option and
 * `backendIssues`), whose checks the compiler refuses with.
 *
 * @example
 * import { strategiesBackend } from "@slipway/aws"
 * import { explain, linear } from "@slipway/strategies"
 * explain(linear({ stepPercent: 10, interval: "1m" }), [], { backend: strategiesBackend["instance-refresh"] }).errors
 */
export const strategiesBackend: Readonly<Record<NativeBackend, Exclude<Backend, "driven">>> = {
  ecs: "ecs-native",
  "codedeploy-lambda": "codedeploy-lambda",
  "instance-refresh": "asg-refresh",
}

/**
 * The strategy compiled: `settings` are what the mechanism is given; `notes` say how each step maps.
 *
 * @example
 * import { compileEcs } from "@slipway/aws"
 * const result = compileEcs(strategy, options)
 * if (result._tag === "Compiled") console.log(result.settings.deploymentConfiguration, result.notes)
 */
export interface Compiled<S> {
  readonly _tag: "Compiled"
  readonly backend: NativeBackend
  readonly settings: S
  /** One line per mapping decision (for `explain` and previews), e.g. `steps[1] 5m bake → canaryBakeTimeInMinutes "5"`. */
  readonly notes: ReadonlyArray<string>
}

/**
 * The strategy cannot be expressed by the mechanism.
 *
 * @example
 * import { compileInstanceRefresh } from "@slipway/aws"
 * const result = compileInstanceRefresh(strategy)
 * if (result._tag === "Refused") console.error(`${result.reason}. Instead: ${result.alternative}`)
 */
export interface Refused {
  readonly _tag: "Refused"
  readonly backend: NativeBackend
  /** Why, naming the step and the mechanism's limit. */
  readonly reason: string
  /** What to do instead (change a field, pass an option, or run it driven). */
  readonly alternative: string
  /** The step or field at fault, e.g. `steps[2]`, when there is one. */
  readonly path?: string
}

/**
 * The outcome of compiling a strategy for a native mechanism.
 *
 * @example
 * import type { Compilation, EcsNativeSettings } from "@slipway/aws"
 * const show = (c: Compilation<EcsNativeSettings>) => (c._tag === "Compiled" ? c.notes.join("\n") : c.reason)
 */
export type Compilation<S> = Compiled<S> | Refused

/**
 * A strategy that a native mechanism cannot run, as a tagged error for effect programs.
 *
 * @example
 * import { NativeUnsupported } from "@slipway/aws"
 * new NativeUnsupported({
 *   backend: "ecs",
 *   reason: "ECS CANARY shifts traffic once: canaryPercent then 100%. This strategy has 4 weights (10, 25, 50, 100)",
 *   alternative: 'run it driven: set rollout: { mode: "driven" } on the FargateService',
 * }).message
 */
export class NativeUnsupported extends Data.TaggedError("NativeUnsupported")<{
  readonly backend: NativeBackend
  readonly reason: string
  readonly alternative: string
  readonly path?: string
}> {
  override get message(): string {
    return `${this.backend} cannot run this strategy natively: ${this.reason}. Instead: ${this.alternative}`
  }
}

/**
 * The compiled settings, or a `NativeUnsupported` failure carrying the refusal.
 *
 * @example
 * import { compileEcs, compiledOrFail } from "@slipway/aws"
 * import { Effect } from "effect"
 * const settings = compiledOrFail(compileEcs(strategy, options)) // Effect<EcsNativeSettings, NativeUnsupported>
 */
export const compiledOrFail = <S>(compilation: Compilation<S>): Effect.Effect<S, NativeUnsupported> =>
  compilation._tag === "Compiled"
    ? Effect.succeed(compilation.settings)
    : Effect.fail(
        new NativeUnsupported({
          backend: compilation.backend,
          reason: compilation.reason,
          alternative: compilation.alternative,
          ...(compilation.path === undefined ? {} : { path: compilation.path }),
        }),
      )

/**
 * The driven alternative for each backend: the service argument that runs the same
 * strategy with Slipway moving the traffic itself (`pulumi up` drives it, any steps and
 * gates). Written once, in `backendLimits` of `@slipway/strategies`.
 *
 * @example
 * import { drivenAlternative } from "@slipway/aws"
 * drivenAlternative.ecs
 * // 'run it driven: set rollout: { mode: "driven" } on the FargateService (Slipway shifts ALB weighted target groups itself)'
 */
export const drivenAlternative: Readonly<Record<NativeBackend, string>> = {
  ecs: backendLimits[strategiesBackend.ecs].drivenAlternative!,
  "codedeploy-lambda": backendLimits[strategiesBackend["codedeploy-lambda"]].drivenAlternative!,
  "instance-refresh": backendLimits[strategiesBackend["instance-refresh"]].drivenAlternative!,
}
