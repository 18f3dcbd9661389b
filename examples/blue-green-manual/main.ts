/**
 * node --conditions=@slipway/source main.ts
 *
 * Deploys hello-node 1.0.0 on this machine, then rolls out 2.0.0 (promoted by hand) and
 * 3.0.0 (aborted by hand) by blue-green, in a temporary state directory that is removed
 * at the end with every replica stopped.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { blueGreenManual } from "./BlueGreenManual.ts"

const stateDir = mkdtempSync(join(tmpdir(), "slipway-blue-green-"))
try {
  const releases = await Effect.runPromise(
    blueGreenManual({ stateDir, write: (text) => process.stdout.write(text) }),
  )
  for (const r of releases) {
    console.log(
      `${r.version}: ${r.decision} → ${r.outcome}; users now get ${[...new Set(r.servedAfter)].join(", ")}`,
    )
  }
} finally {
  rmSync(stateDir, { recursive: true, force: true })
}
