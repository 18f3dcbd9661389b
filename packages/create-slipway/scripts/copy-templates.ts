/**
 * `prepack`: copies the repository's templates into the package, so the published
 * tarball carries them (`templatesDir()` looks there first), and pins their `workspace:`
 * dependencies to the versions of the workspace packages being released — pnpm rewrites
 * `workspace:` only in the packed package's own package.json, not in nested ones.
 * `postpack` (`--clean`) removes the copy.
 *
 * Usage: node scripts/copy-templates.ts [--clean]
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { basename, dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..")
const repo = join(pkg, "..", "..")
const from = join(repo, "templates")
const to = join(pkg, "templates")

// Installs, build output and repository-only files stay behind (see Scaffold.ts).
const SKIP_ANYWHERE = new Set(["node_modules", ".turbo", "dist", ".slipway"])
const SKIP_TOP = new Set(["turbo.json", "Pulumi.dev.yaml", "bin", "tsconfig.tsbuildinfo"])

const fail = (message: string): never => {
  console.error(`copy-templates: ${message}`)
  process.exit(1)
}

rmSync(to, { recursive: true, force: true })
if (process.argv.includes("--clean")) process.exit(0)

// name → version of every package in packages/
const versions = new Map<string, string>()
for (const dir of readdirSync(join(repo, "packages"))) {
  const file = join(repo, "packages", dir, "package.json")
  if (!existsSync(file)) continue
  const { name, version } = JSON.parse(readFileSync(file, "utf8")) as { name: string; version: string }
  versions.set(name, version)
}

const pin = (dep: string, range: string): string => {
  const version =
    versions.get(dep) ?? fail(`${dep} is a workspace dependency of a template but not a package in packages/`)
  const spec = range.slice("workspace:".length)
  return spec === "*" ? version : spec === "^" || spec === "~" ? `${spec}${version}` : spec
}

for (const template of ["fargate", "ec2", "lambda"]) {
  const source = join(from, template)
  if (!existsSync(join(source, "package.json")))
    fail(`${source} has no package.json; is the repository complete?`)
  cpSync(source, join(to, template), {
    recursive: true,
    filter: (src) => {
      const rel = relative(source, src)
      if (rel === "") return true
      if (SKIP_ANYWHERE.has(basename(src))) return false
      return !SKIP_TOP.has(rel)
    },
  })
  const manifest = join(to, template, "package.json")
  const json = JSON.parse(readFileSync(manifest, "utf8")) as Record<
    string,
    Record<string, string> | undefined
  >
  for (const field of ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]) {
    const deps = json[field]
    for (const [dep, range] of Object.entries(deps ?? {}))
      if (range.startsWith("workspace:")) deps![dep] = pin(dep, range)
  }
  writeFileSync(manifest, `${JSON.stringify(json, null, 2)}\n`)
}
console.log(`copy-templates: copied fargate, ec2, lambda into ${relative(process.cwd(), to) || "."}`)
