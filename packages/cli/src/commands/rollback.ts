/**
 * `slipway rollback [REVISION]`: during a rollout, abort it; otherwise redeploy an
 * earlier revision (the previous one by default) from the artifact store — no rebuild,
 * all at once unless a strategy is given.
 */
import { Journal, type Revision, Rollout } from "@slipway/core"
import { allAtOnce, fromName } from "@slipway/strategies"
import { Effect, Option } from "effect"
import type { Parsed } from "../Cli.ts"
import { UsageError } from "../Cli.ts"
import { controlSocketPath, sendControl } from "../ControlSocket.ts"
import { driveRollout } from "../Drive.ts"
import { green, type Output, red } from "../Output.ts"
import { ensureAgent, machineLayer, openSession } from "../Session.ts"
import { allRollouts } from "./history.ts"

export const rollback = (parsed: Parsed, out: Output) =>
  Effect.gen(function* () {
    const session = yield* openSession(parsed, true)
    const config = session.config!
    const app = config.app
    const aborted = yield* sendControl(controlSocketPath(session.stateDir, app), {
      command: "abort",
      reason: "rollback requested by an operator",
    })
    if (aborted) {
      if (out.json) out.out(JSON.stringify({ delivered: true, command: "abort" }))
      else out.out(`abort sent to the running rollout of ${app}; traffic returns to the stable revision`)
      return 0
    }
    const rollouts = yield* allRollouts(app).pipe(
      Effect.provide(Journal.layerFile(`${session.stateDir}/journal`)),
    )
    const known = new Map<string, Revision>()
    for (const r of rollouts) {
      known.set(r.candidate.id, r.candidate)
      if (r.stable) known.set(r.stable.id, r.stable)
    }
    const current = rollouts[0]
    const serving = current?.status === "succeeded" ? current.candidate : current?.stable
    const wanted = parsed.positionals[0]
    const target = wanted
      ? known.get(wanted)
      : rollouts.find((r) => r.status === "succeeded" && r.stable !== null && r.candidate.id === serving?.id)
          ?.stable
    if (!target) {
      throw new UsageError(
        wanted
          ? `unknown revision "${wanted}" of ${app}; known: ${[...known.keys()].join(", ") || "none"}`
          : `${app} has no earlier revision to roll back to`,
      )
    }
    if (target.id === serving?.id) {
      if (out.json) out.out(JSON.stringify({ status: "succeeded", candidate: target.id, unchanged: true }))
      else out.out(`${target.id} is already serving ${app}`)
      return 0
    }
    const flag = parsed.flags.strategy as string | undefined
    const strategy = flag ? fromName(flag) : allAtOnce()
    yield* ensureAgent(session.stateDir, config.port, (line) => !out.json && out.out(line))
    const result = yield* driveRollout({ app, stateDir: session.stateDir, out }, (control) =>
      Rollout.run({
        app,
        stable: null,
        candidate: target,
        strategy,
        replicas: config.replicas,
        control,
      }).pipe(Effect.map(Option.some)),
    ).pipe(Effect.provide(machineLayer(session.stateDir)))
    const outcome = Option.getOrThrow(result)
    if (out.json)
      out.out(
        JSON.stringify({
          status: outcome.status,
          rolloutId: outcome.record.rolloutId,
          candidate: target.id,
          report: outcome.report,
        }),
      )
    if (outcome.status === "succeeded") {
      if (!out.json) out.out(green(out.color, `${app}: rolled back to ${target.id}`))
      return 0
    }
    out.err(
      red(
        out.color,
        `${app}: rollback to ${target.id} did not complete — ${outcome.record.rollbackReason ?? ""}`,
      ),
    )
    return 1
  })
