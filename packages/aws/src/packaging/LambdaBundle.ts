/**
 * A Lambda handler bundled with esbuild and zipped deterministically, built
 * synchronously when the program calls it — before any resource is registered, so a
 * broken build fails the update before anything in AWS changes.
 *
 * Everything that could make two builds of the same code differ is pinned: esbuild
 * runs from the project root whatever the current directory (its path comments and
 * source maps are relative to it), legal comments and metafiles are off, source maps
 * (when asked for) carry no sources, and the zip has fixed timestamps and modes. The
 * archive is written to the same path every time, so Pulumi sees a change only when
 * the code changed.
 */

import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { basename, dirname, extname, join, resolve } from "node:path"
import * as pulumi from "@pulumi/pulumi"
import { Data } from "effect"
import { buildSync, type Message } from "esbuild"
import { deterministicZip, type ZipEntry } from "./deterministicZip.ts"

/**
 * A handler that did not bundle, with esbuild's messages.
 *
 * @example
 * try {
 *   lambdaBundle("api", { entry: "src/handler.ts" })
 * } catch (e) {
 *   if (e instanceof BundleError) console.error(e.errors.join("\n")) // src/handler.ts:3:14: Expected ")" …
 * }
 */
export class BundleError extends Data.TaggedError("BundleError")<{
  readonly entry: string
  readonly errors: ReadonlyArray<string>
}> {
  override get message(): string {
    return `cannot bundle ${this.entry}:\n${this.errors.map((e) => `  - ${e}`).join("\n")}`
  }
}

/**
 * How to bundle a handler.
 *
 * @example
 * const args: LambdaBundleArgs = { entry: "src/handler.ts", handler: "handler", target: "node22" }
 */
export interface LambdaBundleArgs {
  /**
   * The handler's source file.
   *
   * @example
   * { entry: "src/handler.ts" }
   */
  readonly entry: string
  /**
   * The exported function Lambda calls (default `"handler"`).
   *
   * @example
   * { handler: "main" }
   */
  readonly handler?: string
  /**
   * The project root paths are made relative to (default: the nearest folder above
   * `entry` holding a package.json).
   *
   * @example
   * { root: "." }
   */
  readonly root?: string
  /**
   * Module format (default `"cjs"`, which every dependency bundles into; `"esm"` writes
   * `index.mjs` with a `require` shim for CommonJS dependencies).
   *
   * @example
   * { format: "esm" }
   */
  readonly format?: "cjs" | "esm"
  /**
   * esbuild target matching the Lambda runtime (default `"node22"`).
   *
   * @example
   * { target: "node24" }
   */
  readonly target?: string
  /**
   * Minify (default false: readable stack traces; names are kept either way).
   *
   * @example
   * { minify: true }
   */
  readonly minify?: boolean
  /**
   * Write `index.js.map` next to the code, without sources (run with
   * `NODE_OPTIONS=--enable-source-maps`). Default false.
   *
   * @example
   * { sourcemap: true }
   */
  readonly sourcemap?: boolean
  /**
   * Modules left out of the bundle (provided by the runtime or a layer).
   *
   * @example
   * { external: ["@aws-sdk/*"] }
   */
  readonly external?: ReadonlyArray<string>
  /**
   * Compile-time replacements (default `process.env.NODE_ENV` → `"production"`).
   *
   * @example
   * { define: { "process.env.STAGE": '"prod"' } }
   */
  readonly define?: Readonly<Record<string, string>>
  /**
   * More files to ship next to the code (templates, certificates, WASM).
   *
   * @example
   * { files: [{ path: "templates/mail.html", sourcePath: "templates/mail.html" }] }
   */
  readonly files?: ReadonlyArray<ZipEntry>
  /**
   * Where the zip is written (default `<root>/.slipway/artifacts`; add `.slipway` to
   * .gitignore).
   *
   * @example
   * { outDir: "build" }
   */
  readonly outDir?: string
}

/**
 * A bundled handler, zipped, ready for `aws.lambda.Function`.
 *
 * @example
 * new aws.lambda.Function("api", {
 *   code: bundle.archive,
 *   handler: bundle.handler,
 *   sourceCodeHash: bundle.sourceCodeHash,
 *   runtime: "nodejs22.x",
 *   role: role.arn,
 * })
 */
export interface LambdaBundle {
  /** The zip on disk (same path for every build of this bundle). */
  readonly path: string
  /** The zip as a Pulumi archive. */
  readonly archive: pulumi.asset.FileArchive
  /** `index.handler` (or `index.<handler>`), what `aws.lambda.Function.handler` expects. */
  readonly handler: string
  /** `sha256:<hex>` of the zip's bytes (an artifact digest, as `@slipway/core` writes them). */
  readonly digest: string
  /** Base64 SHA-256 of the zip: Lambda's `CodeSha256`, for `sourceCodeHash`. */
  readonly sourceCodeHash: string
  /** Size of the zip in bytes. */
  readonly bytes: number
  /** Paths inside the zip, sorted. */
  readonly files: ReadonlyArray<string>
}

const projectRoot = (entry: string): string => {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir
    if (dirname(dir) === dir) return dirname(entry)
  }
}

const formatMessage = (m: Message): string =>
  m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text

/**
 * Bundles and zips a handler now (synchronously), writing the zip only when its bytes
 * changed.
 *
 * @example
 * import { lambdaBundle } from "@slipway/aws"
 * const bundle = lambdaBundle("api", { entry: "src/handler.ts" })
 * bundle.handler // "index.handler"
 * bundle.digest // "sha256:…" — the same for every build of the same code
 */
export const lambdaBundle = (name: string, args: LambdaBundleArgs): LambdaBundle => {
  const entry = resolve(args.entry)
  const root = resolve(args.root ?? projectRoot(entry))
  const esm = args.format === "esm"
  const file = esm ? "index.mjs" : "index.js"
  const handler = args.handler ?? "handler"
  if (!/^[A-Za-z_$][\w$]*$/.test(handler)) {
    throw new BundleError({ entry: args.entry, errors: [`handler "${handler}" is not an export name`] })
  }
  if (!existsSync(entry)) {
    throw new BundleError({ entry: args.entry, errors: [`${entry} does not exist`] })
  }
  const outDir = resolve(root, args.outDir ?? join(".slipway", "artifacts"))
  const buildDir = join(outDir, name)
  let result: ReturnType<typeof buildSync>
  try {
    result = buildSync({
      entryPoints: [entry],
      absWorkingDir: root,
      outfile: join(buildDir, file),
      write: false,
      bundle: true,
      platform: "node",
      format: esm ? "esm" : "cjs",
      target: args.target ?? "node22",
      mainFields: ["module", "main"],
      minify: args.minify ?? false,
      keepNames: true,
      sourcemap: args.sourcemap === true ? "external" : false,
      sourcesContent: false,
      legalComments: "none",
      metafile: false,
      charset: "utf8",
      logLevel: "silent",
      external: [...(args.external ?? [])],
      define: { "process.env.NODE_ENV": '"production"', ...args.define },
      // ESM output cannot `require`; CommonJS dependencies inside the bundle still do.
      ...(esm
        ? {
            banner: {
              js: "import { createRequire as __slipwayRequire } from 'node:module'; const require = __slipwayRequire(import.meta.url);",
            },
          }
        : {}),
    })
  } catch (cause) {
    const failure = cause as { errors?: ReadonlyArray<Message>; message?: string }
    throw new BundleError({
      entry: args.entry,
      errors: failure.errors?.map(formatMessage) ?? [String(failure.message ?? cause)],
    })
  }
  const built: Array<ZipEntry> = (result.outputFiles ?? []).map((out) => ({
    path: basename(out.path),
    content: out.contents,
  }))
  const entries = [...built, ...(args.files ?? [])]
  const zip = deterministicZip(entries)
  const hash = createHash("sha256").update(zip).digest()

  const path = join(outDir, `${name}.zip`)
  mkdirSync(outDir, { recursive: true })
  const current = existsSync(path) ? readFileSync(path) : undefined
  if (current === undefined || !current.equals(zip)) {
    // Atomic: a concurrent reader never sees half an archive.
    const tmp = `${path}.${process.pid}.tmp`
    writeFileSync(tmp, zip)
    renameSync(tmp, path)
  }
  return {
    path,
    archive: new pulumi.asset.FileArchive(path),
    handler: `${basename(file, extname(file))}.${handler}`,
    digest: `sha256:${hash.toString("hex")}`,
    sourceCodeHash: hash.toString("base64"),
    bytes: zip.length,
    files: entries.map((e) => e.path.replace(/\\/g, "/")).sort(),
  }
}
