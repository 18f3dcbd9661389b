/**
 * Loads a generated project's Pulumi program the way `pulumi up` does, under mocks, and
 * writes what it registered and the stack policy verdict as JSON.
 *
 * Usage (cwd = the project): node load-program.ts <result.json> <options.json>
 *   options: { project, stack, config: { "<key>": "<value>" }, zones?: { "<zone>": "<id>" } }
 *
 * Faithful to the Node language host: it calls `run()` from the project's own
 * `@pulumi/pulumi` (`cmd/run/run.js`), which is what the host's entry point calls. That
 * function reads `PULUMI_NODEJS_TYPESCRIPT`, picks ts-node with the project's TypeScript
 * (ESM hooks for a `"type": "module"` package), type-checks and loads `main` from
 * package.json, and runs it inside the root `pulumi:pulumi:Stack`. The mocks and the
 * policy check list come from the project's own `@slipway/testing` — the packed one.
 *
 * Everything is resolved from the project, never from this repository.
 */
import { writeFileSync } from "node:fs"
import { createRequire, Module } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"

interface Options {
  readonly project: string
  readonly stack: string
  readonly config: Readonly<Record<string, string>>
  readonly zones?: Readonly<Record<string, string>>
}

const [resultFile, optionsJson] = process.argv.slice(2)
if (resultFile === undefined || optionsJson === undefined) {
  console.error("usage: node load-program.ts <result.json> <options-json>")
  process.exit(64)
}
const options = JSON.parse(optionsJson) as Options
const projectRequire = createRequire(join(process.cwd(), "package.json"))

// The host's entry point (cmd/run/index.js) parses argv and starts a run as soon as it is
// loaded; run.js requires it only for an exit-code constant. Stand in for it so that
// run() can be called with mocks installed instead of a resource monitor.
const runDir = join(dirname(projectRequire.resolve("@pulumi/pulumi")), "cmd", "run")
const entry = join(runDir, "index.js")
const stub = new Module(entry)
stub.filename = entry
stub.loaded = true
stub.exports = { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 }
projectRequire.cache[entry] = stub

type Run = (
  argv: { readonly _: ReadonlyArray<string> },
  programStarted: () => void,
  reportLoggedError: (err: Error) => void,
  isErrorReported: (err: Error) => boolean,
) => Promise<unknown>
const { run } = projectRequire(join(runDir, "run.js")) as { run: Run }

const testing = (await import(pathToFileURL(projectRequire.resolve("@slipway/testing")).href)) as {
  runPulumiProgram: (
    program: () => unknown,
    options: object,
  ) => Promise<{
    resources: ReadonlyArray<{
      type: string
      name: string
      custom: boolean
      parent?: string
      inputs: unknown
    }>
    outputs: unknown
  }>
  checkPolicies: (
    resources: ReadonlyArray<unknown>,
  ) => ReadonlyArray<{ rule: string; resource: string; message: string }>
}

// What the language host sets for `runtime.options.typescript: true` (the default).
process.env.PULUMI_NODEJS_TYPESCRIPT = "true"

// Assets and archives are classes; keep plain data only.
const plain = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Map ? [...v] : v)))

const started = Date.now()
try {
  const result = await testing.runPulumiProgram(
    () =>
      run(
        { _: ["."] },
        () => {},
        () => {},
        () => false,
      ),
    { project: options.project, stack: options.stack, config: options.config, zones: options.zones },
  )
  writeFileSync(
    resultFile,
    JSON.stringify({
      ok: true,
      loadMs: Date.now() - started,
      outputs: plain(result.outputs),
      resources: result.resources.map((r) => ({
        type: r.type,
        name: r.name,
        custom: r.custom,
        parent: r.parent,
        inputs: plain(r.inputs),
      })),
      violations: testing.checkPolicies(result.resources),
    }),
  )
} catch (e) {
  const error = e as Error
  writeFileSync(
    resultFile,
    JSON.stringify({ ok: false, loadMs: Date.now() - started, error: error.stack ?? String(e) }),
  )
}
// ts-node's hooks and Pulumi's exit handlers keep nothing alive that matters here.
process.exit(0)
