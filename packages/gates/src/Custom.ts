/**
 * Custom gates: any effect that decides. Failures and defects of the effect become
 * Inconclusive verdicts that carry the error, so a broken check pauses a rollout for a
 * person instead of crashing it or silently passing.
 */
import { type Gate, type GateContext, type GateTiming, Verdict } from "@slipway/core"
import { Effect } from "effect"
import { errorMessage, guard } from "./internal/verdicts.ts"

/**
 * Options of {@link custom}.
 *
 * @example
 * import { Verdict } from "@slipway/core"
 * import * as Gate from "@slipway/gates"
 * import { Effect } from "effect"
 * const gate = Gate.custom("queue depth", () => Effect.succeed(Verdict.Pass({ reason: "12 jobs", evidence: [] })), {
 *   timing: { interval: 30_000 },
 * })
 */
export interface CustomGateOptions {
  /** Timing facts for `explain` (how often it samples, the window it reads). */
  readonly timing?: GateTiming
}

/**
 * A gate from a function of the rollout context to a verdict. If the effect fails, the
 * verdict is Inconclusive with the error's message.
 *
 * @example
 * import { Verdict } from "@slipway/core"
 * import * as Gate from "@slipway/gates"
 * import { Effect } from "effect"
 * const businessHours = Gate.custom("business hours", (ctx) =>
 *   Effect.sync(() => {
 *     const hour = new Date().getUTCHours()
 *     return hour >= 8 && hour < 18
 *       ? Verdict.Pass({ reason: `${hour}h UTC is within 8–18h`, evidence: [] })
 *       : Verdict.Inconclusive({ reason: `${hour}h UTC: waiting for business hours to ship ${ctx.candidate.id}`, evidence: [] })
 *   }),
 * )
 */
export const custom = <E = never, R = never>(
  name: string,
  decide: (context: GateContext) => Effect.Effect<Verdict, E, R>,
  options: CustomGateOptions = {},
): Gate<R> => ({
  name,
  ...(options.timing === undefined ? {} : { timing: options.timing }),
  check: (context) =>
    guard(
      name,
      Effect.suspend(() => decide(context)).pipe(
        Effect.catch((error) =>
          Effect.succeed(
            Verdict.Inconclusive({
              reason: `${name} could not evaluate: ${errorMessage(error)}`,
              evidence: [{ gate: name, detail: errorMessage(error) }],
            }),
          ),
        ),
      ),
    ),
})
