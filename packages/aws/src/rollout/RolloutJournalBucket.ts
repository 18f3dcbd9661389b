/**
 * The S3 bucket a stack's driven rollouts keep their journal in, created by the stack
 * itself so that a generated project needs nothing beyond `npm install` and `pulumi up`:
 * private (public access blocked, owner-enforced objects, TLS-only policy), encrypted,
 * versioned (every journal write can be looked at afterwards), with old versions expiring.
 */
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import {
  ArgProblems,
  componentTags,
  createChild,
  physicalName,
  type Tags,
  type Transform,
} from "../component.ts"

const TYPE = "slipway:aws:RolloutJournalBucket"

/**
 * Arguments of a {@link RolloutJournalBucket}.
 *
 * @example
 * import type { RolloutJournalBucketArgs } from "@slipway/aws"
 * const args: RolloutJournalBucketArgs = { noncurrentVersionDays: 90, tags: { team: "payments" } }
 */
export interface RolloutJournalBucketArgs {
  /**
   * Empty the bucket when the stack is destroyed (default true: the journal describes
   * rollouts of resources that are going away with it).
   *
   * @example
   * { forceDestroy: false }
   */
  readonly forceDestroy?: boolean
  /**
   * Days to keep superseded versions of journal objects (default 30).
   *
   * @example
   * { noncurrentVersionDays: 90 }
   */
  readonly noncurrentVersionDays?: number
  readonly tags?: Tags
  /** Adjust a child before it is created. */
  readonly transform?: {
    readonly bucket?: Transform<aws.s3.BucketArgs>
    readonly policy?: Transform<aws.s3.BucketPolicyArgs>
  }
}

/**
 * A private, encrypted, versioned S3 bucket for rollout journals. Pass `bucket` to a
 * `DrivenRollout`'s `journal`, and to `slipway status --target aws --bucket …`.
 *
 * @example
 * import { DrivenRollout, RolloutJournalBucket } from "@slipway/aws"
 * const journal = new RolloutJournalBucket("web-journal", {}, { parent: this })
 * new DrivenRollout("web-rollout", { ...args, journal: { bucket: journal.bucket } }, { parent: this })
 */
export class RolloutJournalBucket extends pulumi.ComponentResource {
  /** The bucket's name. */
  readonly bucket: pulumi.Output<string>
  readonly arn: pulumi.Output<string>

  constructor(name: string, args: RolloutJournalBucketArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgProblems(TYPE, name)
    const days = args.noncurrentVersionDays ?? 30
    if (!Number.isInteger(days) || days < 1) {
      check.add("noncurrentVersionDays", `${days} is not a number of days`, "use a whole number ≥ 1, e.g. 30")
    }
    check.throwIfAny()
    super(TYPE, name, {}, opts)

    const tags = componentTags(TYPE, name, args.tags)
    const parent = { parent: this }
    const bucket = createChild(
      aws.s3.Bucket,
      `${name}-bucket`,
      {
        // Bucket names are global and lowercase; Pulumi appends a random suffix to the prefix.
        bucketPrefix: `${physicalName(name, 28).toLowerCase()}-`,
        forceDestroy: args.forceDestroy ?? true,
        tags,
      },
      parent,
      args.transform?.bucket,
    )
    const child = { parent: this, dependsOn: [bucket] }
    const access = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    )
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      child,
    )
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      child,
    )
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      child,
    )
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-old-journal-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: days },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    )
    createChild(
      aws.s3.BucketPolicy,
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      },
      // After the public access block: a policy put first would race it.
      { parent: this, dependsOn: [access] },
      args.transform?.policy,
    )

    this.bucket = bucket.bucket
    this.arn = bucket.arn
    this.registerOutputs({ bucket: this.bucket, arn: this.arn })
  }
}
