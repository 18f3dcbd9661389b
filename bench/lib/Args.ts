/**
 * The runner's command line: `pnpm bench [NAME...] [--no-save] [--list] [--help]`.
 */
import { parseArgs } from "node:util"

/** What the runner was asked to do. */
export interface BenchArgs {
  /** Benchmarks to run, in the order they are registered (all of them when none was named). */
  readonly selected: ReadonlyArray<string>
  /** Write `bench/results/<name>.json` and `bench/results/latest.md` (default true). */
  readonly save: boolean
  readonly help: boolean
  readonly list: boolean
}

/** A command line the runner cannot act on; the message says what would work. */
export class BenchUsageError extends Error {
  override readonly name = "BenchUsageError"
}

/**
 * Parses the runner's arguments against the registered benchmark names. Names keep the
 * registry's order whatever order they were given in, and each runs once.
 *
 * @example
 * parseBenchArgs(["zip", "proxy"], ["proxy", "detection", "zip"])
 * // { selected: ["proxy", "zip"], save: true, help: false, list: false }
 */
export const parseBenchArgs = (argv: ReadonlyArray<string>, known: ReadonlyArray<string>): BenchArgs => {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (e) {
    throw new BenchUsageError(`${(e as Error).message}. Usage: ${usage(known)}`)
  }
  const { values, positionals } = parsed
  const unknown = positionals.filter((p) => !known.includes(p))
  if (unknown.length > 0) {
    throw new BenchUsageError(
      `unknown benchmark ${unknown.map((u) => JSON.stringify(u)).join(", ")}; choose from: ${known.join(", ")}`,
    )
  }
  return {
    selected: positionals.length === 0 ? [...known] : known.filter((k) => positionals.includes(k)),
    save: !values["no-save"],
    help: Boolean(values.help),
    list: Boolean(values.list),
  }
}

const parse = (argv: ReadonlyArray<string>) =>
  parseArgs({
    // `pnpm bench -- proxy` passes the separator through; it means nothing here.
    args: argv.filter((a) => a !== "--"),
    options: {
      "no-save": { type: "boolean" },
      list: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  })

/** One-line usage. */
export const usage = (known: ReadonlyArray<string>): string =>
  `pnpm bench [${known.join("|")}]... [--no-save] [--list] [--help]`
