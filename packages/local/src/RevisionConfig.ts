/**
 * The revision configuration keys the local target reads, checked with a schema at the
 * edge so a typo fails `ensure` with the field's name instead of a crash-looping replica.
 * Keys other providers use are ignored.
 */
import type { Revision } from "@slipway/core"
import { Result, Schema } from "effect"

const Port = Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 65_535 }))

/**
 * What `config` may hold for a revision run on this machine.
 *
 * @example
 * import { makeRevision } from "@slipway/core"
 * makeRevision({ app: "hello", artifact, config: { command: ["node", "server.js"], healthPath: "/healthz", env: { LOG_LEVEL: "info" } } })
 */
export const LocalRevisionConfig = Schema.Struct({
  /** The command a replica runs, in the release directory: `["node", "server.js"]` or `"node server.js"`. */
  command: Schema.Union([
    Schema.String.check(Schema.isMinLength(1)),
    Schema.Array(Schema.String).check(Schema.isMinLength(1)),
  ]),
  /** Pin the port (one replica only); by default the supervisor assigns one per replica in `PORT`. */
  port: Schema.optionalKey(Port),
  /** Readiness and liveness path; a 2xx answer means ready. Default `/healthz`. */
  healthPath: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\//))),
  /** Extra environment variables for the replicas. */
  env: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
})
export type LocalRevisionConfig = typeof LocalRevisionConfig.Type

/** A decoded configuration, with defaults applied and the command split into argv. */
export interface ResolvedRevisionConfig {
  readonly argv: ReadonlyArray<string>
  readonly port: number | undefined
  readonly healthPath: string
  readonly env: Readonly<Record<string, string>>
}

/**
 * Splits a command line into argv the way a shell would for plain words and quotes
 * (`'…'`, `"…"`, `\`), without expansion, pipes or globbing. Use an array, or
 * `["sh", "-c", "…"]`, when you need a shell.
 *
 * @example
 * import { splitCommand } from "@slipway/local"
 * splitCommand(`node server.js --name "hello world"`) // ["node", "server.js", "--name", "hello world"]
 */
export const splitCommand = (line: string): Array<string> => {
  const argv: Array<string> = []
  let word = ""
  let inWord = false
  let quote: "'" | '"' | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote === "'") {
      if (c === "'") quote = undefined
      else word += c
    } else if (quote === '"') {
      if (c === '"') quote = undefined
      else if (c === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i]
      else word += c
    } else if (c === "'" || c === '"') {
      quote = c
      inWord = true
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(word)
      word = ""
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) argv.push(word)
  return argv
}

const decode = Schema.decodeUnknownResult(LocalRevisionConfig)

/**
 * Reads a revision's config, or explains what is wrong with it.
 *
 * @example
 * import { resolveRevisionConfig } from "@slipway/local"
 * resolveRevisionConfig(revision) // { ok: true, config: { argv: ["node", "server.js"], healthPath: "/healthz", … } }
 */
export const resolveRevisionConfig = (
  revision: Revision,
):
  | { readonly ok: true; readonly config: ResolvedRevisionConfig }
  | { readonly ok: false; readonly problem: string } => {
  const decoded = decode(revision.config, { errors: "all" })
  if (Result.isFailure(decoded)) {
    return {
      ok: false,
      problem: `revision ${revision.id} has an invalid config for this machine: ${decoded.failure.message}\nexpected { command: string | string[], port?: 1..65535, healthPath?: "/…", env?: Record<string, string> }, e.g. { command: ["node", "server.js"], healthPath: "/healthz" }`,
    }
  }
  const config = decoded.success
  const argv = typeof config.command === "string" ? splitCommand(config.command) : [...config.command]
  if (argv.length === 0 || argv[0]!.length === 0) {
    return {
      ok: false,
      problem: `revision ${revision.id}: config.command is empty; set e.g. ["node", "server.js"]`,
    }
  }
  return {
    ok: true,
    config: { argv, port: config.port, healthPath: config.healthPath ?? "/healthz", env: config.env ?? {} },
  }
}
