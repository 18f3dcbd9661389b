import { createHash } from "node:crypto"
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { checkPolicies, PulumiProgramError, type PulumiRun, runPulumiProgram } from "@slipway/testing"
import {
  assetContentType,
  ComponentArgsInvalid,
  Ec2Service,
  FargateService,
  StaticAssets,
  type StaticAssetsArgs,
} from "../src/index.ts"

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

describe("StaticAssets", () => {
  it("uploads one object per file, in path order, with its content type, MD5 and cache control", async () => {
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
    assert.deepStrictEqual(
      run.outputs.objectKeys,
      expected.map(([path]) => `static/${path}`),
    )
    const component = run.get(T.component, "web-assets")
    const records = objects(run)
    assert.strictEqual(records.length, expected.length)
    for (const [i, [path, contentType, content]] of expected.entries()) {
      const object = records[i]!
      assert.strictEqual(object.parent, component.urn)
      assert.strictEqual(object.inputs.key, `static/${path}`)
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

  it("keeps an unchanged file's hash across runs and changes only the edited file's", async () => {
    const dir = folder("rebuilt", { "index.html": "v1", "app.js": "same" })
    const hashes = async () =>
      Object.fromEntries(
        objects(await upload({ directory: dir })).map((o) => [o.inputs.key, o.inputs.sourceHash]),
      )
    const first = await hashes()
    const again = await hashes()
    assert.deepStrictEqual(again, first, "an unchanged folder gives the same objects")
    writeFileSync(join(dir, "index.html"), "v2")
    const edited = await hashes()
    assert.strictEqual(edited["app.js"], first["app.js"])
    assert.notStrictEqual(edited["index.html"], first["index.html"])
    assert.strictEqual(edited["index.html"], md5("v2"))
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

  it("grants s3:GetObject on exactly the prefix's keys", async () => {
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
    assert.deepStrictEqual(run.outputs.objectKeys, ["alias/app.js", "real/app.js"])
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

const network = {
  vpcId: "vpc-0123456789abcdef0",
  publicSubnetIds: ["subnet-public-a", "subnet-public-b"],
  privateSubnetIds: ["subnet-private-a", "subnet-private-b"],
}
const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:${"a".repeat(64)}`

/** The inline policy of a role, as statements. */
const inlinePolicy = (run: PulumiRun<unknown>, policyName: string, roleName: string) => {
  const policy = run.get(T.rolePolicy, policyName)
  assert.strictEqual(policy.inputs.role, run.get(T.role, roleName).id)
  return JSON.parse(policy.inputs.policy).Statement
}

describe("FargateService with assets", () => {
  it("lets the task role read exactly its files and tells the app where they are", async () => {
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
    assert.deepStrictEqual(container.environment, [
      { name: "ASSETS_BUCKET", value: bucket.outputs.bucket },
      { name: "ASSETS_PREFIX", value: "static/" },
      { name: "LOG_LEVEL", value: "info" },
      { name: "PORT", value: "8080" },
    ])
    assert.deepStrictEqual(checkPolicies(run.resources), [])
  })

  it("refuses a bad folder as assets.directory, and variables the assets set", () => {
    try {
      new FargateService("web", {
        network,
        certificateArn,
        image,
        environment: { ASSETS_BUCKET: "mine" },
        assets: { directory: join(scratch, "missing") },
      })
      assert.fail("expected the arguments to be refused")
    } catch (e) {
      assert.instanceOf(e, ComponentArgsInvalid)
      assert.sameMembers(
        e.problems.map((p) => p.arg),
        ["assets.directory", "environment.ASSETS_BUCKET"],
      )
    }
  })
})

describe("Ec2Service with assets", () => {
  it("lets the instance role read exactly its files and writes where they are into the app's environment", async () => {
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
    const script = Buffer.from(run.get(T.launchTemplate, "web").inputs.userData, "base64").toString("utf8")
    assert.include(script, `ASSETS_BUCKET="${bucket.outputs.bucket}"`)
    assert.include(script, 'ASSETS_PREFIX=""')
  })
})
