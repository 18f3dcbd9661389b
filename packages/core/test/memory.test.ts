import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { ArtifactStore, Compute, Dns, MetricSource, Packager, TrafficRouter } from "../src/Capabilities.ts"
import * as Memory from "../src/Memory.ts"
import { MemoryWorld } from "../src/Memory.ts"
import { B } from "./rollout-fixtures.ts"

const query = { app: "shop", revision: B.id, metric: "error_rate", window: 60_000 }

describe("memory capabilities", () => {
  it.effect("log every state-changing call in order, weights with sorted keys", () =>
    Effect.gen(function* () {
      const world = yield* MemoryWorld
      const compute = yield* Compute
      const router = yield* TrafficRouter
      yield* compute.ensure(B, 2)
      yield* router.setWeights("shop", { "shop-b": 20, "shop-a": 80 })
      yield* compute.scale(B.id, 0)
      yield* compute.health(B.id) // reads are not logged
      assert.deepStrictEqual(yield* world.calls, [
        "ensure shop-b 2",
        "setWeights shop {shop-a:80,shop-b:20}",
        "scale shop-b 0",
      ])
      assert.deepStrictEqual(yield* world.weights("shop"), { "shop-a": 80, "shop-b": 20 })
      assert.deepStrictEqual(yield* router.weights("shop"), { "shop-a": 80, "shop-b": 20 })
      assert.strictEqual(yield* world.replicas(B.id), 0)
    }).pipe(Effect.provide(Memory.layer)),
  )

  it.effect("inject failures: N times, per target, with a message", () =>
    Effect.gen(function* () {
      const world = yield* MemoryWorld
      const router = yield* TrafficRouter
      const compute = yield* Compute
      yield* world.fail({ operation: "setWeights", times: 1, message: "throttled" })
      yield* world.fail({ operation: "scale", target: "shop-x" })
      const first = yield* Effect.flip(router.setWeights("shop", { a: 100 }))
      assert.deepStrictEqual([first._tag, first.message], ["RouterError", "throttled"])
      yield* router.setWeights("shop", { a: 100 })
      yield* compute.scale(B.id, 1)
      assert.strictEqual((yield* Effect.flip(compute.scale("shop-x", 1))).message, "injected scale failure")
      assert.strictEqual((yield* Effect.flip(compute.scale("shop-x", 1))).message, "injected scale failure")
      assert.deepStrictEqual(yield* world.calls, [
        "setWeights shop {a:100} -> failed: throttled",
        "setWeights shop {a:100}",
        "scale shop-b 1",
        "scale shop-x 1 -> failed: injected scale failure",
        "scale shop-x 1 -> failed: injected scale failure",
      ])
    }).pipe(Effect.provide(Memory.layer)),
  )

  it.effect("refuse weights that are not whole percents summing to 100", () =>
    Effect.gen(function* () {
      const router = yield* TrafficRouter
      const error = yield* Effect.flip(router.setWeights("shop", { a: 70, b: 20 }))
      assert.include(error.message, "must be whole percents summing to 100")
    }).pipe(Effect.provide(Memory.layer)),
  )

  it.effect("a revision that never becomes ready blocks ensure and reports why", () =>
    Effect.gen(function* () {
      const world = yield* MemoryWorld
      const compute = yield* Compute
      yield* world.neverReady(B.id, "exit code 1")
      const fiber = yield* Effect.forkChild(compute.ensure(B, 3))
      yield* TestClock.adjust(60 * 60_000)
      assert.isUndefined(fiber.pollUnsafe())
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* compute.health(B.id), {
        revision: B.id,
        desired: 3,
        ready: 0,
        restarts: 0,
        lastError: "exit code 1",
      })
    }).pipe(Effect.provide(Memory.layer)),
  )

  it.effect("serve the metrics a test sets, per revision", () =>
    Effect.gen(function* () {
      const world = yield* MemoryWorld
      const metrics = yield* MetricSource
      assert.deepStrictEqual(yield* metrics.query(query), {
        query: 'memory:error_rate{app="shop",revision="shop-b"}[60000ms]',
        value: null,
        count: 0,
      })
      yield* world.setMetric(B.id, "error_rate", 0.02)
      assert.strictEqual((yield* metrics.query(query)).value, 0.02)
      yield* world.setMetric(B.id, "latency", (q) => ({
        query: q.metric,
        value: 120,
        count: 3,
        samples: [100, 120, 140],
      }))
      assert.deepStrictEqual((yield* metrics.query({ ...query, metric: "latency" })).samples, [100, 120, 140])
      assert.strictEqual(
        (yield* metrics.query({ ...query, revision: "shop-a" })).value,
        null,
        "other revisions unaffected",
      )
    }).pipe(Effect.provide(Memory.layer)),
  )

  it.effect("package by content, upload idempotently, name the app", () =>
    Effect.gen(function* () {
      const packager = yield* Packager
      const store = yield* ArtifactStore
      const dns = yield* Dns
      const source = { app: "shop", path: "./apps/shop", build: "npm run build" }
      const first = yield* packager.package(source)
      const again = yield* packager.package({ build: "npm run build", path: "./apps/shop", app: "shop" })
      assert.strictEqual(again.digest, first.digest)
      assert.deepStrictEqual([first.reused, again.reused], [false, true])
      assert.isFalse(yield* store.has(first.digest))
      const ref = yield* store.put(first)
      assert.strictEqual(ref.digest, first.digest)
      assert.isTrue(yield* store.has(first.digest))
      assert.strictEqual(yield* dns.ensure("shop"), "http://shop.memory.test")
    }).pipe(Effect.provide(Memory.layer)),
  )

  it.effect("each layer build starts from an empty world; a shared world is shared", () =>
    Effect.gen(function* () {
      const world = yield* Memory.makeWorld
      const touch = Compute.use((c) => c.scale("r", 1))
      yield* touch.pipe(Effect.provide(Memory.layerWorld(world)))
      yield* touch.pipe(Effect.provide(Memory.layerWorld(world)))
      assert.deepStrictEqual(yield* world.calls, ["scale r 1", "scale r 1"])
      const fresh = yield* MemoryWorld.use((w) => w.calls).pipe(Effect.provide(Memory.layer))
      assert.deepStrictEqual(fresh, [])
    }),
  )
})
