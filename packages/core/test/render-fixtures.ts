/**
 * Hand-built event streams for the renderer tests: what the engine emits for a
 * successful canary, a canary rolled back by a failing gate, and a rollout paused until
 * an operator promotes it. Times are fixed (15 Jan 2025, 12:00:00 UTC) so output is exact.
 */
import type { RolloutEvent, VerdictData } from "../src/Events.ts"
import type { Step, Strategy } from "../src/Strategy.ts"

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0)
/** Seconds after T0, as epoch ms. */
export const at = (seconds: number): number => T0 + seconds * 1_000

const strategy = (kind: string, steps: ReadonlyArray<Step>): Strategy => ({
  kind,
  steps,
  analysis: { interval: 30_000, failureLimit: 0, inconclusiveLimit: 3, onInconclusiveLimit: "pause" },
  scaleDownDelay: 30_000,
  progressDeadline: 600_000,
})

type Evidence = VerdictData["evidence"][number]

const stream = (rolloutId: string, app: string) => {
  const base = (seconds: number) => ({ rolloutId, app, at: at(seconds) })
  return {
    started: (seconds: number, stable: string | null, candidate: string, s: Strategy): RolloutEvent => ({
      _tag: "RolloutStarted",
      ...base(seconds),
      stable,
      candidate,
      strategy: s,
      resumed: false,
    }),
    step: (seconds: number, index: number, step: Step): RolloutEvent => ({
      _tag: "StepStarted",
      ...base(seconds),
      index,
      step,
    }),
    done: (seconds: number, index: number): RolloutEvent => ({
      _tag: "StepCompleted",
      ...base(seconds),
      index,
    }),
    weight: (seconds: number, stable: string, candidate: string, candidateWeight: number): RolloutEvent => ({
      _tag: "WeightSet",
      ...base(seconds),
      weights: { [stable]: 100 - candidateWeight, [candidate]: candidateWeight },
      candidateWeight,
    }),
    gate: (
      seconds: number,
      index: number,
      gate: string,
      tag: VerdictData["_tag"],
      reason: string,
      evidence: ReadonlyArray<Evidence>,
      dryRun = false,
    ): RolloutEvent => ({
      _tag: "GateEvaluated",
      ...base(seconds),
      index,
      gate,
      verdict: { _tag: tag, reason, evidence },
      dryRun,
    }),
    paused: (seconds: number, index: number, untilSeconds?: number): RolloutEvent => ({
      _tag: "Paused",
      ...base(seconds),
      index,
      reason: "step",
      ...(untilSeconds !== undefined ? { until: at(untilSeconds) } : {}),
    }),
    resumed: (seconds: number, index: number): RolloutEvent => ({ _tag: "Resumed", ...base(seconds), index }),
    promoted: (seconds: number, index: number, full: boolean): RolloutEvent => ({
      _tag: "Promoted",
      ...base(seconds),
      index,
      full,
    }),
    scaled: (seconds: number, revision: string, replicas: number): RolloutEvent => ({
      _tag: "Scaled",
      ...base(seconds),
      revision,
      replicas,
    }),
    rollbackStarted: (seconds: number, reason: string): RolloutEvent => ({
      _tag: "RollbackStarted",
      ...base(seconds),
      reason,
    }),
    rolledBack: (seconds: number, reason: string): RolloutEvent => ({
      _tag: "RolledBack",
      ...base(seconds),
      reason,
    }),
    succeeded: (seconds: number, revision: string): RolloutEvent => ({
      _tag: "Succeeded",
      ...base(seconds),
      revision,
    }),
  }
}

const errorRateQuery = (revision: string) =>
  `sum(rate(http_5xx{revision="${revision}"}[30s])) / sum(rate(http_requests{revision="${revision}"}[30s]))`

/**
 * shop v41 → v42, five steps: 20%, gate, 50%, a one-minute pause (gates sampled in the
 * background, one of them without data), 100%. Succeeds after 1m33s.
 */
export const successfulCanary = (): ReadonlyArray<RolloutEvent> => {
  const e = stream("r-canary", "shop")
  return [
    e.started(
      0,
      "v41",
      "v42",
      strategy("canary", [
        { _tag: "SetWeight", weight: 20 },
        { _tag: "Gate", gates: ["error-rate", "latency-p99"] },
        { _tag: "SetWeight", weight: 50 },
        { _tag: "Pause", duration: 60_000 },
        { _tag: "SetWeight", weight: 100 },
      ]),
    ),
    e.step(0, 0, { _tag: "SetWeight", weight: 20 }),
    e.weight(1, "v41", "v42", 20),
    e.done(1, 0),
    e.step(1, 1, { _tag: "Gate", gates: ["error-rate", "latency-p99"] }),
    e.gate(31, 1, "error-rate", "Pass", "error rate 0.2% < 1%", [
      {
        gate: "error-rate",
        query: errorRateQuery("v42"),
        observed: 0.002,
        threshold: "< 0.01",
        sampleSize: 1200,
      },
    ]),
    e.gate(31, 1, "latency-p99", "Pass", "p99 182ms < 500ms", [
      {
        gate: "latency-p99",
        query: 'histogram_quantile(0.99, latency_ms{revision="v42"}[30s])',
        observed: 182,
        threshold: "< 500",
        sampleSize: 1200,
      },
    ]),
    e.done(31, 1),
    e.step(31, 2, { _tag: "SetWeight", weight: 50 }),
    e.weight(32, "v41", "v42", 50),
    e.done(32, 2),
    e.step(32, 3, { _tag: "Pause", duration: 60_000 }),
    e.paused(32, 3, 92),
    e.gate(62, 3, "error-rate", "Pass", "error rate 0.4% < 1%", [
      {
        gate: "error-rate",
        query: errorRateQuery("v42"),
        observed: 0.004,
        threshold: "< 0.01",
        sampleSize: 3100,
      },
    ]),
    e.gate(62, 3, "latency-p99", "Inconclusive", "only 4 requests in the window; need 50", [
      {
        gate: "latency-p99",
        query: 'histogram_quantile(0.99, latency_ms{revision="v42"}[30s])',
        observed: null,
        threshold: "< 500",
        sampleSize: 4,
      },
    ]),
    e.resumed(92, 3),
    e.done(92, 3),
    e.step(92, 4, { _tag: "SetWeight", weight: 100 }),
    e.weight(93, "v41", "v42", 100),
    e.done(93, 4),
    e.succeeded(93, "v42"),
  ]
}

export const ROLLBACK_REASON = "gate error-rate failed at step 4: error rate 4.2% ≥ 1%"

/**
 * api v7 → v8, seven steps. A dry-run smoke gate fails at step 2 (recorded, ignored); the
 * error-rate gate fails at step 4 (+62s); traffic is back on v7 1.5s later; the
 * candidate is scaled down after the 30s scale-down delay.
 */
export const rolledBackCanary = (): ReadonlyArray<RolloutEvent> => {
  const e = stream("r-rollback", "api")
  return [
    e.started(
      0,
      "v7",
      "v8",
      strategy("canary", [
        { _tag: "SetWeight", weight: 10 },
        { _tag: "Gate" },
        { _tag: "SetWeight", weight: 25 },
        { _tag: "Gate" },
        { _tag: "SetWeight", weight: 50 },
        { _tag: "Gate" },
        { _tag: "SetWeight", weight: 100 },
      ]),
    ),
    e.step(0, 0, { _tag: "SetWeight", weight: 10 }),
    e.weight(1, "v7", "v8", 10),
    e.done(1, 0),
    e.step(1, 1, { _tag: "Gate" }),
    e.gate(31, 1, "error-rate", "Pass", "error rate 0.3% < 1%", [
      {
        gate: "error-rate",
        query: errorRateQuery("v8"),
        observed: 0.003,
        threshold: "< 0.01",
        sampleSize: 400,
      },
    ]),
    e.gate(
      31,
      1,
      "smoke",
      "Fail",
      "GET /checkout returned 503",
      [
        {
          gate: "smoke",
          query: "GET http://api.localhost/checkout",
          detail: "HTTP/1.1 503 Service Unavailable",
        },
      ],
      true,
    ),
    e.done(31, 1),
    e.step(31, 2, { _tag: "SetWeight", weight: 25 }),
    e.weight(32, "v7", "v8", 25),
    e.done(32, 2),
    e.step(32, 3, { _tag: "Gate" }),
    e.gate(62, 3, "error-rate", "Fail", "error rate 4.2% ≥ 1%", [
      {
        gate: "error-rate",
        query: errorRateQuery("v8"),
        observed: 0.042,
        threshold: "< 0.01",
        sampleSize: 800,
        values: [0.031, 0.044, 0.051],
      },
    ]),
    e.rollbackStarted(62.5, ROLLBACK_REASON),
    e.weight(63.5, "v7", "v8", 0),
    e.scaled(93.5, "v8", 0),
    e.rolledBack(93.5, ROLLBACK_REASON),
  ]
}

/** web v1 → v2: 25%, then a pause until promoted (an operator promotes after 10m), then 100%. */
export const pausedThenPromoted = (): ReadonlyArray<RolloutEvent> => {
  const e = stream("r-promote", "web")
  return [
    e.started(
      0,
      "v1",
      "v2",
      strategy("canary", [
        { _tag: "SetWeight", weight: 25 },
        { _tag: "Pause" },
        { _tag: "SetWeight", weight: 100 },
      ]),
    ),
    e.step(0, 0, { _tag: "SetWeight", weight: 25 }),
    e.weight(1, "v1", "v2", 25),
    e.done(1, 0),
    e.step(1, 1, { _tag: "Pause" }),
    e.paused(1, 1),
    e.promoted(601, 1, false),
    e.done(601, 1),
    e.step(601, 2, { _tag: "SetWeight", weight: 100 }),
    e.weight(602, "v1", "v2", 100),
    e.done(602, 2),
    e.succeeded(602, "v2"),
  ]
}

/** The same rollout, but the operator aborts during the pause instead of promoting. */
export const pausedThenAborted = (): ReadonlyArray<RolloutEvent> => {
  const e = stream("r-promote", "web")
  return [
    ...pausedThenPromoted().slice(0, 6),
    e.rollbackStarted(100, "aborted by an operator"),
    e.weight(101, "v1", "v2", 0),
    e.rolledBack(131, "aborted by an operator"),
  ]
}

/** Every event with its app renamed (to check that user data is escaped). */
export const withApp = (events: ReadonlyArray<RolloutEvent>, app: string): ReadonlyArray<RolloutEvent> =>
  events.map((e) => ({ ...e, app }))
