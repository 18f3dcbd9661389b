#!/usr/bin/env node
// The `slipway` command. Installed from npm it runs the built JavaScript; in a checkout of
// the Slipway repository (no dist/ yet) it runs the TypeScript sources with the
// "@slipway/source" export condition, which Node 24 strips types from.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const dist = new URL("../dist/bin.js", import.meta.url)
if (existsSync(fileURLToPath(dist))) {
  await import(dist.href)
} else {
  const source = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
  const r = spawnSync(process.execPath, ["--conditions=@slipway/source", source, ...process.argv.slice(2)], {
    stdio: "inherit",
  })
  process.exitCode = r.status ?? 1
}
