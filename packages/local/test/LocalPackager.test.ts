import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ArtifactStore, Packager, type Source } from "@slipway/core"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as LocalArtifactStore from "../src/LocalArtifactStore.ts"
import * as LocalPackager from "../src/LocalPackager.ts"
import { digestTree, IgnoreRules } from "../src/TreeDigest.ts"

let work: string
let case_ = 0

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "slipway-packager-"))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** A fresh source folder and state directory, with a build that counts its runs. */
const fixture = (files: Record<string, string>) => {
  case_ += 1
  const root = join(work, `case-${case_}`)
  const app = join(root, "app")
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(app, path, ".."), { recursive: true })
    writeFileSync(join(app, path), text)
  }
  const stateDir = join(root, "state")
  const layer = Layer.mergeAll(LocalPackager.layer({ stateDir }), LocalArtifactStore.layer({ stateDir }))
  const source: Source = {
    app: "hello",
    path: app,
    build: "mkdir -p out && cp src/* out/ && echo run >> ../builds.log",
    output: "out",
  }
  const builds = () =>
    existsSync(join(root, "builds.log"))
      ? readFileSync(join(root, "builds.log"), "utf8").split("\n").length - 1
      : 0
  return { root, app, stateDir, layer, source, builds }
}

describe("LocalPackager", () => {
  it.live("gives unchanged source the same digest without building or storing it again", () => {
    const f = fixture({ "src/server.js": "console.log('hi')\n", "src/lib.js": "export const x = 1\n" })
    return Effect.gen(function* () {
      const packager = yield* Packager
      const first = yield* packager.package(f.source)
      const second = yield* packager.package(f.source)
      assert.match(first.digest, /^sha256:[0-9a-f]{64}$/)
      assert.isFalse(first.reused)
      assert.deepStrictEqual(second, { ...first, reused: true })
      assert.strictEqual(f.builds(), 1)
      assert.strictEqual(first.path, join(f.stateDir, "artifacts", first.digest.replace(":", "-")))
      assert.strictEqual(readFileSync(join(first.path, "server.js"), "utf8"), "console.log('hi')\n")
      assert.strictEqual(first.bytes, "console.log('hi')\n".length + "export const x = 1\n".length)

      const store = yield* ArtifactStore
      const ref = yield* store.put(first)
      assert.deepStrictEqual(ref, { digest: first.digest, uri: `file://${first.path}/` })
      assert.isTrue(yield* store.has(first.digest))
      assert.deepStrictEqual(yield* store.put(second), ref)
    }).pipe(Effect.provide(f.layer))
  })

  it.live("gives a changed file a new digest and rebuilds", () => {
    const f = fixture({ "src/server.js": "console.log('v1')\n" })
    return Effect.gen(function* () {
      const packager = yield* Packager
      const v1 = yield* packager.package(f.source)
      writeFileSync(join(f.app, "src/server.js"), "console.log('v2')\n")
      const v2 = yield* packager.package(f.source)
      assert.notStrictEqual(v2.digest, v1.digest)
      assert.isFalse(v2.reused)
      assert.strictEqual(f.builds(), 2)
      // Both releases stay in the store, side by side.
      assert.isTrue(existsSync(v1.path) && existsSync(v2.path))
    }).pipe(Effect.provide(f.layer))
  })

  it.live("fails clearly when the build produces no files", () => {
    const f = fixture({ "src/server.js": "x\n" })
    return Effect.gen(function* () {
      const packager = yield* Packager
      const empty = yield* Effect.flip(packager.package({ ...f.source, build: "mkdir -p out" }))
      assert.strictEqual(empty._tag, "PackageError")
      assert.strictEqual(empty.app, "hello")
      assert.match(empty.message, /^build produced no files in .*out; check `build`\/`output`$/)
      const missing = yield* Effect.flip(packager.package({ ...f.source, build: "true", output: "build" }))
      assert.include(missing.message, "build produced no files in")
    }).pipe(Effect.provide(f.layer))
  })

  it.live("fails with the build's last output lines when the build fails", () => {
    const f = fixture({ "src/server.js": "x\n" })
    return Effect.gen(function* () {
      const error = yield* Effect.flip(
        (yield* Packager).package({
          ...f.source,
          build: "echo compiling; echo 'src/a.ts(1,1): error TS1005' >&2; exit 2",
        }),
      )
      assert.include(error.message, "exited with code 2")
      assert.include(error.message, "| src/a.ts(1,1): error TS1005")
      assert.include(error.message, join("logs", "build", "hello.log"))
    }).pipe(Effect.provide(f.layer))
  })

  it.live(
    "leaves node_modules, .git and .slipwayignore'd files out of the source key and the artifact",
    () => {
      const f = fixture({
        "src/server.js": "x\n",
        ".slipwayignore": "# local notes\n*.md\n",
        "NOTES.md": "v1",
        "node_modules/dep/index.js": "v1",
      })
      return Effect.gen(function* () {
        const packager = yield* Packager
        const source = { app: "hello", path: f.app }
        const first = yield* packager.package(source)
        writeFileSync(join(f.app, "NOTES.md"), "v2")
        writeFileSync(join(f.app, "node_modules/dep/index.js"), "v2")
        const second = yield* packager.package(source)
        assert.isTrue(second.reused)
        assert.strictEqual(second.digest, first.digest)
        assert.isFalse(existsSync(join(first.path, "NOTES.md")))
        assert.isFalse(existsSync(join(first.path, "node_modules")))
        assert.isTrue(existsSync(join(first.path, "src/server.js")))
      }).pipe(Effect.provide(f.layer))
    },
  )

  it.live("refuses to store files that no longer match their digest", () => {
    const f = fixture({ "src/server.js": "x\n" })
    return Effect.gen(function* () {
      const dir = join(f.root, "loose")
      mkdirSync(dir)
      writeFileSync(join(dir, "a.txt"), "a")
      const { digest, bytes } = yield* Effect.promise(() => digestTree(dir))
      writeFileSync(join(dir, "a.txt"), "tampered")
      const error = yield* Effect.flip(
        (yield* ArtifactStore).put({ digest, path: dir, bytes, reused: false }),
      )
      assert.strictEqual(error._tag, "UploadError")
      assert.include(error.message, "package again")
      assert.isFalse(yield* (yield* ArtifactStore).has(digest))
    }).pipe(Effect.provide(f.layer))
  })
})

describe("digestTree", () => {
  const tree = (name: string, files: ReadonlyArray<[string, string]>) => {
    const dir = join(work, name)
    for (const [path, text] of files) {
      mkdirSync(join(dir, path, ".."), { recursive: true })
      writeFileSync(join(dir, path), text)
    }
    return dir
  }

  it.live("depends on paths, modes and bytes — not on timestamps or creation order", () =>
    Effect.promise(async () => {
      const a = tree("order-a", [
        ["b.txt", "B"],
        ["a/c.txt", "C"],
      ])
      const b = tree("order-b", [
        ["a/c.txt", "C"],
        ["b.txt", "B"],
      ])
      utimesSync(join(b, "b.txt"), new Date(0), new Date(0))
      const [da, db] = [await digestTree(a), await digestTree(b)]
      assert.strictEqual(da.digest, db.digest)
      assert.deepStrictEqual(
        da.files.map((f) => f.path),
        ["a/c.txt", "b.txt"],
      )
      chmodSync(join(b, "b.txt"), 0o755)
      assert.notStrictEqual((await digestTree(b)).digest, da.digest)
      // Moving bytes between files changes the digest even though the concatenation is equal.
      const c = tree("order-c", [
        ["a/c.txt", "CB"],
        ["b.txt", ""],
      ])
      assert.notStrictEqual((await digestTree(c)).digest, da.digest)
    }),
  )

  it("parses gitignore-like rules", () => {
    const rules = IgnoreRules.parse("*.log\n/tmp/\ndocs/**/*.png\n!keep.log\n")
    assert.isTrue(rules.ignores("x/y/app.log", false))
    assert.isFalse(rules.ignores("keep.log", false))
    assert.isTrue(rules.ignores("tmp", true))
    assert.isFalse(rules.ignores("src/tmp", true))
    assert.isFalse(rules.ignores("tmp", false))
    assert.isTrue(rules.ignores("docs/a/b/c.png", false))
    assert.isTrue(rules.ignores("docs/c.png", false))
    assert.isFalse(rules.ignores("src/c.png", false))
  })
})
