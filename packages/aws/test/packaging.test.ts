import { createHash } from "node:crypto"
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { inflateRawSync } from "node:zlib"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as aws from "@pulumi/aws"
import { PulumiProgramError, runPulumiProgram } from "@slipway/testing"
import {
  BundleError,
  ComponentArgsInvalid,
  ContainerImage,
  deterministicZip,
  lambdaBundle,
  type ZipEntry,
  ZipError,
} from "../src/index.ts"

const scratch = mkdtempSync(join(tmpdir(), "slipway-packaging-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

interface Unzipped {
  readonly path: string
  readonly mode: number
  readonly date: number
  readonly time: number
  readonly extraLength: number
  readonly content: string
}

/** Reads an archive back through its central directory, as unzip tools do. */
const unzip = (zip: Buffer): Array<Unzipped> => {
  const end = zip.length - 22
  assert.strictEqual(zip.readUInt32LE(end), 0x06054b50, "end of central directory")
  const count = zip.readUInt16LE(end + 10)
  let at = zip.readUInt32LE(end + 16)
  const out: Array<Unzipped> = []
  for (let i = 0; i < count; i++) {
    assert.strictEqual(zip.readUInt32LE(at), 0x02014b50, "central directory header")
    const method = zip.readUInt16LE(at + 10)
    const size = zip.readUInt32LE(at + 20)
    const nameLength = zip.readUInt16LE(at + 28)
    const extraLength = zip.readUInt16LE(at + 30)
    const offset = zip.readUInt32LE(at + 42)
    const path = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8")
    const localName = zip.readUInt16LE(offset + 26)
    const localExtra = zip.readUInt16LE(offset + 28)
    const body = zip.subarray(
      offset + 30 + localName + localExtra,
      offset + 30 + localName + localExtra + size,
    )
    out.push({
      path,
      mode: zip.readUInt32LE(at + 38) >>> 16,
      time: zip.readUInt16LE(at + 12),
      date: zip.readUInt16LE(at + 14),
      extraLength: extraLength + localExtra,
      content: (method === 8 ? inflateRawSync(body) : body).toString("utf8"),
    })
    at += 46 + nameLength + extraLength + zip.readUInt16LE(at + 32)
  }
  return out
}

describe("deterministicZip", () => {
  const entries: ReadonlyArray<ZipEntry> = [
    { path: "index.js", content: "exports.handler = async () => ({ statusCode: 200 })\n" },
    { path: "lib/util.js", content: "module.exports = 42\n" },
    { path: "bin/start", content: "#!/bin/sh\nexec node index.js\n", mode: 0o700 },
  ]

  it("is byte-identical across two builds", () => {
    assert.isTrue(deterministicZip(entries).equals(deterministicZip(entries)))
  })

  it("does not depend on the order files are given in", () => {
    assert.isTrue(deterministicZip(entries).equals(deterministicZip([...entries].reverse())))
  })

  it("sorts entries, fixes timestamps at 1980-01-01 and normalises modes, with no extra fields", () => {
    const files = unzip(deterministicZip(entries))
    assert.deepStrictEqual(
      files.map((f) => [f.path, f.mode.toString(8)]),
      [
        ["bin/start", "100755"],
        ["index.js", "100644"],
        ["lib/util.js", "100644"],
      ],
    )
    assert.isTrue(files.every((f) => f.date === 0x21 && f.time === 0 && f.extraLength === 0))
    assert.strictEqual(files[1]!.content, entries[0]!.content)
  })

  it("stores without compression when asked, still readable", () => {
    const stored = deterministicZip(entries, { compression: "store" })
    assert.deepStrictEqual(
      unzip(stored).map((f) => f.content),
      unzip(deterministicZip(entries)).map((f) => f.content),
    )
    assert.include(stored.toString("utf8"), "module.exports = 42")
  })

  describe("zipping a directory", () => {
    const dir = join(scratch, "site")
    const write = (path: string, content: string, mode = 0o644) => {
      mkdirSync(join(dir, path, ".."), { recursive: true })
      writeFileSync(join(dir, path), content)
      chmodSync(join(dir, path), mode)
    }
    write("index.js", "exports.handler = () => 'v1'\n")
    write("assets/logo.svg", "<svg/>")
    write("bin/run", "#!/bin/sh\n", 0o775)

    it("gives the same bytes whatever the files' modification times", () => {
      const before = deterministicZip(dir)
      for (const [i, path] of ["index.js", "assets/logo.svg", "bin/run"].entries()) {
        utimesSync(join(dir, path), new Date(2001 + i, 1, 1), new Date(2020 + i, 5, 6))
      }
      const after = deterministicZip(dir)
      assert.strictEqual(sha(after), sha(before))
      assert.deepStrictEqual(
        unzip(after).map((f) => [f.path, f.mode.toString(8)]),
        [
          ["assets/logo.svg", "100644"],
          ["bin/run", "100755"],
          ["index.js", "100644"],
        ],
      )
    })

    it("changes the hash when a file's content changes", () => {
      const before = sha(deterministicZip(dir))
      write("index.js", "exports.handler = () => 'v2'\n")
      assert.notStrictEqual(sha(deterministicZip(dir)), before)
    })

    it("changes the hash when a file becomes executable", () => {
      const before = sha(deterministicZip(dir))
      chmodSync(join(dir, "index.js"), 0o755)
      const after = sha(deterministicZip(dir))
      chmodSync(join(dir, "index.js"), 0o644)
      assert.notStrictEqual(after, before)
    })

    it("leaves out what `exclude` says", () => {
      const files = unzip(deterministicZip(dir, { exclude: (p) => p.startsWith("assets") }))
      assert.deepStrictEqual(
        files.map((f) => f.path),
        ["bin/run", "index.js"],
      )
    })
  })

  it("refuses duplicate, absolute and escaping paths", () => {
    const refused = (list: ReadonlyArray<ZipEntry>): ZipError => {
      try {
        deterministicZip(list)
      } catch (e) {
        assert.instanceOf(e, ZipError)
        return e
      }
      return assert.fail("expected a ZipError")
    }
    assert.include(refused([entries[0]!, entries[0]!]).message, "listed twice")
    assert.include(refused([{ path: "/etc/passwd", content: "" }]).message, "absolute")
    assert.include(refused([{ path: "../up.js", content: "" }]).message, "'..'")
    assert.include(refused([{ path: "a.js" }]).message, "exactly one of `content` and `sourcePath`")
  })
})

describe("lambdaBundle", () => {
  const project = join(scratch, "fn")
  mkdirSync(join(project, "src"), { recursive: true })
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "fn", private: true }))
  writeFileSync(
    join(project, "src", "greeting.ts"),
    'export const greet = (name: string): string => "hello " + name\n',
  )
  const handlerSource = (greeting: string) =>
    `import { greet } from "./greeting.ts"\nexport const handler = async (event: { name: string }) => ({ body: greet(event.name) + "${greeting}" })\n`
  writeFileSync(join(project, "src", "handler.ts"), handlerSource("!"))
  const entry = join(project, "src", "handler.ts")

  it("bundles a handler into a zip Lambda can run", async () => {
    const bundle = lambdaBundle("api", { entry })
    assert.strictEqual(bundle.handler, "index.handler")
    assert.deepStrictEqual(bundle.files, ["index.js"])
    assert.strictEqual(bundle.path, join(project, ".slipway", "artifacts", "api.zip"))
    const zip = readFileSync(bundle.path)
    assert.strictEqual(bundle.digest, `sha256:${sha(zip)}`)
    assert.strictEqual(bundle.sourceCodeHash, createHash("sha256").update(zip).digest("base64"))

    const [code] = unzip(zip)
    const runnable = join(scratch, "run-api.cjs")
    writeFileSync(runnable, code!.content)
    const mod = await import(pathToFileURL(runnable).href)
    assert.deepStrictEqual(await mod.handler({ name: "ada" }), { body: "hello ada!" })
    assert.notInclude(code!.content, scratch, "no absolute paths in the bundle")
  })

  it("gives the same digest for unchanged code, whatever the files' times, without rewriting the zip", () => {
    const first = lambdaBundle("api", { entry })
    const writtenAt = statSync(first.path).mtimeMs
    utimesSync(entry, new Date(2010, 0, 1), new Date(2010, 0, 1))
    const second = lambdaBundle("api", { entry })
    assert.strictEqual(second.digest, first.digest)
    assert.strictEqual(statSync(second.path).mtimeMs, writtenAt)
  })

  it("changes the digest when the code changes", () => {
    const before = lambdaBundle("api", { entry }).digest
    writeFileSync(join(project, "src", "handler.ts"), handlerSource("?"))
    const after = lambdaBundle("api", { entry }).digest
    writeFileSync(join(project, "src", "handler.ts"), handlerSource("!"))
    assert.notStrictEqual(after, before)
    assert.strictEqual(lambdaBundle("api", { entry }).digest, before)
  })

  it("writes ESM as index.mjs and ships extra files and a source map without sources", () => {
    const bundle = lambdaBundle("esm", {
      entry,
      format: "esm",
      sourcemap: true,
      files: [{ path: "templates/mail.txt", content: "Hi" }],
    })
    assert.strictEqual(bundle.handler, "index.handler")
    assert.deepStrictEqual(bundle.files, ["index.mjs", "index.mjs.map", "templates/mail.txt"])
    const map = JSON.parse(unzip(readFileSync(bundle.path)).find((f) => f.path === "index.mjs.map")!.content)
    assert.isUndefined(map.sourcesContent)
    assert.isTrue(map.sources.every((s: string) => !s.startsWith("/")))
  })

  it("reports a syntax error with its location", () => {
    const broken = join(project, "src", "broken.ts")
    writeFileSync(broken, "export const handler = async ( => 1\n")
    try {
      lambdaBundle("broken", { entry: broken })
      assert.fail("expected a BundleError")
    } catch (e) {
      assert.instanceOf(e, BundleError)
      assert.match(e.message, /broken\.ts:1:\d+/)
    }
  })

  it("feeds aws.lambda.Function an archive and a source code hash", async () => {
    const bundle = lambdaBundle("api", { entry })
    const run = await runPulumiProgram(() => {
      new aws.lambda.Function("api", {
        code: bundle.archive,
        handler: bundle.handler,
        sourceCodeHash: bundle.sourceCodeHash,
        runtime: "nodejs22.x",
        role: "arn:aws:iam::123456789012:role/api",
      })
    })
    const fn = run.get("aws:lambda/function:Function")
    assert.strictEqual(fn.inputs.sourceCodeHash, bundle.sourceCodeHash)
    assert.strictEqual(await fn.inputs.code.path, bundle.path)
  })
})

describe("ContainerImage", () => {
  const app = join(scratch, "app")
  mkdirSync(app, { recursive: true })
  writeFileSync(join(app, "Dockerfile"), 'FROM node:22-slim\nCOPY . /app\nCMD ["node", "/app/index.js"]\n')

  it("pushes to a scanned, encrypted repository with a lifecycle and refers to the image by digest", async () => {
    const run = await runPulumiProgram(() => {
      const image = new ContainerImage("web", { context: app, platform: "linux/arm64", keepImages: 30 })
      return { ref: image.imageRef, digest: image.digest }
    })
    const repo = run.get("aws:ecr/repository:Repository")
    assert.deepStrictEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true })
    assert.deepStrictEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }])
    const lifecycle = JSON.parse(run.get("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy)
    assert.deepStrictEqual(lifecycle.rules[0].selection, {
      tagStatus: "any",
      countType: "imageCountMoreThan",
      countNumber: 30,
    })

    const image = run.get("docker-build:index:Image")
    assert.deepInclude(image.inputs, { push: true, platforms: ["linux/arm64"], context: { location: app } })
    assert.strictEqual(image.inputs.registries[0].address, repo.outputs.repositoryUrl)
    assert.include(image.secretPaths, "registries", "the registry password stays a secret")
    assert.strictEqual(image.inputs.cacheTo[0].registry.ref, `${repo.outputs.repositoryUrl}:cache`)

    assert.match(run.outputs.digest, /^sha256:[a-f0-9]{64}$/)
    assert.strictEqual(run.outputs.ref, `${repo.outputs.repositoryUrl}@${run.outputs.digest}`)
    assert.deepStrictEqual(run.policy(), [])
  })

  it("encrypts with a KMS key when given one", async () => {
    const run = await runPulumiProgram(() => {
      new ContainerImage("web", { context: app, kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abc" })
    })
    assert.deepStrictEqual(run.get("aws:ecr/repository:Repository").inputs.encryptionConfigurations, [
      { encryptionType: "KMS", kmsKey: "arn:aws:kms:us-east-1:123456789012:key/abc" },
    ])
  })

  it("uses a prebuilt image pinned by digest without building anything", async () => {
    const ref = `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:${"a".repeat(64)}`
    const run = await runPulumiProgram(() => new ContainerImage("web", { image: ref }).imageRef)
    assert.strictEqual(run.outputs, ref)
    assert.deepStrictEqual(
      run.resources.map((r) => r.type),
      ["slipway:aws:ContainerImage"],
    )
  })

  const refusals: ReadonlyArray<[string, ConstructorParameters<typeof ContainerImage>[1], string]> = [
    ["an image pinned by tag only", { image: "nginx:latest" }, "is not pinned by digest"],
    ["a context that is not a folder", { context: join(scratch, "nope") }, "is not a folder"],
    ["a missing Dockerfile", { context: scratch }, "does not exist"],
    ["keeping no images", { context: app, keepImages: 0 }, "not a positive count"],
  ]
  for (const [what, args, text] of refusals) {
    it(`refuses ${what} before registering anything`, async () => {
      const error = await runPulumiProgram(() => new ContainerImage("web", args)).then(
        () => assert.fail("expected a refusal"),
        (e: unknown) => e,
      )
      assert.instanceOf(error, PulumiProgramError)
      assert.instanceOf(error.cause, ComponentArgsInvalid)
      assert.include(error.message, text)
      assert.deepStrictEqual(error.resources, [])
    })
  }
})
