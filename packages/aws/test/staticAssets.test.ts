import { createHash } from "node:crypto"
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type * as aws from "@pulumi/aws"
import type * as pulumi from "@pulumi/pulumi"
import * as pulumiRuntime from "@pulumi/pulumi"
import * as strategies from "@slipway/strategies"
import { checkPolicies, PulumiProgramError, type PulumiRun, runPulumiProgram } from "@slipway/testing"
import {
  assetContentType,
  ComponentArgsInvalid,
  Ec2Service,
  FargateService,
  LambdaService,
  StaticAssets,
  type StaticAssetsArgs,
} from "../src/index.ts"
import { certificateArn, domain, image, network, refusedBy } from "./fixtures.ts"

const T = {
  component: "slipway:aws:StaticAssets",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  bucket: "aws:s3/bucket:Bucket",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  role: "aws:iam/role:Role",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  function: "aws:lambda/function:Function",
  rollout: "pulumi-nodejs:dynamic:Resource",
} as const

const scratch = mkdtempSync(join(tmpdir(), "slipway-assets-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const md5 = (text: string) => createHash("md5").update(text).digest("hex")

/** Writes a folder of files (path → content) and returns its path. */
const folder = (name: string, files: Readonly<Record<string, string>>): string => {
  const root = join(scratch, name)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  return root
}

const site = folder("site", {
  "index.html": "<!doctype html><title>web</title>",
  "css/site.css": "body { margin: 0 }",
  "js/app.mjs": "export const answer = 42",
  "js/app.mjs.map": "{}",
  "img/Logo.PNG": "png-bytes",
  "fonts/inter.woff2": "font-bytes",
  "data/blob.bin": "\u0000\u0001",
})

const upload = (args: StaticAssetsArgs) =>
  runPulumiProgram(() => {
    const assets = new StaticAssets("web-assets", args)
    return {
      bucketName: assets.bucketName,
      bucketArn: assets.bucketArn,
      prefix: assets.prefix,
      digest: assets.digest,
      objectKeys: assets.objectKeys,
      readPolicyJson: assets.readPolicyJson,
    }
  })

const objects = (run: PulumiRun<unknown>) => run.byType(T.object)

const refusal = async (args: StaticAssetsArgs): Promise<ComponentArgsInvalid> => {
  const error = await upload(args).then(
    () => assert.fail("expected the arguments to be refused"),
    (e: unknown) => e,
  )
  assert.instanceOf(error, PulumiProgramError)
  assert.deepStrictEqual(error.resources, [], "nothing is registered")
  assert.instanceOf(error.cause, ComponentArgsInvalid)
  return error.cause
}

/** `<prefix><16 hex>/`: the prefix a revision's keys share. */
const revisionPrefix = (prefix: string) => new RegExp(`^${prefix.replaceAll("/", "\\/")}[0-9a-f]{16}\\/$`)

/** Every object as name → inputs that say what it serves (not where the file was read from). */
const served = (run: PulumiRun<unknown>) =>
  Object.fromEntries(
    objects(run).map((o) => [
      o.name,
      {
        key: o.inputs.key,
        contentType: o.inputs.contentType,
        sourceHash: o.inputs.sourceHash,
        etag: o.inputs.etag,
      },
    ]),
  )

/** The options each object was created with, seen through the object transform. */
const objectOptions = () => {
  const seen: Array<pulumi.CustomResourceOptions> = []
  const object = (_args: aws.s3.BucketObjectv2Args, opts: pulumi.CustomResourceOptions) => {
    seen.push({ ...opts })
  }
  return { seen, object }
}

describe("StaticAssets", () => {
  it("uploads one object per file under the revision's prefix, in path order, with its content type, MD5 and cache control", async () => {
    const run = await upload({
      directory: site,
      prefix: "static/",
      cacheControl: (path) => (path === "index.html" ? "no-cache" : "public, max-age=31536000, immutable"),
    })
    const expected = [
      ["css/site.css", "text/css; charset=utf-8", "body { margin: 0 }"],
      ["data/blob.bin", "application/octet-stream", "\u0000\u0001"],
      ["fonts/inter.woff2", "font/woff2", "font-bytes"],
      ["img/Logo.PNG", "image/png", "png-bytes"],
      ["index.html", "text/html; charset=utf-8", "<!doctype html><title>web</title>"],
      ["js/app.mjs", "text/javascript; charset=utf-8", "export const answer = 42"],
      ["js/app.mjs.map", "application/json", "{}"],
    ] as const
    const prefix = run.outputs.prefix
    assert.match(prefix, revisionPrefix("static/"))
    assert.strictEqual(prefix, `static/${run.outputs.digest}/`)
    assert.deepStrictEqual(
      run.outputs.objectKeys,
      expected.map(([path]) => `${prefix}${path}`),
    )
    const component = run.get(T.component, "web-assets")
    assert.strictEqual(component.outputs.prefix, prefix)
    const records = objects(run)
    assert.strictEqual(records.length, expected.length)
    for (const [i, [path, contentType, content]] of expected.entries()) {
      const object = records[i]!
      assert.strictEqual(object.parent, component.urn)
      assert.strictEqual(object.name, `web-assets-${prefix}${path}`)
      assert.strictEqual(object.inputs.key, `${prefix}${path}`)
      assert.strictEqual(object.inputs.bucket, run.outputs.bucketName)
      assert.strictEqual(object.inputs.contentType, contentType)
      assert.strictEqual(object.inputs.sourceHash, md5(content))
      assert.strictEqual(object.inputs.etag, md5(content))
      assert.strictEqual(await object.inputs.source.path, join(site, path))
      assert.strictEqual(
        object.inputs.cacheControl,
        path === "index.html" ? "no-cache" : "public, max-age=31536000, immutable",
      )
    }
  })

  describe("revisions", () => {
    it("gives the same files the same prefix, keys and objects, however often and wherever they are built", async () => {
      const dir = folder("stable", { "index.html": "v1", "js/app.js": "same" })
      const first = await upload({ directory: dir, prefix: "static/" })
      const again = await upload({ directory: dir, prefix: "static/" })
      // A rebuild elsewhere: other absolute paths, other timestamps, same bytes.
      const copy = join(scratch, "stable-copy")
      cpSync(dir, copy, { recursive: true })
      utimesSync(join(copy, "index.html"), new Date(0), new Date(0))
      const moved = await upload({ directory: copy, prefix: "static/" })
      for (const run of [again, moved]) {
        assert.strictEqual(run.outputs.prefix, first.outputs.prefix)
        assert.deepStrictEqual(run.outputs.objectKeys, first.outputs.objectKeys)
        assert.deepStrictEqual(served(run), served(first), "same resource names and inputs: no diff")
      }
    })

    it("moves every key to a new prefix when one file changes, leaving no object of the old revision to rewrite", async () => {
      const dir = folder("edited", { "index.html": "v1", "js/app.js": "same" })
      const before = await upload({ directory: dir, prefix: "static/" })
      writeFileSync(join(dir, "index.html"), "v2")
      const after = await upload({ directory: dir, prefix: "static/" })
      const [oldPrefix, newPrefix] = [before.outputs.prefix, after.outputs.prefix]
      assert.match(newPrefix, revisionPrefix("static/"))
      assert.notStrictEqual(newPrefix, oldPrefix)
      assert.deepStrictEqual(after.outputs.objectKeys, [`${newPrefix}index.html`, `${newPrefix}js/app.js`])
      // No key and no resource of the old revision is in the new program: Pulumi creates the
      // new objects and deletes the old ones at the end, it never updates one in place.
      const oldNames = Object.keys(served(before))
      for (const [name, object] of Object.entries(served(after))) {
        assert.notInclude(oldNames, name)
        assert.isFalse(object.key.startsWith(oldPrefix), `${object.key} is under the old revision's prefix`)
      }
      // The unchanged file is uploaded again, with the same bytes, under the new prefix.
      const app = (run: PulumiRun<unknown>) => objects(run).find((o) => o.inputs.key.endsWith("js/app.js"))!
      assert.strictEqual(app(after).inputs.sourceHash, app(before).inputs.sourceHash)
    })

    it("counts what the objects serve besides their bytes: a new Cache-Control is a new revision", async () => {
      const dir = folder("cached", { "index.html": "same" })
      const short = await upload({ directory: dir, cacheControl: "public, max-age=60" })
      const long = await upload({ directory: dir, cacheControl: "public, max-age=3600" })
      assert.notStrictEqual(long.outputs.prefix, short.outputs.prefix)
    })

    it("lets Pulumi delete a dropped revision's objects unless retainOldRevisions keeps them", async () => {
      const deleted = objectOptions()
      await upload({ directory: site, transform: { object: deleted.object } })
      assert.strictEqual(deleted.seen.length, 7)
      for (const opts of deleted.seen) assert.notStrictEqual(opts.retainOnDelete, true)

      const kept = objectOptions()
      await upload({ directory: site, retainOldRevisions: true, transform: { object: kept.object } })
      assert.strictEqual(kept.seen.length, 7)
      for (const opts of kept.seen) assert.strictEqual(opts.retainOnDelete, true)
    })
  })

  it("keeps the bucket private, encrypted and TLS-only, so the stack passes the policy checks", async () => {
    const run = await upload({ directory: site, cacheControl: "public, max-age=60", tags: { team: "web" } })
    assert.deepInclude(run.get(T.publicAccess).inputs, {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    })
    assert.strictEqual(run.get(T.ownership).inputs.rule.objectOwnership, "BucketOwnerEnforced")
    assert.deepStrictEqual(run.get(T.encryption).inputs.rules, [
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
    ])
    const [deny] = JSON.parse(run.get(T.bucketPolicy).inputs.policy).Statement
    assert.deepStrictEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } })
    assert.strictEqual(deny.Effect, "Deny")
    assert.include(run.get(T.bucket, "web-assets-bucket").inputs.tags, { team: "web" })
    assert.deepStrictEqual(checkPolicies(run.resources), [])
    for (const object of objects(run)) assert.strictEqual(object.inputs.cacheControl, "public, max-age=60")
  })

  it("grants s3:GetObject on exactly the prefix's keys, every revision's, with the same policy whatever the files", async () => {
    const run = await upload({ directory: site, prefix: "static/v1/" })
    assert.deepStrictEqual(JSON.parse(run.outputs.readPolicyJson), {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadStaticAssets",
          Effect: "Allow",
          Action: ["s3:GetObject"],
          Resource: [`${run.outputs.bucketArn}/static/v1/*`],
        },
      ],
    })
    // The role serves the stable and the candidate revision at once: a new revision must not
    // change the grant, or updating it would cut the stable revision off mid-rollout.
    const other = await upload({
      directory: folder("policy-other", { "index.html": "other" }),
      prefix: "static/v1/",
    })
    assert.notStrictEqual(other.outputs.prefix, run.outputs.prefix)
    assert.strictEqual(other.outputs.readPolicyJson, run.outputs.readPolicyJson)
  })

  it("encrypts with a KMS key: no ETag (S3's is not an MD5 then) and the readers may decrypt", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c"
    const run = await upload({ directory: site, kmsKeyArn: key })
    assert.deepStrictEqual(run.get(T.encryption).inputs.rules, [
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key },
        bucketKeyEnabled: true,
      },
    ])
    for (const object of objects(run)) {
      assert.isUndefined(object.inputs.etag)
      assert.match(object.inputs.sourceHash, /^[a-f0-9]{32}$/)
    }
    const statements = JSON.parse(run.outputs.readPolicyJson).Statement
    assert.deepStrictEqual(statements[1], {
      Sid: "DecryptStaticAssets",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [key],
    })
    assert.deepStrictEqual(checkPolicies(run.resources), [])
  })

  it("follows links inside the folder and applies the object transform to every object", async () => {
    const dir = folder("linked", { "real/app.js": "code" })
    symlinkSync(join(dir, "real"), join(dir, "alias"))
    const run = await upload({
      directory: dir,
      transform: {
        object: (args) => {
          args.contentDisposition = "inline"
        },
      },
    })
    assert.deepStrictEqual(run.outputs.objectKeys, [
      `${run.outputs.prefix}alias/app.js`,
      `${run.outputs.prefix}real/app.js`,
    ])
    for (const object of objects(run)) assert.strictEqual(object.inputs.contentDisposition, "inline")
  })

  describe("refuses before registering anything", () => {
    it("a folder that does not exist", async () => {
      const error = await refusal({ directory: join(scratch, "missing") })
      assert.strictEqual(error.problems[0]!.arg, "directory")
      assert.include(error.message, "does not exist")
    })

    it("a file instead of a folder", async () => {
      const error = await refusal({ directory: join(site, "index.html") })
      assert.strictEqual(error.problems[0]!.arg, "directory")
      assert.include(error.message, "is not a folder")
    })

    it("a folder without files", async () => {
      const empty = join(scratch, "empty", "nested")
      mkdirSync(empty, { recursive: true })
      const error = await refusal({ directory: dirname(empty) })
      assert.include(error.message, "holds no files")
    })

    it("a symbolic link leading out of the folder", async () => {
      const dir = folder("escape", { "index.html": "ok" })
      symlinkSync(join(site, "css", "site.css"), join(dir, "stolen.css"))
      const error = await refusal({ directory: dir })
      assert.deepStrictEqual(
        error.problems.map((p) => p.arg),
        ["directory"],
      )
      assert.include(error.message, "stolen.css is a symbolic link")
      assert.include(error.message, "outside the folder")
    })

    it("a symbolic link back to a folder containing it", async () => {
      const dir = folder("cycle", { "a/index.html": "ok" })
      symlinkSync(dir, join(dir, "a", "loop"))
      const error = await refusal({ directory: dir })
      assert.include(error.message, "a/loop is a symbolic link to a folder containing it")
    })

    it("a path that fits S3's key limit only without the revision segment", async () => {
      // 1024 bytes with the prefix alone; the `<digest>/` segment makes it 1041.
      const prefix = `${"p".repeat(1000)}/`
      const dir = folder("long-key", { [`${"f".repeat(19)}.txt`]: "x" })
      const error = await refusal({ directory: dir, prefix })
      assert.strictEqual(error.problems[0]!.arg, "directory")
      assert.include(error.message, "longer than S3's 1024 bytes")
      const fits = folder("shorter-key", { [`${"f".repeat(2)}.txt`]: "x" })
      const run = await upload({ directory: fits, prefix })
      assert.strictEqual(Buffer.byteLength(run.outputs.objectKeys[0]!, "utf8"), 1024)
    })

    it("a retainOldRevisions that is not a boolean", async () => {
      const error = await refusal({ directory: site, retainOldRevisions: "yes" as unknown as boolean })
      assert.strictEqual(error.problems[0]!.arg, "retainOldRevisions")
    })

    it("a prefix that is not path segments ending in '/', or that would widen the grant", async () => {
      for (const prefix of ["static", "/static/", "a/../b/", "static*/"]) {
        const error = await refusal({ directory: site, prefix })
        assert.strictEqual(error.problems[0]!.arg, "prefix", prefix)
      }
    })
  })

  it("types content by extension, whatever its case", () => {
    assert.strictEqual(assetContentType("a/B.JPEG"), "image/jpeg")
    assert.strictEqual(assetContentType("favicon.ico"), "image/x-icon")
    assert.strictEqual(assetContentType("LICENSE"), "application/octet-stream")
  })
})

// ---------------------------------------------------------------- services

/** The inline policy of a role, as statements. */
const inlinePolicy = (run: PulumiRun<unknown>, policyName: string, roleName: string) => {
  const policy = run.get(T.rolePolicy, policyName)
  assert.strictEqual(policy.inputs.role, run.get(T.role, roleName).id)
  return JSON.parse(policy.inputs.policy).Statement
}

/** A folder for one service test, and an edit of one of its files (the next revision). */
const buildOutput = (name: string) => {
  const dir = folder(name, { "index.html": "v1", "js/app.js": "unchanged" })
  return { dir, edit: () => writeFileSync(join(dir, "index.html"), "v2") }
}

/** What a run of service `name` uploaded: the revision's prefix and the objects' keys and names. */
const uploaded = (run: PulumiRun<unknown>, name: string) => ({
  prefix: run.get(T.component, `${name}-assets`).outputs.prefix as string,
  keys: objects(run).map((o) => o.inputs.key as string),
  names: objects(run).map((o) => o.name),
})

/**
 * Revision 2 leaves revision 1's files alone: none of its objects has a key under revision
 * 1's prefix or the name of one of revision 1's resources, so Pulumi creates the new objects
 * beside the old ones and never rewrites an object the old revision reads.
 */
const assertSeparate = (first: ReturnType<typeof uploaded>, second: ReturnType<typeof uploaded>): void => {
  assert.notStrictEqual(second.prefix, first.prefix)
  assert.isTrue(first.keys.every((k) => k.startsWith(first.prefix)))
  assert.isTrue(second.keys.every((k) => k.startsWith(second.prefix)))
  assert.isEmpty(second.keys.filter((k) => first.keys.includes(k)))
  assert.isEmpty(second.names.filter((n) => first.names.includes(n)))
}

/**
 * Deploys `program` over a fresh build folder, edits one file and deploys again: both runs
 * with the options each revision's objects got, and what each revision uploaded, which
 * `assertSeparate` has checked.
 */
const deployTwice = async <A>(
  folderName: string,
  name: string,
  program: (directory: string, object: ReturnType<typeof objectOptions>["object"]) => A,
) => {
  const build = buildOutput(folderName)
  const deploy = async () => {
    const options = objectOptions()
    const run = await runPulumiProgram(() => program(build.dir, options.object))
    return { run, options: options.seen }
  }
  const v1 = await deploy()
  build.edit()
  const v2 = await deploy()
  const [first, second] = [uploaded(v1.run, name), uploaded(v2.run, name)]
  assertSeparate(first, second)
  return { v1, v2, first, second }
}

const containerEnvironment = (run: PulumiRun<unknown>): Record<string, string> =>
  Object.fromEntries(
    JSON.parse(run.get(T.taskDefinition).inputs.containerDefinitions)[0].environment.map(
      (v: { name: string; value: string }) => [v.name, v.value],
    ),
  )

const userData = (run: PulumiRun<unknown>): string =>
  Buffer.from(run.get(T.launchTemplate, "web").inputs.userData, "base64").toString("utf8")

describe("FargateService with assets", () => {
  it("lets the task role read exactly its files and tells the app where its revision's are", async () => {
    const run = await runPulumiProgram(() => {
      const web = new FargateService("web", {
        network,
        certificateArn,
        image,
        environment: { LOG_LEVEL: "info" },
        assets: { directory: site, prefix: "static/" },
      })
      return { bucket: web.assetsBucketName }
    })
    const assets = run.get(T.component, "web-assets")
    const bucket = run.get(T.bucket, "web-assets-bucket")
    assert.strictEqual(run.outputs.bucket, bucket.outputs.bucket)
    assert.strictEqual(objects(run).length, 7)
    assert.isTrue(objects(run).every((o) => o.parent === assets.urn))

    assert.deepStrictEqual(inlinePolicy(run, "web-assets", "web-task"), [
      {
        Sid: "ReadStaticAssets",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${bucket.outputs.arn}/static/*`],
      },
    ])
    const [container] = JSON.parse(run.get(T.taskDefinition).inputs.containerDefinitions)
    assert.match(assets.outputs.prefix, revisionPrefix("static/"))
    assert.deepStrictEqual(container.environment, [
      { name: "ASSETS_BUCKET", value: bucket.outputs.bucket },
      { name: "ASSETS_PREFIX", value: assets.outputs.prefix },
      { name: "LOG_LEVEL", value: "info" },
      { name: "PORT", value: "8080" },
    ])
    assert.isTrue(objects(run).every((o) => o.inputs.key.startsWith(assets.outputs.prefix)))
    assert.deepStrictEqual(checkPolicies(run.resources), [])
  })

  it("gives each task definition its own revision's files, kept after the update for ECS's rollout and rollback", async () => {
    const { v1, v2, first, second } = await deployTwice("fargate-native", "web", (directory, object) => {
      new FargateService("web", {
        network,
        certificateArn,
        image,
        assets: { directory, prefix: "static/" },
        transform: { assets: { object } },
      })
    })
    // Each task definition names its own revision's prefix: the old one keeps reading v1's files.
    assert.strictEqual(containerEnvironment(v1.run).ASSETS_PREFIX, first.prefix)
    assert.strictEqual(containerEnvironment(v2.run).ASSETS_PREFIX, second.prefix)
    // The grant is the same for both, so updating the role policy never cuts the old tasks off.
    assert.strictEqual(
      v2.run.get(T.rolePolicy, "web-assets").inputs.policy,
      v1.run.get(T.rolePolicy, "web-assets").inputs.policy,
    )
    // ECS shifts traffic (and rolls back) after `pulumi up` returns: v1's objects must stay.
    assert.lengthOf(v2.options, 2)
    for (const opts of v2.options) assert.isTrue(opts.retainOnDelete)
  })

  it("in driven mode, rolls an assets-only change out as a new revision and lets Pulumi delete the old files after it", async () => {
    const { v1, v2, first, second } = await deployTwice("fargate-driven", "web", (directory, object) => {
      new FargateService("web", {
        network,
        domain,
        image,
        strategy: strategies.canary({ steps: [10, 25, 50, 75].map((weight) => ({ weight, bake: "5m" })) }),
        rollout: { mode: "driven" },
        assets: { directory },
        transform: { assets: { object } },
      })
    })
    const revision = (run: PulumiRun<unknown>) => run.get(T.rollout, "web-rollout").inputs.revision
    assert.notStrictEqual(revision(v2.run).id, revision(v1.run).id)
    assert.strictEqual(revision(v1.run).config.environment.ASSETS_PREFIX, first.prefix)
    assert.strictEqual(revision(v2.run).config.environment.ASSETS_PREFIX, second.prefix)
    assert.strictEqual(containerEnvironment(v2.run).ASSETS_PREFIX, second.prefix)
    // The rollout ends within the update, so the old files go with its successful end.
    for (const opts of [...v1.options, ...v2.options]) assert.notStrictEqual(opts.retainOnDelete, true)
  })

  it("refuses a bad folder as assets.directory, and variables the assets set", () => {
    // refusedBy asserts the error is a ComponentArgsInvalid.
    const e = refusedBy(
      () =>
        new FargateService("web", {
          network,
          certificateArn,
          image,
          environment: { ASSETS_BUCKET: "mine" },
          assets: { directory: join(scratch, "missing") },
        }),
    )
    assert.sameMembers(
      e.problems.map((p) => p.arg),
      ["assets.directory", "environment.ASSETS_BUCKET"],
    )
  })
})

describe("Ec2Service with assets", () => {
  it("lets the instance role read exactly its files and writes where its revision's are into the app's environment", async () => {
    const run = await runPulumiProgram(() => {
      new Ec2Service("web", {
        network,
        certificateArn,
        artifact: { image },
        assets: { directory: site },
      })
    })
    const bucket = run.get(T.bucket, "web-assets-bucket")
    assert.deepStrictEqual(inlinePolicy(run, "web-assets", "web-instance"), [
      {
        Sid: "ReadStaticAssets",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${bucket.outputs.arn}/*`],
      },
    ])
    const { prefix } = uploaded(run, "web")
    assert.match(prefix, revisionPrefix(""))
    assert.include(userData(run), `ASSETS_BUCKET="${bucket.outputs.bucket}"`)
    assert.include(userData(run), `ASSETS_PREFIX="${prefix}"`)
  })

  it("gives each launch template version its own revision's files, kept for the instance refresh", async () => {
    const { v1, v2, first, second } = await deployTwice("ec2-native", "web", (directory, object) => {
      new Ec2Service("web", {
        network,
        certificateArn,
        artifact: { image },
        assets: { directory },
        transform: { assets: { object } },
      })
    })
    assert.include(userData(v1.run), `ASSETS_PREFIX="${first.prefix}"`)
    assert.include(userData(v2.run), `ASSETS_PREFIX="${second.prefix}"`)
    assert.notInclude(userData(v2.run), first.prefix)
    for (const opts of v2.options) assert.isTrue(opts.retainOnDelete)
  })
})

describe("LambdaService with assets", () => {
  const code = new pulumiRuntime.asset.AssetArchive({
    "index.mjs": new pulumiRuntime.asset.StringAsset(
      "export const handler = async () => ({ statusCode: 200 })",
    ),
  })
  const variables = (run: PulumiRun<unknown>): Record<string, string> =>
    run.get(T.function, "api").inputs.environment.variables

  it("lets the function's role read exactly its files and publishes each version with its revision's prefix", async () => {
    const { v1, v2, first, second } = await deployTwice("lambda-native", "api", (directory, object) => {
      const api = new LambdaService("api", {
        code,
        environment: { TABLE: "orders" },
        assets: { directory, prefix: "static/" },
        transform: { assets: { object } },
      })
      return { bucket: api.assetsBucketName }
    })
    const bucket = v1.run.get(T.bucket, "api-assets-bucket")
    assert.strictEqual(v1.run.outputs.bucket, bucket.outputs.bucket)
    assert.deepStrictEqual(variables(v1.run), {
      TABLE: "orders",
      ASSETS_BUCKET: bucket.outputs.bucket,
      ASSETS_PREFIX: first.prefix,
    })
    assert.strictEqual(variables(v2.run).ASSETS_PREFIX, second.prefix)
    assert.isTrue(v1.run.get(T.function, "api").inputs.publish)
    assert.deepStrictEqual(inlinePolicy(v1.run, "api-assets", "api"), [
      {
        Sid: "ReadStaticAssets",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${bucket.outputs.arn}/static/*`],
      },
    ])
    // CodeDeploy or the alias keep serving the previous version after the update: keep its files.
    for (const opts of v2.options) assert.isTrue(opts.retainOnDelete)
    assert.deepStrictEqual(checkPolicies(v1.run.resources), [])
  })

  it("in driven mode, makes an assets-only change a new revision for the alias rollout", async () => {
    const build = buildOutput("lambda-driven")
    const deploy = () =>
      runPulumiProgram(() => {
        new LambdaService("api", {
          code,
          strategy: strategies.canary({ steps: [10, 25, 50].map((weight) => ({ weight, bake: "1m" })) }),
          rollout: { mode: "driven" },
          assets: { directory: build.dir },
        })
      })
    const v1 = await deploy()
    build.edit()
    const v2 = await deploy()
    const revision = (run: PulumiRun<unknown>) => run.get(T.rollout, "api-rollout").inputs.revision
    assert.notStrictEqual(revision(v2).id, revision(v1).id)
    assert.strictEqual(revision(v2).config.environment.ASSETS_PREFIX, uploaded(v2, "api").prefix)
    assert.strictEqual(variables(v2).ASSETS_PREFIX, uploaded(v2, "api").prefix)
  })

  it("refuses a bad folder as assets.directory, and variables the assets set", () => {
    const e = refusedBy(
      () =>
        new LambdaService("api", {
          code,
          environment: { ASSETS_PREFIX: "mine/" },
          assets: { directory: join(scratch, "missing") },
        }),
    )
    assert.sameMembers(
      e.problems.map((p) => p.arg),
      ["assets.directory", "environment.ASSETS_PREFIX"],
    )
  })
})
