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

/** Invoking exactly one Lambda function (e.g. the role ECS assumes to run a lifecycle hook). */
export const invokeFunctionStatement = (functionArn: string): Statement => ({
  Sid: "InvokeOwnHook",
  Effect: "Allow",
  Action: ["lambda:InvokeFunction"],
  Resource: [functionArn],
})

/** Where a resource lives, read from any ARN of the same account and region. */
export interface ArnScope {
  readonly partition: string
  readonly region: string
  readonly account: string
}

/** Partition, region and account of an ARN (`arn:<partition>:<service>:<region>:<account>:…`). */
export const arnScope = (arn: string): ArnScope | undefined => {
  const [prefix, partition, , region, account] = arn.split(":")
  if (prefix !== "arn" || !partition || !region || !account) return undefined
  return { partition, region, account }
}

/**
 * What Lambda needs to attach a function to a VPC: network interfaces created only in the
 * given subnets with the given security groups, and managed only in this account and
 * region. The `Describe*` calls have no resource-level permission in IAM, hence `*`.
 */
export const lambdaVpcStatements = (
  scope: ArnScope,
  subnetIds: ReadonlyArray<string>,
  securityGroupIds: ReadonlyArray<string>,
): Array<Statement> => {
  const ec2 = `arn:${scope.partition}:ec2:${scope.region}:${scope.account}`
  const interfaces = `${ec2}:network-interface/*`
  return [
    {
      Sid: "DescribeNetworkInterfaces",
      Effect: "Allow",
      Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
      Resource: "*",
    },
    {
      Sid: "CreateOwnNetworkInterfaces",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: [
        interfaces,
        ...[...subnetIds].sort().map((id) => `${ec2}:subnet/${id}`),
        ...[...securityGroupIds].sort().map((id) => `${ec2}:security-group/${id}`),
      ],
    },
    {
      Sid: "ManageNetworkInterfaces",
      Effect: "Allow",
      Action: [
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ],
      Resource: [interfaces],
    },
  ]
}
