import { assert, describe, it } from "@effect/vitest"
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import { PulumiProgramError, resolve, runPulumiProgram } from "../src/index.ts"

class Site extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Site", name, {}, opts)
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { tags: { site: name } }, { parent: this })
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      { parent: bucket },
    )
    this.bucketName = bucket.bucket
    this.registerOutputs({ bucketName: this.bucketName })
  }
}

const failureOf = async (run: Promise<unknown>): Promise<PulumiProgramError> => {
  const error = await run.then(
    () => assert.fail("expected the run to fail"),
    (e: unknown) => e,
  )
  assert.instanceOf(error, PulumiProgramError)
  return error
}

describe("runPulumiProgram", () => {
  it("records every resource with its type, inputs, parent and outputs", async () => {
    const run = await runPulumiProgram(() => new Site("docs").bucketName, { project: "web", stack: "dev" })
    const site = run.get("test:index:Site", "docs")
    const bucket = run.get("aws:s3/bucket:Bucket", "docs-bucket")
    const sse = run.get(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )

    assert.strictEqual(site.urn, "urn:pulumi:dev::web::test:index:Site::docs")
    assert.isFalse(site.custom)
    assert.isUndefined(site.parent)
    assert.strictEqual(bucket.parent, site.urn)
    assert.strictEqual(sse.parent, bucket.urn)
    assert.deepStrictEqual(bucket.inputs.tags, { site: "docs" })
    assert.strictEqual(sse.inputs.bucket, bucket.id)
    assert.match(bucket.outputs.bucket, /^docs-bucket-[0-9a-f]{7}$/)
    assert.strictEqual(bucket.outputs.arn, `arn:aws:s3:::${bucket.outputs.bucket}`)
    // components report what they registered as outputs
    assert.deepStrictEqual(site.outputs, { bucketName: bucket.outputs.bucket })
    assert.strictEqual(run.outputs, bucket.outputs.bucket)

    assert.deepStrictEqual(run.children(site.urn), [bucket])
    assert.deepStrictEqual(
      run.descendants(site.urn).map((r) => r.name),
      ["docs-bucket", "docs-sse"],
    )
    assert.lengthOf(run.byType("aws:s3/bucket:Bucket"), 1)
    assert.isUndefined(run.find("aws:s3/bucket:Bucket", "other"))
    assert.throws(
      () => run.get("aws:ec2/vpc:Vpc"),
      /no aws:ec2\/vpc:Vpc was registered; have:\n {2}test:index:Site docs/,
    )
  })

  it("gives the same ids on every run", async () => {
    const ids = async () =>
      (await runPulumiProgram(() => new aws.ec2.Vpc("main", { cidrBlock: "10.0.0.0/16" }).id)).outputs
    const first = await ids()
    assert.match(first, /^vpc-[0-9a-f]{17}$/)
    assert.strictEqual(await ids(), first)
  })

  it("starts each run from nothing", async () => {
    await runPulumiProgram(() => new aws.ec2.Vpc("one", {}))
    const second = await runPulumiProgram(() => new aws.ec2.Vpc("two", {}))
    assert.deepStrictEqual(
      second.resources.map((r) => r.name),
      ["two"],
    )
  })

  it("resolves outputs anywhere in what the program returns", async () => {
    const run = await runPulumiProgram(() => {
      const alb = new aws.lb.LoadBalancer("web", { subnets: ["subnet-1", "subnet-2"] })
      return {
        dns: alb.dnsName,
        nested: { zone: alb.zoneId, list: [alb.arn, "plain"] },
        later: Promise.resolve(3),
      }
    })
    assert.match(run.outputs.dns, /^web-[0-9a-f]{7}-\d+\.us-east-1\.elb\.amazonaws\.com$/)
    assert.strictEqual(run.outputs.nested.zone, "Z35SXDOTRQ7X7K")
    assert.match(
      run.outputs.nested.list[0]!,
      /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/web-/,
    )
    assert.strictEqual(run.outputs.nested.list[1], "plain")
    assert.strictEqual(run.outputs.later, 3)
  })

  it("records reads of existing resources as reads", async () => {
    const run = await runPulumiProgram(() => aws.ec2.Vpc.get("existing", "vpc-0123456789abcdef0").id)
    const vpc = run.get("aws:ec2/vpc:Vpc", "existing")
    assert.isTrue(vpc.read)
    assert.strictEqual(vpc.id, "vpc-0123456789abcdef0")
    assert.strictEqual(run.outputs, "vpc-0123456789abcdef0")
  })

  it("loads a program file as pulumi does, its exports becoming the outputs", async () => {
    const run = await runPulumiProgram(() => import("./fixtures/stack.ts"))
    assert.strictEqual(run.outputs.cidr, "10.42.0.0/16")
    assert.strictEqual(run.outputs.vpcId, run.get("aws:ec2/vpc:Vpc", "main").id)
  })

  it("lets a test override any output", async () => {
    const run = await runPulumiProgram(() => new aws.ec2.Vpc("main", {}).cidrBlock, {
      outputs: (args) => (args.type === "aws:ec2/vpc:Vpc" ? { cidrBlock: "192.168.0.0/16" } : undefined),
    })
    assert.strictEqual(run.outputs, "192.168.0.0/16")
  })

  it("passes stack configuration, secrets included", async () => {
    const run = await runPulumiProgram(
      () => {
        const config = new pulumi.Config()
        return {
          domain: config.require("domain"),
          token: config.requireSecret("token"),
          region: aws.config.region,
        }
      },
      {
        project: "shop",
        config: { "shop:domain": "example.com", "shop:token": "s3cr3t", "aws:region": "eu-west-1" },
        secretConfig: ["shop:token"],
      },
    )
    assert.deepStrictEqual(run.outputs, { domain: "example.com", token: "s3cr3t", region: "eu-west-1" })
  })

  it("notes which inputs were secrets", async () => {
    const run = await runPulumiProgram(() => {
      new aws.lambda.Function("api", {
        role: "arn:aws:iam::123456789012:role/api",
        runtime: "nodejs22.x",
        handler: "index.handler",
        environment: { variables: { TOKEN: pulumi.secret("t") } },
      })
    })
    const fn = run.get("aws:lambda/function:Function")
    assert.strictEqual(fn.inputs.environment.variables.TOKEN, "t")
    assert.isTrue(fn.secretPaths.some((p) => "environment.variables.TOKEN".startsWith(p)))
  })

  describe("invokes", () => {
    it("answers the common AWS invokes for the configured region and account", async () => {
      const run = await runPulumiProgram(
        () => ({
          zones: aws.getAvailabilityZonesOutput().names,
          account: aws.getCallerIdentityOutput().accountId,
          region: aws.getRegionOutput().region,
          vpc: aws.ec2.getVpcOutput({ id: "vpc-0abc" }).cidrBlock,
          zone: aws.route53.getZoneOutput({ name: "example.com." }).zoneId,
          doc: aws.iam.getPolicyDocumentOutput({
            statements: [
              {
                actions: ["s3:GetObject"],
                resources: ["arn:aws:s3:::b/*"],
                principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
              },
            ],
          }).json,
        }),
        {
          config: { "aws:region": "eu-west-1" },
          accountId: "210987654321",
          vpcs: { "vpc-0abc": "172.31.0.0/16" },
          zones: { "example.com": "Z0EXAMPLE" },
        },
      )
      assert.deepStrictEqual(run.outputs.zones, ["eu-west-1a", "eu-west-1b", "eu-west-1c"])
      assert.strictEqual(run.outputs.account, "210987654321")
      assert.strictEqual(run.outputs.region, "eu-west-1")
      assert.strictEqual(run.outputs.vpc, "172.31.0.0/16")
      assert.strictEqual(run.outputs.zone, "Z0EXAMPLE")
      assert.deepStrictEqual(JSON.parse(run.outputs.doc), {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::b/*",
            Principal: { Service: "lambda.amazonaws.com" },
          },
        ],
      })
      assert.deepStrictEqual(run.calls.map((c) => c.token.split(":").pop()).sort(), [
        "getAvailabilityZones",
        "getCallerIdentity",
        "getPolicyDocument",
        "getRegion",
        "getVpc",
        "getZone",
      ])
    })

    it("fails a run that calls an invoke nobody answers, naming the option to add", async () => {
      const error = await failureOf(
        runPulumiProgram(() => aws.ec2.getAmiOutput({ owners: ["amazon"], mostRecent: true }).id),
      )
      assert.include(error.message, "no mock answer for invoke aws:ec2/getAmi:getAmi")
      assert.include(error.message, "calls:")
    })

    it("takes answers from `calls` first", async () => {
      const run = await runPulumiProgram(() => aws.ec2.getAmiOutput({ owners: ["amazon"] }).id, {
        calls: (args) => (args.token === "aws:ec2/getAmi:getAmi" ? { id: "ami-0123" } : undefined),
      })
      assert.strictEqual(run.outputs, "ami-0123")
    })

    it("refuses a zone id it does not know", async () => {
      const error = await failureOf(
        runPulumiProgram(() => aws.route53.getZoneOutput({ zoneId: "ZNOPE" }).name),
      )
      assert.include(error.message, "no hosted zone with id ZNOPE")
    })
  })

  describe("transforms", () => {
    it("applies a resource's transforms, its parents' and the stack's, as the engine does", async () => {
      const run = await runPulumiProgram(() => {
        pulumi.runtime.registerResourceTransform((t) =>
          t.type === "aws:s3/bucket:Bucket"
            ? { props: { ...t.props, tags: { ...t.props.tags, stack: "yes" } }, opts: t.opts }
            : undefined,
        )
        new Site("docs", {
          transforms: [
            (t) =>
              t.type === "aws:s3/bucket:Bucket"
                ? { props: { ...t.props, forceDestroy: true }, opts: t.opts }
                : undefined,
          ],
        })
      })
      const bucket = run.get("aws:s3/bucket:Bucket")
      assert.isTrue(bucket.inputs.forceDestroy)
      assert.deepStrictEqual(bucket.inputs.tags, { site: "docs", stack: "yes" })
    })
  })

  describe("failures", () => {
    it("reports two resources with the same URN", async () => {
      const error = await failureOf(
        runPulumiProgram(() => {
          new aws.ec2.Vpc("main", {})
          new aws.ec2.Vpc("main", {})
        }),
      )
      assert.include(error.message, 'two resources of type aws:ec2/vpc:Vpc named "main"')
    })

    it("reports a program that throws, with what was registered before", async () => {
      const error = await failureOf(
        runPulumiProgram(() => {
          new aws.ec2.Vpc("main", {})
          throw new Error("boom")
        }),
      )
      assert.strictEqual(error.message, "the program failed: boom")
      assert.strictEqual((error.cause as Error).message, "boom")
    })

    it("reports a failed input by its own message, not the SDK's wrapping", async () => {
      const error = await failureOf(
        runPulumiProgram(() => {
          const vpc = new aws.ec2.Vpc("main", {})
          new aws.ec2.Subnet("a", {
            vpcId: vpc.id.apply((): string => {
              throw new Error("zone lookup failed")
            }),
          })
        }),
      )
      assert.strictEqual(error.message, "the program failed: zone lookup failed")
    })

    it("reports a thrown object with no prototype (as ts-node's loader thread sends errors) by its contents", async () => {
      // String() of such an object throws "Cannot convert object to primitive value".
      const bare = Object.assign(Object.create(null) as object, { code: "ERR_UNKNOWN_FILE_EXTENSION" })
      assert.throws(() => String(bare), /Cannot convert object to primitive value/)
      const error = await failureOf(
        runPulumiProgram(() => {
          throw bare
        }),
      )
      assert.strictEqual(
        error.message,
        "the program failed: [Object: null prototype] { code: 'ERR_UNKNOWN_FILE_EXTENSION' }",
      )
      assert.strictEqual(error.cause, bare)
    })

    it("reports a thrown object with no prototype by its message when it has one", async () => {
      const bare = Object.assign(Object.create(null) as object, {
        message: 'Unknown file extension ".ts" for /app/index.ts',
        code: "ERR_UNKNOWN_FILE_EXTENSION",
      })
      const error = await failureOf(
        runPulumiProgram(() => {
          throw bare
        }),
      )
      assert.strictEqual(error.message, 'the program failed: Unknown file extension ".ts" for /app/index.ts')
    })
  })

  it("resolves a single output with resolve()", async () => {
    await runPulumiProgram(async () => {
      const vpc = new aws.ec2.Vpc("main", { cidrBlock: "10.1.0.0/16" })
      assert.strictEqual(await resolve(vpc.cidrBlock), "10.1.0.0/16")
      assert.deepStrictEqual(await resolve({ a: vpc.cidrBlock, b: [1] }), { a: "10.1.0.0/16", b: [1] })
    })
  })
})
