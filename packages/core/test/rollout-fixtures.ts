/**
 * Shared pieces for the engine's tests: two revisions of a "shop" app, a strategy
 * builder, scripted gates, a world where shop-a serves at 3 replicas, and helpers that
 * read the memory world's call log.
 */
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import type { RolloutEvent } from "../src/Events.ts"
import { Journal, type JournalShape } from "../src/Journal.ts"
import * as Memory from "../src/Memory.ts"
import type { Revision } from "../src/Revision.ts"
import { RolloutEvents } from "../src/RolloutEvents.ts"
import { defaultAnalysis, type Step, type Strategy } from "../src/Strategy.ts"
import { type Gate, type GateContext, Verdict } from "../src/Verdict.ts"

export const APP = "shop"

export const revision = (name: string): Revision => ({
  id: `${APP}-${name}`,
  app: APP,
  artifact: { digest: `sha256:${name.repeat(8)}`, uri: `memory://${name}` },
  config: {},
})

export const A = revision("a")
export const B = revision("b")
export const C = revision("c")

export const MINUTE = 60_000

export const strategy = (steps: ReadonlyArray<Step>, overrides: Partial<Strategy> = {}): Strategy => ({
  kind: "custom",
  steps,
  analysis: { ...defaultAnalysis, interval: MINUTE },
  scaleDownDelay: 30_000,
  progressDeadline: 10 * MINUTE,
  ...overrides,
})

export const setWeight = (weight: number): Step => ({ _tag: "SetWeight", weight })
export const pause = (duration?: number): Step =>
  duration === undefined ? { _tag: "Pause" } : { _tag: "Pause", duration }
export const gateStep = (...gates: ReadonlyArray<string>): Step =>
  gates.length === 0 ? { _tag: "Gate" } : { _tag: "Gate", gates }
export const scale = (spec: { replicas: number } | { percent: number }): Step => ({ _tag: "Scale", ...spec })

type Outcome = "Pass" | "Fail" | "Inconclusive"

/** A gate whose verdicts follow `script(call, context)`; `calls` counts its evaluations. */
export const scriptedGate = (
  name: string,
  script: (call: number, context: GateContext) => Outcome,
  options: { readonly dryRun?: boolean } = {},
): Gate & { readonly calls: () => number; readonly contexts: ReadonlyArray<GateContext> } => {
  let calls = 0
  const contexts: Array<GateContext> = []
  return {
    name,
    ...(options.dryRun ? { dryRun: true } : {}),
    calls: () => calls,
    contexts,
    check: (context) =>
      Effect.sync(() => {
        calls++
        contexts.push(context)
        const outcome = script(calls, context)
        const evidence = [{ gate: name, observed: calls, threshold: "scripted" }]
        return Verdict[outcome]({ reason: `${name} says ${outcome.toLowerCase()} (call ${calls})`, evidence })
      }),
  }
}

export const passing = (name = "health") => scriptedGate(name, () => "Pass")

/** A world where shop-a serves all traffic at 3 replicas, a memory journal, and the layers over both. */
export const makeEnv = (options: { readonly journal?: JournalShape } = {}) =>
  Effect.gen(function* () {
    const world = yield* Memory.makeWorld
    const journal = options.journal ?? (yield* Journal.makeMemory)
    yield* world.seed({ weights: { [APP]: { [A.id]: 100 } }, replicas: { [A.id]: 3 } })
    const layer = Layer.mergeAll(
      Memory.layerWorld(world),
      Layer.succeed(Journal, journal),
      RolloutEvents.layerDiscard,
    )
    return { world, journal, layer }
  })

/**
 * Lets forked fibers run until they block (on a sleep or a queue), without moving time.
 * TestClock tracks the work a woken sleep causes, but not what a freshly forked fiber
 * does before its first sleep: settle before adjusting the clock.
 */
export const settle = Effect.gen(function* () {
  for (let i = 0; i < 100; i++) yield* Effect.yieldNow
})

/** Forks `effect`, lets it settle, moves virtual time forward by `horizon` ms, and joins it. */
export const runFor = <A, E, R>(effect: Effect.Effect<A, E, R>, horizon = 24 * 60 * MINUTE) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(effect)
    yield* settle
    yield* TestClock.adjust(horizon)
    return yield* Fiber.join(fiber)
  })

/** Successful `setWeights` calls, as the candidate-weight sequence for `candidate`. */
export const candidateWeights = (calls: ReadonlyArray<string>, candidate: Revision = B): Array<number> =>
  calls
    .filter((c) => c.startsWith("setWeights ") && !c.includes(" -> failed"))
    .map((c) => {
      const match = new RegExp(`${candidate.id}:(\\d+)`).exec(c)
      return match === null ? 0 : Number(match[1])
    })

/** Calls that change a revision's replicas (ensure or scale). */
export const callsOn = (calls: ReadonlyArray<string>, revision: Revision): Array<string> =>
  calls.filter((c) => (c.startsWith("ensure ") || c.startsWith("scale ")) && c.split(" ")[1] === revision.id)

export const tags = (events: ReadonlyArray<RolloutEvent>): Array<string> => events.map((e) => e._tag)

export const ofTag = <T extends RolloutEvent["_tag"]>(events: ReadonlyArray<RolloutEvent>, tag: T) =>
  events.filter((e): e is Extract<RolloutEvent, { _tag: T }> => e._tag === tag)
