/**
 * What `npm create slipway` needs to know, from flags or prompts, and the checks that
 * run before anything is written.
 */
import { parseArgs } from "node:util"

/**
 * The templates create-slipway can write, one folder each under `templates/`.
 *
 * @example
 * import { templates } from "create-slipway"
 * templates.includes("lambda") // true
 */
export const templates = ["fargate", "ec2", "lambda"] as const
/** One of {@link templates}. */
export type Template = (typeof templates)[number]

/**
 * The rollout strategies a project can start with; the generated program turns the name
 * into a strategy with `fromName` from `@slipway/strategies`.
 *
 * @example
 * import { strategies } from "create-slipway"
 * strategies[0] // "canary" (the default)
 */
export const strategies = ["canary", "linear", "blue-green", "rolling", "all-at-once"] as const
/** One of {@link strategies}. */
export type StrategyName = (typeof strategies)[number]

/**
 * The package managers create-slipway installs with and names in its next steps.
 *
 * @example
 * import { packageManagers } from "create-slipway"
 * packageManagers // ["npm", "pnpm", "yarn"]
 */
export const packageManagers = ["npm", "pnpm", "yarn"] as const
/** One of {@link packageManagers}. */
export type PackageManager = (typeof packageManagers)[number]

/**
 * Everything a scaffold needs, as the flags gave it; `undefined` means "ask, or use the
 * default".
 *
 * @example
 * import { parseOptions, type Answers } from "create-slipway"
 * const answers: Answers = parseOptions(["my-api", "--template", "lambda"], false)
 * answers.strategy // undefined: the default (canary) applies
 */
export interface Answers {
  readonly dir: string | undefined
  readonly template: Template | undefined
  readonly name: string | undefined
  readonly strategy: StrategyName | undefined
  readonly region: string | undefined
  readonly domain: string | undefined
  readonly pm: PackageManager | undefined
  readonly install: boolean | undefined
  readonly interactive: boolean
  readonly overwrite: boolean
  readonly help: boolean
  readonly version: boolean
}

/**
 * A flag, answer or target folder that cannot be used; the message names it and what
 * would be valid. The CLI prints it and exits with code 2.
 *
 * @example
 * import { InvalidOption, parseOptions } from "create-slipway"
 * try { parseOptions(["--template", "k8s"], false) } catch (e) {
 *   e instanceof InvalidOption // true: '--template: "k8s" is not one of fargate, ec2, lambda'
 * }
 */
export class InvalidOption extends Error {
  override readonly name = "InvalidOption"
}

/** The `--help` text. */
export const help = `Usage: npm create slipway@latest [dir] [-- flags]

Scaffold a Pulumi project that deploys an app to AWS with progressive delivery.

Flags:
  -t, --template NAME     fargate | ec2 | lambda
  -n, --name NAME         project name (default: the folder's name)
  -s, --strategy NAME     canary | linear | blue-green | rolling | all-at-once (default canary)
      --region REGION     AWS region (default us-east-1)
      --domain NAME       domain for HTTPS, e.g. app.example.com (a Route 53 zone must hold it)
      --pm NAME           npm | pnpm | yarn (default: the one that ran this)
      --install           install dependencies (default)
      --no-install        skip installing dependencies
      --no-interactive    never prompt; use flags and defaults (default when stdin is not a terminal)
      --overwrite         empty a non-empty target folder first (keeps .git)
  -h, --help              show this help
  -v, --version           print the version

Examples:
  npm create slipway@latest my-api -- --template fargate --strategy canary
  pnpm create slipway my-fn --template lambda --no-install
`

const oneOf = <T extends string>(
  flag: string,
  value: string | undefined,
  allowed: ReadonlyArray<T>,
): T | undefined => {
  if (value === undefined) return undefined
  if ((allowed as ReadonlyArray<string>).includes(value)) return value as T
  throw new InvalidOption(`--${flag}: "${value}" is not one of ${allowed.join(", ")}`)
}

/**
 * Why a name cannot be the project's name, or `undefined` when it can. The name is both the
 * npm package name and the Pulumi project name (which also prefixes the stack's config
 * keys), so it must satisfy both: lowercase letters, digits, "-", "_" and ".", starting with
 * a letter or digit, at most 100 characters (Pulumi's limit; npm allows 214). Scoped names
 * (`@scope/name`) are not valid Pulumi project names.
 *
 * @example
 * import { nameProblem } from "create-slipway"
 * nameProblem("my-api") // undefined
 * nameProblem("My API") // '"My API" has capital letters; use lowercase (e.g. "my api")'
 */
export const nameProblem = (name: string): string | undefined => {
  if (name.length === 0) return "the name is empty"
  if (name.length > 100) return `the name is ${name.length} characters long; Pulumi allows at most 100`
  if (name !== name.toLowerCase())
    return `"${name}" has capital letters; use lowercase (e.g. "${name.toLowerCase()}")`
  if (name.startsWith("@")) {
    return `"${name}" is a scoped package name, which Pulumi does not accept as a project name; drop the scope (e.g. "${name.split("/").pop()}")`
  }
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    return `"${name}" is not a valid project name; use lowercase letters, digits, "-", "_" and ".", starting with a letter or digit (e.g. "my-api")`
  }
  if (name === "node_modules" || name === "favicon.ico")
    return `"${name}" is a name npm reserves; choose another`
  return undefined
}

/**
 * A valid project name made from a folder's name ("My App" → "my-app"), for the default.
 *
 * @example
 * import { nameFromFolder } from "create-slipway"
 * nameFromFolder("My App!") // "my-app"
 */
export const nameFromFolder = (folder: string): string => {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/-+$/, "")
    .slice(0, 100)
  return name.length > 0 && nameProblem(name) === undefined ? name : "my-app"
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/

/**
 * Why a string is not an AWS region name, or `undefined` when it looks like one.
 *
 * @example
 * import { regionProblem } from "create-slipway"
 * regionProblem("eu-west-3") // undefined
 * regionProblem("europe")    // '"europe" is not an AWS region name (e.g. us-east-1, eu-west-3)'
 */
export const regionProblem = (region: string): string | undefined =>
  REGION.test(region) ? undefined : `"${region}" is not an AWS region name (e.g. us-east-1, eu-west-3)`

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

/**
 * Why a string is not a DNS name the app can be served on, or `undefined`.
 *
 * @example
 * import { domainProblem } from "create-slipway"
 * domainProblem("app.example.com") // undefined
 * domainProblem("https://app.example.com") // '"https://app.example.com" is not a domain name (e.g. app.example.com)'
 */
export const domainProblem = (domain: string): string | undefined =>
  DOMAIN.test(domain) ? undefined : `"${domain}" is not a domain name (e.g. app.example.com)`

/**
 * Parses argv (after `create-slipway`) and checks every value given. Prompts are on when
 * stdin is a terminal unless `--no-interactive` is passed. Throws {@link InvalidOption}
 * naming the flag.
 *
 * @example
 * import { parseOptions } from "create-slipway"
 * parseOptions(["my-api", "-t", "fargate", "--strategy", "linear", "--no-install"], true).install // false
 */
export const parseOptions = (argv: ReadonlyArray<string>, stdinIsTty: boolean): Answers => {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      options: {
        template: { type: "string", short: "t" },
        name: { type: "string", short: "n" },
        strategy: { type: "string", short: "s" },
        region: { type: "string" },
        domain: { type: "string" },
        pm: { type: "string" },
        install: { type: "boolean" },
        interactive: { type: "boolean" },
        overwrite: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    })
  } catch (e) {
    throw new InvalidOption(
      `${(e as Error).message.replace(/\. To specify.*$/, "")}. Run with --help for the flags.`,
    )
  }
  const v = parsed.values as Record<string, string | boolean | undefined>
  if (parsed.positionals.length > 1) {
    throw new InvalidOption(
      `expected one target folder, got ${parsed.positionals.length}: ${parsed.positionals.join(" ")}`,
    )
  }
  const name = v.name as string | undefined
  if (name !== undefined) {
    const problem = nameProblem(name)
    if (problem) throw new InvalidOption(`--name: ${problem}`)
  }
  const region = v.region as string | undefined
  const badRegion = region === undefined ? undefined : regionProblem(region)
  if (badRegion) throw new InvalidOption(`--region: ${badRegion}`)
  const domain = v.domain as string | undefined
  const badDomain = domain === undefined ? undefined : domainProblem(domain)
  if (badDomain) throw new InvalidOption(`--domain: ${badDomain}`)
  return {
    dir: parsed.positionals[0],
    template: oneOf("template", v.template as string | undefined, templates),
    name,
    strategy: oneOf("strategy", v.strategy as string | undefined, strategies),
    region,
    domain,
    pm: oneOf("pm", v.pm as string | undefined, packageManagers),
    install: v.install as boolean | undefined,
    interactive: (v.interactive as boolean | undefined) ?? stdinIsTty,
    overwrite: Boolean(v.overwrite),
    help: Boolean(v.help),
    version: Boolean(v.version),
  }
}

/**
 * The package manager that ran us, from `npm_config_user_agent`; npm when unknown.
 *
 * @example
 * import { detectPackageManager } from "create-slipway"
 * detectPackageManager("pnpm/10.2.0 npm/? node/v24.1.0 linux x64") // "pnpm"
 * detectPackageManager(undefined) // "npm"
 */
export const detectPackageManager = (userAgent: string | undefined): PackageManager => {
  const first = userAgent?.split(" ")[0]?.split("/")[0]
  return first === "pnpm" || first === "yarn" ? first : "npm"
}
