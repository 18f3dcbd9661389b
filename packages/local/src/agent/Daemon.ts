/**
 * Starting and stopping the agent as a detached background process, so a deployment
 * outlives the command that made it. Start is idempotent: an agent already answering on
 * the state directory's socket is reused.
 */
import { spawn } from "node:child_process"
import { closeSync, mkdirSync, openSync, readSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Data, Effect, Schedule } from "effect"
import { Client } from "undici"
import type { AgentInfo } from "./Protocol.ts"
import { socketPathOf } from "./Protocol.ts"

export class AgentStartFailed extends Data.TaggedError("AgentStartFailed")<{
  readonly stateDir: string
  readonly message: string
}> {}

export interface AgentOptions {
  /** Where the agent keeps artifacts, logs, journal and its socket. */
  readonly stateDir: string
  /** Public port of the app proxy (default 8080; 0 picks a free one). */
  readonly proxyPort?: number
  /** Loopback port of the admin listener with Prometheus metrics (default 0: a free one). */
  readonly adminPort?: number
}

/** Asks the agent for its description; `null` when nothing answers on the socket. */
export const probeAgent = (stateDir: string): Effect.Effect<AgentInfo | null> =>
  Effect.promise(async () => {
    const client = new Client("http://agent.localhost", { socketPath: socketPathOf(stateDir) })
    try {
      const res = await client.request({
        method: "GET",
        path: "/agent",
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      })
      const body = await res.body.json()
      return res.statusCode === 200 ? (body as AgentInfo) : null
    } catch {
      return null
    } finally {
      await client.close().catch(() => undefined)
    }
  })

/**
 * Why a starting agent exited: its last `agent failed: …` line (e.g. "port 8080 on
 * 127.0.0.1 is in use") or else its last line, written to the log after `offset`.
 */
const exitReason = (logPath: string, offset: number): string | undefined => {
  try {
    const size = statSync(logPath).size
    const length = Math.min(size - offset, 64 * 1024)
    if (length <= 0) return undefined
    const buffer = Buffer.alloc(length)
    const fd = openSync(logPath, "r")
    try {
      readSync(fd, buffer, 0, length, size - length)
    } finally {
      closeSync(fd)
    }
    const lines = buffer
      .toString("utf8")
      .split("\n")
      .map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, "").trim())
      .filter((l) => l.length > 0)
    const failed = lines.findLast((l) => l.startsWith("agent failed: "))
    return failed?.slice("agent failed: ".length) ?? lines.at(-1)
  } catch {
    return undefined
  }
}

// The agent's entry module: its TypeScript source in this repo, its JavaScript when installed.
const agentEntry = (): string => {
  const here = fileURLToPath(import.meta.url)
  return join(here, "..", here.endsWith(".ts") ? "main.ts" : "main.js")
}

/**
 * Starts the agent for a state directory unless one is already running there, and
 * waits until it answers.
 *
 * @example
 * import { startAgent } from "@slipway/local"
 * import { Effect } from "effect"
 * const info = await Effect.runPromise(startAgent({ stateDir: ".slipway", proxyPort: 8080 }))
 * console.log(`serving on ${info.proxyUrl}`)
 */
export const startAgent = (options: AgentOptions): Effect.Effect<AgentInfo, AgentStartFailed> =>
  Effect.gen(function* () {
    const stateDir = resolve(options.stateDir)
    const running = yield* probeAgent(stateDir)
    if (running) return running
    mkdirSync(stateDir, { recursive: true, mode: 0o700 })
    const logPath = join(stateDir, "agent.log")
    // Where this start's lines begin in the (appended) log.
    const logOffset = statSync(logPath, { throwIfNoEntry: false })?.size ?? 0
    const child = yield* Effect.try({
      try: () => {
        const log = openSync(logPath, "a", 0o600)
        const args = [
          // Carry loader flags (e.g. --conditions) so a TypeScript checkout runs the agent from source.
          ...process.execArgv.filter((a) => a.startsWith("--conditions") || a.startsWith("--experimental")),
          agentEntry(),
          "--state-dir",
          stateDir,
          "--proxy-port",
          String(options.proxyPort ?? 8080),
          "--admin-port",
          String(options.adminPort ?? 0),
        ]
        const p = spawn(process.execPath, args, {
          detached: true,
          stdio: ["ignore", log, log],
          cwd: stateDir,
        })
        p.unref()
        return p
      },
      catch: (e) =>
        new AgentStartFailed({ stateDir, message: `could not spawn the agent: ${(e as Error).message}` }),
    })
    let exited: number | null = null
    child.once("exit", (code) => {
      exited = code ?? 1
    })
    const info = yield* probeAgent(stateDir).pipe(
      Effect.flatMap((i) =>
        i ? Effect.succeed(i) : Effect.fail(new AgentStartFailed({ stateDir, message: "not answering yet" })),
      ),
      Effect.retry({
        schedule: Schedule.spaced("100 millis"),
        times: 150,
        while: () => exited === null,
      }),
      // Checked after the retries: the exit may be noticed between a probe and the next.
      Effect.mapError(() =>
        exited !== null
          ? new AgentStartFailed({
              stateDir,
              message: `the agent exited with code ${exited}: ${exitReason(logPath, logOffset) ?? "no reason given"} (log: ${logPath})`,
            })
          : new AgentStartFailed({
              stateDir,
              message: `the agent did not answer within 15s; see ${logPath}`,
            }),
      ),
    )
    return info
  })

/**
 * Stops the agent of a state directory (its replicas get a graceful stop) and waits until
 * its socket is gone. Stopping an agent that is not running is not an error.
 *
 * @example
 * import { stopAgent } from "@slipway/local"
 * import { Effect } from "effect"
 * await Effect.runPromise(stopAgent(".slipway"))
 */
export const stopAgent = (stateDir: string): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    const info = yield* probeAgent(stateDir)
    if (!info) return false
    yield* Effect.promise(async () => {
      const client = new Client("http://agent.localhost", { socketPath: socketPathOf(stateDir) })
      await client
        .request({ method: "POST", path: "/shutdown" })
        .then((r) => r.body.dump())
        .catch(() => undefined)
      await client.close().catch(() => undefined)
    })
    // Wait for the process to be gone (bounded: graceful stops have a grace period).
    yield* Effect.sync(() => {
      try {
        process.kill(info.pid, 0)
        return true
      } catch {
        return false
      }
    }).pipe(Effect.repeat({ schedule: Schedule.spaced("100 millis"), while: (alive) => alive, times: 300 }))
    return true
  })
