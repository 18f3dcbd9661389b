/**
 * Runs `main` in-process with stdout and stderr captured, and writes throwaway configs
 * (plain `.mjs` objects: a config needs no imports to be valid).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert } from "@effect/vitest"
import { UsageError } from "../src/Cli.ts"
import { main } from "../src/Main.ts"

export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** `slipway <argv>` in this process; what it printed and its exit code. */
export const runMain = async (argv: ReadonlyArray<string>): Promise<Ran> => {
  let stdout = ""
  let stderr = ""
  const out = process.stdout.write
  const err = process.stderr.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  }) as typeof process.stderr.write
  try {
    const code = await main(argv)
    return { code, stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

/** A temporary folder with files in it; `remove()` deletes it. */
export const tempFolder = (files: Readonly<Record<string, string>> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-cli-test-"))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return {
    dir,
    path: (name: string) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** A minimal valid config, as a module. */
export const plainConfig = (extra = ""): string =>
  `export default { app: "unit", run: { command: ["node", "server.js"] }${extra ? `, ${extra}` : ""} }\n`

/** The message of the `UsageError` that `attempt` throws; fails the test if it throws nothing. */
export const usageErrorOf = (what: string, attempt: () => unknown): string => {
  try {
    attempt()
  } catch (e) {
    assert.instanceOf(e, UsageError)
    return (e as Error).message
  }
  throw new Error(`${what} did not fail`)
}
