/**
 * `explain`: what a strategy will do, on a clock — when each weight is reached, the
 * shortest possible rollout, how long each gate needs to notice a bad release, and the
 * mistakes that make a progressive rollout protect less than it seems to.
 */
import {
  closest,
  formatDuration,
  type GateTiming,
  type Step,
  type Strategy,
  StrategyInvalid,
  strategyIssues,
} from "@slipway/core"
import { type BackendIssue, backendIssues, locatedReason } from "./BackendChecks.ts"
import { type Backend, backendLimits } from "./Backends.ts"
import { provenanceOf } from "./internal/Provenance.ts"
import { type Hold, timeline } from "./internal/Timeline.ts"
import { type TrafficShape, trafficShape } from "./Shape.ts"

/**
 * A gate as `explain` needs it: its name and timing. Any `Gate` from `@slipway/core` or
 * `@slipway/gates` fits.
 *
 * @example
 * import type { ExplainGate } from "@slipway/strategies"
 * const gate: ExplainGate = { name: "errors", timing: { interval: 60_000, failureLimit: 2, period: 60_000 } }
 */
export interface ExplainGate {
  readonly name: string
  readonly timing?: GateTiming
}

/**
 * Options for {@link explain}.
 *
 * @example
 * import { explain, canary10Percent5Minutes } from "@slipway/strategies"
 * explain(canary10Percent5Minutes, [], { backend: "ecs-native" })
 */
export interface ExplainOptions {
  /** Check the plan against a backend's shapes and limits too. Default `driven` (no limits). */
  readonly backend?: Backend
}

/**
 * One step on the clock.
 *
 * @example
 * import { explain, canary10Percent5Minutes } from "@slipway/strategies"
 * const [, setWeight] = explain(canary10Percent5Minutes).plan
 * // { index: 1, step: { _tag: "SetWeight", weight: 10 }, candidateWeight: 10, startsAt: 0, endsAt: 0, … }
 */
export interface PlannedStep {
  readonly index: number
  readonly step: Step
  /** Candidate traffic percent while the step runs (after it, for a SetWeight). */
  readonly candidateWeight: number
  /** Earliest start in ms from the rollout's start, taking manual approvals as instant. */
  readonly startsAt: number
  /** Earliest end; `null` for a pause that waits for `slipway promote`. */
  readonly endsAt: number | null
  /** Manual approvals needed before this step can start. */
  readonly afterApprovals: number
  /** Worst-case time for the gates watching this step (a Pause: all gates; a Gate: the ones it names) to fail. */
  readonly detectionMs: number | null
}

/**
 * A gate's worst-case detection time: `initialDelay + interval × (failureLimit + 1) + period`.
 *
 * @example
 * import { explain, canary10Percent5Minutes } from "@slipway/strategies"
 * explain(canary10Percent5Minutes, [{ name: "errors", timing: { interval: 60_000, failureLimit: 2, period: 60_000 } }])
 *   .detection[0]?.detectionMs // 240000
 */
export interface GateDetection {
  readonly name: string
  /** Time between samples: the gate's own interval, else the strategy's analysis interval. */
  readonly intervalMs: number
  /** Fails tolerated: the gate's own, else the strategy's analysis failureLimit. */
  readonly failureLimit: number
  readonly periodMs: number
  readonly initialDelayMs: number
  readonly detectionMs: number
  /** The sum written out, e.g. `0s + 1m × 3 + 1m = 4m`. */
  readonly formula: string
}

/**
 * When the candidate reaches a weight.
 *
 * @example
 * import { explain, linear10PercentEvery1Minute } from "@slipway/strategies"
 * explain(linear10PercentEvery1Minute).reaches.at(-1) // { weight: 100, atMs: 540000, afterApprovals: 0, stepIndex: 28 }
 */
export interface Reach {
  readonly weight: number
  readonly atMs: number
  readonly afterApprovals: number
  readonly stepIndex: number
}

/**
 * One thing `explain` found. An `error` is something the backend refuses — the
 * `@slipway/aws` compiler for it refuses with the same `reason`, `path` and `alternative` —
 * so the strategy cannot be deployed natively as written; a `warning` is something that
 * runs but protects less than it seems to.
 *
 * @example
 * import { canary, explain } from "@slipway/strategies"
 * const [finding] = explain(canary({ steps: [{ weight: 10, bake: "90s" }] }), [], { backend: "ecs-native" }).findings
 * if (finding?.severity === "error") console.log(finding.path, finding.reason, finding.alternative)
 */
export type ExplainFinding =
  | { readonly severity: "warning"; readonly message: string }
  | ({ readonly severity: "error" } & BackendIssue)

/**
 * Everything `explain` found; `text` is the same for people.
 *
 * @example
 * import { explain, canary } from "@slipway/strategies"
 * const e = explain(canary({ steps: [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }] }))
 * e.minimumTotalMs // 900000
 * console.log(e.text)
 */
export interface Explanation {
  readonly kind: string
  /** The preset name, when the strategy is one. */
  readonly label: string | undefined
  readonly plan: ReadonlyArray<PlannedStep>
  readonly reaches: ReadonlyArray<Reach>
  /** Shortest time from start to the last step, with manual approvals taken as instant. */
  readonly minimumTotalMs: number
  readonly manualApprovals: number
  /** The slowest gate's detection time; `null` when no gates were given. */
  readonly worstCaseDetectionMs: number | null
  readonly detection: ReadonlyArray<GateDetection>
  readonly shape: TrafficShape
  readonly backend: Backend
  /** Every finding, errors (what the backend refuses) first. */
  readonly findings: ReadonlyArray<ExplainFinding>
  /** The messages of the error-level findings: empty when the backend runs the plan as written. */
  readonly errors: ReadonlyArray<string>
  /** The message of every finding, errors included (see `findings` for which is which). */
  readonly warnings: ReadonlyArray<string>
  /** What the constructor did on your behalf (e.g. an appended SetWeight 100). */
  readonly notes: ReadonlyArray<string>
  readonly text: string
}

const fmt = (ms: number): string => (ms === 0 ? "0s" : formatDuration(ms))
const at = (ms: number, approvals: number): string =>
  `+${fmt(ms)}${approvals > 0 ? ` + ${approvals} approval${approvals === 1 ? "" : "s"}` : ""}`
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

const detectionOf = (gate: ExplainGate, analysis: Strategy["analysis"]): GateDetection => {
  const t = gate.timing ?? {}
  const intervalMs = t.interval ?? analysis.interval
  const failureLimit = t.failureLimit ?? analysis.failureLimit
  const periodMs = t.period ?? 0
  const initialDelayMs = t.initialDelay ?? 0
  const detectionMs = initialDelayMs + intervalMs * (failureLimit + 1) + periodMs
  return {
    name: gate.name,
    intervalMs,
    failureLimit,
    periodMs,
    initialDelayMs,
    detectionMs,
    formula: `${fmt(initialDelayMs)} + ${fmt(intervalMs)} × ${failureLimit + 1} + ${fmt(periodMs)} = ${fmt(detectionMs)}`,
  }
}

const slowest = (ds: ReadonlyArray<GateDetection>): GateDetection | undefined =>
  ds.reduce<GateDetection | undefined>(
    (worst, d) => (worst === undefined || d.detectionMs > worst.detectionMs ? d : worst),
    undefined,
  )

const describeShape = (shape: TrafficShape): string => {
  switch (shape._tag) {
    case "AllAtOnce":
      return "all at once"
    case "Canary":
      return `canary ${shape.percent}% for ${shape.bakeMs === null ? "until promoted" : fmt(shape.bakeMs)}, then 100%`
    case "Linear":
      return `linear +${shape.stepPercent}% every ${fmt(shape.intervalMs)}`
    case "Stepped":
      return `stepped ${shape.weights.map((w) => `${w}%`).join(" → ")}`
  }
}

const describe = (
  step: Step,
  weightBefore: number,
  detection: number | null,
  interval: number,
  appended: boolean,
): string => {
  switch (step._tag) {
    case "Scale":
      return step.percent !== undefined
        ? `scale the candidate to ${step.percent}% of stable's size`
        : `scale the candidate to ${plural(step.replicas ?? 0, "replica")}`
    case "SetWeight":
      return `shift traffic ${weightBefore}% → ${step.weight}%${appended ? "  (appended)" : ""}`
    case "Pause":
      if (step.duration === undefined) return "wait for `slipway promote`"
      return weightBefore === 0
        ? `wait ${fmt(step.duration)} before any traffic`
        : `bake ${fmt(step.duration)} (gates sample every ${fmt(interval)})`
    case "Gate": {
      const which = step.gates === undefined ? "every gate" : step.gates.join(", ")
      return `check ${which}${detection === null ? "" : ` (a failure shows within ${fmt(detection)})`}`
    }
  }
}

/**
 * Lays a strategy out on a clock and checks it against its gates' timing and, optionally,
 * a native backend's limits.
 *
 * - `plan`: every step with its earliest start and end (`endsAt: null` for manual pauses;
 *   later steps count the approvals they wait for in `afterApprovals`).
 * - `minimumTotalMs`: the shortest rollout, approvals taken as instant.
 * - `worstCaseDetectionMs`: per gate `initialDelay + interval × (failureLimit + 1) + period`
 *   (interval and failureLimit default to the strategy's analysis), the slowest over gates,
 *   and per step in `plan[i].detectionMs`.
 * - `findings` (messages in `warnings`): errors first — everything the backend refuses,
 *   from `backendIssues`, the same checks the `@slipway/aws` compilers refuse with (messages
 *   in `errors`) — then warnings: bakes shorter than detection, sampling faster than a
 *   metric's period, no gates, unknown gate names, jumps over 50 points, gates at 0%
 *   traffic, old side scaled down before a problem could be seen, pauses written in ms by
 *   mistake.
 *
 * Throws `StrategyInvalid` if the strategy itself is invalid.
 *
 * @example
 * import { canary, explain } from "@slipway/strategies"
 * const e = explain(
 *   canary({ steps: [{ weight: 10, bake: "5m" }, { weight: 50, bake: "10m" }] }),
 *   [{ name: "errors", timing: { interval: 60_000, failureLimit: 2, period: 60_000 } }],
 * )
 * e.minimumTotalMs // 900000 (100% at +15m)
 * e.worstCaseDetectionMs // 240000 (0s + 1m × 3 + 1m)
 * console.log(e.text)
 * explain(canary({ steps: [{ weight: 10, bake: "90s" }] }), [], { backend: "ecs-native" }).errors[0]
 * // "ecs-native cannot run this strategy natively: steps[2]: the bake at 10% is 1m30s, which is not a whole
 * //  number of minutes; … Instead: use a duration of 2m or 1m, or run it driven: set rollout: { mode: "driven" } …"
 */
export const explain = (
  strategy: Strategy,
  gates: ReadonlyArray<ExplainGate> = [],
  options: ExplainOptions = {},
): Explanation => {
  const issues = strategyIssues(strategy)
  if (issues.length > 0) throw new StrategyInvalid({ issues })
  const backend = options.backend ?? "driven"
  const limits = backendLimits[backend]
  if (limits === undefined) {
    throw new StrategyInvalid({
      issues: [
        {
          path: "explain.backend",
          message: `${JSON.stringify(backend)} is not a backend; use ${Object.keys(backendLimits).join(", ")}`,
        },
      ],
    })
  }
  const provenance = provenanceOf(strategy)
  const { steps: timed, holds, minimumTotalMs, manualApprovals } = timeline(strategy)
  const { analysis, kind } = strategy
  const detection = gates.map((g) => detectionOf(g, analysis))
  const byName = new Map(detection.map((d) => [d.name, d]))
  const named = (names: ReadonlyArray<string> | undefined): ReadonlyArray<GateDetection> =>
    names === undefined ? detection : names.flatMap((n) => byName.get(n) ?? [])
  const worst = slowest(detection)
  const warnings: Array<string> = []
  const warn = (message: string) => warnings.push(message)

  const plan: Array<PlannedStep> = timed.map((s) => {
    const watching =
      s.step._tag === "Gate"
        ? named(s.step.gates)
        : s.step._tag === "Pause" && s.step.duration !== undefined
          ? detection
          : []
    return { ...s, detectionMs: slowest(watching)?.detectionMs ?? null }
  })

  // --- gates and their timing
  const progressive = holds.some((h) => h.weight > 0 && h.weight < 100)
  if (gates.length === 0 && (progressive || ["canary", "linear", "rolling"].includes(kind))) {
    warn(
      "no gates: nothing can stop a bad release, the steps only slow it down. Give the rollout gates " +
        "(and pass them to explain to check their timing)",
    )
  }
  for (const d of detection) {
    if (d.periodMs > d.intervalMs) {
      const reads = Math.ceil(d.periodMs / d.intervalMs)
      warn(
        `gate "${d.name}" samples every ${fmt(d.intervalMs)} but each sample reads a ${fmt(d.periodMs)} window: ` +
          `consecutive samples read mostly the same data, so one bad period counts up to ${reads} times ` +
          `(failureLimit ${d.failureLimit} is stricter than it looks). Sample every ${fmt(d.periodMs)} or more ` +
          "(analysis.interval or the gate's own interval)",
      )
    }
  }
  if (gates.length > 0) {
    for (const s of plan) {
      if (s.step._tag !== "Gate" || s.step.gates === undefined) continue
      for (const name of s.step.gates) {
        if (byName.has(name)) continue
        const guess = closest(name, byName.keys())
        warn(
          `step ${s.index} checks gate "${name}", which is not among the rollout's gates ` +
            `(${[...byName.keys()].join(", ")})${guess ? `; did you mean "${guess}"?` : ""}`,
        )
      }
    }
  }

  // --- what each weight is held for, against how long the gates need
  const watchersOf = (hold: Hold): ReadonlyArray<GateDetection> => {
    const inside = hold.steps.map((i) => strategy.steps[i]!)
    const background = inside.some((s) => s._tag === "Pause" && s.duration !== undefined)
    if (background) return detection
    return inside.flatMap((s) => (s._tag === "Gate" ? named(s.gates) : []))
  }
  for (const hold of holds) {
    if (hold.weight === 0 || hold.weight >= 100 || gates.length === 0) continue
    const inside = hold.steps.map((i) => strategy.steps[i]!)
    if (!inside.some((s) => s._tag === "Gate" || s._tag === "Pause")) {
      warn(
        `step ${hold.from} moves to ${hold.weight}% and on to the next weight with no bake and no gate check`,
      )
      continue
    }
    if (hold.durationMs === null) continue
    const slow = slowest(watchersOf(hold))
    if (slow !== undefined && hold.durationMs < slow.detectionMs) {
      warn(
        `step ${hold.from} holds ${hold.weight}% for ${fmt(hold.durationMs)}, but gate "${slow.name}" needs up to ` +
          `${fmt(slow.detectionMs)} to fail (${slow.formula}): a bad release can move past ${hold.weight}% before ` +
          `any gate notices. Bake at least ${fmt(slow.detectionMs)}, or sample faster / lower failureLimit`,
      )
    }
  }
  if (worst !== undefined && strategy.scaleDownDelay < worst.detectionMs) {
    warn(
      `scaleDownDelay ${fmt(strategy.scaleDownDelay)} is shorter than the ${fmt(worst.detectionMs)} gate "${worst.name}" ` +
        "needs to fail: a problem that only shows at 100% is noticed after the old revision is scaled down, so " +
        `rolling back means starting it again. Keep it at least ${fmt(worst.detectionMs)}`,
    )
  }

  // --- the shape of the traffic
  let weightBefore = 0
  for (const s of plan) {
    if (s.step._tag === "SetWeight") {
      const jump = s.step.weight - weightBefore
      if (jump > 50 && kind !== "allAtOnce" && kind !== "blueGreen") {
        warn(
          `step ${s.index} moves traffic from ${weightBefore}% to ${s.step.weight}% in one step (+${jump} points): ` +
            "problems that only appear under more load are first seen at that weight. Add an intermediate step",
        )
      }
      weightBefore = s.step.weight
    }
    if (s.step._tag === "Gate" && s.candidateWeight === 0 && kind !== "blueGreen") {
      warn(
        `step ${s.index} checks gates while the candidate has 0% of traffic: metric gates see no requests and ` +
          "say Inconclusive; check probes here, or move the gate after a SetWeight",
      )
    }
    if (s.step._tag === "Pause" && s.step.duration !== undefined && s.step.duration < 1_000) {
      warn(
        `step ${s.index} pauses ${s.step.duration}ms: numbers are milliseconds — did you mean "${s.step.duration}s" or "${s.step.duration}m"?`,
      )
    }
  }

  // --- the backend: exactly what its compiler would refuse
  const shape = trafficShape(strategy)
  const refusals = backendIssues(strategy, backend)
  const findings: ReadonlyArray<ExplainFinding> = [
    ...refusals.map((i): ExplainFinding => ({ severity: "error", ...i })),
    ...warnings.map((message): ExplainFinding => ({ severity: "warning", message })),
  ]

  const reaches: Array<Reach> = plan.flatMap((s) =>
    s.step._tag === "SetWeight"
      ? [{ weight: s.step.weight, atMs: s.startsAt, afterApprovals: s.afterApprovals, stepIndex: s.index }]
      : [],
  )
  const notes = provenance?.notes ?? []
  const label = provenance?.label

  // --- text
  const lines: Array<string> = []
  const full = reaches.find((r) => r.weight === 100)!
  lines.push(
    `${label ?? kind}: ${plural(plan.length, "step")}, 100% at ${at(full.atMs, full.afterApprovals)} at the earliest` +
      (manualApprovals > 0 ? `, ${plural(manualApprovals, "manual approval")}` : ""),
  )
  lines.push("")
  const atColumn = plan.map((s) => at(s.startsAt, s.afterApprovals))
  const atWidth = Math.max(2, ...atColumn.map((a) => a.length))
  lines.push(`  ${"step".padStart(4)}  ${"at".padEnd(atWidth)}  ${"weight".padStart(6)}  action`)
  let before = 0
  plan.forEach((s, i) => {
    const action = describe(
      s.step,
      before,
      s.detectionMs,
      analysis.interval,
      provenance?.appendedStep === s.index,
    )
    lines.push(
      `  ${String(s.index).padStart(4)}  ${atColumn[i]!.padEnd(atWidth)}  ${`${s.candidateWeight}%`.padStart(6)}  ${action}`,
    )
    before = s.candidateWeight
  })
  lines.push("")
  lines.push("Traffic reaches")
  const reachAt = reaches.map((r) => at(r.atMs, r.afterApprovals))
  const reachWidth = Math.max(...reachAt.map((a) => a.length))
  reaches.forEach((r, i) => {
    lines.push(`  ${reachAt[i]!.padStart(reachWidth)}  ${`${r.weight}%`.padStart(4)}`)
  })
  lines.push("")
  lines.push(
    `Minimum total: ${fmt(minimumTotalMs)}` +
      (manualApprovals > 0 ? ` plus the time to ${plural(manualApprovals, "manual approval")}` : "") +
      " (readiness of scaled replicas not included)",
  )
  if (worst === undefined) {
    lines.push("Detection: no gates given")
  } else {
    lines.push(`Detection (worst case): ${fmt(worst.detectionMs)}, gate "${worst.name}"`)
    const nameWidth = Math.max(...detection.map((d) => d.name.length))
    for (const d of detection) {
      lines.push(
        `  ${d.name.padEnd(nameWidth)}  initial delay + interval × (failureLimit + 1) + period = ${d.formula}`,
      )
    }
  }
  lines.push(
    `Old revision kept ${fmt(strategy.scaleDownDelay)} after promotion or rollback; each step may wait ` +
      `${fmt(strategy.progressDeadline)} for readiness.`,
  )
  if (backend !== "driven") lines.push(`Backend: ${backend}, ${limits.title}; shape: ${describeShape(shape)}`)
  if (notes.length > 0) {
    lines.push("", "Notes")
    for (const n of notes) lines.push(`  - ${n}`)
  }
  if (refusals.length > 0) {
    lines.push("", `Errors (${refusals.length}): ${backend} refuses this plan as written`)
    for (const i of refusals) lines.push(`  ✗ ${locatedReason(i)}. Instead: ${i.alternative}`)
  }
  lines.push("", warnings.length === 0 ? "No warnings." : `Warnings (${warnings.length})`)
  for (const w of warnings) lines.push(`  ! ${w}`)

  return {
    kind,
    label,
    plan,
    reaches,
    minimumTotalMs,
    manualApprovals,
    worstCaseDetectionMs: worst?.detectionMs ?? null,
    detection,
    shape,
    backend,
    findings,
    errors: refusals.map((i) => i.message),
    warnings: findings.map((f) => f.message),
    notes,
    text: lines.join("\n"),
  }
}
