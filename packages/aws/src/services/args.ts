/**
 * Argument checks shared by the service components. Every component validates its
 * arguments before it registers anything (collecting them in `ArgProblems`), so a bad
 * argument fails `pulumi preview` with one `ComponentArgsInvalid` that lists each
 * problem, the argument it concerns and how to fix it — instead of a half-created stack
 * and an AWS error several minutes later.
 *
 * Only values known at construction time (plain literals) can be checked here; values
 * that are Outputs or Promises are checked by AWS when they resolve.
 */

import * as pulumi from "@pulumi/pulumi"
import { type Gate, type Strategy, strategyIssues } from "@slipway/core"
import { type ArgProblem, type ArgProblems, ComponentArgsInvalid, knownValue as known } from "../component.ts"
import type { Refused } from "../native/Native.ts"

const show = (value: unknown): string => JSON.stringify(value) ?? String(value)

/** A TCP port: an integer in 1..65535. */
export const checkPort = (check: ArgProblems, arg: string, port: pulumi.Input<number> | undefined): void => {
  const value = known(port)
  if (value === undefined) return
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    check.add(arg, `${show(value)} is not a TCP port`, "use an integer between 1 and 65535, e.g. 8080")
  }
}

/** A whole number ≥ 0 (replica and instance counts). */
export const checkCount = (
  check: ArgProblems,
  arg: string,
  count: pulumi.Input<number> | undefined,
): void => {
  const value = known(count)
  if (value === undefined) return
  if (!Number.isInteger(value) || value < 0) {
    check.add(arg, `${show(value)} is not a count`, "use a whole number ≥ 0")
  }
}

/** `min ≤ desired ≤ max` for a scaling range, checked on whichever values are known. */
export const checkRange = (
  check: ArgProblems,
  names: { readonly min: string; readonly desired: string; readonly max: string },
  values: {
    readonly min: pulumi.Input<number> | undefined
    readonly desired: pulumi.Input<number> | undefined
    readonly max: pulumi.Input<number> | undefined
  },
): void => {
  const min = known(values.min)
  const desired = known(values.desired)
  const max = known(values.max)
  if (min !== undefined && max !== undefined && min > max) {
    check.add(names.min, `${min} is greater than ${names.max} (${max})`, `make ${names.min} ≤ ${names.max}`)
  }
  if (desired !== undefined && min !== undefined && desired < min) {
    check.add(
      names.desired,
      `${desired} is less than ${names.min} (${min})`,
      `make ${names.min} ≤ ${names.desired} ≤ ${names.max}`,
    )
  }
  if (desired !== undefined && max !== undefined && desired > max) {
    check.add(
      names.desired,
      `${desired} is greater than ${names.max} (${max})`,
      `make ${names.min} ≤ ${names.desired} ≤ ${names.max}`,
    )
  }
}

/** A health-check path the load balancer can request. */
export const checkHealthPath = (check: ArgProblems, arg: string, path: string | undefined): void => {
  if (path === undefined) return
  if (!/^\/[\x21-\x7e]*$/.test(path) || path.length > 1024) {
    check.add(arg, `${show(path)} is not a request path`, 'use a path starting with "/", e.g. "/healthz"')
  }
}

/** A whole number in `[min, max]`. */
export const checkInteger = (
  check: ArgProblems,
  arg: string,
  input: pulumi.Input<number> | undefined,
  min: number,
  max: number,
): void => {
  const value = known(input)
  if (value === undefined) return
  if (!Number.isInteger(value) || value < min || value > max) {
    check.add(arg, `${show(value)} is out of range`, `use a whole number between ${min} and ${max}`)
  }
}

// An image pinned by content: `repo@sha256:<64 hex>` (a tag before the digest is allowed
// and ignored by registries, e.g. `repo:1.2@sha256:…`).
const DIGEST = /@sha256:[0-9a-f]{64}$/

/** True when an image reference names its content by digest. */
export const isDigestRef = (image: string): boolean => DIGEST.test(image)

/** A container image referenced by digest, so that a deployment always runs the same bytes. */
export const checkImageDigest = (
  check: ArgProblems,
  arg: string,
  image: pulumi.Input<string> | undefined,
) => {
  const value = known(image)
  if (value === undefined) return
  if (!isDigestRef(value)) {
    check.add(
      arg,
      `${show(value)} is a tag, which can point at different images over time`,
      "use an image digest (repo@sha256:…) so deployments are reproducible",
    )
  }
}

/**
 * Warns (at deployment time) about an image that was an Output and resolved to a tag:
 * it could not be refused up front, but the user should know.
 */
export const warnIfTag = (image: pulumi.Input<string>, arg: string, resource: pulumi.Resource): void => {
  if (known(image) !== undefined) return
  pulumi.output(image).apply((value) => {
    if (value !== undefined && !isDigestRef(value)) {
      void pulumi.log.warn(
        `${arg}: "${value}" is a tag; use an image digest (repo@sha256:…) so deployments are reproducible`,
        resource,
      )
    }
    return value
  })
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Environment variable names a shell and systemd both accept. */
export const checkEnvNames = (check: ArgProblems, arg: string, names: ReadonlyArray<string>): void => {
  for (const name of names) {
    if (!ENV_NAME.test(name)) {
      check.add(
        `${arg}.${name}`,
        `${show(name)} is not a valid environment variable name`,
        "use letters, digits and underscores, not starting with a digit",
      )
    }
  }
}

/** Where a secret lives, read from its ARN. */
export type SecretSource = "ssm" | "secretsmanager"

// arn:<partition>:ssm:<region>:<account>:parameter/<name>
const SSM_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/.+$/
// arn:<partition>:secretsmanager:<region>:<account>:secret:<name>[:<json-key>:<stage>:<version>]
const SECRETSMANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:]+(:.*)?$/

/** The store a secret ARN points into, or `undefined` when it is not a secret ARN. */
export const secretSource = (arn: string): SecretSource | undefined =>
  SSM_ARN.test(arn) ? "ssm" : SECRETSMANAGER_ARN.test(arn) ? "secretsmanager" : undefined

/**
 * The IAM resource for a secret reference: Secrets Manager references may carry a JSON
 * key, version stage and version id after the secret ARN, which IAM does not match on.
 */
export const secretResourceArn = (arn: string): string =>
  secretSource(arn) === "secretsmanager" ? arn.split(":").slice(0, 7).join(":") : arn

/** Secrets must be ARNs of SSM parameters or Secrets Manager secrets, never values. */
export const checkSecrets = (
  check: ArgProblems,
  arg: string,
  secrets: Readonly<Record<string, pulumi.Input<string>>> | undefined,
  environment: Readonly<Record<string, unknown>> | undefined,
): void => {
  if (secrets === undefined) return
  checkEnvNames(check, arg, Object.keys(secrets))
  for (const [name, ref] of Object.entries(secrets)) {
    const value = known(ref)
    if (value !== undefined && secretSource(value) === undefined) {
      check.add(
        `${arg}.${name}`,
        "is not the ARN of an SSM parameter or a Secrets Manager secret",
        "store the value in SSM Parameter Store or Secrets Manager and pass its ARN " +
          "(arn:aws:ssm:…:parameter/… or arn:aws:secretsmanager:…:secret:…); secret values never go in arguments",
      )
    }
    if (environment !== undefined && name in environment) {
      check.add(
        `${arg}.${name}`,
        "is also set in `environment`",
        "set each variable in one place: `secrets` for secret values, `environment` for the rest",
      )
    }
  }
}

/** A strategy must pass core's checks before it can be compiled or driven. */
export const checkStrategy = (check: ArgProblems, strategy: Strategy | undefined): void => {
  if (strategy === undefined) return
  for (const issue of strategyIssues(strategy)) {
    check.add(
      `strategy.${issue.path}`,
      issue.message,
      "build strategies with @slipway/strategies (canary, linear, blueGreen…) or fix the field named",
    )
  }
}

/**
 * Gate names must be unique, and every gate a strategy's `Gate` step names must exist:
 * steps and alarms refer to gates by name.
 */
export const checkGates = (
  check: ArgProblems,
  gates: ReadonlyArray<Gate<unknown>> | undefined,
  strategy: Strategy | undefined,
): void => {
  const seen = new Set<string>()
  ;(gates ?? []).forEach((gate, i) => {
    if (gate.name.length === 0) {
      check.add(`gates[${i}].name`, "is empty", "give every gate a name")
    } else if (seen.has(gate.name)) {
      check.add(`gates[${i}].name`, `"${gate.name}" is used by another gate`, "give every gate a unique name")
    }
    seen.add(gate.name)
  })
  if (strategy === undefined || !Array.isArray(strategy.steps)) return
  strategy.steps.forEach((step, i) => {
    if (step._tag !== "Gate") return
    for (const name of step.gates ?? []) {
      if (!seen.has(name)) {
        check.add(
          `strategy.steps[${i}].gates`,
          `names gate "${name}", which is not in \`gates\``,
          `add a gate named "${name}" to \`gates\` or remove it from the step`,
        )
      }
    }
  })
}

/** Retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS: ReadonlyArray<number> = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]

/** A retention CloudWatch Logs accepts. Keeping logs forever is not offered: pick a period. */
export const checkRetention = (
  check: ArgProblems,
  arg: string,
  days: pulumi.Input<number> | undefined,
): void => {
  const value = known(days)
  if (value === undefined) return
  if (!LOG_RETENTION_DAYS.includes(value)) {
    check.add(
      arg,
      `${show(value)} days is not a CloudWatch Logs retention`,
      `use one of ${LOG_RETENTION_DAYS.join(", ")}`,
    )
  }
}

/** A native compiler's refusal as an argument problem: the step at fault, why, and what to do. */
export const refusalProblem = (mechanism: string, refused: Refused): ArgProblem => ({
  arg: refused.path === undefined ? "strategy" : `strategy.${refused.path}`,
  problem: `${mechanism} cannot run it natively: ${refused.reason}`,
  fix: refused.alternative,
})

/**
 * A refusal met only once the children exist: the options turned out other than checked
 * up front (for example `observe` was set but every alarm in it was turned off).
 */
export const refusedLate = (component: string, name: string, mechanism: string, refused: Refused) =>
  new ComponentArgsInvalid({ component, name, problems: [refusalProblem(mechanism, refused)] })

/**
 * The alarm names a native rollout watches: the ones given, then the ones the service's
 * own alarms (`observe`) have.
 */
export const watchedAlarms = <Ref>(
  given: ReadonlyArray<pulumi.Input<string>> | undefined,
  ref: (input: pulumi.Input<string>) => Ref,
  observed: ReadonlyArray<Ref>,
): ReadonlyArray<Ref> => [...(given ?? []).map(ref), ...observed]
