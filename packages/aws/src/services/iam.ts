/**
 * IAM policy documents for the service components, each scoped to the exact resources a
 * role needs. Nothing here grants an action on `*` unless AWS offers no resource-level
 * permission for it (then the statement says so).
 */
import { secretResourceArn, secretSource } from "./args.ts"

/** An IAM policy statement. */
export interface Statement {
  readonly Sid?: string
  readonly Effect: "Allow" | "Deny"
  readonly Action: string | ReadonlyArray<string>
  readonly Resource: string | ReadonlyArray<string>
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | ReadonlyArray<string>>>>>
}

/** Serialises statements into a policy document. */
export const policyDocument = (statements: ReadonlyArray<Statement>): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements })

/** A trust policy letting one AWS service assume the role. */
export const assumeRolePolicy = (service: string): string =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  })

/** Write access to one log group's streams (the group itself is created by Pulumi). */
export const logWriteStatement = (logGroupArn: string): Statement => ({
  Sid: "WriteOwnLogs",
  Effect: "Allow",
  Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
  Resource: [logGroupArn.endsWith(":*") ? logGroupArn : `${logGroupArn}:*`],
})

/**
 * Read access to exactly the given secrets: `ssm:GetParameters` on SSM parameter ARNs and
 * `secretsmanager:GetSecretValue` on Secrets Manager ARNs. Values that are not secret ARNs
 * are skipped (the components refuse them before this runs).
 */
export const secretReadStatements = (arns: ReadonlyArray<string>): Array<Statement> => {
  const ssm = new Set<string>()
  const secretsManager = new Set<string>()
  for (const arn of arns) {
    const source = secretSource(arn)
    if (source === "ssm") ssm.add(arn)
    if (source === "secretsmanager") secretsManager.add(secretResourceArn(arn))
  }
  const statements: Array<Statement> = []
  if (ssm.size > 0) {
    statements.push({
      Sid: "ReadSsmParameters",
      Effect: "Allow",
      Action: ["ssm:GetParameters", "ssm:GetParameter"],
      Resource: [...ssm].sort(),
    })
  }
  if (secretsManager.size > 0) {
    statements.push({
      Sid: "ReadSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [...secretsManager].sort(),
    })
  }
  return statements
}

/** Where an ECR image lives, read from its URI. */
export interface EcrRepository {
  readonly partition: string
  readonly account: string
  readonly region: string
  readonly repository: string
}

// <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag][@sha256:…]
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([^:@]+)/

/** The ECR repository an image URI points into, or `undefined` for other registries. */
export const ecrRepository = (image: string): EcrRepository | undefined => {
  const m = ECR_IMAGE.exec(image)
  if (m === null) return undefined
  return {
    account: m[1]!,
    region: m[2]!,
    partition: m[3] === undefined ? (m[2]!.startsWith("us-gov-") ? "aws-us-gov" : "aws") : "aws-cn",
    repository: m[4]!,
  }
}

/**
 * Pull access to the one ECR repository an image lives in. `ecr:GetAuthorizationToken`
 * has no resource-level permission in IAM, so it is granted on `*` (it only issues a
 * registry login; what can be pulled is limited by the repository statement).
 * Images from other registries need no ECR statements.
 */
export const ecrPullStatements = (image: string): Array<Statement> => {
  const repo = ecrRepository(image)
  if (repo === undefined) return []
  return [
    { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
    {
      Sid: "EcrPullOwnImage",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: [`arn:${repo.partition}:ecr:${repo.region}:${repo.account}:repository/${repo.repository}`],
    },
  ]
}
