/**
 * A folder of static files (a built front end, images, fonts) uploaded to a private S3
 * bucket, one object per file, for an app to serve or hand out. The folder is read when
 * the program runs, before anything is registered, so a missing or empty build fails the
 * update before anything in AWS changes.
 *
 * Each object carries the MD5 of its bytes (`sourceHash`, and `etag` where S3's ETag is
 * that MD5), so Pulumi re-uploads exactly the files whose bytes changed: an unchanged file
 * shows no diff however often the folder is rebuilt.
 */

import { createHash } from "node:crypto"
import { lstatSync, readdirSync, readFileSync, realpathSync, type Stats, statSync } from "node:fs"
import { extname, isAbsolute, join, relative, resolve, sep } from "node:path"
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import {
  type ArgProblem,
  ArgProblems,
  componentTags,
  createChild,
  type Tags,
  type Transform,
} from "../component.ts"
import { createPrivateBucket } from "../privateBucket.ts"
import { policyDocument, type Statement } from "../services/iam.ts"

const TYPE = "slipway:aws:StaticAssets"

// S3 reports an MD5 ETag only for single-part uploads without SSE-KMS; the SDK's uploader
// switches to multipart above its 5 MiB part size. Past that, `sourceHash` alone tracks changes.
const ETAG_MAX_BYTES = 5 * 1024 * 1024
const KEY_MAX_BYTES = 1024

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".map": "application/json",
}

/**
 * The `Content-Type` an asset is served with, from its extension (case-insensitive);
 * `application/octet-stream` for anything not in the table.
 *
 * @example
 * import { assetContentType } from "@slipway/aws"
 * assetContentType("css/site.CSS") // "text/css; charset=utf-8"
 * assetContentType("data.bin") // "application/octet-stream"
 */
export const assetContentType = (path: string): string =>
  CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream"

/**
 * Arguments of a {@link StaticAssets}.
 *
 * @example
 * import type { StaticAssetsArgs } from "@slipway/aws"
 * const args: StaticAssetsArgs = {
 *   directory: "web/dist",
 *   prefix: "static/",
 *   cacheControl: (path) => (path.endsWith(".html") ? "no-cache" : "public, max-age=31536000, immutable"),
 * }
 */
export interface StaticAssetsArgs {
  /**
   * The folder to upload, every file below it (relative paths are from the current
   * directory, which is the Pulumi project's). Symbolic links are followed only when they
   * point inside the folder.
   *
   * @example
   * { directory: "web/dist" }
   */
  readonly directory: string
  /**
   * Key prefix for every object: path segments ending in `/` (default: none). The read
   * policy grants exactly the keys under it.
   *
   * @example
   * { prefix: "static/v1/" }
   */
  readonly prefix?: string
  /**
   * `Cache-Control` for every object, or a function of the file's path in the folder
   * (`/`-separated, without `prefix`) returning it (an empty string sets none). Default: none.
   *
   * @example
   * { cacheControl: "public, max-age=300" }
   */
  readonly cacheControl?: string | ((path: string) => string)
  /**
   * Encrypt with this KMS key (SSE-KMS) instead of S3-managed keys (SSE-S3); the read
   * policy then also grants `kms:Decrypt` on it.
   *
   * @example
   * { kmsKeyArn: key.arn }
   */
  readonly kmsKeyArn?: pulumi.Input<string>
  /**
   * Tags for the bucket (objects are not tagged: S3 allows 10 tags per object).
   *
   * @example
   * { tags: { team: "web" } }
   */
  readonly tags?: Tags
  /**
   * Adjust a child before it is created; `object` applies to every object.
   *
   * @example
   * { transform: { object: (args) => { args.contentDisposition = "inline" } } }
   */
  readonly transform?: {
    readonly bucket?: Transform<aws.s3.BucketArgs>
    readonly policy?: Transform<aws.s3.BucketPolicyArgs>
    readonly object?: Transform<aws.s3.BucketObjectv2Args>
  }
}

/** One file found in the folder. */
interface AssetFile {
  /** Path inside the folder, `/`-separated. */
  readonly path: string
  /** Absolute path on disk (through links inside the folder). */
  readonly source: string
  readonly bytes: number
  /** Hex MD5 of the bytes. */
  readonly md5: string
}

const FIX_DIRECTORY =
  'pass the folder holding the built files, relative to the Pulumi project (e.g. "web/dist")'

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path)
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

/**
 * Every file below `directory`, sorted by path, with the problems found on the way.
 * `arg` names the argument in problems (`directory`, or `assets.directory` in a service).
 */
const scanDirectory = (
  directory: string,
  arg: string,
): { readonly files: ReadonlyArray<AssetFile>; readonly problems: ReadonlyArray<ArgProblem> } => {
  const problems: Array<ArgProblem> = []
  const files: Array<AssetFile> = []
  const root = resolve(directory)
  let rootStats: Stats
  try {
    rootStats = statSync(root)
  } catch {
    problems.push({ arg, problem: `"${directory}" does not exist (looked at ${root})`, fix: FIX_DIRECTORY })
    return { files, problems }
  }
  if (!rootStats.isDirectory()) {
    problems.push({ arg, problem: `"${directory}" is not a folder`, fix: FIX_DIRECTORY })
    return { files, problems }
  }
  const realRoot = realpathSync(root)
  // Real paths of the folders being walked: a link back to one of them would never end.
  const walking = new Set<string>()
  const walk = (dir: string, real: string, prefix: string): void => {
    walking.add(real)
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${prefix}${entry.name}`
      const full = join(dir, entry.name)
      let target = full
      let stats: Stats = lstatSync(full)
      if (stats.isSymbolicLink()) {
        try {
          target = realpathSync(full)
        } catch {
          problems.push({
            arg,
            problem: `${path} is a broken symbolic link`,
            fix: "remove it or fix its target",
          })
          continue
        }
        if (!inside(realRoot, target)) {
          problems.push({
            arg,
            problem: `${path} is a symbolic link to ${target}, outside the folder`,
            fix: "copy the file into the folder instead of linking to it",
          })
          continue
        }
        stats = statSync(target)
      }
      if (stats.isDirectory()) {
        const real = realpathSync(target)
        if (walking.has(real)) {
          problems.push({
            arg,
            problem: `${path} is a symbolic link to a folder containing it`,
            fix: "remove the link",
          })
        } else {
          walk(full, real, `${path}/`)
        }
      } else if (stats.isFile()) {
        const content = readFileSync(target)
        files.push({
          path,
          source: full,
          bytes: content.length,
          md5: createHash("md5").update(content).digest("hex"),
        })
      } else {
        problems.push({ arg, problem: `${path} is not a regular file`, fix: "remove it from the folder" })
      }
    }
    walking.delete(real)
  }
  walk(root, realRoot, "")
  if (files.length === 0 && problems.length === 0) {
    problems.push({
      arg,
      problem: `"${directory}" holds no files`,
      fix: "build the assets before `pulumi up`",
    })
  }
  // Code-unit order, not locale order: the same on every machine.
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { files, problems }
}

// Segments of S3's safe characters, each ending in "/". No `*` or `?` (IAM wildcards would
// widen the read grant) and no `$` (policy variables).
const PREFIX = /^(?:[A-Za-z0-9!_.'()-]+\/)*$/

const prefixProblems = (prefix: string | undefined, arg: string): Array<ArgProblem> => {
  if (prefix === undefined || prefix === "") return []
  const segments = prefix.split("/").slice(0, -1)
  if (!PREFIX.test(prefix) || segments.some((s) => s === "." || s === "..")) {
    return [
      {
        arg,
        problem: `"${prefix}" is not a key prefix`,
        fix: 'use path segments of letters, digits and ! _ . \' ( ) -, each ending in "/", e.g. "static/"',
      },
    ]
  }
  return []
}

const cacheControlFor = (args: Pick<StaticAssetsArgs, "cacheControl">, path: string): string | undefined => {
  const value = typeof args.cacheControl === "function" ? args.cacheControl(path) : args.cacheControl
  return value === undefined || value === "" ? undefined : value
}

/** Checks the folder and prefix now; `argPrefix` places the names (`assets.` in a service). */
const inspectAssets = (
  args: Pick<StaticAssetsArgs, "directory" | "prefix" | "cacheControl">,
  argPrefix: string,
): { readonly files: ReadonlyArray<AssetFile>; readonly problems: ReadonlyArray<ArgProblem> } => {
  if (typeof args.directory !== "string" || args.directory === "") {
    return {
      files: [],
      problems: [{ arg: `${argPrefix}directory`, problem: "is missing", fix: FIX_DIRECTORY }],
    }
  }
  const scan = scanDirectory(args.directory, `${argPrefix}directory`)
  const problems = [...scan.problems, ...prefixProblems(args.prefix, `${argPrefix}prefix`)]
  for (const file of scan.files) {
    const key = `${args.prefix ?? ""}${file.path}`
    if (Buffer.byteLength(key, "utf8") > KEY_MAX_BYTES) {
      problems.push({
        arg: `${argPrefix}directory`,
        problem: `${file.path} makes a key longer than S3's ${KEY_MAX_BYTES} bytes`,
        fix: "shorten the path or the prefix",
      })
    }
    if (typeof args.cacheControl === "function" && typeof args.cacheControl(file.path) !== "string") {
      problems.push({
        arg: `${argPrefix}cacheControl`,
        problem: `returned no string for ${file.path}`,
        fix: 'return a Cache-Control value for every path (or "" for none)',
      })
      break
    }
  }
  return { files: scan.files, problems }
}

/**
 * Problems with a service's `assets` argument, named `assets.directory` / `assets.prefix`,
 * so a service refuses them before registering anything.
 */
export const staticAssetsProblems = (
  args: Pick<StaticAssetsArgs, "directory" | "prefix" | "cacheControl">,
  argPrefix: string,
): ReadonlyArray<ArgProblem> => inspectAssets(args, argPrefix).problems

/**
 * A private, encrypted S3 bucket holding one object per file of a folder, with the IAM
 * policy an app's role needs to read them.
 *
 * Children: the bucket (public access blocked, ACLs off, SSE-S3 or SSE-KMS by default,
 * TLS-only policy) and one `aws.s3.BucketObjectv2` per file, in path order, keyed
 * `<prefix><path>`, with its content type, MD5 and `Cache-Control`. Unchanged files are
 * left alone on the next update; removed files are deleted.
 *
 * Type token `slipway:aws:StaticAssets`.
 *
 * @example
 * import * as aws from "@pulumi/aws"
 * import { StaticAssets } from "@slipway/aws"
 *
 * const assets = new StaticAssets("web-assets", {
 *   directory: "web/dist",
 *   prefix: "static/",
 *   cacheControl: (path) => (path === "index.html" ? "no-cache" : "public, max-age=31536000, immutable"),
 * })
 * new aws.iam.RolePolicy("web-assets-read", { role: appRole.id, policy: assets.readPolicyJson })
 * export const bucket = assets.bucketName
 */
export class StaticAssets extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>
  readonly bucketArn: pulumi.Output<string>
  /** The key prefix (`""` without one). */
  readonly prefix: string
  /** Every object's key, sorted. */
  readonly objectKeys: ReadonlyArray<string>
  /**
   * An IAM policy document granting `s3:GetObject` on exactly `<bucketArn>/<prefix>*`
   * (and `kms:Decrypt` on the key with `kmsKeyArn`), for an app's task or instance role.
   * Without `s3:ListBucket`, a missing key answers 403 rather than 404.
   */
  readonly readPolicyJson: pulumi.Output<string>
  /** The children, for wiring beyond what the outputs offer. */
  readonly resources: {
    readonly bucket: aws.s3.Bucket
    readonly objects: ReadonlyArray<aws.s3.BucketObjectv2>
  }

  constructor(name: string, args: StaticAssetsArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgProblems(TYPE, name)
    const { files, problems } = inspectAssets(args, "")
    check.problems.push(...problems)
    check.throwIfAny()
    super(TYPE, name, {}, opts)

    const prefix = args.prefix ?? ""
    const kms = args.kmsKeyArn !== undefined
    const { bucket, publicAccessBlock, ownership, encryption } = createPrivateBucket(
      name,
      {
        // Every object is managed here, so nothing is lost that the folder does not hold.
        forceDestroy: true,
        kmsKeyArn: args.kmsKeyArn,
        tags: componentTags(TYPE, name, args.tags),
        transform: args.transform,
      },
      this,
    )
    // Encrypted from the first upload, and never briefly readable through an ACL.
    const afterBucket = { parent: this, dependsOn: [publicAccessBlock, ownership, encryption] }
    const objects = files.map((file) => {
      const key = `${prefix}${file.path}`
      const cacheControl = cacheControlFor(args, file.path)
      return createChild(
        aws.s3.BucketObjectv2,
        `${name}-${key}`,
        {
          bucket: bucket.id,
          key,
          source: new pulumi.asset.FileAsset(file.source),
          contentType: assetContentType(file.path),
          sourceHash: file.md5,
          ...(!kms && file.bytes <= ETAG_MAX_BYTES ? { etag: file.md5 } : {}),
          ...(cacheControl !== undefined ? { cacheControl } : {}),
        },
        afterBucket,
        args.transform?.object,
      )
    })

    this.bucketName = bucket.bucket
    this.bucketArn = bucket.arn
    this.prefix = prefix
    this.objectKeys = files.map((f) => `${prefix}${f.path}`)
    this.readPolicyJson = pulumi.all([bucket.arn, args.kmsKeyArn]).apply(([arn, keyArn]) => {
      const statements: Array<Statement> = [
        {
          Sid: "ReadStaticAssets",
          Effect: "Allow",
          Action: ["s3:GetObject"],
          Resource: [`${arn}/${prefix}*`],
        },
      ]
      if (keyArn !== undefined) {
        statements.push({
          Sid: "DecryptStaticAssets",
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: [keyArn],
        })
      }
      return policyDocument(statements)
    })
    this.resources = { bucket, objects }
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      objectKeys: this.objectKeys,
      readPolicyJson: this.readPolicyJson,
    })
  }
}
