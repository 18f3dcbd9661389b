/**
 * CloudWatch alarms as gates: ALARM fails, INSUFFICIENT_DATA is Inconclusive (an alarm
 * with no datapoints knows nothing yet), OK passes. The same alarms a native ECS or
 * CodeDeploy rollout watches, so driven and native rollouts agree.
 */
import { type Gate, Verdict } from "@slipway/core"
import { Effect, Result } from "effect"
import { AlarmSource } from "./AlarmSource.ts"
import { guard } from "./internal/verdicts.ts"

/**
 * Options of {@link alarm}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const gate = Gate.alarm("api-5xx", { name: "5xx alarm" })
 */
export interface AlarmGateOptions {
  /** Gate name (default `alarm <name>`). */
  readonly name?: string
}

/**
 * A gate on a CloudWatch alarm's state, read through `AlarmSource`.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const fiveHundreds = Gate.alarm("api-5xx")
 */
export const alarm = (alarmName: string, options: AlarmGateOptions = {}): Gate<AlarmSource> => {
  const name = options.name ?? `alarm ${alarmName}`
  const query = `alarm ${alarmName}`
  return {
    name,
    check: () =>
      guard(
        name,
        Effect.gen(function* () {
          const source = yield* AlarmSource
          const read = yield* Effect.result(source.state(alarmName))
          if (Result.isFailure(read)) {
            return Verdict.Inconclusive({
              reason: `could not read alarm ${alarmName}: ${read.failure.message}`,
              evidence: [
                { gate: name, query, observed: null, threshold: "state OK", detail: read.failure.message },
              ],
            })
          }
          const { state, reason, updatedAt } = read.success
          const evidence = [
            {
              gate: name,
              query,
              threshold: "state OK",
              detail: `${state} since ${updatedAt.toISOString()}: ${reason}`,
            },
          ]
          const text = `alarm ${alarmName} is ${state}: ${reason}`
          switch (state) {
            case "OK":
              return Verdict.Pass({ reason: text, evidence })
            case "ALARM":
              return Verdict.Fail({ reason: text, evidence })
            case "INSUFFICIENT_DATA":
              return Verdict.Inconclusive({ reason: text, evidence })
          }
        }),
      ),
  }
}
