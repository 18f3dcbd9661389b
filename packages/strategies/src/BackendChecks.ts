/**
 * Whether a native backend can run a strategy exactly as written, and if not, why and what
 * to do instead. `explain` reports these as errors and the `@slipway/aws` compilers refuse
 * with the first of them, so the two cannot disagree: this module is the only place the
 * rules are written. Limits come from `backendLimits`.
 *
 * Only what depends on the strategy is checked here. What depends on how the service is
 * wired (alarms standing for gates, hook functions, a test listener) the compilers check
 * on top; Slipway's services wire them whenever `gates` and `observe` are given.
 */
import { formatDuration, type Strategy, strategyIssues } from "@slipway/core"
import { type Backend, type BackendLimits, backendLimits } from "./Backends.ts"
import * as Segments from "./Segments.ts"

/**
 * One thing a backend cannot run. `reason` names the step or field and the mechanism's
 * limit; `alternative` is the fix (when there is one) and then the driven alternative;
 * `message` is all of it in one line.
 *
 * @example
 * import { backendIssues, canary } from "@slipway/strategies"
 * const [issue] = backendIssues(canary({ steps: [{ weight: 10, bake: "90s" }] }), "ecs-native")
 * issue?.path // "steps[2]"
 * issue?.reason // "the bake at 10% is 1m30s, which is not a whole number of minutes; the mechanism counts minutes and Slipway does not round a bake"
 * issue?.alternative // 'use a duration of 2m or 1m, or run it driven: set rollout: { mode: "driven" } on the FargateService (…)'
 */
export interface BackendIssue {
  readonly backend: Backend
  /** The step or field at fault (`steps[2]`, `scaleDownDelay`, `steps`), when there is one. */
  readonly path?: string
  readonly reason: string
  /** What to change to stay native, when something can be. */
  readonly fix?: string
  /** `fix`, then running it driven. */
  readonly alternative: string
  /** `<backend> cannot run this strategy natively: <path>: <reason>. Instead: <alternative>`. */
  readonly message: string
}

const MINUTE = 60_000

/** A duration as written, keeping sub-second parts (`formatDuration` drops them past a second). */
const exact = (ms: number): string => (ms % 1_000 === 0 ? formatDuration(ms) : `${ms}ms`)
/** A limit in hours, the way AWS documents it (`48h`, not `2d`). */
const hours = (ms: number): string => `${ms / 3_600_000}h`

type Add = (reason: string, options?: { readonly path?: string | undefined; readonly fix?: string }) => void

/**
 * `<path>: <reason>`, or the reason alone when it names the step already. `explain` lists
 * issues under a heading naming the backend, so it uses this rather than `message`.
 */
export const locatedReason = (issue: {
  readonly path?: string | undefined
  readonly reason: string
}): string =>
  issue.path !== undefined && !issue.reason.includes(issue.path)
    ? `${issue.path}: ${issue.reason}`
    : issue.reason

const issue = (
  backend: Backend,
  reason: string,
  path: string | undefined,
  fix: string | undefined,
): BackendIssue => {
  const driven = backendLimits[backend].drivenAlternative
  const alternative =
    fix === undefined ? (driven ?? "fix the strategy") : driven === null ? fix : `${fix}, or ${driven}`
  const subject = backend === "driven" ? "" : `${backend} cannot run this strategy natively: `
  return {
    backend,
    ...(path === undefined ? {} : { path }),
    reason,
    ...(fix === undefined ? {} : { fix }),
    alternative,
    message: `${subject}${locatedReason({ path, reason })}. Instead: ${alternative}`,
  }
}

/**
 * `ms` in whole units of the backend's granularity, or `undefined` after adding an issue:
 * rounding a bake would change the plan.
 */
const wholeUnits = (
  limits: BackendLimits,
  add: Add,
  ms: number,
  what: string,
  path: string | undefined,
): number | undefined => {
  const unit = limits.granularityMs
  if (ms % unit === 0) return ms / unit
  add(
    `${what} is ${exact(ms)}, which is not a whole number of ${limits.granularity}; the mechanism counts ${limits.granularity} and Slipway does not round a bake`,
    {
      path,
      fix: `use a duration of ${formatDuration(Math.ceil(ms / unit) * unit)} or ${formatDuration(Math.max(unit, Math.floor(ms / unit) * unit))}`,
    },
  )
  return undefined
}

/** The plan's segments in order: before traffic, the plateaus, at 100%. */
const inOrder = (plan: Segments.TrafficSegments): ReadonlyArray<Segments.Segment> => [
  plan.pre,
  ...plan.plateaus,
  plan.final,
]

// --- ECS deploymentConfiguration -------------------------------------------------------

/**
 * The ECS deployment strategy a strategy maps to: ROLLING when Scale steps size the
 * candidate with its traffic, else BLUE_GREEN, CANARY or LINEAR by the number of
 * intermediate weights. Meaningful once `backendIssues(strategy, "ecs-native")` is empty.
 *
 * @example
 * import { ecsDeploymentStrategy, linear, rolling } from "@slipway/strategies"
 * ecsDeploymentStrategy(linear({ stepPercent: 25, interval: "2m" })) // "LINEAR"
 * ecsDeploymentStrategy(rolling({ batchPercent: 25, pauseBetween: 0 })) // "ROLLING"
 */
export const ecsDeploymentStrategy = (strategy: Strategy): "ROLLING" | "BLUE_GREEN" | "CANARY" | "LINEAR" => {
  const plan = Segments.of(strategy)
  const scales = inOrder(plan).flatMap(Segments.scalesIn)
  if (scales.some((s) => Segments.tracksTraffic(strategy, s) && s.step.percent !== 100)) return "ROLLING"
  const n = plan.plateaus.length
  return n === 0 ? "BLUE_GREEN" : n === 1 ? "CANARY" : "LINEAR"
}

const ecsRollingIssues = (strategy: Strategy, plan: Segments.TrafficSegments, add: Add): void => {
  const segments = inOrder(plan)
  const wait = segments
    .map((s) => [...Segments.timedPausesIn(s), ...Segments.manualPausesIn(s)][0])
    .find((w) => w !== undefined)
  if (wait !== undefined) {
    add(
      `steps[${wait.index}] pauses, but its Scale steps make this a rolling replacement and ECS ROLLING cannot pause between batches`,
      {
        path: `steps[${wait.index}]`,
        fix: "remove the pauses (rolling with pauseBetween 0), or shift traffic to a full-size candidate (linear: ECS LINEAR)",
      },
    )
  }
  const apart = segments.flatMap(Segments.scalesIn).find((s) => !Segments.tracksTraffic(strategy, s))
  if (apart !== undefined) {
    add(
      `steps[${apart.index}] scales the candidate apart from its traffic, but the other Scale steps make this a rolling replacement (ECS ROLLING starts new tasks only as they take traffic)`,
      { path: `steps[${apart.index}]` },
    )
  }
  const preGate = Segments.gatesIn(plan.pre)[0]
  if (preGate !== undefined) {
    add(`steps[${preGate.index}] is a Gate before any traffic, but ECS ROLLING has no pre-traffic stage`, {
      path: `steps[${preGate.index}]`,
    })
  }
  // Batches of whole replicas round their weights (33, 66, 100): allow one point of difference.
  const weights = Segments.weights(plan)
  const steps = weights.map((w, i) => w - (i === 0 ? 0 : weights[i - 1]!))
  const batch = Math.max(...steps)
  if (steps.slice(0, -1).some((s) => batch - s > 1)) {
    add(
      `ECS ROLLING replaces the same share of tasks in every batch; this strategy moves ${Segments.increments(weights)}`,
      { path: "steps", fix: "use equal batches" },
    )
  }
}

const ecsIssues = (strategy: Strategy, plan: Segments.TrafficSegments, add: Add): void => {
  const limits = backendLimits["ecs-native"]
  const maxMinutes = limits.maxPauseMs! / MINUTE
  const mode = ecsDeploymentStrategy(strategy)
  if (mode === "ROLLING") {
    ecsRollingIssues(strategy, plan, add)
    return
  }

  const checkBake = (minutes: number, what: string, path: string | undefined): void => {
    if (minutes > maxMinutes) {
      add(`${what} is ${minutes} minutes; ECS accepts 0–${maxMinutes}`, {
        path,
        fix: `shorten it to ${hours(limits.maxPauseMs!)} or less`,
      })
    }
  }

  const scale = inOrder(plan)
    .flatMap(Segments.scalesIn)
    .find((s) => s.step.percent !== 100)
  if (scale?.step.replicas !== undefined) {
    add(
      `steps[${scale.index}] scales the candidate to ${scale.step.replicas} replicas; ECS sizes a new revision by the service's desiredCount`,
      {
        path: `steps[${scale.index}]`,
        fix: "use `percent: 100` (ECS runs the new revision at full size before shifting)",
      },
    )
  } else if (scale !== undefined) {
    add(
      `steps[${scale.index}] scales the candidate to ${scale.step.percent}%; ECS runs a new revision at the service's full desiredCount before shifting any traffic`,
      { path: `steps[${scale.index}]`, fix: "use `percent: 100`, or drop the Scale step" },
    )
  }

  // Which of CANARY / LINEAR the intermediate weights make; `undefined` when neither.
  let shifting: "BLUE_GREEN" | "CANARY" | "LINEAR" | undefined = mode
  if (mode === "LINEAR") {
    const weights = plan.plateaus.map((s) => s.weight)
    const step = Segments.equalStep(weights)
    if (step === undefined) {
      shifting = undefined
      add(
        `ECS CANARY shifts traffic once: canaryPercent then 100%. This strategy has ${weights.length + 1} weights (${Segments.weights(plan).join(", ")}), and ECS LINEAR needs equal steps (these are ${Segments.increments(Segments.weights(plan))})`,
        { path: Segments.pathOf(undefined, plan.plateaus[1]) ?? "steps" },
      )
    } else {
      if (step < limits.minStepPercent) {
        add(`ECS LINEAR stepPercent must be ${limits.minStepPercent}–100; this strategy steps ${step}%`, {
          path: Segments.pathOf(undefined, plan.plateaus[0]) ?? "steps",
          fix: `use steps of ${limits.minStepPercent}% or more`,
        })
      }
      const bakes = plan.plateaus.map(Segments.bakeOf)
      if (new Set(bakes).size > 1) {
        add(
          `ECS LINEAR bakes the same time after every step; this strategy bakes ${bakes.map(formatDuration).join(", ")}`,
          {
            path:
              Segments.pathOf(undefined, plan.plateaus[bakes.findIndex((b) => b !== bakes[0])]) ?? "steps",
            fix: "use one bake for every step",
          },
        )
      }
    }
  }

  const stuck = plan.plateaus
    .map((p) => ({ plateau: p, manual: Segments.manualPausesIn(p)[0] }))
    .find((p) => p.manual !== undefined)
  if (stuck !== undefined) {
    add(
      `steps[${stuck.manual!.index}] pauses until promoted at ${stuck.plateau.weight}%; ECS ${shifting ?? "CANARY/LINEAR"} has no lifecycle stage that runs once at an intermediate weight (PRE_PRODUCTION_TRAFFIC_SHIFT runs before every shift)`,
      { path: `steps[${stuck.manual!.index}]`, fix: "use a timed pause (a bake)" },
    )
  }

  // Before traffic: gates and timed pauses run in one hook; a pause until promoted becomes a
  // PAUSE hook, which has a once-only stage only before the hook or, for BLUE_GREEN, after it.
  const order = Segments.waitOrder(plan.pre)
  const manual = Segments.manualPausesIn(plan.pre)
  const holdIndex = order.indexOf("hold")
  if (order.filter((kind) => kind === "hold").length > 1) {
    add(
      "a pause until promoted sits between pre-traffic gates; ECS runs them in one lifecycle hook and cannot split it around a pause",
      { path: Segments.pathOf(manual[0]), fix: "move the pause before or after the gates" },
    )
  } else if (
    shifting !== undefined &&
    shifting !== "BLUE_GREEN" &&
    holdIndex >= 0 &&
    order.lastIndexOf("manual") > holdIndex
  ) {
    const last = manual[manual.length - 1]!
    add(
      `the pause until promoted at steps[${last.index}] follows the pre-traffic gates; its only later stage, PRE_PRODUCTION_TRAFFIC_SHIFT, runs before every ${shifting} shift, not once`,
      { path: Segments.pathOf(last), fix: "move the pause before the gates" },
    )
  }

  // After 100%: a pause until promoted happens at POST_PRODUCTION_TRAFFIC_SHIFT, before the bake.
  const finalOrder = Segments.waitOrder({
    ...plan.final,
    steps: plan.final.steps.filter((s) => s.step._tag === "Pause"),
  })
  const finalManual = Segments.manualPausesIn(plan.final)
  if (finalManual.length > 0 && (finalOrder[0] !== "manual" || finalOrder.length > 2)) {
    add(
      `steps[${finalManual[0]!.index}] pauses until promoted after a timed pause at 100%; ECS runs POST_PRODUCTION_TRAFFIC_SHIFT hooks before the bake time`,
      {
        path: `steps[${finalManual[0]!.index}]`,
        fix: "put the pause until promoted first after SetWeight 100",
      },
    )
  }
  const finalPath = Segments.pathOf(Segments.timedPausesIn(plan.final)[0])
  const pauseMinutes = wholeUnits(limits, add, Segments.bakeOf(plan.final), "the pause after 100%", finalPath)
  if (pauseMinutes !== undefined) {
    // scaleDownDelay is a floor on how long the old side stays up, so rounding it up keeps the promise.
    checkBake(
      pauseMinutes + Math.ceil(strategy.scaleDownDelay / MINUTE),
      "the bake after 100% (pauses + scaleDownDelay)",
      finalPath ?? "scaleDownDelay",
    )
  }

  if (shifting === "CANARY" || shifting === "LINEAR") {
    const plateau = plan.plateaus[0]!
    const path = Segments.pathOf(Segments.timedPausesIn(plateau)[0], plateau)
    const what = shifting === "CANARY" ? `the bake at ${plateau.weight}%` : "the bake after each step"
    const minutes = wholeUnits(limits, add, Segments.bakeOf(plateau), what, path)
    if (minutes !== undefined) checkBake(minutes, what, path)
  }
}

// --- CodeDeploy for Lambda -------------------------------------------------------------

const codeDeployIssues = (plan: Segments.TrafficSegments, add: Add): void => {
  const limits = backendLimits["codedeploy-lambda"]
  const maxMinutes = limits.maxPauseMs! / MINUTE
  const manual = inOrder(plan).flatMap(Segments.manualPausesIn)[0]
  if (manual !== undefined) {
    add(
      `steps[${manual.index}] pauses until promoted; CodeDeploy Lambda deployments cannot wait for a person`,
      {
        path: `steps[${manual.index}]`,
        fix: "use a timed pause",
      },
    )
  }
  const preWait = Segments.timedPausesIn(plan.pre)[0]
  if (preWait !== undefined) {
    add(
      `steps[${preWait.index}] waits before any traffic; CodeDeploy starts shifting as soon as the BeforeAllowTraffic hook answers`,
      { path: `steps[${preWait.index}]`, fix: "remove the pause, or bake after the first SetWeight" },
    )
  }
  const finalWait = Segments.timedPausesIn(plan.final)[0]
  if (finalWait !== undefined) {
    add(
      `steps[${finalWait.index}] waits after 100%; a CodeDeploy Lambda deployment ends with the last shift and has no bake time`,
      { path: `steps[${finalWait.index}]`, fix: "bake before the last SetWeight instead" },
    )
  }

  // The interval of one plateau in whole minutes, or `undefined` after adding an issue.
  const intervalOf = (segment: Segments.Segment): number | undefined => {
    const what = `the bake at ${segment.weight}%`
    const path = Segments.pathOf(Segments.timedPausesIn(segment)[0], segment)
    const ms = Segments.bakeOf(segment)
    const minutes = wholeUnits(limits, add, ms, what, path)
    if (minutes === undefined) return undefined
    if (ms < limits.minPauseMs) {
      add(
        `${what} is ${ms === 0 ? "0" : formatDuration(ms)}; CodeDeploy waits at least ${limits.minPauseMs === MINUTE ? "one whole minute" : formatDuration(limits.minPauseMs)} between shifts`,
        { path, fix: `add a Pause of ${formatDuration(limits.minPauseMs)} or more after the SetWeight` },
      )
      return undefined
    }
    if (minutes > maxMinutes) {
      add(`${what} is ${minutes} minutes; CodeDeploy waits at most ${maxMinutes} minutes between shifts`, {
        path,
        fix: `bake ${hours(limits.maxPauseMs!)} or less`,
      })
      return undefined
    }
    return minutes
  }

  const weights = plan.plateaus.map((s) => s.weight)
  const step = weights.length > 1 ? Segments.equalStep(weights) : undefined
  if (weights.length > 1 && step === undefined) {
    add(
      `CodeDeploy TimeBasedCanary shifts traffic once: percentage then 100%. This strategy has ${weights.length + 1} weights (${Segments.weights(plan).join(", ")}), and TimeBasedLinear needs equal steps (these are ${Segments.increments(Segments.weights(plan))})`,
      { path: `steps[${plan.plateaus[1]!.openedAt}]` },
    )
  }
  // Every plateau's interval is checked, but one bad interval is reported once (they usually repeat).
  const intervals: Array<number> = []
  for (const plateau of plan.plateaus) {
    const minutes = intervalOf(plateau)
    if (minutes === undefined) return
    intervals.push(minutes)
  }
  if (step !== undefined && new Set(intervals).size > 1) {
    add(
      `CodeDeploy TimeBasedLinear waits the same interval after every step; this strategy waits ${intervals.map((m) => `${m}m`).join(", ")}`,
      { path: "steps", fix: "use one bake for every step" },
    )
  }
}

// --- EC2 Auto Scaling instance refresh -------------------------------------------------

const instanceRefreshIssues = (strategy: Strategy, plan: Segments.TrafficSegments, add: Add): void => {
  const limits = backendLimits["asg-refresh"]
  const segments = inOrder(plan)
  const manual = segments.flatMap(Segments.manualPausesIn)[0]
  if (manual !== undefined) {
    add(
      `steps[${manual.index}] pauses until promoted; instance refresh checkpoints wait a fixed checkpointDelay and cannot wait for a person`,
      { path: `steps[${manual.index}]`, fix: "use a timed pause" },
    )
  }
  const ahead = segments.flatMap(Segments.scalesIn).find((s) => !Segments.tracksTraffic(strategy, s))
  if (ahead !== undefined) {
    add(
      `steps[${ahead.index}] sizes the candidate ${ahead.step.percent === undefined ? `to ${ahead.step.replicas} replicas` : `to ${ahead.step.percent}%`} ahead of its traffic, beside an untouched old fleet; an instance refresh replaces old instances in place, each new one taking traffic as it comes in service`,
      {
        path: `steps[${ahead.index}]`,
        fix: "drop the Scale step or use rolling() (capacity moves with traffic)",
      },
    )
  }
  const first = (segment: Segments.Segment) =>
    [...Segments.gatesIn(segment), ...Segments.timedPausesIn(segment)].sort((a, b) => a.index - b.index)[0]
  const preStep = first(plan.pre)
  if (preStep !== undefined) {
    add(
      `steps[${preStep.index}] ${preStep.step._tag === "Gate" ? "gates" : "waits"} before any traffic; an instance refresh has no stage before new instances serve`,
      { path: `steps[${preStep.index}]` },
    )
  }
  const finalStep = first(plan.final)
  if (finalStep !== undefined) {
    add(
      `steps[${finalStep.index}] ${finalStep.step._tag === "Gate" ? "gates" : "waits"} after 100%; an instance refresh ends with its last replacement and watches nothing after it`,
      { path: `steps[${finalStep.index}]`, fix: "gate and bake before the last SetWeight" },
    )
  }
  const bakes = plan.plateaus.map(Segments.bakeOf)
  if (new Set(bakes).size > 1) {
    const odd = plan.plateaus[bakes.findIndex((b) => b !== bakes[0])]
    add(
      `an instance refresh waits the same checkpointDelay at every checkpoint; this strategy bakes ${bakes.map(formatDuration).join(", ")}`,
      { path: Segments.pathOf(undefined, odd) ?? "steps", fix: "use one bake for every step" },
    )
  }
  const firstPlateau = plan.plateaus[0]
  if (firstPlateau !== undefined) {
    const pause = Segments.timedPausesIn(firstPlateau)[0]
    const seconds = wholeUnits(
      limits,
      add,
      bakes[0]!,
      "the checkpoint bake",
      Segments.pathOf(pause, firstPlateau),
    )
    if (seconds !== undefined && bakes[0]! > limits.maxPauseMs!) {
      add(
        `the checkpoint bake is ${formatDuration(bakes[0]!)}; checkpointDelay is at most ${hours(limits.maxPauseMs!)} (${limits.maxPauseMs! / 1_000} s)`,
        { path: Segments.pathOf(pause) ?? "steps", fix: `bake ${hours(limits.maxPauseMs!)} or less` },
      )
    }
  }
}

/**
 * What `backend` cannot run of `strategy`, most important first; empty when it runs it
 * exactly as written. `driven` runs any valid strategy. An invalid strategy gives one
 * issue naming its bad fields.
 *
 * The `@slipway/aws` compilers refuse with the first issue (`compileEcs` for `ecs-native`,
 * `compileCodeDeployLambda`, `compileInstanceRefresh` for `asg-refresh`), and `explain`
 * reports every issue as an error.
 *
 * @example
 * import { backendIssues, canary, rolling } from "@slipway/strategies"
 * backendIssues(canary({ steps: [{ weight: 10, bake: "5m" }] }), "asg-refresh")[0]?.reason
 * // "steps[0] sizes the candidate to 100% ahead of its traffic, beside an untouched old fleet; …"
 * backendIssues(rolling({ batchPercent: 25, pauseBetween: "2m" }), "asg-refresh") // []
 */
export const backendIssues = (strategy: Strategy, backend: Backend): ReadonlyArray<BackendIssue> => {
  const issues: Array<BackendIssue> = []
  const add: Add = (reason, options = {}) => issues.push(issue(backend, reason, options.path, options.fix))
  const invalid = strategyIssues(strategy)
  if (invalid.length > 0) {
    add(`the strategy is invalid: ${invalid.map((i) => `${i.path}: ${i.message}`).join("; ")}`, {
      path: invalid[0]!.path,
      fix: "fix the fields named above",
    })
    return issues
  }
  const plan = Segments.of(strategy)
  switch (backend) {
    case "driven":
      break
    case "ecs-native":
      ecsIssues(strategy, plan, add)
      break
    case "codedeploy-lambda":
      codeDeployIssues(plan, add)
      break
    case "asg-refresh":
      instanceRefreshIssues(strategy, plan, add)
      break
  }
  return issues
}
