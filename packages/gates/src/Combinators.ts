/**
 * The verdict algebra: gates built from gates. `all` and `any` evaluate their gates
 * concurrently and keep every piece of evidence; `not` inverts; `named`, `dryRun` and
 * `interval` change how a gate is reported or scheduled without changing what it
 * checks. Gates marked dry-run inside `all`/`any` are recorded but never decide.
 */
import { type DurationInput, type Evidence, type Gate, type GateContext, Verdict } from "@slipway/core"
import { Effect } from "effect"
import { GateConfigError } from "./GateConfigError.ts"
import { positiveDurationOption } from "./internal/options.ts"
import { slowest, timingField } from "./internal/timing.ts"
import { annotate, guard, sameKind } from "./internal/verdicts.ts"

/**
 * The services a list of gates needs together.
 *
 * @example
 * import type { Gate, MetricSource } from "@slipway/core"
 * import type { ProbeTarget, RequirementsOf } from "@slipway/gates"
 * type Needs = RequirementsOf<[Gate<ProbeTarget>, Gate<MetricSource>]> // ProbeTarget | MetricSource
 */
export type RequirementsOf<G extends ReadonlyArray<Gate<unknown>>> = G[number] extends infer Each
  ? Each extends Gate<infer R>
    ? R
    : never
  : never

interface Outcome {
  readonly gate: Gate<unknown>
  readonly verdict: Verdict
}

const evaluate = <R>(gates: ReadonlyArray<Gate<R>>, context: GateContext) =>
  Effect.forEach(
    gates,
    (gate) => Effect.map(gate.check(context), (verdict): Outcome => ({ gate, verdict })),
    {
      concurrency: "unbounded",
    },
  )

// Dry-run gates decide only when every gate is dry-run (then the composite is itself a
// dry run, recorded and never acted on). Otherwise they are kept as evidence only.
const split = (outcomes: ReadonlyArray<Outcome>) => {
  const everyDry = outcomes.length > 0 && outcomes.every((o) => o.gate.dryRun === true)
  const deciding = everyDry ? outcomes : outcomes.filter((o) => o.gate.dryRun !== true)
  const evidence: Array<Evidence> = outcomes.flatMap((o) =>
    o.gate.dryRun === true && !everyDry
      ? [
          { gate: o.gate.name, detail: `dry run, not deciding: ${o.verdict._tag}: ${o.verdict.reason}` },
          ...annotate(o.verdict.evidence, "dry run"),
        ]
      : o.verdict.evidence,
  )
  const byTag = (tag: Verdict["_tag"]) => deciding.filter((o) => o.verdict._tag === tag)
  return { deciding, evidence, pass: byTag("Pass"), fail: byTag("Fail"), inconclusive: byTag("Inconclusive") }
}

const reasons = (outcomes: ReadonlyArray<Outcome>): string => outcomes.map((o) => o.verdict.reason).join("; ")

const compositeName = (kind: string, gates: ReadonlyArray<Gate<unknown>>): string =>
  `${kind}(${gates.map((g) => g.name).join(", ")})`

const everyDryRun = (gates: ReadonlyArray<Gate<unknown>>): { readonly dryRun?: true } =>
  gates.length > 0 && gates.every((g) => g.dryRun === true) ? { dryRun: true } : {}

/**
 * Passes when every gate passes. Fails if any fails; otherwise Inconclusive if any is
 * Inconclusive. An empty `all()` passes (nothing to check).
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const healthy = Gate.all(
 *   Gate.http("/healthz"),
 *   Gate.errorRate({ max: 0.01, window: "1m" }),
 *   Gate.latency({ percentile: 95, max: 300, window: "1m" }),
 * )
 */
export const all = <const G extends ReadonlyArray<Gate<unknown>>>(...gates: G): Gate<RequirementsOf<G>> => {
  const name = compositeName("all", gates)
  return {
    name,
    ...timingField(slowest(gates.map((g) => g.timing))),
    ...everyDryRun(gates),
    check: (context) =>
      guard(
        name,
        Effect.map(evaluate(gates as ReadonlyArray<Gate<RequirementsOf<G>>>, context), (outcomes) => {
          const { deciding, evidence, fail, inconclusive } = split(outcomes)
          if (fail.length > 0) return Verdict.Fail({ reason: reasons(fail), evidence })
          if (inconclusive.length > 0)
            return Verdict.Inconclusive({ reason: reasons(inconclusive), evidence })
          return Verdict.Pass({
            reason: deciding.length === 0 ? "no gates to check" : reasons(deciding),
            evidence,
          })
        }),
      ),
  }
}

/**
 * Passes when at least one gate passes. Fails when every gate fails; otherwise
 * Inconclusive. Needs at least one gate.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * // Either health endpoint will do while the app moves from /health to /healthz.
 * const health = Gate.any(Gate.http("/healthz"), Gate.http("/health"))
 */
export const any = <const G extends ReadonlyArray<Gate<unknown>>>(...gates: G): Gate<RequirementsOf<G>> => {
  const name = compositeName("any", gates)
  if (gates.length === 0) {
    throw new GateConfigError({
      gate: "any()",
      field: "gates",
      problem: "is empty; any() needs at least one gate",
    })
  }
  return {
    name,
    ...timingField(slowest(gates.map((g) => g.timing))),
    ...everyDryRun(gates),
    check: (context) =>
      guard(
        name,
        Effect.map(evaluate(gates as ReadonlyArray<Gate<RequirementsOf<G>>>, context), (outcomes) => {
          const { deciding, evidence, pass, inconclusive } = split(outcomes)
          const first = pass[0]
          if (first !== undefined) return Verdict.Pass({ reason: first.verdict.reason, evidence })
          if (inconclusive.length > 0)
            return Verdict.Inconclusive({ reason: reasons(inconclusive), evidence })
          if (deciding.length === 0)
            return Verdict.Inconclusive({ reason: "every gate is a dry run", evidence })
          return Verdict.Fail({ reason: reasons(deciding), evidence })
        }),
      ),
  }
}

/**
 * Inverts a gate: Pass becomes Fail and Fail becomes Pass; Inconclusive stays
 * Inconclusive (not knowing is not knowing).
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * // The debug endpoint must not be reachable on the new revision.
 * const noDebug = Gate.not(Gate.http("/debug/pprof", { expectStatus: "2xx" }))
 */
export const not = <R>(gate: Gate<R>): Gate<R> => {
  const name = `not(${gate.name})`
  return {
    ...gate,
    name,
    check: (context) =>
      guard(
        name,
        Effect.map(gate.check(context), (verdict) => {
          switch (verdict._tag) {
            case "Pass":
              return Verdict.Fail({
                reason: `expected ${gate.name} not to pass: ${verdict.reason}`,
                evidence: verdict.evidence,
              })
            case "Fail":
              return Verdict.Pass({
                reason: `${gate.name} did not pass, as expected: ${verdict.reason}`,
                evidence: verdict.evidence,
              })
            case "Inconclusive":
              return verdict
          }
        }),
      ),
  }
}

/**
 * Renames a gate (the name strategies' Gate steps refer to and reports show). Evidence
 * the gate itself produced is relabelled; evidence of the gates inside it keeps their names.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const slo = Gate.named("slo", Gate.all(Gate.errorRate({ max: 0.01, window: "5m" }), Gate.latency({ max: 300, window: "5m" })))
 */
export const named = <R>(name: string, gate: Gate<R>): Gate<R> => {
  if (name.trim().length === 0)
    throw new GateConfigError({ gate: gate.name, field: "name", problem: "is empty" })
  return {
    ...gate,
    name,
    check: (context) =>
      Effect.map(gate.check(context), (verdict) =>
        sameKind(
          verdict,
          verdict.reason,
          verdict.evidence.map((e) => (e.gate === gate.name ? { ...e, gate: name } : e)),
        ),
      ),
  }
}

/**
 * Marks a gate as a dry run: it is evaluated and its verdict recorded, but it never
 * stops a rollout (nor decides an `all`/`any` it is part of). A way to trial a new gate
 * on real releases before trusting it.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const trial = Gate.dryRun(Gate.mannWhitney({ window: "5m" }))
 */
export const dryRun = <R>(gate: Gate<R>): Gate<R> => ({ ...gate, dryRun: true })

/**
 * Sets how often a gate is sampled (`timing.interval`): the engine samples it that
 * often during pauses, and `consecutive`/`failureLimit`/`inconclusiveLimit` space their
 * repeated samples by it.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const probe = Gate.interval("2s", Gate.http("/healthz"))
 */
export const interval = <R>(every: DurationInput, gate: Gate<R>): Gate<R> => ({
  ...gate,
  timing: { ...gate.timing, interval: positiveDurationOption(gate.name, "interval", every) },
})
