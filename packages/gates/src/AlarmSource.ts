/**
 * Where alarm states come from. `@slipway/aws` provides it with CloudWatch's
 * DescribeAlarms; `AlarmSource.layerMemory` serves tests and local runs.
 */
import { Clock, Context, Data, Effect, Layer } from "effect"

/**
 * CloudWatch's three alarm states.
 *
 * @example
 * import type { AlarmStateValue } from "@slipway/gates"
 * const state: AlarmStateValue = "INSUFFICIENT_DATA"
 */
export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA"

/**
 * An alarm's current state, with CloudWatch's explanation of why.
 *
 * @example
 * import type { AlarmState } from "@slipway/gates"
 * const ok: AlarmState = { state: "OK", reason: "Threshold Crossed: no datapoints were above 1.0", updatedAt: new Date() }
 */
export interface AlarmState {
  readonly state: AlarmStateValue
  /** CloudWatch's `StateReason`, e.g. "Threshold Crossed: 1 datapoint [5.0] was greater than the threshold (1.0)". */
  readonly reason: string
  readonly updatedAt: Date
}

/**
 * An alarm could not be read: it does not exist, or the API refused.
 *
 * @example
 * import { AlarmError } from "@slipway/gates"
 * new AlarmError({ alarm: "api-5xx", message: "no alarm named api-5xx in eu-west-1; check the name and region" })
 */
export class AlarmError extends Data.TaggedError("AlarmError")<{
  readonly alarm: string
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Reads alarm states by name.
 *
 * @example
 * import { AlarmSource } from "@slipway/gates"
 * import { Effect } from "effect"
 * const state = Effect.gen(function* () {
 *   const alarms = yield* AlarmSource
 *   return yield* alarms.state("api-5xx") // { state: "OK", reason: "…", updatedAt: Date }
 * })
 */
export class AlarmSource extends Context.Service<
  AlarmSource,
  { readonly state: (name: string) => Effect.Effect<AlarmState, AlarmError> }
>()("@slipway/gates/AlarmSource") {
  /**
   * Alarms held in memory, with a `MemoryAlarms` handle to change their state.
   *
   * @example
   * import { AlarmSource, MemoryAlarms } from "@slipway/gates"
   * import { Effect } from "effect"
   * const program = Effect.gen(function* () {
   *   const alarms = yield* MemoryAlarms
   *   yield* alarms.set("api-5xx", "ALARM", "Threshold Crossed")
   * }).pipe(Effect.provide(AlarmSource.layerMemory({ "api-5xx": "OK" })))
   */
  static layerMemory(
    initial: Readonly<Record<string, AlarmStateValue | Omit<AlarmState, "updatedAt">>> = {},
  ): Layer.Layer<AlarmSource | MemoryAlarms> {
    return Layer.effectContext(
      Effect.gen(function* () {
        const now = new Date(yield* Clock.currentTimeMillis)
        const alarms = new Map<string, AlarmState>(
          Object.entries(initial).map(([name, value]) => [
            name,
            typeof value === "string"
              ? { state: value, reason: `set to ${value}`, updatedAt: now }
              : { ...value, updatedAt: now },
          ]),
        )
        const source = AlarmSource.of({
          state: (name) =>
            Effect.suspend(() => {
              const alarm = alarms.get(name)
              return alarm === undefined
                ? Effect.fail(
                    new AlarmError({
                      alarm: name,
                      message: `no alarm named ${name}; known: ${[...alarms.keys()].join(", ") || "none"}`,
                    }),
                  )
                : Effect.succeed(alarm)
            }),
        })
        const handle = MemoryAlarms.of({
          set: (name, state, reason) =>
            Effect.flatMap(Clock.currentTimeMillis, (at) =>
              Effect.sync(() => {
                alarms.set(name, { state, reason: reason ?? `set to ${state}`, updatedAt: new Date(at) })
              }),
            ),
        })
        return Context.make(AlarmSource, source).pipe(Context.add(MemoryAlarms, handle))
      }),
    )
  }
}

/**
 * The handle of `AlarmSource.layerMemory`: sets alarm states, as CloudWatch would.
 *
 * @example
 * import { MemoryAlarms } from "@slipway/gates"
 * import { Effect } from "effect"
 * const trip = Effect.gen(function* () {
 *   const alarms = yield* MemoryAlarms
 *   yield* alarms.set("api-5xx", "ALARM", "Threshold Crossed: 1 datapoint [5.0] was greater than the threshold (1.0)")
 * })
 */
export class MemoryAlarms extends Context.Service<
  MemoryAlarms,
  { readonly set: (name: string, state: AlarmStateValue, reason?: string) => Effect.Effect<void> }
>()("@slipway/gates/MemoryAlarms") {}
