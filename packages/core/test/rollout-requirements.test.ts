/**
 * `Rollout.run` and `Rollout.resume` need what the engine needs plus what every gate
 * needs, inferred from the gates themselves: a list mixing gates that need different
 * services types without annotations. The type-level checks here are compiled by the
 * package's typecheck (`@ts-expect-error` fails it when a line stops being an error).
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, type Option } from "effect"
import type { Compute, TrafficRouter } from "../src/Capabilities.ts"
import type { Journal } from "../src/Journal.ts"
import type { JournalError, RolloutLocked } from "../src/JournalError.ts"
import * as Rollout from "../src/Rollout.ts"
import type { RolloutEvents } from "../src/RolloutEvents.ts"
import type { RolloutOutcome } from "../src/RolloutOutcome.ts"
import type { StrategyInvalid } from "../src/Strategy.ts"
import { type Gate, Verdict } from "../src/Verdict.ts"
import { A, APP, B, gateStep, makeEnv, passing, runFor, setWeight, strategy } from "./rollout-fixtures.ts"

/** The candidate's error rate, as some metrics backend reports it. */
class ErrorRates extends Context.Service<ErrorRates, { readonly of: (revision: string) => number }>()(
  "test/ErrorRates",
) {}

/** Alarm states, as some monitoring service reports them. */
class Alarms extends Context.Service<Alarms, { readonly state: (name: string) => "OK" | "ALARM" }>()(
  "test/Alarms",
) {}

const errors: Gate<ErrorRates> = {
  name: "errors",
  check: (context) =>
    Effect.gen(function* () {
      const observed = (yield* ErrorRates).of(context.candidate.id)
      const evidence = [{ gate: "errors", observed, threshold: "< 0.01" }]
      return observed < 0.01
        ? Verdict.Pass({ reason: `error rate ${observed} < 0.01`, evidence })
        : Verdict.Fail({ reason: `error rate ${observed} ≥ 0.01`, evidence })
    }),
}

const alarm: Gate<Alarms> = {
  name: "alarm",
  check: () =>
    Effect.gen(function* () {
      const state = (yield* Alarms).state("shop-5xx")
      const evidence = [{ gate: "alarm", detail: `shop-5xx is ${state}` }]
      return state === "OK"
        ? Verdict.Pass({ reason: "shop-5xx is OK", evidence })
        : Verdict.Fail({ reason: "shop-5xx is in ALARM", evidence })
    }),
}

const options = {
  app: APP,
  stable: A,
  candidate: B,
  strategy: strategy([setWeight(50), gateStep(), setWeight(100)]),
  replicas: 3,
}

type Engine = Compute | TrafficRouter | Journal | RolloutEvents
type RunErrors = Rollout.RolloutFailed | RolloutLocked | StrategyInvalid | JournalError

describe("what a rollout requires", () => {
  it("is inferred as the union of its gates' services, with no annotation", () => {
    const program = Rollout.run({ ...options, gates: [errors, alarm] })
    const needs: Effect.Effect<RolloutOutcome, RunErrors, Engine | ErrorRates | Alarms> = program
    // @ts-expect-error: the alarm gate needs Alarms
    const withoutAlarms: Effect.Effect<RolloutOutcome, RunErrors, Engine | ErrorRates> = program
    // @ts-expect-error: the error-rate gate needs ErrorRates
    const withoutRates: Effect.Effect<RolloutOutcome, RunErrors, Engine | Alarms> = program

    const resumed = Rollout.resume(APP, { gates: [alarm, errors] })
    const resumeNeeds: Effect.Effect<
      Option.Option<RolloutOutcome>,
      RunErrors,
      Engine | ErrorRates | Alarms
    > = resumed
    // @ts-expect-error: resume needs the gates' services too
    const resumeWithout: Effect.Effect<Option.Option<RolloutOutcome>, RunErrors, Engine> = resumed
    assert.lengthOf([needs, withoutAlarms, withoutRates, resumeNeeds, resumeWithout], 5)
  })

  it("is the engine's alone without gates, or with gates that need nothing", () => {
    const bare: Effect.Effect<RolloutOutcome, RunErrors, Engine> = Rollout.run(options)
    const free: Effect.Effect<RolloutOutcome, RunErrors, Engine> = Rollout.run({
      ...options,
      gates: [passing("health")],
    })
    const nothing: Effect.Effect<Option.Option<RolloutOutcome>, RunErrors, Engine> = Rollout.resume(APP)
    assert.lengthOf([bare, free, nothing], 3)
  })

  it("still accepts the services named by hand, on the gates or on the call", () => {
    const annotated: ReadonlyArray<Gate<ErrorRates | Alarms>> = [errors, alarm]
    const fromList: Effect.Effect<RolloutOutcome, RunErrors, Engine | ErrorRates | Alarms> = Rollout.run({
      ...options,
      gates: annotated,
    })
    const fromCall: Effect.Effect<RolloutOutcome, RunErrors, Engine | ErrorRates | Alarms> = Rollout.run<
      ErrorRates | Alarms
    >({ ...options, gates: [errors, alarm] })
    const typedOptions: Rollout.RunOptions<ErrorRates | Alarms> = { ...options, gates: [errors, alarm] }
    const fromOptions: Effect.Effect<RolloutOutcome, RunErrors, Engine | ErrorRates | Alarms> =
      Rollout.run(typedOptions)
    const resumed: Effect.Effect<
      Option.Option<RolloutOutcome>,
      RunErrors,
      Engine | ErrorRates | Alarms
    > = Rollout.resume<ErrorRates | Alarms>(APP, { gates: [errors, alarm] })
    Rollout.run<ErrorRates>({
      ...options,
      // @ts-expect-error: naming the services by hand still checks the gates against them
      gates: [errors, alarm],
    })
    assert.lengthOf([fromList, fromCall, fromOptions, resumed], 4)
  })

  it.effect("runs with each gate's service provided by its own layer", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      const rates = Layer.succeed(ErrorRates, { of: () => 0.002 })
      const alarms = Layer.succeed(Alarms, { state: () => "OK" })
      const outcome = yield* runFor(
        Rollout.run({ ...options, gates: [errors, alarm] }).pipe(
          Effect.provide(rates),
          Effect.provide(alarms),
          Effect.provide(env.layer),
        ),
      )
      assert.strictEqual(outcome.status, "succeeded")
      const evaluated = outcome.record.events.flatMap((e) =>
        e._tag === "GateEvaluated" ? [`${e.gate}: ${e.verdict.reason}`] : [],
      )
      assert.includeMembers(evaluated, ["errors: error rate 0.002 < 0.01", "alarm: shop-5xx is OK"])
    }),
  )

  it.effect("rolls back when the gate reading the second service fails", () =>
    Effect.gen(function* () {
      const env = yield* makeEnv()
      const outcome = yield* runFor(
        Rollout.run({ ...options, gates: [errors, alarm] }).pipe(
          Effect.provide(Layer.succeed(ErrorRates, { of: () => 0.002 })),
          Effect.provide(Layer.succeed(Alarms, { state: () => "ALARM" })),
          Effect.provide(env.layer),
        ),
      )
      assert.strictEqual(outcome.status, "rolled-back")
      assert.include(outcome.record.rollbackReason, "alarm: shop-5xx is in ALARM")
      assert.deepStrictEqual(yield* env.world.weights(APP), { [A.id]: 100, [B.id]: 0 })
    }),
  )
})
