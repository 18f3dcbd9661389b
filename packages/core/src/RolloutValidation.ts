/**
 * Everything checked before a rollout changes anything: the strategy itself, and how it
 * fits the run — the app name, the replica count, the revisions, and that every gate a
 * Gate step names was actually given.
 */
import { Effect, Schema } from "effect"
import type { Revision } from "./Revision.ts"
import { Strategy, StrategyInvalid, type StrategyIssue, strategyIssues } from "./Strategy.ts"
import type { Gate } from "./Verdict.ts"

// App names become DNS labels (`<app>.localhost`), folder names and resource names.
const APP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * The run-level inputs a rollout is checked against.
 *
 * @example
 * import { rolloutIssues, type RolloutSpec } from "@slipway/core"
 * const spec: RolloutSpec = { app: "hello", stable: null, candidate, strategy, replicas: 1 }
 * const problems = rolloutIssues(spec)
 */
export interface RolloutSpec {
  readonly app: string
  readonly stable: Revision | null
  readonly candidate: Revision
  readonly strategy: unknown
  readonly gates?: ReadonlyArray<Gate<unknown>>
  readonly replicas: number
}

/**
 * Checks that every gate a Gate step names exists among `gates`.
 *
 * @example
 * import { gateReferenceIssues } from "@slipway/core"
 * gateReferenceIssues({ steps: [{ _tag: "Gate", gates: ["latency"] }] }, [])
 * // [{ path: "steps[0].gates", message: 'unknown gate "latency"; this rollout has no gates (pass them in `gates`)' }]
 */
export const gateReferenceIssues = (
  strategy: unknown,
  gates: ReadonlyArray<Gate<unknown>>,
): Array<StrategyIssue> => {
  const steps = (strategy as { readonly steps?: unknown } | null)?.steps
  if (!Array.isArray(steps)) return []
  const known = new Set(gates.map((g) => g.name))
  const offered =
    gates.length === 0
      ? "this rollout has no gates (pass them in `gates`)"
      : `this rollout's gates are: ${[...known].join(", ")}`
  const issues: Array<StrategyIssue> = []
  steps.forEach((step: unknown, i) => {
    const s = step as { readonly _tag?: unknown; readonly gates?: unknown } | null
    if (s?._tag !== "Gate" || !Array.isArray(s.gates)) return
    for (const name of s.gates) {
      if (typeof name === "string" && !known.has(name)) {
        issues.push({
          path: `steps[${i}].gates`,
          message: `unknown gate ${JSON.stringify(name)}; ${offered}`,
        })
      }
    }
  })
  return issues
}

/**
 * Every reason the rollout cannot start (empty when it can).
 *
 * @example
 * import { rolloutIssues } from "@slipway/core"
 * rolloutIssues({ app: "hello", stable, candidate, strategy, replicas: 0 })
 * // [{ path: "replicas", message: "0 is not a replica count; use a whole number of at least 1" }]
 */
export const rolloutIssues = (spec: RolloutSpec): ReadonlyArray<StrategyIssue> => {
  const issues: Array<StrategyIssue> = [...strategyIssues(spec.strategy)]
  const gates = spec.gates ?? []
  if (!APP_NAME.test(spec.app)) {
    issues.push({
      path: "app",
      message: `${JSON.stringify(spec.app)} is not a valid app name; use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
    })
  }
  if (!Number.isInteger(spec.replicas) || spec.replicas < 1) {
    issues.push({
      path: "replicas",
      message: `${spec.replicas} is not a replica count; use a whole number of at least 1`,
    })
  }
  if (spec.candidate.app !== spec.app) {
    issues.push({
      path: "candidate.app",
      message: `the candidate revision belongs to app ${JSON.stringify(spec.candidate.app)}, not ${JSON.stringify(spec.app)}`,
    })
  }
  if (spec.stable !== null && spec.stable.app !== spec.app) {
    issues.push({
      path: "stable.app",
      message: `the stable revision belongs to app ${JSON.stringify(spec.stable.app)}, not ${JSON.stringify(spec.app)}`,
    })
  }
  if (spec.stable !== null && spec.stable.id === spec.candidate.id) {
    issues.push({
      path: "candidate",
      message: `revision ${spec.candidate.id} is already the stable revision; nothing to roll out (change the artifact or config to make a new revision)`,
    })
  }
  const seen = new Set<string>()
  gates.forEach((gate, i) => {
    if (gate.name.trim().length === 0) {
      issues.push({ path: `gates[${i}].name`, message: "a gate needs a name, to report its verdicts under" })
    } else if (seen.has(gate.name)) {
      issues.push({
        path: `gates[${i}].name`,
        message: `duplicate gate name ${JSON.stringify(gate.name)}; give each gate its own name so its verdicts can be told apart`,
      })
    }
    seen.add(gate.name)
  })
  issues.push(...gateReferenceIssues(spec.strategy, gates))
  return issues
}

/**
 * Validates a rollout before anything changes: succeeds with the typed strategy, or fails
 * with `StrategyInvalid` listing every issue.
 *
 * @example
 * import { validateRollout } from "@slipway/core"
 * import { Effect } from "effect"
 * const strategy = yield* validateRollout({ app, stable, candidate, strategy: input, gates, replicas: 2 })
 */
export const validateRollout = (spec: RolloutSpec): Effect.Effect<Strategy, StrategyInvalid> =>
  Effect.suspend(() => {
    const issues = rolloutIssues(spec)
    return issues.length > 0
      ? Effect.fail(new StrategyInvalid({ issues }))
      : Effect.succeed(Schema.decodeUnknownSync(Strategy)(spec.strategy))
  })
