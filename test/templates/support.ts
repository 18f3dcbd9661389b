/**
 * What the template tests need to treat a generated project the way a user gets it: the
 * workspace packages built and packed into tarballs (once per test run), the packed
 * create-slipway installed like `npm create` would, and commands run in child processes
 * with their output kept for failure messages.
 */
import { spawn } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export const repoRoot = join(import.meta.dirname, "..", "..")

/** The workspace packages a generated project depends on, plus the CLI that writes it. */
export const packedPackages = [
  "@slipway/core",
  "@slipway/strategies",
  "@slipway/gates",
  "@slipway/aws",
  "@slipway/testing",
  "create-slipway",
] as const
export type PackedPackage = (typeof packedPackages)[number]

const packageDirs: Record<PackedPackage, string> = {
  "@slipway/core": "packages/core",
  "@slipway/strategies": "packages/strategies",
  "@slipway/gates": "packages/gates",
  "@slipway/aws": "packages/aws",
  "@slipway/testing": "packages/testing",
  "create-slipway": "packages/create-slipway",
}

export interface CommandResult {
  readonly code: number | null
  readonly output: string
  readonly ms: number
}

/** A command that exited non-zero, with everything it printed. */
export class CommandFailed extends Error {
  readonly result: CommandResult
  constructor(command: string, cwd: string, result: CommandResult) {
    super(
      `\`${command}\` in ${cwd} exited with ${result.code} after ${result.ms} ms:\n${result.output.slice(-8_000)}`,
    )
    this.name = "CommandFailed"
    this.result = result
  }
}

/**
 * Runs a command to completion (stdout and stderr interleaved into `output`), killing it
 * after `timeoutMs`. Rejects with {@link CommandFailed} unless it exits 0.
 */
export const sh = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number },
): Promise<CommandResult> =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let output = ""
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString("utf8")
    })
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString("utf8")
    })
    const timer = setTimeout(() => {
      output += `\n[killed after ${options.timeoutMs} ms]`
      child.kill("SIGKILL")
    }, options.timeoutMs ?? 300_000)
    child.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on("close", (code) => {
      clearTimeout(timer)
      const result = { code, output, ms: Date.now() - started }
      if (code === 0) resolve(result)
      else reject(new CommandFailed(`${command} ${args.join(" ")}`, options.cwd, result))
    })
  })

// The test runner's environment must not steer the generated project's package manager
// or its workspace (it is outside this repository).
const cleanEnv: NodeJS.ProcessEnv = {
  npm_config_user_agent: undefined,
  npm_config_workspace_dir: undefined,
  PNPM_SCRIPT_SRC_DIR: undefined,
  NODE_OPTIONS: undefined,
  VITEST: undefined,
  VITEST_MODE: undefined,
  VITEST_POOL_ID: undefined,
  VITEST_WORKER_ID: undefined,
  TEST: undefined,
}

/** Runs in a generated project, with an environment free of this repository's settings. */
export const inProject = (
  dir: string,
  command: string,
  args: ReadonlyArray<string>,
  timeoutMs = 300_000,
): Promise<CommandResult> => sh(command, args, { cwd: dir, env: cleanEnv, timeoutMs })

/** Tarballs by package name, as `pnpm pack` wrote them. */
export type Tarballs = Readonly<Record<PackedPackage, string>>

/**
 * Builds the packages (TypeScript to `dist`, as before a release) and packs each with
 * `pnpm pack`, which replaces `workspace:` ranges with the released versions.
 */
export const buildAndPack = async (
  dest: string,
): Promise<{ tarballs: Tarballs; buildMs: number; packMs: number }> => {
  mkdirSync(dest, { recursive: true })
  const started = Date.now()
  // create-slipway builds itself in `prepack` (and copies the templates in).
  const filters = packedPackages.filter((p) => p !== "create-slipway").flatMap((p) => ["--filter", p])
  await sh("pnpm", [...filters, "--workspace-concurrency=2", "run", "build"], {
    cwd: repoRoot,
    timeoutMs: 300_000,
  })
  const buildMs = Date.now() - started
  const packed = await Promise.all(
    packedPackages.map(async (name) => {
      const result = await sh("pnpm", ["pack", "--pack-destination", dest], {
        cwd: join(repoRoot, packageDirs[name]),
        timeoutMs: 180_000,
      })
      const tarball = result.output
        .trim()
        .split("\n")
        .reverse()
        .find((line) => line.trim().endsWith(".tgz"))
        ?.trim()
      if (tarball === undefined)
        throw new Error(`pnpm pack printed no tarball for ${name}:\n${result.output}`)
      return [name, tarball] as const
    }),
  )
  return {
    tarballs: Object.fromEntries(packed) as Record<PackedPackage, string>,
    buildMs,
    packMs: Date.now() - started - buildMs,
  }
}

/** A package.json, as far as the tests read it. */
export interface Manifest {
  readonly name: string
  readonly version: string
  readonly dependencies?: Readonly<Record<string, string>>
  readonly devDependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
}

/** The package.json inside a tarball. */
export const packedManifest = async (tarball: string): Promise<Manifest> => {
  const { output } = await sh("tar", ["-xzOf", tarball, "package/package.json"], { cwd: repoRoot })
  return JSON.parse(output)
}

/** The paths inside a tarball. */
export const packedFiles = async (tarball: string): Promise<ReadonlyArray<string>> => {
  const { output } = await sh("tar", ["-tzf", tarball], { cwd: repoRoot })
  return output.trim().split("\n")
}

/**
 * Points every `@slipway/*` dependency of a generated project — direct or through
 * another package — at the packed tarballs.
 */
export const useTarballs = (projectDir: string, tarballs: Tarballs): void => {
  const file = join(projectDir, "package.json")
  const pkg = JSON.parse(readFileSync(file, "utf8"))
  const overrides: Record<string, string> = {}
  for (const [name, tarball] of Object.entries(tarballs)) {
    if (name.startsWith("@slipway/")) overrides[name] = `file:${tarball}`
  }
  pkg.pnpm = { ...pkg.pnpm, overrides }
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`)
}

/** What `load-program.ts` reports. */
export interface LoadedProgram {
  readonly ok: boolean
  readonly loadMs: number
  readonly error?: string
  /** What the program and the language host printed (Pulumi logs type errors there). */
  readonly log: string
  readonly outputs: Record<string, unknown>
  readonly resources: ReadonlyArray<{
    readonly type: string
    readonly name: string
    readonly custom: boolean
    readonly parent: string | undefined
    // biome-ignore lint/suspicious/noExplicitAny: provider inputs read back as JSON; each assertion walks its own path
    readonly inputs: Record<string, any>
  }>
  readonly violations: ReadonlyArray<{
    readonly rule: string
    readonly resource: string
    readonly message: string
  }>
}

/** Loads the project's program as `pulumi up` would, under mocks (see load-program.ts). */
export const loadProgram = async (
  projectDir: string,
  options: {
    readonly project: string
    readonly stack: string
    readonly config: Readonly<Record<string, string>>
    readonly zones?: Readonly<Record<string, string>>
  },
): Promise<LoadedProgram> => {
  const resultFile = join(projectDir, ".load-result.json")
  const { output } = await inProject(projectDir, process.execPath, [
    join(import.meta.dirname, "load-program.ts"),
    resultFile,
    JSON.stringify(options),
  ])
  return { ...(JSON.parse(readFileSync(resultFile, "utf8")) as Omit<LoadedProgram, "log">), log: output }
}
