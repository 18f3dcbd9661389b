/**
 * The S3 bucket a stack's driven rollouts keep their journal in, created by the stack
 * itself so that a generated project needs nothing beyond `npm install` and `pulumi up`:
 * private (public access blocked, owner-enforced objects, TLS-only policy), encrypted,
 * versioned (every journal write can be looked at afterwards), with old versions expiring.
 */
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import { ArgProblems, componentTags, type Tags, type Transform } from "../component.ts"
import { createPrivateBucket } from "../privateBucket.ts"

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

    const { bucket } = createPrivateBucket(
      name,
      {
        forceDestroy: args.forceDestroy ?? true,
        tags: componentTags(TYPE, name, args.tags),
        transform: args.transform,
      },
      this,
    )
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      { parent: this, dependsOn: [bucket] },
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

    this.bucket = bucket.bucket
    this.arn = bucket.arn
    this.registerOutputs({ bucket: this.bucket, arn: this.arn })
  }
}
