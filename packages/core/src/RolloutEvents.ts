/**
 * Where a rollout's events go. The engine publishes every event here (and into the
 * journal's record); renderers (TTY, JSON lines, HTML report) and the local agent consume
 * them. Layers: discard them, collect them for tests, call a function for each, or publish
 * them to a PubSub that any number of subscribers read as a Stream.
 */
import { Context, Effect, Layer, PubSub, Ref, type Scope, Stream } from "effect"
import type { RolloutEvent } from "./Events.ts"

/**
 * What a sink of rollout events does.
 *
 * @example
 * import type { RolloutEventsShape } from "@slipway/core"
 * import { Effect } from "effect"
 * const both = (a: RolloutEventsShape, b: RolloutEventsShape): RolloutEventsShape => ({
 *   publish: (e) => Effect.andThen(a.publish(e), b.publish(e)),
 * })
 */
export interface RolloutEventsShape {
  readonly publish: (event: RolloutEvent) => Effect.Effect<void>
}

/**
 * Subscribers' side of `RolloutEvents.layerPubSub`.
 *
 * @example
 * import { RolloutEventBus } from "@slipway/core"
 * import { Effect, Stream } from "effect"
 * const printAll = Effect.gen(function* () {
 *   const bus = yield* RolloutEventBus
 *   const events = yield* bus.subscribe // subscribed now: nothing published from here on is missed
 *   yield* Stream.runForEach(events, (e) => Effect.log(e._tag))
 * })
 */
export class RolloutEventBus extends Context.Service<
  RolloutEventBus,
  {
    /** Subscribes now (so no event published after this returns is missed); the subscription ends with the scope. */
    readonly subscribe: Effect.Effect<Stream.Stream<RolloutEvent>, never, Scope.Scope>
    /** Every event published after the stream starts running. */
    readonly stream: Stream.Stream<RolloutEvent>
  }
>()("@slipway/core/RolloutEventBus") {}

/**
 * What `RolloutEvents.layerCollect` remembers, for tests.
 *
 * @example
 * import { RolloutEventLog } from "@slipway/core"
 * import { Effect } from "effect"
 * const tags = RolloutEventLog.use((log) => log.events).pipe(Effect.map((events) => events.map((e) => e._tag)))
 */
export class RolloutEventLog extends Context.Service<
  RolloutEventLog,
  {
    /** Every event published so far, in order. */
    readonly events: Effect.Effect<ReadonlyArray<RolloutEvent>>
    readonly clear: Effect.Effect<void>
  }
>()("@slipway/core/RolloutEventLog") {}

/**
 * The rollout event sink the engine publishes to.
 *
 * @example
 * import { RolloutEvents } from "@slipway/core"
 * import { Effect } from "effect"
 * // print every event's tag while a rollout runs
 * const layer = RolloutEvents.layerWith((e) => Effect.sync(() => console.log(e._tag, e.at)))
 */
export class RolloutEvents extends Context.Service<RolloutEvents, RolloutEventsShape>()(
  "@slipway/core/RolloutEvents",
) {
  /**
   * Drops every event (when only the outcome matters).
   *
   * @example
   * import { RolloutEvents } from "@slipway/core"
   * const layer = RolloutEvents.layerDiscard
   */
  static readonly layerDiscard: Layer.Layer<RolloutEvents> = Layer.succeed(RolloutEvents, {
    publish: () => Effect.void,
  })

  /**
   * Calls `f` for each event, in order, before the engine goes on.
   *
   * @example
   * import { RolloutEvents } from "@slipway/core"
   * import { Effect } from "effect"
   * const layer = RolloutEvents.layerWith((e) => Effect.log(e._tag))
   */
  static readonly layerWith = (f: (event: RolloutEvent) => Effect.Effect<void>): Layer.Layer<RolloutEvents> =>
    Layer.succeed(RolloutEvents, { publish: f })

  /**
   * Keeps every event in memory, readable through `RolloutEventLog`.
   *
   * @example
   * import { RolloutEventLog, RolloutEvents } from "@slipway/core"
   * import { Effect } from "effect"
   * const program = Effect.gen(function* () {
   *   // … run a rollout …
   *   const events = yield* (yield* RolloutEventLog).events
   * }).pipe(Effect.provide(RolloutEvents.layerCollect))
   */
  static readonly layerCollect: Layer.Layer<RolloutEvents | RolloutEventLog> = Layer.effectContext(
    Effect.gen(function* () {
      const events = yield* Ref.make<ReadonlyArray<RolloutEvent>>([])
      return Context.make(RolloutEvents, {
        publish: (event) => Ref.update(events, (all) => [...all, event]),
      }).pipe(
        Context.add(RolloutEventLog, {
          events: Ref.get(events),
          clear: Ref.set(events, []),
        }),
      )
    }),
  )

  /**
   * Publishes every event to an unbounded PubSub (the engine never waits for a slow
   * subscriber); subscribe through `RolloutEventBus`. The PubSub shuts down with the layer.
   *
   * @example
   * import { RolloutEventBus, RolloutEvents } from "@slipway/core"
   * import { Effect, Stream } from "effect"
   * const program = Effect.gen(function* () {
   *   const bus = yield* RolloutEventBus
   *   const events = yield* bus.subscribe
   *   yield* Stream.runForEach(events, (e) => Effect.log(e._tag)).pipe(Effect.forkScoped)
   *   // … run a rollout …
   * }).pipe(Effect.scoped, Effect.provide(RolloutEvents.layerPubSub))
   */
  static readonly layerPubSub: Layer.Layer<RolloutEvents | RolloutEventBus> = Layer.effectContext(
    Effect.gen(function* () {
      const pubsub = yield* Effect.acquireRelease(PubSub.unbounded<RolloutEvent>(), PubSub.shutdown)
      return Context.make(RolloutEvents, {
        publish: (event) => Effect.asVoid(PubSub.publish(pubsub, event)),
      }).pipe(
        Context.add(RolloutEventBus, {
          subscribe: Effect.map(PubSub.subscribe(pubsub), Stream.fromSubscription),
          stream: Stream.fromPubSub(pubsub),
        }),
      )
    }),
  )
}

/**
 * Whether an event ends a rollout (`Succeeded` or `RolledBack`): the point where a
 * consumer following one rollout can stop.
 *
 * @example
 * import { isTerminalEvent } from "@slipway/core"
 * import { Stream } from "effect"
 * const untilDone = (events: Stream.Stream<RolloutEvent>) => events.pipe(Stream.takeUntil(isTerminalEvent))
 */
export const isTerminalEvent = (event: RolloutEvent): boolean =>
  event._tag === "Succeeded" || event._tag === "RolledBack"
