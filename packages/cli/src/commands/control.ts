/**
 * `slipway promote | pause | resume | abort`: steer a rollout without editing its spec.
 * The command goes to the process driving the rollout; when none is (it was killed, the
 * laptop closed), the command continues or rolls back the rollout from the journal here.
 */
import { Journal, type RolloutControl } from "@slipway/core"
import { Effect, Option } from "effect"
import type { Parsed } from "../Cli.ts"
import { type ControlCommand, controlSocketPath, sendControl } from "../ControlSocket.ts"
import { resumeHere } from "../Drive.ts"
import type { Output } from "../Output.ts"
import { ensureAgent, machineLayer, openSession } from "../Session.ts"

const commandFor = (parsed: Parsed): ControlCommand => {
  switch (parsed.command.name) {
    case "promote":
      return { command: "promote", full: Boolean(parsed.flags.full) }
    case "pause":
      return { command: "pause" }
    case "resume":
      return { command: "resume" }
    default:
      return {
        command: "abort",
        reason: (parsed.flags.reason as string | undefined) ?? "aborted by an operator",
      }
  }
}

const queue = (command: ControlCommand) => (control: RolloutControl) =>
  command.command === "promote"
    ? control.promote({ full: command.full })
    : command.command === "abort"
      ? control.abort(command.reason)
      : command.command === "pause"
        ? control.pause
        : Effect.void

export const control = (parsed: Parsed, out: Output) =>
  Effect.gen(function* () {
    const session = yield* openSession(parsed, true)
    const config = session.config!
    const command = commandFor(parsed)
    const delivered = yield* sendControl(controlSocketPath(session.stateDir, config.app), command)
    if (delivered) {
      if (out.json) out.data({ delivered: true, command })
      else out.out(`${command.command} sent to the running rollout of ${config.app}`)
      return 0
    }
    const record = yield* Effect.flatMap(Effect.service(Journal), (j) => j.load(config.app)).pipe(
      Effect.provide(Journal.layerFile(`${session.stateDir}/journal`)),
    )
    const unfinished = Option.filter(record, (r) => r.status !== "succeeded" && r.status !== "rolled-back")
    if (Option.isNone(unfinished)) {
      if (out.json) out.data({ delivered: false, reason: "no rollout in progress" })
      else out.err(`${config.app} has no rollout in progress; nothing to ${command.command}`)
      return 1
    }
    if (command.command === "pause") {
      out.out(
        `no process is driving the rollout of ${config.app} (stopped at step ${unfinished.value.stepIndex + 1}); it stays where it is.\n` +
          "Run `slipway resume` to continue it or `slipway abort` to roll it back.",
      )
      return 0
    }
    // Nobody is driving it: continue (or roll back) from the journal in this process.
    if (!out.json)
      out.out(`no process is driving the rollout of ${config.app}; continuing it here from the journal`)
    yield* ensureAgent(session.stateDir, config.port, (line) => !out.json && out.out(line))
    const result = yield* resumeHere(config.app, config.gates, session.stateDir, out, queue(command)).pipe(
      Effect.provide(machineLayer(session.stateDir)),
    )
    return Option.match(result, {
      onNone: () => 0,
      onSome: (o) => (o.status === "succeeded" ? 0 : command.command === "abort" ? 0 : 1),
    })
  })
