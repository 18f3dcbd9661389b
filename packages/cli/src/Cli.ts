/**
 * The `slipway` command line: parsing, help and dispatch. Each command's flags are
 * declared once here and drive both parsing and `--help`.
 */
import { parseArgs } from "node:util"
import { closest } from "@slipway/core"

export interface FlagSpec {
  readonly type: "string" | "boolean"
  readonly short?: string
  readonly multiple?: boolean
  readonly value?: string
  readonly description: string
}

export interface CommandSpec {
  readonly name: string
  readonly summary: string
  readonly usage: string
  readonly details?: string
  readonly flags: Readonly<Record<string, FlagSpec>>
  readonly positionals?: { readonly max: number; readonly names: string }
  readonly examples: ReadonlyArray<string>
}

const common: Record<string, FlagSpec> = {
  config: {
    type: "string",
    short: "c",
    value: "FILE",
    description: "config file (default: ./slipway.config.ts)",
  },
  "state-dir": {
    type: "string",
    value: "DIR",
    description: "state directory (default: the config's, or ./.slipway)",
  },
  json: { type: "boolean", description: "print machine-readable JSON instead of text" },
  "no-color": {
    type: "boolean",
    description: "no colours (also when NO_COLOR is set or output is not a terminal)",
  },
  help: { type: "boolean", short: "h", description: "show this help" },
}

const strategyNames = "canary, blue-green, rolling, linear, all-at-once, or a CodeDeploy preset name"

// A service that `pulumi up` rolls out in driven mode keeps its journal in S3: these flags
// say where, for the commands that read or steer a journal (see commands/aws.ts).
const awsTarget: Record<string, FlagSpec> = {
  target: {
    type: "string",
    value: "local|aws",
    description:
      "where the app runs: local (default: this machine) or aws (a driven rollout's journal in S3)",
  },
  bucket: {
    type: "string",
    value: "BUCKET",
    description: "with --target aws: the S3 bucket holding the journal (the service's driven.journalBucket)",
  },
  prefix: {
    type: "string",
    value: "PREFIX",
    description: "with --target aws: key prefix in the bucket, if any",
  },
  app: {
    type: "string",
    value: "APP",
    description:
      "with --target aws: the app the journal is kept under (driven.app: <project>-<stack>-<name>)",
  },
  region: {
    type: "string",
    value: "REGION",
    description: "with --target aws: the bucket's region (default: AWS_REGION or the profile's)",
  },
  profile: { type: "string", value: "NAME", description: "with --target aws: a named AWS profile" },
}
const awsExample = "--target aws --bucket web-prod-journal-1a2b3c --app web-prod-web"

export const commands: ReadonlyArray<CommandSpec> = [
  {
    name: "deploy",
    summary: "build the app and roll it out to this machine with a strategy and health gates",
    usage: "slipway deploy [--strategy NAME] [--env KEY=VALUE]... [--config FILE]",
    details:
      "Builds the app (unchanged source is not rebuilt), starts the candidate's replicas, then moves traffic\n" +
      "step by step while the gates watch it. A failing gate rolls traffic back to the stable revision\n" +
      "on its own. If a previous deploy was interrupted, this resumes it (same candidate) or rolls it\n" +
      "back first (different candidate). Exit code: 0 promoted, 1 rolled back, 2 bad input, 3 failure.",
    flags: {
      ...common,
      strategy: {
        type: "string",
        short: "s",
        value: "NAME",
        description: `strategy to use instead of the config's: ${strategyNames}`,
      },
      env: {
        type: "string",
        short: "e",
        multiple: true,
        value: "KEY=VALUE",
        description: "extra environment for the replicas (part of the revision)",
      },
      "dry-run": { type: "boolean", description: "validate, build and explain the plan; change nothing" },
    },
    examples: [
      "slipway deploy",
      "slipway deploy --strategy blue-green",
      "slipway deploy -e FEATURE_X=on --json",
    ],
  },
  {
    name: "status",
    summary: "show the app's revisions, traffic weights and the current rollout",
    usage: "slipway status [--watch] [--json] [--target aws --bucket BUCKET --app APP]",
    flags: {
      ...common,
      watch: { type: "boolean", short: "w", description: "keep refreshing until interrupted" },
      ...awsTarget,
    },
    examples: [
      "slipway status",
      "slipway status --watch",
      "slipway status --json | jq .rollout.status",
      `slipway status ${awsExample} --region eu-west-1`,
    ],
  },
  {
    name: "promote",
    summary: "move the running rollout past its current step (or all the way with --full)",
    usage: "slipway promote [--full] [--target aws --bucket BUCKET --app APP]",
    flags: {
      ...common,
      full: { type: "boolean", description: "skip remaining steps and gates: 100% to the candidate now" },
      ...awsTarget,
    },
    examples: ["slipway promote", "slipway promote --full", `slipway promote ${awsExample}`],
  },
  {
    name: "pause",
    summary: "pause the running rollout where it is",
    usage: "slipway pause [--target aws --bucket BUCKET --app APP]",
    flags: { ...common, ...awsTarget },
    examples: ["slipway pause", `slipway pause ${awsExample}`],
  },
  {
    name: "resume",
    summary: "resume a paused rollout, or continue an interrupted one",
    usage: "slipway resume [--target aws --bucket BUCKET --app APP]",
    flags: { ...common, ...awsTarget },
    examples: ["slipway resume", `slipway resume ${awsExample}`],
  },
  {
    name: "abort",
    summary: "roll the running rollout back: traffic to stable first, then the candidate stops",
    usage: "slipway abort [--reason TEXT] [--target aws --bucket BUCKET --app APP]",
    flags: {
      ...common,
      reason: { type: "string", value: "TEXT", description: "why (recorded in the journal and report)" },
      ...awsTarget,
    },
    examples: ['slipway abort --reason "wrong config"', `slipway abort ${awsExample} --reason "p99 is up"`],
  },
  {
    name: "rollback",
    summary: "send all traffic back to the previous (or a named) revision",
    usage: "slipway rollback [REVISION] [--target aws --bucket BUCKET --app APP]",
    details:
      "With a rollout in progress this aborts it. Otherwise it redeploys REVISION (default: the revision\nbefore the current one) from the artifact store, all at once unless --strategy says otherwise.\n" +
      "With --target aws it asks the `pulumi up` driving a rollout to abort, or else shifts traffic back\n" +
      "to REVISION's recorded release (task definition, launch template version or Lambda version) from here.",
    flags: {
      ...common,
      strategy: {
        type: "string",
        short: "s",
        value: "NAME",
        description: "strategy for the rollback (default all-at-once)",
      },
      ...awsTarget,
    },
    positionals: { max: 1, names: "REVISION" },
    examples: ["slipway rollback", "slipway rollback hello-3f9c2a7b1d0e", `slipway rollback ${awsExample}`],
  },
  {
    name: "history",
    summary: "list past rollouts with their outcome",
    usage: "slipway history [--limit N] [--json] [--target aws --bucket BUCKET --app APP]",
    flags: {
      ...common,
      limit: { type: "string", short: "n", value: "N", description: "how many (default 20)" },
      ...awsTarget,
    },
    examples: ["slipway history", "slipway history -n 5 --json", `slipway history ${awsExample}`],
  },
  {
    name: "report",
    summary: "write the HTML report (SVG timeline and every gate verdict) of a rollout",
    usage: "slipway report [ROLLOUT_ID] [--out FILE] [--target aws --bucket BUCKET --app APP]",
    flags: {
      ...common,
      out: {
        type: "string",
        short: "o",
        value: "FILE",
        description: "where to write (default: <state-dir>/reports/<id>.html)",
      },
      ...awsTarget,
    },
    positionals: { max: 1, names: "ROLLOUT_ID" },
    examples: [
      "slipway report",
      "slipway report --out rollout.html",
      `slipway report ${awsExample} -o web.html`,
    ],
  },
  {
    name: "agent",
    summary: "start, stop or inspect the local agent that runs replicas and the proxy",
    usage: "slipway agent start|stop|status [--port N]",
    details:
      "The agent is started on demand by deploy; it keeps serving after the command exits.\nIt listens for commands on a unix socket in the state directory only.",
    flags: {
      ...common,
      port: {
        type: "string",
        short: "p",
        value: "N",
        description: "public proxy port for `start` (default: config port or 8080)",
      },
    },
    positionals: { max: 1, names: "start|stop|status" },
    examples: ["slipway agent status", "slipway agent stop"],
  },
]

export class UsageError extends Error {}

/**
 * The command a mistyped name most likely meant: a typo away (about one edit per three
 * letters), or a prefix of it (`depl` → `deploy`); undefined when nothing is close.
 */
export const closestCommand = (name: string): string | undefined => {
  const typed = name.toLowerCase()
  if (typed.length === 0) return undefined
  const prefixed = commands.find((c) => typed.length >= 2 && c.name.startsWith(typed))
  if (prefixed) return prefixed.name
  // Command names are short: one edit in three, at least one.
  return closest(
    typed,
    commands.map((c) => c.name),
    undefined,
    1,
  )
}

export interface Parsed {
  readonly command: CommandSpec
  readonly flags: Record<string, string | boolean | Array<string> | undefined>
  readonly positionals: ReadonlyArray<string>
}

/** Parses argv (without node and script) into a command and its flags, or throws UsageError. */
export const parse = (argv: ReadonlyArray<string>): Parsed | "help" | "version" => {
  const [name, ...rest] = argv
  if (name === undefined || name === "help" || name === "--help" || name === "-h") return "help"
  if (name === "--version" || name === "-v") return "version"
  const command = commands.find((c) => c.name === name)
  if (!command) {
    const near = closestCommand(name)
    throw new UsageError(
      `unknown command "${name}"${near ? `; did you mean "${near}"?` : ""}. Run \`slipway --help\` for the list.`,
    )
  }
  const options = Object.fromEntries(
    Object.entries(command.flags).map(([k, f]) => [
      k,
      { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) },
    ]),
  )
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options,
      allowPositionals: true,
      strict: true,
    })
    const max = command.positionals?.max ?? 0
    if (positionals.length > max) {
      throw new UsageError(
        max === 0
          ? `\`slipway ${command.name}\` takes no arguments (got "${positionals.join(" ")}")`
          : `\`slipway ${command.name}\` takes at most ${max} argument (${command.positionals!.names})`,
      )
    }
    return { command, flags: values as Parsed["flags"], positionals }
  } catch (e) {
    if (e instanceof UsageError) throw e
    throw new UsageError(
      `${(e as Error).message.replace(/\. To specify.*$/, "")}. Run \`slipway ${command.name} --help\`.`,
    )
  }
}

const flagLine = (name: string, f: FlagSpec): string => {
  const left = `${f.short ? `-${f.short}, ` : "    "}--${name}${f.value ? ` ${f.value}` : ""}`
  return `  ${left.padEnd(30)} ${f.description}`
}

/** `slipway --help`. */
export const mainHelp = (version: string): string =>
  [
    `slipway ${version} — progressive delivery to this machine (and AWS through Pulumi)`,
    "",
    "Usage: slipway <command> [flags]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    "",
    "Run `slipway <command> --help` for a command's flags and examples.",
    "Docs: README.md and docs/ in the Slipway repository.",
  ].join("\n")

/** `slipway <command> --help`. */
export const commandHelp = (c: CommandSpec): string =>
  [
    `${c.usage}`,
    "",
    `  ${c.summary}`,
    ...(c.details ? ["", ...c.details.split("\n").map((l) => `  ${l}`)] : []),
    "",
    "Flags:",
    ...Object.entries(c.flags).map(([n, f]) => flagLine(n, f)),
    "",
    "Examples:",
    ...c.examples.map((e) => `  $ ${e}`),
  ].join("\n")
