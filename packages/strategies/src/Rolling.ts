/**
 * Rolling: the candidate grows batch by batch and its share of traffic follows its share
 * of capacity, so no replica ever takes more than its part. Slipway keeps the stable
 * revision at full size until promotion (it is never touched before), so `maxSurge` and
 * `maxUnavailable` set the pace as in Kubernetes and ECS — a wave replaces at most
 * `maxSurge + maxUnavailable` — without ever taking capacity away.
 */
import type { DurationInput, Step, Strategy } from "@slipway/core"
import { complete, gateStep, MAX_STEPS } from "./internal/Build.ts"
import { Checker, show } from "./internal/Check.ts"
import { type CommonOptions, commonKeys, readPolicies } from "./Options.ts"

/**
 * A replica count (needs `replicas`), or a percent of the service written `"25%"`.
 *
 * @example
 * import type { ReplicasOrPercent } from "@slipway/strategies"
 * const surge: ReplicasOrPercent = "25%"
 * const one: ReplicasOrPercent = 1
 */
export type ReplicasOrPercent = number | `${number}%`

/**
 * Options for {@link rolling}. Give the batch as `batchSize` (replicas, with `replicas`)
 * or `batchPercent`; without either it is `maxSurge + maxUnavailable` (default 25% + 0).
 *
 * @example
 * import { rolling, type RollingOptions } from "@slipway/strategies"
 * const options: RollingOptions = { replicas: 6, batchSize: 2, pauseBetween: "2m" }
 * rolling(options)
 */
export interface RollingOptions extends CommonOptions {
  /** Replicas replaced per batch; needs `replicas` to turn batches into traffic percents. */
  readonly batchSize?: number
  /** Percent of the service replaced per batch, 1..100. */
  readonly batchPercent?: number
  /** The service's replica count; needed for counts (`batchSize`, numeric surge/unavailable). */
  readonly replicas?: number
  /** New replicas a wave may start beyond the service size. Default `"25%"`. */
  readonly maxSurge?: ReplicasOrPercent
  /** Replicas a wave may take away. Default 0: Slipway never shrinks the stable side before promotion. */
  readonly maxUnavailable?: ReplicasOrPercent
  /** Hold after each batch while gates watch it. Default `"1m"` (one standard CloudWatch period). */
  readonly pauseBetween?: DurationInput
  /** Gates checked after each batch (by name); every gate of the rollout when omitted. */
  readonly gates?: ReadonlyArray<string>
}

const keys = [
  "batchSize",
  "batchPercent",
  "replicas",
  "maxSurge",
  "maxUnavailable",
  "pauseBetween",
  "gates",
  ...commonKeys,
] as const

const DEFAULT_PAUSE = 60_000

type Amount = { readonly replicas: number } | { readonly percent: number }

const readAmount = (
  c: Checker,
  field: string,
  value: unknown,
  replicas: number | undefined,
): Amount | undefined => {
  if (typeof value === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value)
    if (match === null) {
      return c.fail(field, `${show(value)} is not a replica count or a percent such as "25%"`)
    }
    const percent = c.percent(field, Number(match[1]))
    return percent === undefined ? undefined : { percent }
  }
  const count = c.wholeNumber(field, value, 0, "replicas")
  if (count === undefined) return undefined
  if (replicas === undefined) {
    return c.fail(
      field,
      `${count} replicas needs \`replicas\` (the service's size); or write a percent such as "25%"`,
    )
  }
  return { replicas: count }
}

/**
 * Builds a rolling strategy. Each batch is `Scale` (the candidate to its new size), then
 * `SetWeight` to the same share of traffic (rounded down, so traffic never outruns
 * capacity), then `Pause pauseBetween` and `Gate` — except after the last batch, which
 * ends at 100%.
 *
 * Throws `StrategyInvalid` naming every bad field.
 *
 * @example
 * import { rolling } from "@slipway/strategies"
 * rolling({ batchPercent: 25, pauseBetween: "2m" })
 * // Scale 25% → 25% → 2m → gate → Scale 50% → 50% → … → Scale 100% → 100%
 * rolling({ replicas: 3, batchSize: 1 })
 * // Scale 1 replica → 33% → … → Scale 2 → 66% → … → Scale 3 → 100%
 */
export const rolling = (options?: RollingOptions): Strategy => {
  const c = new Checker("rolling")
  const o = c.options(options, '{ batchPercent: 25, pauseBetween: "1m" }', true)
  c.knownKeys("", o, keys)
  const policies = readPolicies(c, o)
  const gates = o.gates === undefined ? undefined : c.gateNames("gates", o.gates)
  const pauseBetween =
    o.pauseBetween === undefined ? DEFAULT_PAUSE : c.duration("pauseBetween", o.pauseBetween, false)
  const replicas = o.replicas === undefined ? undefined : c.wholeNumber("replicas", o.replicas, 1, "replicas")
  const replicasOk = o.replicas === undefined || replicas !== undefined
  const batchSize =
    o.batchSize === undefined ? undefined : c.wholeNumber("batchSize", o.batchSize, 1, "replicas")
  const batchPercent = o.batchPercent === undefined ? undefined : c.percent("batchPercent", o.batchPercent, 1)
  if (o.batchSize !== undefined && o.batchPercent !== undefined) {
    c.fail("batchPercent", "give batchSize or batchPercent, not both")
  }
  if (batchSize !== undefined && replicasOk && replicas === undefined) {
    c.fail(
      "batchSize",
      `${batchSize} replicas per batch needs \`replicas\` (the service's size) to turn batches into traffic percents; or use batchPercent`,
    )
  }
  if (batchSize !== undefined && replicas !== undefined && batchSize > replicas) {
    c.fail("batchSize", `${batchSize} is more than the ${replicas} replicas; use at most ${replicas}`)
  }
  const surgeGiven = o.maxSurge !== undefined
  const unavailableGiven = o.maxUnavailable !== undefined
  const maxSurge = surgeGiven ? readAmount(c, "maxSurge", o.maxSurge, replicas) : { percent: 25 }
  const maxUnavailable = unavailableGiven
    ? readAmount(c, "maxUnavailable", o.maxUnavailable, replicas)
    : { percent: 0 }
  c.done()

  // Everything below is in replicas when the size is known, else in percent of the service.
  const n = replicas
  const toUnits = (a: Amount, round: (x: number) => number): number =>
    n === undefined
      ? "percent" in a
        ? a.percent
        : 0
      : "replicas" in a
        ? a.replicas
        : round((n * a.percent) / 100)
  // Kubernetes rounds surge up and unavailable down.
  const surge = toUnits(maxSurge!, Math.ceil)
  const unavailable = toUnits(maxUnavailable!, Math.floor)
  const unit = n === undefined ? "%" : " replicas"
  if ((surgeGiven || unavailableGiven) && surge + unavailable === 0) {
    c.fail(
      unavailableGiven ? "maxUnavailable" : "maxSurge",
      "maxSurge and maxUnavailable are both 0, so no replica could ever be replaced; raise one of them",
    )
    c.stop()
  }
  const total = n ?? 100
  const batch =
    batchSize ??
    (batchPercent === undefined
      ? Math.min(total, surge + unavailable)
      : n === undefined
        ? batchPercent
        : Math.max(1, Math.ceil((n * batchPercent) / 100)))
  const field = batchSize !== undefined ? "batchSize" : "batchPercent"
  if ((surgeGiven || unavailableGiven) && (batchSize !== undefined || batchPercent !== undefined)) {
    if (batch > surge + unavailable) {
      c.fail(
        field,
        `a batch of ${batch}${unit} is more than maxSurge + maxUnavailable allow (${surge}${unit} + ${unavailable}${unit}); raise maxSurge or use a smaller batch`,
      )
    }
  }
  const batches = Math.ceil(total / batch)
  const perBatch = 2 + (pauseBetween! > 0 ? 1 : 0) + 1
  const stepTotal = perBatch * (batches - 1) + 2
  if (stepTotal > MAX_STEPS) {
    c.fail(
      batchSize !== undefined || batchPercent !== undefined ? field : "maxSurge",
      `${batches} batches of ${batch}${unit} need ${stepTotal} steps but a strategy holds at most ${MAX_STEPS}; use larger batches`,
    )
  }
  c.done()

  const steps: Array<Step> = []
  for (let k = 1; k <= batches; k++) {
    const size = Math.min(total, k * batch)
    if (n === undefined) {
      steps.push({ _tag: "Scale", percent: size }, { _tag: "SetWeight", weight: size })
    } else {
      const weight = size === n ? 100 : Math.floor((100 * size) / n)
      steps.push({ _tag: "Scale", replicas: size }, { _tag: "SetWeight", weight })
    }
    if (k < batches) {
      if (pauseBetween! > 0) steps.push({ _tag: "Pause", duration: pauseBetween! })
      steps.push(gateStep(gates))
    }
  }
  return complete("rolling", steps, policies!)
}
