/**
 * `slipway agent start | stop | status`.
 */
import { probeAgent, startAgent, stopAgent } from "@slipway/local"
import { Effect } from "effect"
import type { Parsed } from "../Cli.ts"
import { UsageError } from "../Cli.ts"
import { dim, type Output } from "../Output.ts"
import { openSession } from "../Session.ts"

export const agent = (parsed: Parsed, out: Output) =>
  Effect.gen(function* () {
    const action = parsed.positionals[0] ?? "status"
    const session = yield* openSession(parsed, false)
    const portFlag = parsed.flags.port as string | undefined
    const port = portFlag === undefined ? (session.config?.port ?? 8080) : Number(portFlag)
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port ${portFlag}: use 1–65535, or 0 for any free port`)
    switch (action) {
      case "start": {
        const info = yield* startAgent({ stateDir: session.stateDir, proxyPort: port })
        if (out.json) out.data(info)
        else out.out(`agent pid ${info.pid} serving apps on ${info.proxyUrl} (state: ${session.stateDir})`)
        return 0
      }
      case "stop": {
        const stopped = yield* stopAgent(session.stateDir)
        if (out.json) out.data({ stopped })
        else out.out(stopped ? "agent stopped (replicas stopped gracefully)" : "no agent was running")
        return 0
      }
      case "status": {
        const info = yield* probeAgent(session.stateDir)
        if (out.json) out.data(info ?? { running: false })
        else if (!info) out.out(`no agent running for ${session.stateDir}`)
        else {
          out.out(
            `agent pid ${info.pid}, up ${Math.round((Date.now() - info.startedAt) / 1000)}s, apps on ${info.proxyUrl}`,
          )
          out.out(dim(out.color, `metrics: ${info.adminUrl}/__slipway/metrics   state: ${info.stateDir}`))
          for (const r of info.revisions) {
            out.out(`  ${r.revision.padEnd(26)} ${r.ready}/${r.desired} ready, ${r.restarts} restarts`)
            for (const x of r.replicas ?? [])
              out.out(
                dim(
                  out.color,
                  `    replica ${x.index}: ${x.state}${x.pid === null ? "" : `, pid ${x.pid}, port ${x.port}`}`,
                ),
              )
          }
        }
        return info ? 0 : 1
      }
      default:
        throw new UsageError(`unknown agent action "${action}"; use start, stop or status`)
    }
  })
