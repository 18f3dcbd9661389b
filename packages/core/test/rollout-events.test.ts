import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Schema, Stream } from "effect"
import { RolloutEvent } from "../src/Events.ts"
import { Journal } from "../src/Journal.ts"
import * as Memory from "../src/Memory.ts"
import * as Rollout from "../src/Rollout.ts"
import { isTerminalEvent, RolloutEventBus, RolloutEventLog, RolloutEvents } from "../src/RolloutEvents.ts"
import { decodeRolloutRecord } from "../src/RolloutRecord.ts"
import {
  A,
  APP,
  B,
  gateStep,
  MINUTE,
  passing,
  pause,
  runFor,
  setWeight,
  strategy,
  tags,
} from "./rollout-fixtures.ts"

const s = strategy([setWeight(10), pause(2 * MINUTE), gateStep(), setWeight(100)])
const options = { app: APP, stable: A, candidate: B, strategy: s, gates: [passing()], replicas: 2 }

describe("rollout events", () => {
  it.effect("subscribers of the PubSub layer see every event the journal keeps, in order", () =>
    Effect.gen(function* () {
      const bus = yield* RolloutEventBus
      const subscription = yield* bus.subscribe
      const collected = yield* Effect.forkChild(
        Stream.runCollect(subscription.pipe(Stream.takeUntil(isTerminalEvent))),
      )
      const outcome = yield* runFor(Rollout.run(options))
      const seen = yield* Fiber.join(collected)
      assert.deepStrictEqual(seen, outcome.record.events)
      assert.strictEqual(seen.at(-1)?._tag, "Succeeded")
    }).pipe(Effect.provide(Layer.mergeAll(Memory.layer, Journal.layerMemory, RolloutEvents.layerPubSub))),
  )

  it.effect("the collecting layer keeps them for tests", () =>
    Effect.gen(function* () {
      const outcome = yield* runFor(Rollout.run(options))
      const log = yield* RolloutEventLog
      const events = yield* log.events
      assert.deepStrictEqual(tags(events), tags(outcome.record.events))
      yield* log.clear
      assert.deepStrictEqual(yield* log.events, [])
    }).pipe(Effect.provide(Layer.mergeAll(Memory.layer, Journal.layerMemory, RolloutEvents.layerCollect))),
  )

  it.effect("events and records survive a JSON round trip through their schemas", () =>
    Effect.gen(function* () {
      const outcome = yield* runFor(Rollout.run(options))
      const json = JSON.parse(JSON.stringify(outcome.record))
      assert.deepStrictEqual(yield* decodeRolloutRecord(json), outcome.record)
      const decode = Schema.decodeUnknownSync(RolloutEvent)
      for (const e of outcome.record.events) assert.deepStrictEqual(decode(JSON.parse(JSON.stringify(e))), e)
      assert.includeMembers(tags(outcome.record.events), [
        "RolloutStarted",
        "StepStarted",
        "WeightSet",
        "Paused",
        "GateEvaluated",
        "StepCompleted",
        "Scaled",
        "Succeeded",
      ])
    }).pipe(Effect.provide(Layer.mergeAll(Memory.layer, Journal.layerMemory, RolloutEvents.layerDiscard))),
  )
})
