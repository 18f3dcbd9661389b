/**
 * create-slipway as users run it: the CLI is spawned (from source) into temporary
 * folders and the files it writes are read back.
 */

import { spawn, spawnSync } from "node:child_process"
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { afterAll } from "vitest"

const pkgDir = join(import.meta.dirname, "..")
const bin = join(pkgDir, "src", "bin.ts")
const version = (JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string })
  .version
const repoTemplates = join(pkgDir, "..", "..", "templates")

const scratch = mkdtempSync(join(tmpdir(), "create-slipway-test-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
let counter = 0
const freshDir = (): string => join(scratch, `case-${++counter}`)

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI non-interactively (stdin is not a terminal) in `cwd`. */
const cli = (args: ReadonlyArray<string>, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env }
  // The test runner's own package manager must not leak into detection.
  if (options.env?.npm_config_user_agent === undefined) delete env.npm_config_user_agent
  const result = spawnSync(process.execPath, ["--conditions=@slipway/source", bin, ...args], {
    cwd: options.cwd ?? scratch,
    env,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
    timeout: 20_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Every file under `dir` (relative, sorted), `.git` contents excluded. */
const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((f) => !f.startsWith(".git/"))
    .sort()

/** A folder's files with their contents, to prove nothing changed. */
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const file = join(e.parentPath, e.name)
        return [relative(dir, file), readFileSync(file, "utf8")]
      }),
  )

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"))

describe("create-slipway", () => {
  describe("scaffolding", () => {
    for (const template of ["fargate", "ec2", "lambda"] as const) {
      it(`writes the ${template} template with the project's name, published versions and stack config`, () => {
        const dir = freshDir()
        const run = cli([
          dir,
          "--template",
          template,
          "--name",
          "shop-api",
          "--strategy",
          "linear",
          "--no-install",
        ])
        assert.strictEqual(run.status, 0, run.stderr)

        const files = filesUnder(dir)
        for (const expected of [
          ".github/workflows/deploy.yml",
          ".gitignore",
          "Pulumi.dev.yaml",
          "Pulumi.yaml",
          "README.md",
          "index.ts",
          "package.json",
          "tsconfig.json",
        ]) {
          assert.include(files, expected)
        }
        assert.isTrue(
          files.some((f) => f.startsWith("test/") && f.endsWith(".test.ts")),
          "has a test",
        )
        assert.isTrue(
          template === "lambda" ? files.includes("handler/index.ts") : files.includes("app/Dockerfile"),
          "has the app",
        )
        // Repository-only files and installs stay behind; the template's files all arrive.
        assert.notInclude(files, "_gitignore")
        assert.notInclude(files, "turbo.json")
        assert.isFalse(files.some((f) => f.startsWith("node_modules/")))
        // (The repository's copy may hold installs, turbo logs and bundles from earlier runs.)
        const templateFiles = filesUnder(join(repoTemplates, template)).filter(
          (f) => !/(^|\/)(node_modules|\.turbo|dist|\.slipway)\//.test(f) && f !== "turbo.json",
        )
        for (const f of templateFiles) assert.include(files, f === "_gitignore" ? ".gitignore" : f)

        const pkg = readJson(join(dir, "package.json"))
        assert.strictEqual(pkg.name, "shop-api")
        assert.strictEqual(pkg.private, true, "a deployment is not published by accident")
        for (const [dep, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
          assert.notMatch(String(range), /^workspace:/, `${dep} still has a workspace range`)
          if (dep.startsWith("@slipway/")) assert.strictEqual(range, `^${version}`, dep)
        }
        assert.match(pkg.devDependencies.typescript, /^~5\.9\./, "TypeScript 5.9: Pulumi's ts-node needs it")

        const pulumiYaml = readFileSync(join(dir, "Pulumi.yaml"), "utf8")
        assert.match(pulumiYaml, /^name: shop-api$/m)
        assert.strictEqual(
          readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8"),
          "config:\n  aws:region: us-east-1\n  shop-api:strategy: linear\n",
        )
        // No file still names the template's package.
        for (const f of files) {
          if (/\.(ts|json|ya?ml|md)$|Dockerfile|\.gitignore/.test(f)) {
            assert.notInclude(readFileSync(join(dir, f), "utf8"), `slipway-${template}`, f)
          }
        }
        assert.include(run.stdout, `Created ${template} project "shop-api"`)
      })
    }

    it("takes the name from the folder and writes the region and domain into the stack config", () => {
      const dir = join(freshDir(), "My Shop")
      const run = cli([
        dir,
        "-t",
        "fargate",
        "--region",
        "eu-west-3",
        "--domain",
        "shop.example.com",
        "--no-install",
      ])
      assert.strictEqual(run.status, 0, run.stderr)
      assert.strictEqual(readJson(join(dir, "package.json")).name, "my-shop")
      assert.strictEqual(
        readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8"),
        "config:\n  aws:region: eu-west-3\n  my-shop:strategy: canary\n  my-shop:domain: shop.example.com\n",
      )
    })

    it("defaults to the fargate template, a canary and us-east-1", () => {
      const dir = freshDir()
      const run = cli([dir, "--name", "svc", "--no-install"])
      assert.strictEqual(run.status, 0, run.stderr)
      assert.isTrue(existsSync(join(dir, "app", "Dockerfile")))
      assert.include(readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8"), "svc:strategy: canary")
      assert.include(readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8"), "aws:region: us-east-1")
    })

    it("writes into an empty existing folder, and into one holding only .git", () => {
      const empty = freshDir()
      mkdirSync(empty)
      assert.strictEqual(cli([empty, "--name", "a", "--no-install"]).status, 0)
      const withGit = freshDir()
      mkdirSync(join(withGit, ".git"), { recursive: true })
      writeFileSync(join(withGit, ".git", "HEAD"), "ref: refs/heads/main\n")
      assert.strictEqual(cli([withGit, "--name", "b", "--no-install"]).status, 0)
      assert.strictEqual(readFileSync(join(withGit, ".git", "HEAD"), "utf8"), "ref: refs/heads/main\n")
    })
  })

  describe("a folder that is not empty", () => {
    it("is refused with exit code 2 and left exactly as it was", () => {
      const dir = freshDir()
      mkdirSync(join(dir, "src"), { recursive: true })
      writeFileSync(join(dir, "notes.txt"), "keep me\n")
      writeFileSync(join(dir, "src", "main.ts"), "export {}\n")
      const before = snapshot(dir)
      const run = cli([dir, "--template", "lambda", "--no-install"])
      assert.strictEqual(run.status, 2)
      assert.include(run.stderr, "is not empty")
      assert.include(run.stderr, "--overwrite")
      assert.deepStrictEqual(snapshot(dir), before)
    })

    it("is emptied with --overwrite, keeping .git", () => {
      const dir = freshDir()
      mkdirSync(join(dir, ".git"), { recursive: true })
      writeFileSync(join(dir, ".git", "config"), "[core]\n\tbare = false\n")
      writeFileSync(join(dir, "old.txt"), "old\n")
      const run = cli([dir, "--template", "lambda", "--name", "fn", "--overwrite", "--no-install"])
      assert.strictEqual(run.status, 0, run.stderr)
      assert.isFalse(existsSync(join(dir, "old.txt")))
      assert.strictEqual(readFileSync(join(dir, ".git", "config"), "utf8"), "[core]\n\tbare = false\n")
      assert.isTrue(existsSync(join(dir, "handler", "index.ts")))
    })
  })

  describe("clear errors, nothing written", () => {
    it("names the valid templates for an unknown one", () => {
      const dir = freshDir()
      const run = cli([dir, "--template", "kubernetes", "--no-install"])
      assert.strictEqual(run.status, 2)
      assert.include(run.stderr, '--template: "kubernetes" is not one of fargate, ec2, lambda')
      assert.isFalse(existsSync(dir))
    })

    it("explains an invalid project name", () => {
      const dir = freshDir()
      for (const [name, says] of [
        ["My-App", "has capital letters"],
        ["@acme/api", "scoped package name"],
        ["my app", "not a valid project name"],
        ["-api", "not a valid project name"],
      ] as const) {
        const run = cli([dir, `--name=${name}`, "--no-install"])
        assert.strictEqual(run.status, 2, name)
        assert.include(run.stderr, says, name)
      }
      assert.isFalse(existsSync(dir))
    })

    it("refuses a strategy, region, domain or package manager it does not know", () => {
      const dir = freshDir()
      const cases = [
        [
          ["--strategy", "yolo"],
          '--strategy: "yolo" is not one of canary, linear, blue-green, rolling, all-at-once',
        ],
        [["--region", "europe"], '--region: "europe" is not an AWS region name'],
        [["--domain", "https://x.example.com"], "--domain: "],
        [["--pm", "bun"], '--pm: "bun" is not one of npm, pnpm, yarn'],
        [["--colour"], "Unknown option '--colour'"],
      ] as const
      for (const [args, says] of cases) {
        const run = cli([dir, ...args, "--no-install"])
        assert.strictEqual(run.status, 2, args.join(" "))
        assert.include(run.stderr, says)
      }
      assert.isFalse(existsSync(dir))
    })

    it("refuses a folder below a file", () => {
      const file = freshDir()
      writeFileSync(file, "a file\n")
      const run = cli([join(file, "project"), "--no-install"])
      assert.strictEqual(run.status, 2)
      assert.include(run.stderr, "is a file, not a folder")
      assert.strictEqual(readFileSync(file, "utf8"), "a file\n")
    })

    it("refuses a path below /dev/null", () => {
      const run = cli(["/dev/null/project", "--no-install"])
      assert.strictEqual(run.status, 2)
      assert.include(run.stderr, "cannot create /dev/null/project")
    })

    // Root may write anywhere, so a read-only folder only stops other users (CI runs
    // as root here, which the path-below-a-file cases above cover).
    it.skipIf(process.getuid?.() === 0)("refuses a folder it may not write to", () => {
      const parent = freshDir()
      mkdirSync(parent)
      chmodSync(parent, 0o500)
      try {
        const run = cli([join(parent, "project"), "--no-install"])
        assert.strictEqual(run.status, 2)
        assert.include(run.stderr, `cannot write to ${parent}`)
      } finally {
        chmodSync(parent, 0o700)
      }
    })

    it("refuses an existing file as the target", () => {
      const file = freshDir()
      writeFileSync(file, "x")
      const run = cli([file, "--no-install"])
      assert.strictEqual(run.status, 2)
      assert.include(run.stderr, "exists and is a file")
    })
  })

  describe("package manager", () => {
    const nextOf = (run: Run) => run.stdout.slice(run.stdout.indexOf("Next:"))

    it("names the one that ran it (npm_config_user_agent) in the next steps", () => {
      for (const [agent, pm] of [
        ["pnpm/10.34.9 npm/? node/v24.21.0 linux x64", "pnpm"],
        ["yarn/4.9.1 npm/? node/v24.21.0 linux x64", "yarn"],
        ["npm/11.4.2 node/v24.21.0 linux x64 workspaces/false", "npm"],
      ] as const) {
        const dir = freshDir()
        const run = cli([dir, "--name", "x", "--no-install"], { env: { npm_config_user_agent: agent } })
        assert.strictEqual(run.status, 0, run.stderr)
        const next = nextOf(run)
        assert.include(next, `cd ${relative(scratch, dir)}`)
        assert.include(next, `${pm} install`)
        assert.include(next, `${pm} test`)
        assert.include(next, "pulumi up")
      }
    })

    it("defaults to npm when nothing says otherwise, and --pm wins over the agent", () => {
      const a = cli([freshDir(), "--name", "x", "--no-install"])
      assert.include(nextOf(a), "npm install")
      const b = cli([freshDir(), "--name", "x", "--no-install", "--pm", "yarn"], {
        env: { npm_config_user_agent: "pnpm/10.34.9 node/v24.21.0" },
      })
      assert.include(nextOf(b), "yarn install")
    })

    it("installs with it in the new folder, and says so when the install fails", () => {
      // A stand-in package manager on PATH records where and how it was called.
      const fakeBin = freshDir()
      mkdirSync(fakeBin)
      const log = join(fakeBin, "calls.log")
      writeFileSync(
        join(fakeBin, "pnpm"),
        `#!/bin/sh\necho "$PWD $*" >> "${log}"\nexit "\${FAKE_PNPM_EXIT:-0}"\n`,
      )
      chmodSync(join(fakeBin, "pnpm"), 0o755)
      const env = { PATH: `${fakeBin}:${process.env.PATH}`, npm_config_user_agent: "pnpm/10.34.9 node/v24" }

      const ok = freshDir()
      const good = cli([ok, "--name", "x"], { env })
      assert.strictEqual(good.status, 0, good.stderr)
      assert.strictEqual(readFileSync(log, "utf8"), `${ok} install\n`)
      assert.notInclude(nextOf(good), "pnpm install", "installed already")

      const broken = freshDir()
      const bad = cli([broken, "--name", "x"], { env: { ...env, FAKE_PNPM_EXIT: "3" } })
      assert.strictEqual(bad.status, 0, "the project is written even if the install fails")
      assert.include(bad.stderr, "pnpm install exited with 3")
      assert.include(nextOf(bad), "pnpm install")
    })
  })

  describe("help and version", () => {
    it("--help lists every flag and writes nothing", () => {
      const run = cli(["--help"])
      assert.strictEqual(run.status, 0)
      for (const flag of [
        "--template",
        "--name",
        "--strategy",
        "--region",
        "--domain",
        "--pm",
        "--no-install",
        "--no-interactive",
        "--overwrite",
      ]) {
        assert.include(run.stdout, flag)
      }
      assert.deepStrictEqual(
        readdirSync(scratch).filter((f) => f === "my-app"),
        [],
      )
    })

    it("--version prints the package version", () => {
      const run = cli(["--version"])
      assert.strictEqual(run.status, 0)
      assert.strictEqual(run.stdout.trim(), version)
    })
  })

  // A real terminal: `script` (util-linux) gives the CLI a pseudo-terminal, and the test
  // answers each prompt once it appears.
  const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0
  describe.skipIf(!hasScript)("interactive", () => {
    it("asks for what the flags left open and writes the answers", async () => {
      const dir = freshDir()
      mkdirSync(dir)
      const command = [process.execPath, "--conditions=@slipway/source", bin, "--no-install"]
        .map((a) => `'${a}'`)
        .join(" ")
      // A pseudo-terminal starts 0 columns wide; clack would wrap after every character.
      const child = spawn("script", ["-q", "-e", "-c", `stty cols 120 rows 40; ${command}`, "/dev/null"], {
        cwd: dir,
        env: { ...process.env, TERM: "xterm", npm_config_user_agent: "pnpm/10 node/v24" },
        stdio: ["pipe", "pipe", "pipe"],
      })
      let screen = ""
      child.stdout.on("data", (d: Buffer) => {
        screen += d.toString("utf8")
      })
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve))
      const DOWN = "\u001b[B"
      // Each answer is typed only when its question is on the screen.
      const answers: ReadonlyArray<readonly [string, string]> = [
        ["Where should the project go?", "svc\r"],
        ["Project name", "\r"],
        ["What runs your app?", `${DOWN}${DOWN}\r`],
        ["How should new versions roll out?", `${DOWN}\r`],
        ["AWS region", "eu-central-1\r"],
        ["Domain for HTTPS", "\r"],
      ]
      try {
        for (const [question, keys] of answers) {
          for (let waited = 0; !screen.includes(question); waited += 20) {
            if (waited > 15_000) throw new Error(`no prompt "${question}"; the screen shows:\n${screen}`)
            await new Promise((r) => setTimeout(r, 20))
          }
          child.stdin.write(keys)
        }
        assert.strictEqual(await exited, 0, screen)
      } finally {
        child.kill()
      }
      const project = join(dir, "svc")
      assert.strictEqual(readJson(join(project, "package.json")).name, "svc")
      assert.isTrue(existsSync(join(project, "handler", "index.ts")), "the third template: lambda")
      assert.strictEqual(
        readFileSync(join(project, "Pulumi.dev.yaml"), "utf8"),
        "config:\n  aws:region: eu-central-1\n  svc:strategy: linear\n",
      )
      assert.include(screen, "pnpm install")
      assert.isTrue(statSync(project).isDirectory())
    }, 30_000)
  })
})
