/**
 * Reading untrusted builder input (TypeScript callers, but also JavaScript config files and
 * JSON/YAML specs) and collecting every problem with the field it belongs to, so that one
 * `StrategyInvalid` lists them all instead of failing on the first.
 */
import { closest, parseDuration, StrategyInvalid, type StrategyIssue } from "@slipway/core"

/** How a value looks in a message: strings quoted, numbers as written, anything else by kind. */
export const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value)
  if (value === null) return "null"
  if (value === undefined) return "undefined"
  if (Array.isArray(value)) return "a list"
  if (typeof value === "function") return "a function"
  return "an object"
}

const PERCENT_HINT = "use a percent 0..100"
const DURATION_HINT = 'write a duration such as "30s", "5m", "1h30m", or milliseconds'

/** A bake or pause that waits for `slipway promote` instead of a clock. */
export type Manual = "manual"

export class Checker {
  readonly issues: Array<StrategyIssue> = []
  /** The builder the input was given to (`canary`, `rolling`, …); every path starts with it. */
  readonly root: string

  constructor(root: string) {
    this.root = root
  }

  path(relative: string): string {
    if (relative === "") return this.root
    return relative.startsWith("[") ? `${this.root}${relative}` : `${this.root}.${relative}`
  }

  /** Records an issue; returns `undefined` so readers can `return c.fail(...)`. */
  fail(relative: string, message: string): undefined {
    this.issues.push({ path: this.path(relative), message })
    return undefined
  }

  /** Throws `StrategyInvalid` with everything found so far, if anything was found. */
  done(): void {
    if (this.issues.length > 0) this.stop()
  }

  /** Throws `StrategyInvalid` now (there must be issues: the caller just recorded one). */
  stop(): never {
    throw new StrategyInvalid({ issues: [...this.issues] })
  }

  /** Reads the options object itself (`canary(undefined)` from JavaScript), or stops. */
  options(value: unknown, example: string, optional = false): Record<string, unknown> {
    if (value === undefined && optional) return {}
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail("", `expected an options object such as ${example}, got ${show(value)}`)
      return this.stop()
    }
    return value as Record<string, unknown>
  }

  /** A plain object, or an issue that shows what was expected. */
  record(relative: string, value: unknown, example: string): Record<string, unknown> | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.fail(relative, `expected an object such as ${example}, got ${show(value)}`)
    }
    return value as Record<string, unknown>
  }

  /** Flags keys the builder does not know (a typo in a JavaScript config would otherwise be ignored). */
  knownKeys(relative: string, object: Record<string, unknown>, known: ReadonlyArray<string>): void {
    for (const key of Object.keys(object)) {
      if (known.includes(key)) continue
      const guess = closest(key, known)
      const at = relative === "" ? key : `${relative}.${key}`
      const what = relative === "" ? "option" : "field"
      const hint = guess ? `; did you mean "${guess}"?` : ""
      this.fail(at, `unknown ${what}${hint} (known: ${known.join(", ")})`)
    }
  }

  /** A whole percent in `min..100`. */
  percent(relative: string, value: unknown, min = 0): number | undefined {
    const hint = min === 0 ? PERCENT_HINT : `use a percent ${min}..100`
    if (typeof value !== "number") return this.fail(relative, `${show(value)} is not a number; ${hint}`)
    if (!Number.isFinite(value)) return this.fail(relative, `${value} is not a finite number; ${hint}`)
    if (value > 100) return this.fail(relative, `${value} is above 100; ${hint}`)
    if (value < min) return this.fail(relative, `${value} is below ${min}; ${hint}`)
    if (!Number.isInteger(value)) {
      return this.fail(relative, `${value} is not a whole percent; use an integer ${min}..100`)
    }
    return value
  }

  /** A whole number ≥ `min` (counts: replicas, failure limits). */
  wholeNumber(relative: string, value: unknown, min: number, what: string): number | undefined {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return this.fail(relative, `${show(value)} is not a number; use a whole number of ${what} ≥ ${min}`)
    }
    if (!Number.isInteger(value)) {
      return this.fail(relative, `${value} is not a whole number; use a whole number of ${what} ≥ ${min}`)
    }
    if (value < min)
      return this.fail(relative, `${value} is below ${min}; use a whole number of ${what} ≥ ${min}`)
    return value
  }

  /** A duration in ms; `positive` refuses 0 (a pause of nothing), otherwise 0 is allowed. */
  duration(relative: string, value: unknown, positive: boolean): number | undefined {
    if (typeof value !== "number" && typeof value !== "string") {
      return this.fail(relative, `${show(value)} is not a duration; ${DURATION_HINT}`)
    }
    const ms = parseDuration(value)
    if (ms === undefined) return this.fail(relative, `${show(value)} is not a duration; ${DURATION_HINT}`)
    if (ms < 0) return this.fail(relative, `${show(value)} is negative; ${DURATION_HINT}`)
    if (positive && ms === 0) {
      return this.fail(relative, `${show(value)} is zero; ${DURATION_HINT} greater than zero`)
    }
    return ms
  }

  /** A bake: a duration ≥ 0, or `"manual"` to wait until promoted. */
  bake(relative: string, value: unknown): number | Manual | undefined {
    if (typeof value === "string" && value.trim().toLowerCase() === "manual") return "manual"
    if (value === undefined) {
      return this.fail(
        relative,
        'is required: a duration such as "5m", 0 for none, or "manual" to wait for promotion',
      )
    }
    if (typeof value === "string" && parseDuration(value) === undefined) {
      return this.fail(
        relative,
        `${show(value)} is not a duration; ${DURATION_HINT}, or "manual" to wait for promotion`,
      )
    }
    return this.duration(relative, value, false)
  }

  /** A non-empty list of distinct, non-empty gate names. */
  gateNames(relative: string, value: unknown): ReadonlyArray<string> | undefined {
    if (!Array.isArray(value)) {
      return this.fail(
        relative,
        `expected a list of gate names such as ["errors", "latency"], got ${show(value)}`,
      )
    }
    if (value.length === 0) {
      return this.fail(relative, "an empty list checks nothing; omit it to check every gate of the rollout")
    }
    const seen = new Set<string>()
    let ok = true
    value.forEach((name: unknown, i) => {
      if (typeof name !== "string" || name.trim() === "") {
        ok = false
        this.fail(
          `${relative}[${i}]`,
          `${show(name)} is not a gate name; use the name the gate was created with`,
        )
      } else if (seen.has(name)) {
        ok = false
        this.fail(`${relative}[${i}]`, `"${name}" is listed twice`)
      } else {
        seen.add(name)
      }
    })
    return ok ? (value as ReadonlyArray<string>) : undefined
  }

  /** One of a few literal strings. */
  oneOf<const A extends string>(relative: string, value: unknown, options: ReadonlyArray<A>): A | undefined {
    if (typeof value === "string" && (options as ReadonlyArray<string>).includes(value)) return value as A
    return this.fail(relative, `${show(value)} is not one of ${options.map((o) => `"${o}"`).join(", ")}`)
  }

  boolean(relative: string, value: unknown): boolean | undefined {
    if (typeof value === "boolean") return value
    return this.fail(relative, `${show(value)} is not true or false`)
  }
}
