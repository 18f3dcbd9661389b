/**
 * How an operator steers a running rollout without editing its spec: pause, resume,
 * promote (to the next step, or fully), abort. Commands may come from any fiber at any
 * time; the engine takes them in the order they were given.
 */
import { Effect, type Option, Queue } from "effect"

/**
 * One operator command, as the engine receives it (and as a control API might carry it).
 *
 * @example
 * import type { ControlCommand } from "@slipway/core"
 * const fromJson = (c: ControlCommand, control: RolloutControl) =>
 *   c._tag === "Promote" ? control.promote({ full: c.full }) : c._tag === "Abort" ? control.abort(c.reason) : c._tag === "Pause" ? control.pause : control.resume
 */
export type ControlCommand =
  | { readonly _tag: "Pause" }
  | { readonly _tag: "Resume" }
  | { readonly _tag: "Promote"; readonly full: boolean }
  | { readonly _tag: "Abort"; readonly reason: string }

const commandsKey: unique symbol = Symbol.for("@slipway/core/RolloutControl/commands")

/**
 * The operator's handle on a running rollout. Make one with `RolloutControl.make`, pass it
 * to `Rollout.run`, and call its effects from any fiber.
 *
 * - `pause`: hold the rollout; a timed pause stops counting until `resume`. Takes effect
 *   at once during a wait, otherwise when the current action (a weight change, a gate
 *   check) completes.
 * - `resume`: end a manual pause, or a pause caused by too many Inconclusive verdicts.
 * - `promote()`: end the current wait (a Pause or Gate step, or a hold) and go to the next
 *   step; given before a wait, it ends the next one. `promote({ full: true })`: send 100%
 *   to the candidate now and skip every remaining step and gate.
 * - `abort(reason)`: roll back now.
 *
 * @example
 * import { Rollout, RolloutControl } from "@slipway/core"
 * import { Effect, Fiber } from "effect"
 * const program = Effect.gen(function* () {
 *   const control = yield* RolloutControl.make
 *   const fiber = yield* Effect.forkChild(Rollout.run({ app, stable, candidate, strategy, replicas: 2, control }))
 *   yield* control.promote({ full: true }) // an operator decides the canary looks good
 *   return yield* Fiber.join(fiber)
 * })
 */
export interface RolloutControl {
  readonly pause: Effect.Effect<void>
  readonly resume: Effect.Effect<void>
  readonly promote: (options?: { readonly full?: boolean }) => Effect.Effect<void>
  readonly abort: (reason?: string) => Effect.Effect<void>
  /** The engine's end of the channel. */
  readonly [commandsKey]: Queue.Queue<ControlCommand>
}

const make: Effect.Effect<RolloutControl> = Effect.map(Queue.unbounded<ControlCommand>(), (queue) => {
  const send = (command: ControlCommand) => Effect.asVoid(Queue.offer(queue, command))
  return {
    pause: send({ _tag: "Pause" }),
    resume: send({ _tag: "Resume" }),
    promote: (options) => send({ _tag: "Promote", full: options?.full === true }),
    abort: (reason) => send({ _tag: "Abort", reason: reason ?? "aborted by an operator" }),
    [commandsKey]: queue,
  }
})

/**
 * Constructors for {@link RolloutControl}.
 *
 * @example
 * import { RolloutControl } from "@slipway/core"
 * const control = yield* RolloutControl.make
 */
export const RolloutControl = { make } as const

/**
 * The engine's side: waits until a command is waiting, without taking it. Racing this
 * (rather than a take) against other work never loses a command: nothing is consumed
 * until the engine polls.
 */
export const awaitCommand = (control: RolloutControl): Effect.Effect<void> =>
  Effect.asVoid(Queue.peek(control[commandsKey]))

/** The engine's side: takes the next command if one is waiting. */
export const pollCommand = (control: RolloutControl): Effect.Effect<Option.Option<ControlCommand>> =>
  Queue.poll(control[commandsKey])
