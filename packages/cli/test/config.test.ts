import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { canary } from "@slipway/strategies"
import { Effect } from "effect"
import { loadConfig, resolveConfig } from "../src/Config.ts"
import { plainConfig, tempFolder } from "./support.ts"

const folder = tempFolder()
afterAll(() => folder.remove())
const file = join(folder.dir, "slipway.config.ts")

const valid = { app: "hello", run: { command: ["node", "server.js"] } }

/** The problems `resolveConfig` reports for `valid` with `patch` applied (undefined values delete). */
const problemsWith = (patch: Record<string, unknown>) =>
  Effect.gen(function* () {
    const value: Record<string, unknown> = { ...valid, ...patch }
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete value[k]
    const error = yield* Effect.flip(resolveConfig(file, value))
    assert.strictEqual(error._tag, "ConfigInvalid")
    assert.include(error.message, `${file} is not a valid slipway config`)
    return error.problems
  })

const onlyProblem = (patch: Record<string, unknown>, expected: RegExp) =>
  Effect.gen(function* () {
    const problems = yield* problemsWith(patch)
    assert.strictEqual(problems.length, 1, problems.join("\n"))
    assert.match(problems[0]!, expected)
  })

describe("resolveConfig", () => {
  it.effect("applies every default and makes paths absolute", () =>
    Effect.gen(function* () {
      const config = yield* resolveConfig(file, valid)
      assert.deepStrictEqual(config, {
        file,
        app: "hello",
        source: { path: folder.dir },
        command: ["node", "server.js"],
        replicas: 2,
        healthPath: "/healthz",
        env: {},
        strategy: undefined,
        gates: [],
        port: 8080,
        stateDir: join(folder.dir, ".slipway"),
      })
    }),
  )

  it.effect("keeps what the config says, with a string command split into words", () =>
    Effect.gen(function* () {
      const strategy = canary({ steps: [{ weight: 10, bake: "1m" }] })
      const config = yield* resolveConfig(file, {
        app: "api-2",
        build: { path: ".", command: "npm run build", output: "dist" },
        run: { command: "node  dist/server.js", replicas: 3, healthPath: "/ready", env: { LOG: "debug" } },
        strategy,
        port: 0,
        stateDir: "state",
      })
      assert.deepStrictEqual(config.command, ["node", "dist/server.js"])
      assert.deepStrictEqual(config.source, { path: folder.dir, build: "npm run build", output: "dist" })
      assert.strictEqual(config.replicas, 3)
      assert.strictEqual(config.healthPath, "/ready")
      assert.deepStrictEqual(config.env, { LOG: "debug" })
      assert.strictEqual(config.strategy, strategy)
      assert.strictEqual(config.port, 0)
      assert.strictEqual(config.stateDir, join(folder.dir, "state"))
    }),
  )

  it.effect("refuses a default export that is not an object", () =>
    Effect.gen(function* () {
      for (const value of [undefined, null, "hello", [valid]]) {
        const error = yield* Effect.flip(resolveConfig(file, value))
        assert.match(error.problems[0]!, /the default export must be an object/)
      }
    }),
  )

  it.effect("app: names the rule and an example", () =>
    Effect.gen(function* () {
      for (const app of [undefined, "", "a", "Hello", "hello_world", "9lives", "ends-", "x".repeat(41)])
        yield* onlyProblem({ app }, /^app: .* is not a valid name; use 2–40 lowercase letters.*"hello-api"/)
    }),
  )

  it.effect("build: must be an object", () =>
    onlyProblem({ build: "npm run build" }, /^build: must be an object/),
  )

  it.effect("build.path: must exist", () =>
    onlyProblem({ build: { path: "no-such-folder" } }, /^build\.path: .*no-such-folder does not exist/),
  )

  it.effect("build.command and build.output: must be non-empty strings", () =>
    Effect.gen(function* () {
      yield* onlyProblem(
        { build: { command: ["npm", "run", "build"] } },
        /^build\.command: must be a non-empty string/,
      )
      yield* onlyProblem({ build: { output: "" } }, /^build\.output: must be a non-empty string/)
    }),
  )

  it.effect("run: missing", () =>
    onlyProblem({ run: undefined }, /^run: missing; say how to start a replica/),
  )

  it.effect("run.command: missing, empty, or not a command", () =>
    Effect.gen(function* () {
      yield* onlyProblem({ run: {} }, /^run\.command: missing; use \["node", "server\.js"\]/)
      yield* onlyProblem({ run: { command: [] } }, /^run\.command: \[\] is not a command/)
      yield* onlyProblem({ run: { command: "  " } }, /^run\.command: " {2}" is not a command/)
      yield* onlyProblem({ run: { command: ["node", 1] } }, /^run\.command: \["node",1\] is not a command/)
      yield* onlyProblem({ run: { command: 42 } }, /^run\.command: 42 is not a command/)
    }),
  )

  it.effect("run.replicas: a whole number from 1 to 32", () =>
    Effect.gen(function* () {
      for (const replicas of [0, 33, 1.5, "2"])
        yield* onlyProblem(
          { run: { command: "node s.js", replicas } },
          /^run\.replicas: .* is not a whole number from 1 to 32/,
        )
    }),
  )

  it.effect("run.healthPath: a path starting with /", () =>
    onlyProblem(
      { run: { command: "node s.js", healthPath: "healthz" } },
      /^run\.healthPath: "healthz" must be a path starting with "\/"/,
    ),
  )

  it.effect("run.env: an object of strings", () =>
    Effect.gen(function* () {
      yield* onlyProblem(
        { run: { command: "node s.js", env: "A=1" } },
        /^run\.env: must be an object of strings/,
      )
      yield* onlyProblem(
        { run: { command: "node s.js", env: { PORT_HINT: 3000 } } },
        /^run\.env\.PORT_HINT: must be a string \(got number\)/,
      )
    }),
  )

  it.effect("port: a TCP port", () =>
    Effect.gen(function* () {
      for (const port of [-1, 65536, "8080", 80.5])
        yield* onlyProblem({ port }, /^port: .* is not a TCP port; use 1–65535 \(or 0 for any free port\)/)
    }),
  )

  it.effect("stateDir: a folder path", () =>
    onlyProblem({ stateDir: 7 }, /^stateDir: must be a folder path \(got 7\)/),
  )

  it.effect("strategy: each bad field by its path", () =>
    Effect.gen(function* () {
      const strategy = { ...canary({ steps: [{ weight: 10, bake: "1m" }] }), scaleDownDelay: -5 }
      const problems = yield* problemsWith({ strategy })
      assert.isNotEmpty(problems)
      for (const p of problems) assert.match(p, /^strategy\./)
      assert.isTrue(
        problems.some((p) => p.includes("scaleDownDelay")),
        problems.join("\n"),
      )
    }),
  )

  it.effect("gates: an array of gates", () =>
    Effect.gen(function* () {
      yield* onlyProblem(
        { gates: { name: "errors" } },
        /^gates: must be an array of gates from @slipway\/gates/,
      )
      yield* onlyProblem({ gates: ["errors"] }, /^gates\[0\]: not a gate; build gates with @slipway\/gates/)
    }),
  )

  it.effect("a misspelt field is an error, with the field it probably meant", () =>
    Effect.gen(function* () {
      yield* onlyProblem({ gate: [] }, /^gate: not a config field \(did you mean "gates"\?\)/)
      yield* onlyProblem({ strategey: {} }, /^strategey: not a config field \(did you mean "strategy"\?\)/)
      yield* onlyProblem(
        { run: { command: "node s.js", replica: 3 } },
        /^run\.replica: not a config field \(did you mean "replicas"\?\)/,
      )
      yield* onlyProblem(
        { build: { outDir: "dist" } },
        /^build\.outDir: not a config field \(did you mean "output"\?\)/,
      )
      yield* onlyProblem(
        { build: { cmd: "make" } },
        /^build\.cmd: not a config field; known: path, command, output$/,
      )
    }),
  )

  it.effect("reports every problem at once", () =>
    Effect.gen(function* () {
      const problems = yield* problemsWith({ app: "X", run: { replicas: 0 }, port: -1 })
      assert.deepStrictEqual(
        problems.map((p) => p.split(":")[0]),
        ["app", "run.command", "run.replicas", "port"],
      )
    }),
  )
})

describe("loadConfig", () => {
  it.effect("loads a module's default export", () =>
    Effect.gen(function* () {
      const path = folder.path("ok.config.mjs")
      writeFileSync(path, plainConfig("port: 4000"))
      const config = yield* loadConfig(path)
      assert.strictEqual(config.app, "unit")
      assert.strictEqual(config.port, 4000)
      assert.strictEqual(config.file, path)
    }),
  )

  it.effect("a missing file: says how to make one", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(loadConfig(folder.path("missing.config.ts")))
      assert.deepStrictEqual(error.problems, [
        "file not found; create slipway.config.ts or pass --config <file>",
      ])
    }),
  )

  it.effect("a JavaScript syntax error: could not load, with the parser's message", () =>
    Effect.gen(function* () {
      const path = folder.path("broken.config.mjs")
      writeFileSync(path, 'export default { app: "x", run: { command: ["node" }\n')
      const error = yield* Effect.flip(loadConfig(path))
      assert.strictEqual(error.problems.length, 1)
      assert.match(error.problems[0]!, /^could not load: .+/)
      assert.include(error.message, path)
    }),
  )
})
