/**
 * Strategies from data: a name, a `{ kind, ...options }` spec (what a JSON or YAML config
 * holds), or an already-built strategy read back from JSON. `validate` is the `Effect`
 * form; `fromSpec` the synchronous one that throws.
 */
import { closest, type Strategy, StrategyInvalid, validateStrategy } from "@slipway/core"
import { Effect } from "effect"
import { type AllAtOnceOptions, allAtOnce } from "./AllAtOnce.ts"
import { type BlueGreenOptions, blueGreen } from "./BlueGreen.ts"
import { type CanaryOptions, canary } from "./Canary.ts"
import { type CustomStep, custom } from "./Custom.ts"
import { show } from "./internal/Check.ts"
import { type LinearOptions, linear } from "./Linear.ts"
import { fromName } from "./Names.ts"
import type { CommonOptions } from "./Options.ts"
import { type RollingOptions, rolling } from "./Rolling.ts"

/**
 * A strategy as configuration: a name for `fromName`, or a constructor's options tagged
 * with its `kind` (camelCase or kebab-case).
 *
 * @example
 * import type { StrategySpec } from "@slipway/strategies"
 * const specs: ReadonlyArray<StrategySpec> = [
 *   "canary10Percent5Minutes",
 *   { kind: "canary", steps: [{ weight: 10, bake: "5m" }], gates: ["errors"] },
 *   { kind: "blue-green", previewGates: ["smoke"], autoPromote: false },
 *   { kind: "custom", steps: [{ setWeight: 20 }, { pause: "5m" }] },
 * ]
 */
export type StrategySpec =
  | string
  | ({ readonly kind: "canary" } & CanaryOptions)
  | ({ readonly kind: "linear" } & LinearOptions)
  | ({ readonly kind: "blueGreen" | "blue-green" } & BlueGreenOptions)
  | ({ readonly kind: "rolling" } & RollingOptions)
  | ({ readonly kind: "allAtOnce" | "all-at-once" } & AllAtOnceOptions)
  | ({ readonly kind: "custom"; readonly steps: ReadonlyArray<CustomStep> } & CommonOptions)

const builders: Record<string, (options: Record<string, unknown>) => Strategy> = {
  canary: (o) => canary(o as unknown as CanaryOptions),
  linear: (o) => linear(o as unknown as LinearOptions),
  blueGreen: (o) => blueGreen(o as BlueGreenOptions),
  "blue-green": (o) => blueGreen(o as BlueGreenOptions),
  rolling: (o) => rolling(o as RollingOptions),
  allAtOnce: (o) => allAtOnce(o as AllAtOnceOptions),
  "all-at-once": (o) => allAtOnce(o as AllAtOnceOptions),
  custom: ({ steps, ...rest }) => custom(steps as ReadonlyArray<CustomStep>, rest as CommonOptions),
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

// A built strategy carries every policy and only tagged steps; a spec has shorthand steps
// or leaves policies out. Built ones are checked as they are: nothing gets appended.
const looksBuilt = (o: Record<string, unknown>): boolean =>
  Array.isArray(o.steps) &&
  o.steps.every((s) => isRecord(s) && typeof s._tag === "string") &&
  isRecord(o.analysis) &&
  typeof o.scaleDownDelay === "number" &&
  typeof o.progressDeadline === "number"

const invalid = (message: string): StrategyInvalid =>
  new StrategyInvalid({ issues: [{ path: "strategy", message }] })

const EXPECTED =
  'a strategy name such as "canary", a spec such as { kind: "canary", steps: [...] }, or a built strategy'

/**
 * Builds a strategy from a spec, synchronously; throws `StrategyInvalid` naming the field.
 * Built strategies (from JSON) are validated as they are.
 *
 * @example
 * import { Strategies } from "@slipway/strategies"
 * const strategy = Strategies.fromSpec(JSON.parse('{"kind":"linear","stepPercent":20,"interval":"2m"}'))
 */
export const fromSpec = (input: StrategySpec | Strategy | unknown): Strategy => {
  if (typeof input === "string") return fromName(input)
  if (!isRecord(input)) throw invalid(`expected ${EXPECTED}, got ${show(input)}`)
  if (looksBuilt(input)) return Effect.runSync(validateStrategy(input))
  const { kind, ...options } = input
  if (typeof kind !== "string") {
    throw new StrategyInvalid({
      issues: [{ path: "strategy.kind", message: `is required: one of ${Object.keys(builders).join(", ")}` }],
    })
  }
  const build = builders[kind]
  if (build === undefined) {
    const guess = closest(kind, Object.keys(builders))
    throw new StrategyInvalid({
      issues: [
        {
          path: "strategy.kind",
          message: `${show(kind)} is not a strategy kind${guess ? `; did you mean "${guess}"?` : ""} (known: ${Object.keys(builders).join(", ")})`,
        },
      ],
    })
  }
  return build(options)
}

/**
 * Validates a strategy spec, name or built strategy as an `Effect`: succeeds with the
 * `Strategy`, fails with `StrategyInvalid` listing every bad field. Use it where input
 * arrives at runtime (a config file, an API request).
 *
 * @example
 * import { Strategies } from "@slipway/strategies"
 * import { Effect } from "effect"
 * const program = Strategies.validate({ kind: "canary", steps: [{ weight: 120, bake: "5m" }] }).pipe(
 *   Effect.catchTag("StrategyInvalid", (e) => Effect.logError(e.message)),
 *   // invalid strategy:
 *   //   - canary.steps[0].weight: 120 is above 100; use a percent 0..100
 * )
 */
export const validate = (
  input: StrategySpec | Strategy | unknown,
): Effect.Effect<Strategy, StrategyInvalid> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(fromSpec(input))
    } catch (e) {
      // Only a refused spec is a typed failure; anything else is a bug and stays a defect.
      return e instanceof StrategyInvalid ? Effect.fail(e) : Effect.die(e)
    }
  })
