/**
 * examples/blue-green-manual, run for real on this machine: hello-node replicas, the
 * local proxy on a free 127.0.0.1 port, a file journal in a temporary state directory —
 * all stopped and removed when the run ends.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { blueGreenManual, strategy } from "../../examples/blue-green-manual/BlueGreenManual.ts"

const only = (values: ReadonlyArray<string>) => [...new Set(values)]

describe("examples/blue-green-manual", () => {
  it("builds scale, preview gate, manual pause, switch", () => {
    assert.deepStrictEqual(strategy.steps, [
      { _tag: "Scale", percent: 100 },
      { _tag: "Gate", gates: ["smoke"] },
      { _tag: "Pause" },
      { _tag: "SetWeight", weight: 100 },
    ])
  })

  it.live("users stay on blue while green waits; promote switches them, abort never exposes them", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "slipway-example-bg-"))),
      (stateDir) =>
        Effect.gen(function* () {
          let output = ""
          const [promoted, aborted] = yield* blueGreenManual({ stateDir, write: (text) => (output += text) })

          assert.strictEqual(promoted.outcome, "succeeded")
          assert.deepStrictEqual(only(promoted.servedWhileWaiting), ["1.0.0"])
          assert.deepStrictEqual(only(promoted.preview), ["2.0.0"])
          assert.deepStrictEqual(only(promoted.servedAfter), ["2.0.0"])

          assert.strictEqual(aborted.outcome, "rolled-back")
          assert.deepStrictEqual(only(aborted.servedWhileWaiting), ["2.0.0"])
          assert.deepStrictEqual(only(aborted.preview), ["3.0.0"])
          assert.deepStrictEqual(only(aborted.servedAfter), ["2.0.0"])

          assert.include(output, "paused  waiting for `slipway promote`")
          assert.include(output, "rolled back: 3.0.0 is not what we want to ship today")
        }),
      (stateDir) => Effect.sync(() => rmSync(stateDir, { recursive: true, force: true })),
    ),
  )
})
