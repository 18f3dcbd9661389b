/** The checks create-slipway runs on flags and answers before anything is written. */
import { assert, describe, it } from "@effect/vitest"
import {
  detectPackageManager,
  domainProblem,
  InvalidOption,
  nameFromFolder,
  nameProblem,
  nextSteps,
  parseOptions,
  regionProblem,
} from "create-slipway"

const refused = (argv: ReadonlyArray<string>): string => {
  try {
    parseOptions(argv, false)
  } catch (e) {
    assert.instanceOf(e, InvalidOption)
    return (e as Error).message
  }
  throw new Error(`expected ${argv.join(" ")} to be refused`)
}

describe("parseOptions", () => {
  it("prompts only when stdin is a terminal, unless --no-interactive", () => {
    assert.isTrue(parseOptions([], true).interactive)
    assert.isFalse(parseOptions([], false).interactive)
    assert.isFalse(parseOptions(["--no-interactive"], true).interactive)
  })

  it("reads the folder and every flag, leaving the rest to prompts or defaults", () => {
    const a = parseOptions(
      ["api", "-t", "lambda", "-s", "linear", "--region", "eu-west-3", "--no-install"],
      false,
    )
    assert.strictEqual(a.dir, "api")
    assert.strictEqual(a.template, "lambda")
    assert.strictEqual(a.strategy, "linear")
    assert.strictEqual(a.region, "eu-west-3")
    assert.strictEqual(a.install, false)
    assert.strictEqual(a.name, undefined)
    assert.strictEqual(a.domain, undefined)
    assert.isFalse(a.overwrite)
  })

  it("refuses two folders, an unknown flag, and values it cannot use, naming the flag", () => {
    assert.include(refused(["a", "b"]), "expected one target folder, got 2")
    assert.include(refused(["--template"]), "--template")
    assert.include(refused(["--region", "us-east"]), "--region")
    assert.include(refused(["--domain", "localhost"]), "--domain")
    assert.include(refused(["--name", "Api"]), "--name: ")
  })
})

describe("names", () => {
  it("accepts what both npm and Pulumi accept", () => {
    for (const ok of ["api", "my-api", "my_api.v2", "9lives"]) assert.isUndefined(nameProblem(ok), ok)
  })

  it("refuses the rest, saying why", () => {
    assert.include(nameProblem("")!, "empty")
    assert.include(nameProblem("x".repeat(101))!, "at most 100")
    assert.include(nameProblem("@acme/api")!, 'drop the scope (e.g. "api")')
    assert.include(nameProblem(".hidden")!, "starting with a letter or digit")
    assert.include(nameProblem("node_modules")!, "npm reserves")
  })

  it("makes a valid default from any folder name", () => {
    assert.strictEqual(nameFromFolder("My Shop!"), "my-shop")
    assert.strictEqual(nameFromFolder("--weird__"), "weird__")
    assert.strictEqual(nameFromFolder("日本"), "my-app")
    assert.isUndefined(nameProblem(nameFromFolder("x".repeat(300))))
  })
})

describe("regions and domains", () => {
  it("accepts region names of every partition and refuses the rest", () => {
    for (const r of ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-5"])
      assert.isUndefined(regionProblem(r))
    for (const r of ["US-EAST-1", "europe", "us-east"]) assert.isString(regionProblem(r))
  })

  it("accepts DNS names and refuses URLs and bare hosts", () => {
    assert.isUndefined(domainProblem("api.example.com"))
    for (const d of ["https://api.example.com", "localhost", "api.example.com.", "-x.example.com"]) {
      assert.isString(domainProblem(d), d)
    }
  })
})

describe("package manager", () => {
  it("is the first product of npm_config_user_agent, or npm", () => {
    assert.strictEqual(detectPackageManager("pnpm/10.34.9 npm/? node/v24.21.0 linux x64"), "pnpm")
    assert.strictEqual(detectPackageManager("yarn/1.22.22 npm/? node/v24.21.0 linux x64"), "yarn")
    assert.strictEqual(detectPackageManager("bun/1.2.0 npm/? node/v24.21.0 linux x64"), "npm")
    assert.strictEqual(detectPackageManager(undefined), "npm")
  })

  it("names it in the next steps, with install only when it did not run", () => {
    const steps = nextSteps("pnpm", "my api", false)
    assert.strictEqual(steps[0], "cd 'my api'")
    assert.strictEqual(steps[1], "pnpm install")
    assert.match(steps[2]!, /^pnpm test /)
    assert.match(nextSteps("npm", ".", true)[0]!, /^npm test /)
    assert.isFalse(nextSteps("npm", ".", true).some((s) => s.startsWith("cd ") || s === "npm install"))
  })
})
