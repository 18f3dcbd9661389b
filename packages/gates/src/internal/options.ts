/** Checks gate options as they are built, throwing `GateConfigError`. Internal. */
import { type DurationInput, parseDuration } from "@slipway/core"
import { GateConfigError } from "../GateConfigError.ts"

/** Parses a duration option to milliseconds, or throws naming the gate and the field. */
export const durationOption = (gate: string, field: string, input: DurationInput): number => {
  const ms = parseDuration(input)
  if (ms === undefined || ms < 0) {
    throw new GateConfigError({
      gate,
      field,
      problem: `${JSON.stringify(input)} is not a duration; write e.g. "1m", "30s" or milliseconds`,
    })
  }
  return ms
}

/** A positive duration (windows, timeouts, intervals). */
export const positiveDurationOption = (gate: string, field: string, input: DurationInput): number => {
  const ms = durationOption(gate, field, input)
  if (ms === 0) throw new GateConfigError({ gate, field, problem: "must be longer than 0" })
  return ms
}

/** A whole number ≥ `minimum` (limits, counts). */
export const countOption = (gate: string, field: string, value: number, minimum: number): number => {
  if (!Number.isInteger(value) || value < minimum) {
    throw new GateConfigError({ gate, field, problem: `${value} is not a whole number ≥ ${minimum}` })
  }
  return value
}

/** A finite number (thresholds). */
export const numberOption = (gate: string, field: string, value: number): number => {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new GateConfigError({ gate, field, problem: `${String(value)} is not a finite number` })
  }
  return value
}

/** An absolute http(s) URL. */
export const isHttpUrl = (text: string): boolean =>
  URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol)
