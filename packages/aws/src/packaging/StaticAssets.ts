/**
 * A folder of static files (a built front end, images, fonts) uploaded to a private S3
 * bucket, one object per file, for an app to serve or hand out. The folder is read when
 * the program runs, before anything is registered, so a missing or empty build fails the
 * update before anything in AWS changes.
 *
 * Revisions never share objects. Every key is `<prefix><digest>/<path>`, the digest
 * hashing what the objects serve: each file's path, bytes, content type and
 * `Cache-Control` (not where the folder is, nor timestamps). The same build gives the same
 * keys, so no diff; any change gives every file a new key, so no object is ever rewritten
 * in place. A service hands the prefix to its app through the task definition, launch
 * template or Lambda version — all per revision — so during a canary or blue/green the
 * stable revision reads its own files while the candidate reads the new ones, and a
 * rollback returns to a revision whose files are still there.
 *
 * How an old revision's objects go. Each object is a Pulumi resource named after its key,
 * so a new revision registers new resources rather than replacing the old ones: the old
 * revision's objects are simply no longer in the program. Pulumi deletes such resources
 * only once the program has finished and every create and update of the `pulumi up` has
 * succeeded — for a driven rollout, which runs inside the update, that is after the
 * candidate was promoted. So:
 * - a failed update (a gate failed and the rollout rolled back, a build or an upload
 *   failed, the update was interrupted) deletes nothing: the stable revision keeps its
 *   files. The candidate's stay too; the next successful update deletes whichever revision
 *   its program no longer has (back on the old folder, that is the candidate's).
 *   `pulumi up --continue-on-error` is the exception: it goes on to delete what the failed
 *   step does not depend on.
 * - Replacing an object under a fixed name would be unsafe: Pulumi marks the replaced
 *   object pending deletion and, if the update fails, deletes it at the end of the next
 *   successful update whatever that program says — the stable revision's files included.
 * - `retainOldRevisions: true` makes Pulumi forget removed objects instead of deleting
 *   them. Native rollouts need it: ECS deployments, instance refreshes and CodeDeploy shift
 *   traffic (and roll back) after `pulumi up` has returned, while the old revision still
 *   serves. The services set it unless `rollout.mode` is `"driven"`. Retained revisions
 *   accumulate, one per change of the folder; delete a `<prefix><digest>/` prefix once no
 *   task definition, launch template or version that can still serve reads it.
 *
 * Each object also carries the MD5 of its bytes (`sourceHash`, and `etag` where S3's ETag
 * is that MD5), so a refresh shows an object changed behind Pulumi's back.
 */

import { createHash } from "node:crypto"
import { lstatSync, readdirSync, readFileSync, realpathSync, type Stats, statSync } from "node:fs"
import { extname, isAbsolute, join, relative, resolve, sep } from "node:path"
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import { canonicalJson } from "@slipway/core"
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
// 64 bits of SHA-256: a collision between two builds of one folder is not a practical risk.
const DIGEST_HEX = 16
// The `<digest>/` segment every key carries after `prefix`.
const DIGEST_SEGMENT_BYTES = DIGEST_HEX + 1

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
   * Key prefix for every object: path segments ending in `/` (default: none). Each
   * revision's objects go under `<prefix><digest>/`; the read policy grants the keys under
   * `prefix`, every revision's.
   *
   * @example
   * { prefix: "static/" }
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
   * Leave a revision's objects in the bucket when a later update no longer has them
   * (Pulumi forgets them instead of deleting them), for rollouts that go on after
   * `pulumi up` returns. Default `false`: deleted at the end of the update that drops them.
   *
   * @example
   * { retainOldRevisions: true }
   */
  readonly retainOldRevisions?: boolean
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
  /** Hex SHA-256 of the bytes. */
  readonly sha256: string
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
          sha256: createHash("sha256").update(content).digest("hex"),
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

/** The arguments that decide which objects there are and what they hold. */
type InspectedArgs = Pick<StaticAssetsArgs, "directory" | "prefix" | "cacheControl" | "retainOldRevisions">

/**
 * The content digest of a revision: SHA-256 over each file's path, bytes, content type and
 * `Cache-Control`, in path order — everything an object serves, so a change to any of it
 * makes new keys instead of rewriting the objects another revision reads.
 */
const revisionDigest = (
  files: ReadonlyArray<AssetFile>,
  args: Pick<StaticAssetsArgs, "cacheControl">,
): string =>
  createHash("sha256")
    .update(
      canonicalJson({
        v: 1,
        files: files.map((f) => [
          f.path,
          f.sha256,
          assetContentType(f.path),
          cacheControlFor(args, f.path) ?? "",
        ]),
      }),
    )
    .digest("hex")
    .slice(0, DIGEST_HEX)

/**
 * Checks the folder and arguments now and derives the revision's digest (empty when there
 * are problems); `argPrefix` places the names (`assets.` in a service).
 */
const inspectAssets = (
  args: InspectedArgs,
  argPrefix: string,
): {
  readonly files: ReadonlyArray<AssetFile>
  readonly problems: ReadonlyArray<ArgProblem>
  readonly digest: string
} => {
  if (typeof args.directory !== "string" || args.directory === "") {
    return {
      files: [],
      problems: [{ arg: `${argPrefix}directory`, problem: "is missing", fix: FIX_DIRECTORY }],
      digest: "",
    }
  }
  const scan = scanDirectory(args.directory, `${argPrefix}directory`)
  const problems = [...scan.problems, ...prefixProblems(args.prefix, `${argPrefix}prefix`)]
  if (args.retainOldRevisions !== undefined && typeof args.retainOldRevisions !== "boolean") {
    problems.push({
      arg: `${argPrefix}retainOldRevisions`,
      problem: "is not a boolean",
      fix: "use true or false",
    })
  }
  for (const file of scan.files) {
    const keyBytes = Buffer.byteLength(`${args.prefix ?? ""}${file.path}`, "utf8") + DIGEST_SEGMENT_BYTES
    if (keyBytes > KEY_MAX_BYTES) {
      problems.push({
        arg: `${argPrefix}directory`,
        problem: `${file.path} makes a key longer than S3's ${KEY_MAX_BYTES} bytes (with the ${DIGEST_SEGMENT_BYTES}-byte revision segment)`,
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
  return {
    files: scan.files,
    problems,
    digest: problems.length === 0 ? revisionDigest(scan.files, args) : "",
  }
}

/**
 * Problems with a service's `assets` argument, named `assets.directory` / `assets.prefix`,
 * so a service refuses them before registering anything.
 */
export const staticAssetsProblems = (args: InspectedArgs, argPrefix: string): ReadonlyArray<ArgProblem> =>
  inspectAssets(args, argPrefix).problems

/**
 * A private, encrypted S3 bucket holding one object per file of a folder, with the IAM
 * policy an app's role needs to read them.
 *
 * Children: the bucket (public access blocked, ACLs off, SSE-S3 or SSE-KMS by default,
 * TLS-only policy) and one `aws.s3.BucketObjectv2` per file, in path order, keyed
 * `<prefix><digest>/<path>` (the digest of the folder's contents, see {@link prefix}),
 * with its content type, MD5 and `Cache-Control`. An unchanged folder changes nothing on
 * the next update; a changed one uploads a new revision beside the old, whose objects are
 * deleted at the end of a successful update (or kept, with `retainOldRevisions`).
 *
 * Type token `slipway:aws:StaticAssets`.
 *
 * @example
 * import * as aws from "@pulumi/aws"
 * import * as pulumi from "@pulumi/pulumi"
 * import { StaticAssets } from "@slipway/aws"
 *
 * const assets = new StaticAssets("web-assets", {
 *   directory: "web/dist",
 *   prefix: "static/",
 *   cacheControl: (path) => (path === "index.html" ? "no-cache" : "public, max-age=31536000, immutable"),
 * })
 * new aws.iam.RolePolicy("web-assets-read", { role: appRole.id, policy: assets.readPolicyJson })
 * // Hand the prefix to the app through what is per revision (a published Lambda version, a
 * // task definition, a launch template version), never through something revisions share.
 * new aws.lambda.Function("web", {
 *   role: appRole.arn,
 *   code: new pulumi.asset.FileArchive("dist/web.zip"),
 *   handler: "index.handler",
 *   runtime: "nodejs22.x",
 *   publish: true,
 *   environment: { variables: { ASSETS_BUCKET: assets.bucketName, ASSETS_PREFIX: assets.prefix } },
 * })
 * export const prefix = assets.prefix // "static/3f9c0a1d2b4e5f60/"
 */
export class StaticAssets extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>
  readonly bucketArn: pulumi.Output<string>
  /**
   * Where this revision's objects are: `<args.prefix><digest>/`; a file's key is
   * `<prefix><path>`. Known while the program runs (no `Output`), and the same for the same
   * folder contents.
   */
  readonly prefix: string
  /** 16 hex digits of SHA-256 over the files' paths, bytes, content types and `Cache-Control`. */
  readonly digest: string
  /** Every object's key, sorted. */
  readonly objectKeys: ReadonlyArray<string>
  /**
   * An IAM policy document granting `s3:GetObject` on exactly `<bucketArn>/<args.prefix>*`
   * (and `kms:Decrypt` on the key with `kmsKeyArn`), for an app's task or instance role.
   * It covers every revision's objects, so it does not change from one revision to the
   * next: one role serves the stable and the candidate revision during a rollout, and a
   * grant narrowed to the new revision would cut the stable one off mid-rollout.
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
    const { files, problems, digest } = inspectAssets(args, "")
    check.problems.push(...problems)
    check.throwIfAny()
    super(TYPE, name, {}, opts)

    const base = args.prefix ?? ""
    const prefix = `${base}${digest}/`
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
    const afterBucket: pulumi.CustomResourceOptions = {
      parent: this,
      dependsOn: [publicAccessBlock, ownership, encryption],
      ...(args.retainOldRevisions === true ? { retainOnDelete: true } : {}),
    }
    const objects = files.map((file) => {
      const key = `${prefix}${file.path}`
      const cacheControl = cacheControlFor(args, file.path)
      return createChild(
        aws.s3.BucketObjectv2,
        // Named after the key, digest included: a new revision is new resources beside the
        // old ones, never a replacement (see the module comment for why that matters).
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
    this.digest = digest
    this.objectKeys = files.map((f) => `${prefix}${f.path}`)
    this.readPolicyJson = pulumi.all([bucket.arn, args.kmsKeyArn]).apply(([arn, keyArn]) => {
      const statements: Array<Statement> = [
        {
          Sid: "ReadStaticAssets",
          Effect: "Allow",
          Action: ["s3:GetObject"],
          // `base`, not `prefix`: see `readPolicyJson`.
          Resource: [`${arn}/${base}*`],
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
      prefix: this.prefix,
      digest: this.digest,
      objectKeys: this.objectKeys,
      readPolicyJson: this.readPolicyJson,
    })
  }
}
