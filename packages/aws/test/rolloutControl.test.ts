import { assert, describe, it } from "@effect/vitest"
import {
  Journal,
  Memory,
  makeRevision,
  Rollout,
  RolloutControl,
  RolloutEvents,
  type RolloutRecord,
} from "@slipway/core"
import { canary } from "@slipway/strategies"
import { Effect, Exit, Fiber, Layer } from "effect"
import { followControlRequests, requestControl } from "../src/rollout/ControlChannel.ts"
import { S3Journal } from "../src/rollout/S3Journal.ts"
import { advanceUntil, awsError, fakeS3, runWithClock } from "./rolloutFakes.ts"

const BUCKET = "web-prod-slipway-journal"
const CONTROL = "web/control.json"

const v1 = makeRevision({ app: "web", artifact: { digest: "sha256:a1", uri: "ecr://web@sha256:a1" } })
const v2 = makeRevision({ app: "web", artifact: { digest: "sha256:b2", uri: "ecr://web@sha256:b2" } })

const running = (over: Partial<RolloutRecord> = {}): RolloutRecord => ({
  rolloutId: "web-r1",
  app: "web",
  stable: v1,
  candidate: v2,
  strategy: canary({ steps: [{ weight: 50, bake: "manual" }] }),
  replicas: 2,
  stepIndex: 2,
  stepPhase: "before",
  status: "paused",
  weights: { [v1.id]: 50, [v2.id]: 50 },
  failures: 0,
  inconclusives: 0,
  events: [],
  startedAt: 0,
  updatedAt: 0,
  ...over,
})

/** A RolloutControl that records what it is asked, in order. */
const recordingControl = () => {
  const asked: Array<string> = []
  const control = {
    pause: Effect.sync(() => void asked.push("pause")),
    resume: Effect.sync(() => void asked.push("resume")),
    promote: (options?: { readonly full?: boolean }) =>
      Effect.sync(() => void asked.push(options?.full === true ? "promote full" : "promote")),
    abort: (reason?: string) => Effect.sync(() => void asked.push(`abort: ${reason}`)),
  } as unknown as RolloutControl
  return { control, asked }
}

describe("requestControl (the CLI side)", () => {
  it.effect("writes a request stamped with the running rollout, creating control.json only if absent", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      yield* S3Journal.make({ client: s3.client, bucket: BUCKET }).save(running())
      s3.log.length = 0
      const request = yield* requestControl({
        client: s3.client,
        bucket: BUCKET,
        app: "web",
        command: "promote",
        by: "alice",
      })
      assert.strictEqual(request.rolloutId, "web-r1")
      assert.deepStrictEqual(
        s3.log.map((c) => [c.name, c.input.Key, c.input.IfNoneMatch ?? c.input.IfMatch]),
        [
          ["GetObject", "web/current.json", undefined],
          ["GetObject", CONTROL, undefined],
          ["PutObject", CONTROL, "*"],
        ],
      )
      assert.deepStrictEqual(
        s3.json(CONTROL).requests.map((r: { command: string; by: string }) => [r.command, r.by]),
        [["promote", "alice"]],
      )
    }),
  )

  it.effect("appends under IfMatch, and a write that loses a race reads again so no request is lost", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      yield* S3Journal.make({ client: s3.client, bucket: BUCKET }).save(running())
      yield* requestControl({ client: s3.client, bucket: BUCKET, app: "web", command: "pause", by: "alice" })
      s3.failNext("PutObject", awsError("PreconditionFailed", 412))
      s3.log.length = 0
      yield* requestControl({
        client: s3.client,
        bucket: BUCKET,
        app: "web",
        command: "abort",
        reason: "p99",
        by: "bob",
      })
      const puts = s3.log.filter((c) => c.name === "PutObject").map((c) => c.input.IfMatch)
      assert.strictEqual(puts.length, 2)
      assert.isDefined(puts[0])
      assert.deepStrictEqual(
        s3.json(CONTROL).requests.map((r: { command: string; reason?: string }) => [r.command, r.reason]),
        [
          ["pause", undefined],
          ["abort", "p99"],
        ],
      )
    }),
  )

  it.effect("drops requests left for an earlier rollout", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      yield* S3Journal.make({ client: s3.client, bucket: BUCKET }).save(running())
      s3.objects.set(CONTROL, {
        text: JSON.stringify({
          requests: [{ id: "x", rolloutId: "web-r0", command: "abort", by: "carol", at: 0 }],
        }),
        etag: '"old"',
      })
      yield* requestControl({ client: s3.client, bucket: BUCKET, app: "web", command: "resume", by: "alice" })
      assert.deepStrictEqual(
        s3.json(CONTROL).requests.map((r: { rolloutId: string }) => r.rolloutId),
        ["web-r1"],
      )
    }),
  )

  it.effect("refuses when no rollout is running, saying how the last one ended", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const none = yield* Effect.flip(
        requestControl({ client: s3.client, bucket: BUCKET, app: "web", command: "promote" }),
      )
      assert.strictEqual(none._tag, "NoRolloutRunning")
      yield* S3Journal.make({ client: s3.client, bucket: BUCKET }).save(
        running({ status: "succeeded", stepPhase: "after" }),
      )
      const finished = yield* Effect.flip(
        requestControl({ client: s3.client, bucket: BUCKET, app: "web", command: "abort" }),
      )
      assert.match(finished.message, /no rollout of web is running \(the last one succeeded\)/)
      assert.isFalse(s3.objects.has(CONTROL))
    }),
  )
})

describe("followControlRequests (the driver side)", () => {
  it.effect("delivers new requests for the running rollout in order, once, then deletes control.json", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const journal = S3Journal.make({ client: s3.client, bucket: BUCKET })
      yield* journal.save(running())
      yield* requestControl({ client: s3.client, bucket: BUCKET, app: "web", command: "pause", by: "alice" })
      yield* requestControl({
        client: s3.client,
        bucket: BUCKET,
        app: "web",
        command: "abort",
        reason: "p99",
        by: "bob",
      })
      const { control, asked } = recordingControl()
      const lines: Array<string> = []
      const follower = yield* Effect.forkChild(
        followControlRequests({
          client: s3.client,
          bucket: BUCKET,
          app: "web",
          control,
          journal,
          log: (line) => Effect.sync(() => void lines.push(line)),
        }),
      )
      yield* advanceUntil(() => !s3.objects.has(CONTROL), 30)
      yield* advanceUntil(() => false, 12) // two more looks: nothing is delivered twice
      yield* Fiber.interrupt(follower)
      assert.deepStrictEqual(asked, ["pause", "abort: p99"])
      assert.deepStrictEqual(lines, ["alice asked to pause", "bob asked to abort (p99)"])
      assert.isFalse(s3.objects.has(CONTROL))
    }),
  )

  it.effect("never delivers a request meant for another rollout", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const journal = S3Journal.make({ client: s3.client, bucket: BUCKET })
      yield* journal.save(running())
      s3.objects.set(CONTROL, {
        text: JSON.stringify({
          requests: [{ id: "x", rolloutId: "web-r0", command: "abort", by: "carol", at: 0 }],
        }),
        etag: '"old"',
      })
      const { control, asked } = recordingControl()
      const follower = yield* Effect.forkChild(
        followControlRequests({
          client: s3.client,
          bucket: BUCKET,
          app: "web",
          control,
          journal,
          log: () => Effect.void,
        }),
      )
      yield* advanceUntil(() => !s3.objects.has(CONTROL), 30)
      yield* Fiber.interrupt(follower)
      assert.deepStrictEqual(asked, [])
    }),
  )

  it.effect("keeps following through S3 errors, logging them", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const journal = S3Journal.make({ client: s3.client, bucket: BUCKET })
      yield* journal.save(running())
      yield* requestControl({ client: s3.client, bucket: BUCKET, app: "web", command: "resume", by: "alice" })
      s3.failNext("GetObject", awsError("AccessDenied", 403, "Access Denied"))
      const { control, asked } = recordingControl()
      const lines: Array<string> = []
      const follower = yield* Effect.forkChild(
        followControlRequests({
          client: s3.client,
          bucket: BUCKET,
          app: "web",
          control,
          journal,
          log: (line) => Effect.sync(() => void lines.push(line)),
        }),
      )
      yield* advanceUntil(() => asked.length > 0, 30)
      yield* Fiber.interrupt(follower)
      assert.match(
        lines[0]!,
        /could not read operator requests from s3:\/\/.*control\.json: GetObject failed: AccessDenied/,
      )
      assert.deepStrictEqual(asked, ["resume"])
    }),
  )

  it.effect("an operator's promote, sent through S3, ends a manual pause of a real rollout", () =>
    Effect.gen(function* () {
      const s3 = fakeS3()
      const journal = S3Journal.make({ client: s3.client, bucket: BUCKET })
      const world = yield* Memory.makeWorld
      yield* world.seed({ weights: { web: { [v1.id]: 100 } }, replicas: { [v1.id]: 2 } })
      const driven = Effect.scoped(
        Effect.gen(function* () {
          const control = yield* RolloutControl.make
          yield* Effect.forkScoped(
            followControlRequests({
              client: s3.client,
              bucket: BUCKET,
              app: "web",
              control,
              journal,
              log: () => Effect.void,
            }),
          )
          return yield* Rollout.run({
            app: "web",
            stable: v1,
            candidate: v2,
            strategy: canary({ steps: [{ weight: 50, bake: "manual" }] }),
            replicas: 2,
            control,
          })
        }),
      ).pipe(
        Effect.provide(
          Layer.mergeAll(
            Memory.layerWorld(world),
            Layer.succeed(Journal, journal),
            RolloutEvents.layerDiscard,
          ),
        ),
      )
      const fiber = yield* Effect.forkChild(driven)
      yield* advanceUntil(() => s3.json("web/current.json")?.pause?.reason === "step", 120)
      yield* requestControl({
        client: s3.client,
        bucket: BUCKET,
        app: "web",
        command: "promote",
        by: "alice",
      })
      const exit = yield* runWithClock(Fiber.join(fiber), 300)
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) assert.strictEqual(exit.value.status, "succeeded")
      assert.isTrue(
        s3.json("web/current.json").events.some((e: { _tag: string }) => e._tag === "Promoted"),
        "the rollout records the promotion",
      )
    }),
  )
})
