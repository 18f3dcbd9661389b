/**
 * The templates as users get them: the workspace packages are built and packed once;
 * the packed create-slipway (installed like `npm create` installs it) writes each template
 * into a temporary folder; the project installs the packed tarballs and the registry's
 * packages with pnpm, type-checks with its own tsconfig, is loaded the way `pulumi up`
 * loads it (ts-node with TypeScript 5.9, under mocks) and checked against the stack policy
 * list, and runs its own tests.
 *
 * Needs the npm registry (or a warm pnpm store). SLIPWAY_SKIP_TEMPLATE_INSTALL=1 skips it;
 * SLIPWAY_KEEP_TEMPLATE_PROJECTS=1 keeps the generated projects for a look afterwards.
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import {
  buildAndPack,
  inProject,
  type LoadedProgram,
  loadProgram,
  packedFiles,
  packedManifest,
  packedPackages,
  repoRoot,
  type Tarballs,
  useTarballs,
} from "./support.ts"

// Switches for whoever runs vitest directly; no turbo task reads them.
const skip = process.env.SLIPWAY_SKIP_TEMPLATE_INSTALL === "1"
const keep = process.env.SLIPWAY_KEEP_TEMPLATE_PROJECTS === "1"

const versionOf = (dir: string): string =>
  (JSON.parse(readFileSync(join(repoRoot, "packages", dir, "package.json"), "utf8")) as { version: string })
    .version

/** The stack config create-slipway wrote, as flat `key: value` pairs. */
const stackConfig = (projectDir: string): Record<string, string> => {
  const text = readFileSync(join(projectDir, "Pulumi.dev.yaml"), "utf8")
  return Object.fromEntries(
    text
      .split("\n")
      .map((line) => /^ {2}([^\s:]+:[^\s:]+): (.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  )
}

interface Case {
  readonly template: "fargate" | "ec2" | "lambda"
  readonly name: string
  readonly args: ReadonlyArray<string>
  /** The component the program must register. */
  readonly component: string
  /** What the rollout compiled to, for the strategy given in `args`. */
  readonly rollout: (program: LoadedProgram) => unknown
  readonly expectedRollout: unknown
  readonly url: string | RegExp
}

const cases: ReadonlyArray<Case> = [
  {
    template: "fargate",
    name: "shop-web",
    args: ["--strategy", "canary", "--region", "eu-west-1", "--domain", "shop.example.com"],
    component: "slipway:aws:FargateService",
    rollout: (p) =>
      p.resources.find((r) => r.type === "aws:ecs/service:Service")?.inputs.deploymentConfiguration,
    expectedRollout: {
      strategy: "CANARY",
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: "5" },
      bakeTimeInMinutes: "5",
    },
    url: "https://shop.example.com",
  },
  {
    template: "ec2",
    name: "shop-vm",
    args: ["--strategy", "linear", "--domain", "vm.example.com"],
    component: "slipway:aws:Ec2Service",
    rollout: (p) =>
      p.resources.find((r) => r.type === "aws:autoscaling/group:Group")?.inputs.instanceRefresh.preferences
        .checkpointPercentages,
    expectedRollout: [25, 50, 75, 100],
    url: "https://vm.example.com",
  },
  {
    template: "lambda",
    name: "shop-fn",
    args: ["--strategy", "canary"],
    component: "slipway:aws:LambdaService",
    rollout: (p) =>
      p.resources.find((r) => r.type === "aws:codedeploy/deploymentGroup:DeploymentGroup")?.inputs
        .deploymentConfigName,
    expectedRollout: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    url: /^https:\/\//,
  },
]

describe.skipIf(skip)("templates, as generated and installed from packed packages", () => {
  const work = mkdtempSync(join(tmpdir(), "slipway-templates-"))
  let tarballs: Tarballs
  let cliBin: string
  const timings: Record<string, number> = {}

  beforeAll(async () => {
    const packed = await buildAndPack(join(work, "packs"))
    tarballs = packed.tarballs
    timings["build (tsc, 5 packages)"] = packed.buildMs
    timings["pnpm pack (6 packages)"] = packed.packMs
    // What `npm create slipway` does: install the published package, run its bin.
    const cliDir = join(work, "cli")
    mkdirSync(cliDir)
    writeFileSync(join(cliDir, "package.json"), '{ "private": true }\n')
    const started = Date.now()
    await inProject(cliDir, "pnpm", ["add", tarballs["create-slipway"]])
    timings["install create-slipway"] = Date.now() - started
    cliBin = join(cliDir, "node_modules", "create-slipway", "dist", "bin.js")
  }, 600_000)

  afterAll(() => {
    console.log(
      `template test timings:\n${Object.entries(timings)
        .map(([step, ms]) => `  ${step.padEnd(36)} ${(ms / 1000).toFixed(1)} s`)
        .join("\n")}`,
    )
    if (!keep) rmSync(work, { recursive: true, force: true })
  })

  it("packs every package with released versions in place of workspace ranges", async () => {
    for (const name of packedPackages) {
      const manifest = await packedManifest(tarballs[name])
      assert.strictEqual(manifest.name, name)
      for (const field of ["dependencies", "devDependencies", "peerDependencies"] as const) {
        for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
          assert.notMatch(String(range), /^workspace:/, `${name} ${field}.${dep}`)
        }
      }
      const files = await packedFiles(tarballs[name])
      assert.isTrue(files.includes("package/dist/index.js"), `${name} ships dist`)
      assert.isTrue(files.includes("package/dist/index.d.ts"), `${name} ships types`)
    }
  })

  it("ships the templates inside create-slipway, pinned to the packages' versions", async () => {
    const files = await packedFiles(tarballs["create-slipway"])
    for (const template of ["fargate", "ec2", "lambda"]) {
      for (const f of [
        "package.json",
        "Pulumi.yaml",
        "index.ts",
        "_gitignore",
        ".github/workflows/deploy.yml",
      ]) {
        assert.include(files, `package/templates/${template}/${f}`)
      }
    }
    assert.isFalse(
      files.some((f) => /\/(node_modules|\.slipway)\/|turbo\.json$/.test(f)),
      files.join("\n"),
    )
    assert.isTrue(files.includes("package/dist/bin.js"))
  })

  for (const c of cases) {
    describe(c.template, () => {
      const dir = join(work, c.name)
      let program: LoadedProgram

      it("is written by the packed create-slipway, without prompts", async () => {
        const started = Date.now()
        await inProject(work, process.execPath, [
          cliBin,
          dir,
          "--template",
          c.template,
          "--name",
          c.name,
          ...c.args,
          "--no-install",
          "--no-interactive",
        ])
        timings[`${c.template}: scaffold`] = Date.now() - started
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
        assert.strictEqual(pkg.name, c.name)
        for (const dep of ["@slipway/aws", "@slipway/gates", "@slipway/strategies"]) {
          assert.strictEqual(pkg.dependencies[dep], `^${versionOf(dep.slice("@slipway/".length))}`)
        }
        assert.isTrue(existsSync(join(dir, ".gitignore")))
      })

      it("installs the packed packages and the registry's with pnpm", async () => {
        useTarballs(dir, tarballs)
        const started = Date.now()
        await inProject(
          dir,
          "pnpm",
          ["install", "--no-frozen-lockfile", "--config.confirmModulesPurge=false"],
          420_000,
        )
        timings[`${c.template}: pnpm install`] = Date.now() - started
        // What got installed is the tarball's build, not this repository's sources.
        const installed = join(dir, "node_modules", "@slipway", "aws")
        assert.isTrue(existsSync(join(installed, "dist", "index.js")))
        assert.isFalse(existsSync(join(installed, "src")))
      }, 480_000)

      it("type-checks with its own tsconfig (TypeScript 5.9)", async () => {
        const tsc = JSON.parse(readFileSync(join(dir, "node_modules", "typescript", "package.json"), "utf8"))
        assert.match(tsc.version, /^5\.9\./)
        const started = Date.now()
        await inProject(dir, "pnpm", ["run", "typecheck"])
        timings[`${c.template}: typecheck`] = Date.now() - started
      }, 180_000)

      it("loads as `pulumi up` loads it, under mocks, and passes the stack policy checks", async () => {
        const config = stackConfig(dir)
        program = await loadProgram(dir, {
          project: c.name,
          stack: "dev",
          config,
          zones: { "example.com": "Z0123456789EXAMPLE" },
        })
        timings[`${c.template}: load with ts-node`] = program.loadMs
        assert.isTrue(program.ok, `${program.error}\n${program.log}`)
        assert.isTrue(
          program.resources.some((r) => r.type === "pulumi:pulumi:Stack" && r.name === `${c.name}-dev`),
          "ran inside the stack resource, as the language host runs it",
        )
        assert.isTrue(program.resources.some((r) => r.type === c.component))
        assert.deepStrictEqual(program.violations, [])
        if (typeof c.url === "string") assert.strictEqual(program.outputs.url, c.url)
        else assert.match(String(program.outputs.url), c.url)
        assert.strictEqual(program.outputs.strategy, config[`${c.name}:strategy`])
        assert.deepStrictEqual(c.rollout(program), c.expectedRollout)
      }, 180_000)

      it("passes its own tests", async () => {
        const started = Date.now()
        const result = await inProject(dir, "pnpm", ["test"])
        timings[`${c.template}: own tests`] = Date.now() - started
        assert.match(result.output, /# fail 0|ℹ fail 0/)
        assert.notMatch(result.output, /# pass 0\b|ℹ pass 0\b/)
      }, 180_000)
    })
  }

  // The load above is only worth something if it type-checks the way `pulumi up` does.
  it("fails to load a program with a type error, as `pulumi up` would, naming the error", async () => {
    const dir = join(work, cases[0]!.name)
    const source = readFileSync(join(dir, "index.ts"), "utf8")
    writeFileSync(join(dir, "index.ts"), `${source}\nconst broken: number = "not a number"\nvoid broken\n`)
    try {
      const program = await loadProgram(dir, {
        project: cases[0]!.name,
        stack: "dev",
        config: stackConfig(dir),
      })
      assert.isFalse(program.ok)
      assert.match(
        program.log,
        /index\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/,
      )
    } finally {
      writeFileSync(join(dir, "index.ts"), source)
    }
  }, 180_000)
})
