/**
 * `slipway status`: what serves the app, with what weights and replicas, and where the
 * current rollout stands. Reads the journal and asks the agent; changes nothing.
 */
import { formatDuration, Journal, type RolloutRecord } from "@slipway/core"
import { type AgentInfo, probeAgent } from "@slipway/local"
import { Effect, Option } from "effect"
import type { Parsed } from "../Cli.ts"
import { bold, dim, green, type Output, red, yellow } from "../Output.ts"
import { openSession } from "../Session.ts"

export interface StatusView {
  readonly app: string
  readonly url: string | null
  readonly agent: { readonly pid: number; readonly proxyUrl: string; readonly adminUrl: string } | null
  readonly weights: Readonly<Record<string, number>>
  readonly revisions: ReadonlyArray<{ revision: string; desired: number; ready: number; restarts: number }>
  readonly rollout: {
    readonly rolloutId: string
    readonly status: RolloutRecord["status"]
    readonly candidate: string
    readonly stable: string | null
    readonly step: number
    readonly steps: number
    readonly rollbackReason?: string
    readonly updatedAt: number
  } | null
}

export const statusView = (
  app: string,
  record: Option.Option<RolloutRecord>,
  agent: AgentInfo | null,
): StatusView => {
  const r = Option.getOrUndefined(record)
  const port = agent ? new URL(agent.proxyUrl).port : null
  return {
    app,
    url: port ? `http://${app}.localhost:${port}` : null,
    agent: agent ? { pid: agent.pid, proxyUrl: agent.proxyUrl, adminUrl: agent.adminUrl } : null,
    weights: agent?.routes[app] ?? {},
    revisions: (agent?.revisions ?? []).filter((x) => x.app === app),
    rollout: r
      ? {
          rolloutId: r.rolloutId,
          status: r.status,
          candidate: r.candidate.id,
          stable: r.stable?.id ?? null,
          step: r.stepIndex,
          steps: r.strategy.steps.length,
          ...(r.rollbackReason ? { rollbackReason: r.rollbackReason } : {}),
          updatedAt: r.updatedAt,
        }
      : null,
  }
}

export const renderStatus = (v: StatusView, color: boolean, now: number): string => {
  const lines = [
    `${bold(color, v.app)}  ${v.url ?? dim(color, "(agent not running: `slipway agent start`)")}`,
  ]
  const weights = Object.entries(v.weights)
  if (weights.length > 0) {
    lines.push("traffic:")
    for (const [rev, w] of weights.sort((a, b) => b[1] - a[1])) {
      const replicas = v.revisions.find((x) => x.revision === rev)
      lines.push(
        `  ${rev.padEnd(26)} ${String(w).padStart(3)}%  ${replicas ? `${replicas.ready}/${replicas.desired} ready${replicas.restarts ? `, ${replicas.restarts} restarts` : ""}` : "no replicas"}`,
      )
    }
  }
  const idle = v.revisions.filter((x) => !(x.revision in v.weights))
  for (const x of idle) lines.push(`  ${x.revision.padEnd(26)}   —   ${x.ready}/${x.desired} ready`)
  if (v.rollout) {
    const r = v.rollout
    const paint = r.status === "succeeded" ? green : r.status === "rolled-back" ? red : yellow
    lines.push(
      `rollout ${r.rolloutId}: ${paint(color, r.status)}  ${r.stable ?? "(first)"} → ${r.candidate}  step ${Math.min(r.step + 1, r.steps)}/${r.steps}  (${formatDuration(now - r.updatedAt)} ago)`,
    )
    if (r.rollbackReason) lines.push(`  reason: ${r.rollbackReason}`)
  } else {
    lines.push(dim(color, "no rollout yet: `slipway deploy`"))
  }
  return lines.join("\n")
}

export const status = (parsed: Parsed, out: Output) =>
  Effect.gen(function* () {
    const session = yield* openSession(parsed, true)
    const app = session.config!.app
    const read = Effect.gen(function* () {
      const journal = yield* Journal
      const record = yield* journal.load(app)
      const agent = yield* probeAgent(session.stateDir)
      return statusView(app, record, agent)
    }).pipe(Effect.provide(Journal.layerFile(`${session.stateDir}/journal`)))
    if (!parsed.flags.watch) {
      const view = yield* read
      if (out.json) out.data(view)
      else out.out(renderStatus(view, out.color, Date.now()))
      return 0
    }
    // --watch: redraw every second until interrupted.
    for (;;) {
      const view = yield* read
      if (out.json) out.out(JSON.stringify(view))
      else
        out.out(
          `\u001b[2J\u001b[H${renderStatus(view, out.color, Date.now())}\n${dim(out.color, "(ctrl-c to stop)")}`,
        )
      yield* Effect.sleep("1 second")
    }
  })
