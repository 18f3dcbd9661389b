/**
 * node --conditions=@slipway/source main.ts
 *
 * Rolls out three releases of the price API on this machine, judged by a custom contract
 * gate, in a temporary state directory removed at the end with every replica stopped.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { rollOutAll } from "./Releases.ts"

const stateDir = mkdtempSync(join(tmpdir(), "slipway-custom-gate-"))
try {
  const outcomes = await Effect.runPromise(
    rollOutAll({ stateDir, write: (text) => process.stdout.write(text) }),
  )
  console.log("")
  for (const o of outcomes)
    console.log(`${o.version}: ${o.status}${o.rollbackReason ? ` (${o.rollbackReason})` : ""}`)
} finally {
  rmSync(stateDir, { recursive: true, force: true })
}
