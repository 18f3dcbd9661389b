/**
 * Mistakes in how a gate is built (a window that is not a duration, a limit below zero)
 * are reported when the gate is constructed, before any rollout starts, naming the gate,
 * the field and what would be valid.
 */
import { Data } from "effect"

/**
 * A gate was built with an invalid option. Thrown by gate constructors, so a bad spec
 * fails while the program is defined rather than halfway through a rollout.
 *
 * @example
 * import { GateConfigError, errorRate } from "@slipway/gates"
 * try {
 *   errorRate({ max: 0.01, window: "1 minit" })
 * } catch (e) {
 *   if (e instanceof GateConfigError) console.error(e.message)
 *   // error-rate: window "1 minit" is not a duration; write e.g. "1m", "30s" or milliseconds
 * }
 */
export class GateConfigError extends Data.TaggedError("GateConfigError")<{
  /** The gate (or combinator) being built. */
  readonly gate: string
  /** The option at fault. */
  readonly field: string
  /** What is wrong and what would be valid. */
  readonly problem: string
}> {
  override get message(): string {
    return `${this.gate}: ${this.field} ${this.problem}`
  }
}
