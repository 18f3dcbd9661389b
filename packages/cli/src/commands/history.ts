/**
 * `slipway history` and `slipway report`: past rollouts from the journal.
 */
import { writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { formatDuration, Journal, type RolloutRecord, renderHtmlReport } from "@slipway/core"
import { Effect, Option } from "effect"
import type { Parsed } from "../Cli.ts"
import { UsageError } from "../Cli.ts"
import { writeReport } from "../Drive.ts"
import { green, type Output, red, yellow } from "../Output.ts"
import { openSession } from "../Session.ts"

/** The current record (if any) followed by finished ones, newest first, without duplicates. */
export const allRollouts = (app: string) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const current = yield* journal.load(app)
    const past = yield* journal.history(app)
    const seen = new Set<string>()
    return [...Option.toArray(current), ...past].filter(
      (r) => !seen.has(r.rolloutId) && seen.add(r.rolloutId),
    )
  })

/** One line of `slipway history`: when, outcome, stable → candidate, duration, reason. */
export const historyRow = (r: RolloutRecord, color: boolean): string => {
  const paint = r.status === "succeeded" ? green : r.status === "rolled-back" ? red : yellow
  const when = new Date(r.startedAt).toISOString().replace("T", " ").slice(0, 19)
  return `${when}  ${paint(color, r.status.padEnd(11))}  ${(r.stable?.id ?? "(first)").padEnd(24)} → ${r.candidate.id.padEnd(24)} ${formatDuration(r.updatedAt - r.startedAt).padStart(7)}${r.rollbackReason ? `  ${r.rollbackReason}` : ""}`
}

export const history = (parsed: Parsed, out: Output) =>
  Effect.gen(function* () {
    const session = yield* openSession(parsed, true)
    const app = session.config!.app
    const limitFlag = parsed.flags.limit as string | undefined
    const limit = limitFlag === undefined ? 20 : Number(limitFlag)
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit ${limitFlag}: use a whole number ≥ 1`)
    const rollouts = (yield* allRollouts(app).pipe(
      Effect.provide(Journal.layerFile(`${session.stateDir}/journal`)),
    )).slice(0, limit)
    if (out.json) {
      out.data(
        rollouts.map((r) => ({
          rolloutId: r.rolloutId,
          status: r.status,
          stable: r.stable?.id ?? null,
          candidate: r.candidate.id,
          startedAt: r.startedAt,
          updatedAt: r.updatedAt,
          rollbackReason: r.rollbackReason ?? null,
        })),
      )
    } else if (rollouts.length === 0) {
      out.out(`${app} has no rollouts yet: \`slipway deploy\``)
    } else {
      for (const r of rollouts) out.out(historyRow(r, out.color))
    }
    return 0
  })

export const report = (parsed: Parsed, out: Output) =>
  Effect.gen(function* () {
    const session = yield* openSession(parsed, true)
    const app = session.config!.app
    const rollouts = yield* allRollouts(app).pipe(
      Effect.provide(Journal.layerFile(`${session.stateDir}/journal`)),
    )
    const wanted = parsed.positionals[0]
    const record = wanted
      ? rollouts.find((r) => r.rolloutId === wanted || r.rolloutId.startsWith(wanted))
      : rollouts[0]
    if (!record) {
      throw new UsageError(
        wanted
          ? `no rollout "${wanted}" of ${app}; \`slipway history\` lists them`
          : `${app} has no rollouts yet: \`slipway deploy\``,
      )
    }
    const outFlag = parsed.flags.out as string | undefined
    const path = outFlag === undefined ? writeReport(session.stateDir, record) : resolve(outFlag)
    if (outFlag !== undefined)
      writeFileSync(path, renderHtmlReport(record.events, { title: `${app} — ${record.candidate.id}` }))
    if (out.json) out.data({ rolloutId: record.rolloutId, report: path })
    else out.out(path)
    return 0
  })
