/**
 * examples/custom-gate: the contract gate's comparison on its own, then three real
 * rollouts on this machine judged by it (replicas on free 127.0.0.1 ports, a temporary
 * state directory, everything stopped and removed at the end).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { contractBreaks, shapeOf } from "../../examples/custom-gate/ContractGate.ts"
import { rollOutAll } from "../../examples/custom-gate/Releases.ts"

describe("examples/custom-gate", () => {
  describe("contract", () => {
    const stable = shapeOf({ sku: "A-1", price: 1999, tags: [{ id: 1 }], discount: null })

    it("allows added fields", () => {
      assert.deepStrictEqual(
        contractBreaks(
          stable,
          shapeOf({ sku: "A-1", price: 1, tags: [{ id: 2, name: "x" }], discount: null, new: 1 }),
        ),
        [],
      )
    })

    it("names each field that is missing or changed type", () => {
      assert.deepStrictEqual(
        contractBreaks(stable, shapeOf({ sku: 7, amount: 1999, tags: [{}], discount: null })),
        ["sku is number, was string", "price (number) is missing", "tags[].id (number) is missing"],
      )
    })
  })

  it.live("promotes a compatible release and rolls back a renamed field before it takes traffic", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "slipway-example-gate-"))),
      (stateDir) =>
        Effect.gen(function* () {
          const outcomes = yield* rollOutAll({ stateDir, write: () => undefined })
          assert.deepStrictEqual(
            outcomes.map((o) => [o.version, o.status]),
            [
              ["1.0.0", "succeeded"],
              ["1.1.0", "succeeded"],
              ["2.0.0", "rolled-back"],
            ],
          )
          const [, compatible, breaking] = outcomes
          assert.isTrue(compatible!.contract.every((c) => c.verdict === "Pass"))
          // The only contract verdict of 2.0.0 is the check at 0% traffic; nothing else ran.
          assert.deepStrictEqual(breaking!.contract, [
            { verdict: "Fail", reason: "/api/price: breaks the contract: price (number) is missing" },
          ])
          assert.strictEqual(
            breaking!.rollbackReason,
            "gate failed: contract: /api/price: breaks the contract: price (number) is missing",
          )
        }),
      (stateDir) => Effect.sync(() => rmSync(stateDir, { recursive: true, force: true })),
    ),
  )
})
