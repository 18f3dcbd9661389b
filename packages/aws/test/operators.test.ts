import { readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..")

/** Every package a module reaches through its static imports (relative ones followed). */
const reachablePackages = (entry: string): ReadonlySet<string> => {
  const packages = new Set<string>()
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const source = readFileSync(file, "utf8")
    // `import { a, type B } from "x"` and `export … from "x"`; not `import type` (erased at runtime).
    for (const match of source.matchAll(/^(?:import|export)\s+(?!type\s)[\w$\s,{}*]*?from\s+"([^"]+)"/gm)) {
      const specifier = match[1]!
      if (specifier.startsWith(".")) visit(join(dirname(file), specifier))
      else packages.add(specifier)
    }
  }
  visit(entry)
  return packages
}

describe("@slipway/aws/operators", () => {
  it("is a published entry point of the package", () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8"))
    assert.strictEqual(manifest.exports["./operators"]["@slipway/source"], "./src/rollout/operators.ts")
    assert.strictEqual(manifest.exports["./operators"].default, "./dist/rollout/operators.js")
  })

  it("loads no Pulumi package, so the CLI's AWS commands start without it", () => {
    const packages = [...reachablePackages(join(packageRoot, "src/rollout/operators.ts"))]
    assert.deepStrictEqual(
      packages.filter((p) => p.startsWith("@pulumi/")),
      [],
    )
    assert.include(packages, "@aws-sdk/client-s3")
    // The same walk does see Pulumi where it is: the components' entry point.
    assert.include([...reachablePackages(join(packageRoot, "src/index.ts"))], "@pulumi/aws")
  })

  it("offers the journal, operator requests and rollback the CLI uses", async () => {
    const operators = await import("@slipway/aws/operators")
    for (const name of ["awsJournalLayer", "requestControl", "awsRollback", "placementOf", "S3Journal"]) {
      assert.property(operators, name)
    }
  })
})
