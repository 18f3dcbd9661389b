/**
 * The private S3 bucket Slipway components build on (rollout journals, static assets):
 * public access blocked on all four switches, objects owned by the bucket owner (ACLs
 * off), encrypted by default (SSE-S3, or SSE-KMS with a given key) and a policy refusing
 * any request not made over TLS. Internal: components expose their own arguments.
 */
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import { createChild, physicalName, type Tags, type Transform } from "./component.ts"

/** What a component decides about its private bucket. */
export interface PrivateBucketArgs {
  /** Empty the bucket when it is deleted. */
  readonly forceDestroy: boolean
  /** Encrypt with this KMS key (SSE-KMS, with a bucket key) instead of SSE-S3 (AES256). */
  readonly kmsKeyArn?: pulumi.Input<string> | undefined
  readonly tags: Tags
  readonly transform?:
    | {
        readonly bucket?: Transform<aws.s3.BucketArgs> | undefined
        readonly policy?: Transform<aws.s3.BucketPolicyArgs> | undefined
      }
    | undefined
}

/** The bucket and the children that make it private, for `dependsOn`. */
export interface PrivateBucket {
  readonly bucket: aws.s3.Bucket
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock
  readonly ownership: aws.s3.BucketOwnershipControls
  readonly encryption: aws.s3.BucketServerSideEncryptionConfiguration
  readonly policy: aws.s3.BucketPolicy
}

/**
 * Creates `<name>-bucket`, `<name>-public-access`, `<name>-ownership`, `<name>-encryption`
 * and `<name>-policy` under `parent`.
 *
 * @example
 * const { bucket, encryption } = createPrivateBucket(name, { forceDestroy: true, tags }, this)
 */
export const createPrivateBucket = (
  name: string,
  args: PrivateBucketArgs,
  parent: pulumi.Resource,
): PrivateBucket => {
  const bucket = createChild(
    aws.s3.Bucket,
    `${name}-bucket`,
    {
      // Bucket names are global and lowercase; Pulumi appends a random suffix to the prefix.
      bucketPrefix: `${physicalName(name, 28).toLowerCase()}-`,
      forceDestroy: args.forceDestroy,
      tags: args.tags,
    },
    { parent },
    args.transform?.bucket,
  )
  const child = { parent, dependsOn: [bucket] }
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
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
  const ownership = new aws.s3.BucketOwnershipControls(
    `${name}-ownership`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    child,
  )
  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket: bucket.id,
      rules: [
        args.kmsKeyArn === undefined
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
          : {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
              // One data key per bucket rather than per object: far fewer KMS calls.
              bucketKeyEnabled: true,
            },
      ],
    },
    child,
  )
  const policy = createChild(
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
    { parent, dependsOn: [publicAccessBlock] },
    args.transform?.policy,
  )
  return { bucket, publicAccessBlock, ownership, encryption, policy }
}
