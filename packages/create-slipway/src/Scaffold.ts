/**
 * Writing a project from a template: check the target, copy, rename, rewrite names and
 * versions, write the stack's config. Every check runs before the first file is written.
 */
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs"
import { basename, dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { InvalidOption, type StrategyName, type Template } from "./Options.ts"

/**
 * What to write and where; every field already checked (see `parseOptions`).
 *
 * @example
 * import type { ScaffoldPlan } from "create-slipway"
 * const plan: ScaffoldPlan = { targetDir: "my-api", template: "fargate", name: "my-api", strategy: "canary",
 *   region: "us-east-1", domain: undefined, overwrite: false, slipwayVersion: "^0.1.0" }
 */
export interface ScaffoldPlan {
  readonly targetDir: string
  readonly template: Template
  readonly name: string
  readonly strategy: StrategyName
  readonly region: string
  readonly domain: string | undefined
  readonly overwrite: boolean
  /** Version range written for `@slipway/*` dependencies (the published version). */
  readonly slipwayVersion: string
}

/**
 * The target folder holds files and `--overwrite` was not given. Interactive runs catch it
 * to ask whether to empty the folder.
 *
 * @example
 * import { checkTarget, TargetNotEmpty } from "create-slipway"
 * try { checkTarget(".", false) } catch (e) { if (e instanceof TargetNotEmpty) console.log(e.dir) }
 */
export class TargetNotEmpty extends InvalidOption {
  readonly dir: string
  constructor(dir: string) {
    super(`${dir} is not empty; choose another folder, or pass --overwrite to empty it first (.git is kept)`)
    this.dir = dir
  }
}

/**
 * Where the templates are: inside the published package (`prepack` copies them there), or
 * the repository's `templates/` when running from source.
 *
 * @example
 * import { templatesDir } from "create-slipway"
 * templatesDir() // "/…/node_modules/create-slipway/templates"
 */
export const templatesDir = (): string => {
  const here = dirname(fileURLToPath(import.meta.url))
  const packaged = join(here, "..", "templates")
  const repository = join(here, "..", "..", "..", "templates")
  // From source, the package's own templates/ is only ever a half-made `prepack` copy.
  const order = basename(here) === "src" ? [repository, packaged] : [packaged, repository]
  for (const candidate of order) {
    if (existsSync(join(candidate, "fargate", "package.json"))) return candidate
  }
  throw new Error(`templates not found next to ${here}; the create-slipway package is incomplete`)
}

const isEmptyDir = (dir: string): boolean => readdirSync(dir).every((f) => f === ".git")

const nearestExisting = (dir: string): string => {
  const parent = dirname(dir)
  return existsSync(dir) || parent === dir ? dir : nearestExisting(parent)
}

/**
 * Refuses a target that would lose data or cannot be written, before anything changes:
 * a non-empty folder without `overwrite` ({@link TargetNotEmpty}), a file, a path below a
 * file, or a folder this user may not write to (all {@link InvalidOption}).
 *
 * @example
 * import { checkTarget } from "create-slipway"
 * checkTarget("/tmp/new-project", false) // returns: the folder does not exist yet and /tmp is writable
 */
export const checkTarget = (targetDir: string, overwrite: boolean): void => {
  if (existsSync(targetDir)) {
    if (!statSync(targetDir).isDirectory()) {
      throw new InvalidOption(`${targetDir} exists and is a file, not a folder; choose another folder`)
    }
    if (!isEmptyDir(targetDir) && !overwrite) throw new TargetNotEmpty(targetDir)
  }
  const existing = nearestExisting(targetDir)
  if (!statSync(existing).isDirectory()) {
    throw new InvalidOption(
      `cannot create ${targetDir}: ${existing} is a file, not a folder; choose another folder`,
    )
  }
  try {
    accessSync(existing, constants.W_OK)
  } catch {
    throw new InvalidOption(`cannot write to ${existing}; choose a folder you can write to`)
  }
}

// Never copied: installs and build output (the repository's templates are workspace
// members, so they have them), and repository-only files at the template's top level.
const SKIP_ANYWHERE = new Set(["node_modules", ".turbo", "dist", ".slipway"])
const SKIP_TOP = new Set(["bin", "turbo.json", "Pulumi.dev.yaml", "tsconfig.tsbuildinfo"])
const TEXT =
  /\.(ts|mts|cts|js|mjs|cjs|json|ya?ml|md|txt|toml|html)$|(^|\/)(Dockerfile|_gitignore|\.dockerignore)$/

const skipped = (rel: string): boolean => {
  const parts = rel.split(sep)
  return parts.some((p) => SKIP_ANYWHERE.has(p)) || (parts.length === 1 && SKIP_TOP.has(parts[0]!))
}

/** The template's files (relative, `/`-separated), without the skipped ones. */
const templateFiles = (dir: string, base = dir): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name)
    const rel = relative(base, full)
    if (skipped(rel)) return []
    return e.isDirectory() ? templateFiles(full, base) : [rel.split(sep).join("/")]
  })

const DEPENDENCY_FIELDS = [
  "dependencies",
  "devDependencies",
  "peerDependencies",
  "optionalDependencies",
] as const

/** The template's package.json for a user: their name and the published versions (still private: it is a deployment, not a library). */
const rewritePackageJson = (text: string, plan: ScaffoldPlan): string => {
  const pkg = JSON.parse(text) as Record<string, unknown>
  pkg.name = plan.name
  // In this repository templates depend on the workspace's packages; a user gets the
  // published versions, released together with create-slipway.
  for (const field of DEPENDENCY_FIELDS) {
    const deps = pkg[field] as Record<string, string> | undefined
    for (const [dep, range] of Object.entries(deps ?? {})) {
      if (range.startsWith("workspace:")) deps![dep] = plan.slipwayVersion
    }
  }
  return `${JSON.stringify(pkg, null, 2)}\n`
}

/** The stack's config, read by the program with `new pulumi.Config()`. */
const stackConfig = (plan: ScaffoldPlan): string =>
  [
    "config:",
    `  aws:region: ${plan.region}`,
    `  ${plan.name}:strategy: ${plan.strategy}`,
    ...(plan.domain ? [`  ${plan.name}:domain: ${plan.domain}`] : []),
    "",
  ].join("\n")

/**
 * Writes the project and returns the files written (relative, `/`-separated, sorted).
 * The template's package name (`slipway-<template>`) is replaced by `plan.name` in every
 * text file, `workspace:` ranges become `plan.slipwayVersion`, `_gitignore` becomes
 * `.gitignore`, and `Pulumi.dev.yaml` holds the region, strategy and domain.
 *
 * @example
 * import { scaffold } from "create-slipway"
 * scaffold({ targetDir: "my-api", template: "fargate", name: "my-api", strategy: "canary",
 *   region: "us-east-1", domain: undefined, overwrite: false, slipwayVersion: "^0.1.0" })
 * // ["Dockerfile", "Pulumi.dev.yaml", "Pulumi.yaml", "README.md", …]
 */
export const scaffold = (plan: ScaffoldPlan, sourceRoot: string = templatesDir()): ReadonlyArray<string> => {
  const source = join(sourceRoot, plan.template)
  if (!existsSync(join(source, "package.json"))) {
    throw new InvalidOption(`template "${plan.template}" is missing from ${sourceRoot}`)
  }
  const target = resolve(plan.targetDir)
  checkTarget(target, plan.overwrite)
  const templateName = (JSON.parse(readFileSync(join(source, "package.json"), "utf8")) as { name: string })
    .name
  const files = templateFiles(source)

  if (existsSync(target)) {
    for (const f of readdirSync(target))
      if (f !== ".git") rmSync(join(target, f), { recursive: true, force: true })
  }
  mkdirSync(target, { recursive: true })
  const written: Array<string> = []
  for (const rel of files) {
    const from = join(source, rel)
    // npm drops .gitignore from published packages, so templates ship it as _gitignore.
    const out = rel === "_gitignore" ? ".gitignore" : rel
    const to = join(target, out)
    mkdirSync(dirname(to), { recursive: true })
    if (TEXT.test(rel)) {
      let text = readFileSync(from, "utf8").split(templateName).join(plan.name)
      if (rel === "package.json") text = rewritePackageJson(text, plan)
      writeFileSync(to, text)
    } else {
      cpSync(from, to)
    }
    written.push(out)
  }
  writeFileSync(join(target, "Pulumi.dev.yaml"), stackConfig(plan))
  written.push("Pulumi.dev.yaml")
  return written.sort()
}
