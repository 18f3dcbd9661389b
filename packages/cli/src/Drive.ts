/**
 * Driving a rollout from this process: render its events as they happen, accept
 * operator commands on the app's control socket, write the HTML report at the end.
 * Used by `deploy`, `rollback`, and by `resume`/`promote`/`abort` when no other process
 * is driving the rollout.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import {
  makeTtyRenderer,
  Rollout,
  RolloutControl,
  type RolloutEvent,
  RolloutEvents,
  type RolloutOutcome,
  type RolloutRecord,
  renderHtmlReport,
  toJsonLine,
} from "@slipway/core"
import { Effect, Option } from "effect"
import type { LocalGate } from "./Config.ts"
import { controlSocketPath, serveControl } from "./ControlSocket.ts"
import type { Output } from "./Output.ts"

/** Renders events on the terminal (or as JSON lines with --json). */
export const eventsLayer = (out: Output) => {
  if (out.json) {
    return {
      layer: RolloutEvents.layerWith((e: RolloutEvent) => Effect.sync(() => out.out(toJsonLine(e)))),
      finish: () => undefined,
    }
  }
  const renderer = makeTtyRenderer({
    write: (s) => process.stdout.write(s),
    color: out.color,
    interactive: out.interactive,
    width: process.stdout.columns ?? 80,
  })
  const timer = out.interactive ? setInterval(() => renderer.tick(), 1000) : undefined
  return {
    layer: RolloutEvents.layerWith((e: RolloutEvent) => Effect.sync(() => renderer.onEvent(e))),
    finish: () => {
      if (timer) clearInterval(timer)
      renderer.finish()
    },
  }
}

/** Writes the rollout's HTML report into the state directory; returns its path. */
export const writeReport = (stateDir: string, record: RolloutRecord): string => {
  const dir = join(stateDir, "reports")
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${record.rolloutId}.html`)
  writeFileSync(path, renderHtmlReport(record.events, { title: `${record.app} — ${record.candidate.id}` }))
  return path
}

/**
 * Runs `start` (a `Rollout.run` or `Rollout.resume`) with a control socket open for
 * operators and the renderer attached; prints where the report went.
 */
export const driveRollout = <E, R>(
  options: {
    readonly app: string
    readonly stateDir: string
    readonly out: Output
    /** Commands to queue before the rollout starts (e.g. `abort` when no driver was running). */
    readonly initial?: (control: RolloutControl) => Effect.Effect<void>
  },
  start: (control: RolloutControl) => Effect.Effect<Option.Option<RolloutOutcome>, E, R>,
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const control = yield* RolloutControl.make
      if (options.initial) yield* options.initial(control)
      yield* serveControl(controlSocketPath(options.stateDir, options.app), control)
      const events = eventsLayer(options.out)
      const outcome = yield* start(control).pipe(
        Effect.provide(events.layer),
        Effect.ensuring(Effect.sync(events.finish)),
      )
      if (Option.isNone(outcome)) return Option.none()
      const report = writeReport(options.stateDir, outcome.value.record)
      if (!options.out.json) options.out.out(`report: ${report}`)
      return Option.some({ ...outcome.value, report })
    }),
  )

/** Continues the journal's unfinished rollout of `app` here. */
export const resumeHere = (
  app: string,
  gates: ReadonlyArray<LocalGate>,
  stateDir: string,
  out: Output,
  initial?: (control: RolloutControl) => Effect.Effect<void>,
) =>
  driveRollout({ app, stateDir, out, ...(initial ? { initial } : {}) }, (control) =>
    Rollout.resume(app, { gates, control }),
  )
