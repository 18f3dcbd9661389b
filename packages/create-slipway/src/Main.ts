/**
 * `npm create slipway`: asks what it needs (or takes it from flags), scaffolds, installs,
 * and prints the next commands. Returns the process exit code: 0 done, 1 cancelled or a
 * write failed, 2 a flag, answer or target folder cannot be used (nothing was written).
 */
import { readFileSync } from "node:fs"
import { basename, relative, resolve } from "node:path"
import * as p from "@clack/prompts"
import { install, nextSteps } from "./Install.ts"
import {
  type Answers,
  detectPackageManager,
  domainProblem,
  help,
  InvalidOption,
  nameFromFolder,
  nameProblem,
  parseOptions,
  regionProblem,
  type StrategyName,
  strategies,
  type Template,
  templates,
} from "./Options.ts"
import { checkTarget, scaffold, TargetNotEmpty } from "./Scaffold.ts"

const version = (): string =>
  (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
    .version

const templateHints: Record<Template, string> = {
  fargate: "a container on ECS Fargate behind an HTTPS load balancer",
  ec2: "an app on EC2 instances in an Auto Scaling group behind an HTTPS load balancer",
  lambda: "a function with a weighted alias and an HTTPS endpoint",
}

const strategyHints: Record<StrategyName, string> = {
  canary: "a small share of traffic first, gated, then the rest",
  linear: "equal steps of traffic, gated between steps",
  "blue-green": "a full second copy, tested, then switched at once",
  rolling: "replace instances in batches",
  "all-at-once": "no gradual shift; fastest, least safe",
}

class Cancelled extends Error {}

const ask = async <T>(value: Promise<T>): Promise<Exclude<T, symbol>> => {
  const v = await value
  if (p.isCancel(v)) throw new Cancelled()
  return v as Exclude<T, symbol>
}

// clack calls validators with the raw input: empty means "take the default".
const unlessEmpty =
  (problem: (v: string) => string | undefined) =>
  (v: string | undefined): string | undefined =>
    v ? problem(v) : undefined

/** Fills what the flags left open: prompts when interactive, defaults otherwise. */
const complete = async (a: Answers) => {
  const interactive = a.interactive
  if (interactive) p.intro(`create-slipway ${version()}`)
  const dir =
    a.dir ??
    (interactive
      ? await ask(
          p.text({ message: "Where should the project go?", placeholder: "my-app", defaultValue: "my-app" }),
        )
      : "my-app")
  const targetDir = resolve(dir)
  let overwrite = a.overwrite
  try {
    checkTarget(targetDir, overwrite)
  } catch (e) {
    if (!(e instanceof TargetNotEmpty) || !interactive) throw e
    const empty = await ask(
      p.confirm({
        message: `${dir} is not empty. Remove its files (.git is kept) and continue?`,
        initialValue: false,
      }),
    )
    if (!empty) throw new Cancelled()
    overwrite = true
  }
  const defaultName = nameFromFolder(basename(targetDir))
  const name =
    a.name ??
    (interactive
      ? await ask(
          p.text({
            message: "Project name",
            defaultValue: defaultName,
            placeholder: defaultName,
            validate: unlessEmpty(nameProblem),
          }),
        )
      : defaultName)
  const problem = nameProblem(name)
  if (problem) throw new InvalidOption(`name: ${problem}; pass --name`)
  const template =
    a.template ??
    (interactive
      ? await ask(
          p.select<Template>({
            message: "What runs your app?",
            options: templates.map((t) => ({ value: t, label: t, hint: templateHints[t] })),
          }),
        )
      : "fargate")
  const strategy =
    a.strategy ??
    (interactive
      ? await ask(
          p.select<StrategyName>({
            message: "How should new versions roll out?",
            options: strategies.map((s) => ({ value: s, label: s, hint: strategyHints[s] })),
            initialValue: "canary",
          }),
        )
      : "canary")
  const region =
    a.region ??
    (interactive
      ? await ask(
          p.text({
            message: "AWS region",
            defaultValue: "us-east-1",
            placeholder: "us-east-1",
            validate: unlessEmpty(regionProblem),
          }),
        )
      : "us-east-1")
  const domain =
    a.domain ??
    (interactive
      ? (await ask(
          p.text({
            message: "Domain for HTTPS (optional; a Route 53 zone must hold it, e.g. app.example.com)",
            defaultValue: "",
            validate: unlessEmpty(domainProblem),
          }),
        )) || undefined
      : undefined)
  const pm = a.pm ?? detectPackageManager(process.env.npm_config_user_agent)
  const doInstall =
    a.install ??
    (interactive
      ? await ask(p.confirm({ message: `Install dependencies with ${pm}?`, initialValue: true }))
      : true)
  return { targetDir, name, template, strategy, region, domain, pm, doInstall, overwrite }
}

const isErrno = (e: unknown): e is NodeJS.ErrnoException =>
  e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string"

/**
 * Runs create-slipway with the given arguments; resolves to the exit code.
 *
 * @example
 * import { main } from "create-slipway"
 * process.exitCode = await main(["my-api", "--template", "fargate", "--no-install"])
 */
export const main = async (
  argv: ReadonlyArray<string>,
  stdinIsTty = Boolean(process.stdin.isTTY),
): Promise<number> => {
  try {
    const answers = parseOptions(argv, stdinIsTty)
    if (answers.help) {
      console.log(help)
      return 0
    }
    if (answers.version) {
      console.log(version())
      return 0
    }
    const plan = await complete(answers)
    const files = scaffold({
      targetDir: plan.targetDir,
      template: plan.template,
      name: plan.name,
      strategy: plan.strategy,
      region: plan.region,
      domain: plan.domain,
      overwrite: plan.overwrite,
      slipwayVersion: `^${version()}`,
    })
    // Relative when below here (what a user types next), absolute otherwise.
    const rel = relative(process.cwd(), plan.targetDir)
    const shown = rel === "" ? "." : rel.startsWith("..") ? plan.targetDir : rel
    console.log(
      `Created ${plan.template} project "${plan.name}" in ${shown} (${files.length} files, strategy ${plan.strategy}).`,
    )
    let installed = false
    if (plan.doInstall) {
      const code = install(plan.pm, plan.targetDir)
      installed = code === 0
      if (!installed) console.error(`${plan.pm} install exited with ${code}; run it yourself in ${shown}.`)
    }
    const steps = nextSteps(plan.pm, shown, installed)
    if (answers.interactive) p.outro(`Next:\n  ${steps.join("\n  ")}`)
    else console.log(`Next:\n  ${steps.join("\n  ")}`)
    return 0
  } catch (e) {
    if (e instanceof Cancelled) {
      p.cancel("Cancelled; nothing was written.")
      return 1
    }
    if (e instanceof InvalidOption) {
      console.error(`create-slipway: ${e.message}`)
      return 2
    }
    // A write that failed after the checks passed (disk full, a file locked, permissions
    // changed meanwhile): say which path and why instead of a stack trace.
    if (isErrno(e)) {
      console.error(`create-slipway: could not write the project: ${e.message}`)
      return 1
    }
    throw e
  }
}
