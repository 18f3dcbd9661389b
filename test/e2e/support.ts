/**
 * What the end-to-end tests share: a workspace with a copy of examples/hello-node and its
 * configs (under the repository, so `slipway`, `@slipway/strategies` and `@slipway/gates`
 * resolve to the workspace packages), a private state directory with its own agent, the
 * real `slipway` CLI run as a child process, and steady load from another process
 * (scripts/load.ts).
 *
 * Every process a test starts is tracked and stopped by `cleanup()`: CLI runs, load
 * generators, the agent, and any replica still running from the state directory.
 */
import { type ChildProcess, spawn } from "node:child_process"
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Journal, type RolloutEvent, type RolloutRecord } from "@slipway/core"
import { Effect, Option } from "effect"
import { Client } from "undici"
import type { LoadSecond, LoadSummary } from "../../scripts/LoadReport.ts"

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const bin = join(root, "packages", "cli", "src", "bin.ts")
const loadScript = join(root, "scripts", "load.ts")
const example = join(root, "examples", "hello-node")

/** How a child process ended, with everything it printed. */
export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** A running child: its process and how it will end. */
export interface Running {
  readonly child: ChildProcess
  readonly done: Promise<Run>
  /** Everything printed so far. */
  readonly output: () => string
}

/** What `slipway agent status --json` answers. */
export interface AgentView {
  readonly pid: number
  readonly proxyUrl: string
  readonly revisions: ReadonlyArray<{
    readonly revision: string
    readonly desired: number
    readonly ready: number
    readonly restarts: number
    readonly replicas?: ReadonlyArray<{
      readonly index: number
      readonly state: string
      readonly pid: number | null
      readonly restarts: number
    }>
  }>
  readonly routes: Readonly<Record<string, Readonly<Record<string, number>>>>
}

/** What `slipway status --json` answers. */
export interface StatusView {
  readonly app: string
  readonly weights: Readonly<Record<string, number>>
  readonly revisions: ReadonlyArray<{ revision: string; desired: number; ready: number; restarts: number }>
  readonly rollout: {
    readonly rolloutId: string
    readonly status: string
    readonly candidate: string
    readonly stable: string | null
    readonly step: number
    readonly rollbackReason?: string
  } | null
}

export type { LoadSecond, LoadSummary }

export interface LoadResult {
  readonly startedAt: number
  readonly summary: LoadSummary
  readonly seconds: ReadonlyArray<LoadSecond>
}

/** Steady load running in another process. */
export interface Load {
  /** Stops it (SIGTERM) and returns what it measured. */
  readonly stop: () => Promise<LoadResult>
}

/** Waits until `check` returns a value (not undefined), polling; fails after `timeout` ms. */
export const waitFor = async <A>(
  what: string,
  check: () => Promise<A | undefined> | A | undefined,
  options: { readonly timeout?: number; readonly interval?: number } = {},
): Promise<A> => {
  const deadline = Date.now() + (options.timeout ?? 30_000)
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, options.interval ?? 200))
  }
}

const track = (child: ChildProcess, children: Set<ChildProcess>): Running => {
  children.add(child)
  let stdout = ""
  let stderr = ""
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    stdout += c
  })
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    stderr += c
  })
  const done = new Promise<Run>((resolve) => {
    child.once("close", (code, signal) => {
      children.delete(child)
      resolve({ code, signal, stdout, stderr })
    })
  })
  return { child, done, output: () => stdout + stderr }
}

/** Processes running from a state directory's releases: the replicas (and anything they spawned). */
export const replicaProcesses = (stateDir: string): ReadonlyArray<number> => {
  const releases = `${join(stateDir, "artifacts")}/`
  const found: Array<number> = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`)
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1")
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)
      if (`${cwd}/`.startsWith(releases) && state !== "Z") found.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return found
}

/** Whether a process is running (not gone, not a zombie). */
export const isRunning = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

/** A canary over the copied hello-node, with short bakes and the given gates and options. */
export const configSource = (options: {
  readonly app: string
  /** A strategy expression using `canary`, `blueGreen`, `allAtOnce` from @slipway/strategies. */
  readonly strategy: string
  /** A gate array expression using `Gate` (@slipway/gates). */
  readonly gates?: string
  readonly build?: string
  readonly replicas?: number
}): string =>
  [
    'import * as Gate from "@slipway/gates"',
    'import { allAtOnce, blueGreen, canary } from "@slipway/strategies"',
    'import { defineConfig } from "slipway"',
    "",
    "void Gate, allAtOnce, blueGreen, canary",
    "export default defineConfig({",
    `  app: ${JSON.stringify(options.app)},`,
    `  build: ${options.build ?? '{ path: "app", command: "node build.mjs", output: "dist" }'},`,
    `  run: { command: ["node", "server.js"], replicas: ${options.replicas ?? 2}, healthPath: "/healthz" },`,
    `  strategy: ${options.strategy},`,
    `  gates: ${options.gates ?? "[]"},`,
    "})",
    "",
  ].join("\n")

/**
 * One test file's world: a workspace (app copy + configs), a state directory, an agent,
 * and every process it started.
 */
export class World {
  readonly name: string
  readonly workspace: string
  readonly stateDir: string
  proxyUrl = ""
  agentPid = 0
  private readonly children = new Set<ChildProcess>()
  private readonly extraStateDirs: Array<string> = []

  constructor(name: string) {
    this.name = name
    const base = join(root, "test", "e2e", ".tmp")
    mkdirSync(base, { recursive: true })
    this.workspace = mkdtempSync(join(base, `${name}-`))
    // A private copy: concurrent test files never rebuild the same folder.
    mkdirSync(join(this.workspace, "app", "src"), { recursive: true })
    cpSync(join(example, "src", "server.js"), join(this.workspace, "app", "src", "server.js"))
    cpSync(join(example, "build.mjs"), join(this.workspace, "app", "build.mjs"))
    cpSync(join(example, "package.json"), join(this.workspace, "app", "package.json"))
    // Short: the agent's unix socket lives here and socket paths are limited to ~100 bytes.
    this.stateDir = mkdtempSync(join(tmpdir(), `slw-${name}-`))
  }

  /** Writes a file into the workspace (a config, usually); returns its name. */
  write(file: string, text: string): string {
    writeFileSync(join(this.workspace, file), text)
    return file
  }

  /** Another state directory, removed by `cleanup()`. */
  tempStateDir(): string {
    const dir = mkdtempSync(join(tmpdir(), `slw-${this.name}-x-`))
    this.extraStateDirs.push(dir)
    return dir
  }

  /** Starts `slipway <args> --state-dir <this state dir>` in the workspace. */
  spawn(args: ReadonlyArray<string>, options: { readonly stateDir?: string } = {}): Running {
    const child = spawn(
      process.execPath,
      ["--conditions=@slipway/source", bin, ...args, "--state-dir", options.stateDir ?? this.stateDir],
      {
        cwd: this.workspace,
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    )
    return track(child, this.children)
  }

  /** Runs `slipway <args>` to its end (killed after `timeout` ms). */
  async run(
    args: ReadonlyArray<string>,
    options: { readonly timeout?: number; readonly stateDir?: string } = {},
  ): Promise<Run> {
    const running = this.spawn(args, options)
    const timer = setTimeout(() => running.child.kill("SIGKILL"), options.timeout ?? 90_000)
    try {
      return await running.done
    } finally {
      clearTimeout(timer)
    }
  }

  /** Runs `slipway <args> --json` and parses the last line (or the whole output) of stdout. */
  async json<A>(args: ReadonlyArray<string>): Promise<A> {
    const run = await this.run([...args, "--json"])
    try {
      return JSON.parse(run.stdout) as A
    } catch {
      const last = run.stdout.trim().split("\n").at(-1) ?? ""
      try {
        return JSON.parse(last) as A
      } catch {
        throw new Error(
          `slipway ${args.join(" ")} --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`,
        )
      }
    }
  }

  /** `slipway agent start --port <port>`: the agent of this world's state directory. */
  async startAgent(port = 0): Promise<AgentView> {
    const run = await this.run(["agent", "start", "--port", String(port), "--json"])
    if (run.code !== 0) throw new Error(`agent did not start (exit ${run.code}): ${run.stderr}`)
    const info = JSON.parse(run.stdout) as AgentView
    this.proxyUrl = info.proxyUrl
    this.agentPid = info.pid
    return info
  }

  agentStatus(): Promise<AgentView> {
    return this.json<AgentView>(["agent", "status"])
  }

  status(config: string): Promise<StatusView> {
    return this.json<StatusView>(["status", "-c", config])
  }

  /** The app's rollouts as the journal keeps them (current first, then finished, newest first). */
  async rollouts(app: string): Promise<ReadonlyArray<RolloutRecord>> {
    return Effect.runPromise(
      Effect.gen(function* () {
        const journal = yield* Journal
        const current = Option.toArray(yield* journal.load(app))
        const past = yield* journal.history(app)
        const seen = new Set<string>()
        return [...current, ...past].filter((r) => !seen.has(r.rolloutId) && Boolean(seen.add(r.rolloutId)))
      }).pipe(Effect.provide(Journal.layerFile(join(this.stateDir, "journal")))),
    )
  }

  /** The journal's record of the app's current (or last) rollout. */
  async current(app: string): Promise<RolloutRecord | undefined> {
    return Effect.runPromise(
      Effect.flatMap(Effect.service(Journal), (j) => j.load(app)).pipe(
        Effect.map(Option.getOrUndefined),
        Effect.provide(Journal.layerFile(join(this.stateDir, "journal"))),
      ),
    )
  }

  /** GET through the agent's proxy: status and the `x-app-version` that answered. */
  async get(path = "/"): Promise<{ readonly status: number; readonly version: string | undefined }> {
    // A connection of its own: one kept alive across an agent restart would only say "reset".
    const client = new Client(this.proxyUrl)
    try {
      const res = await client.request({ method: "GET", path, headersTimeout: 5_000, bodyTimeout: 5_000 })
      await res.body.dump()
      const version = res.headers["x-app-version"]
      return { status: res.statusCode, version: typeof version === "string" ? version : undefined }
    } finally {
      await client.destroy()
    }
  }

  /** Steady GET load on the proxy from another process, bounded by `duration` seconds. */
  startLoad(options: { readonly rps: number; readonly duration?: number }): Load {
    const startedAt = Date.now()
    const child = spawn(
      process.execPath,
      [
        loadScript,
        "--url",
        `${this.proxyUrl}/`,
        "--rps",
        String(options.rps),
        "--concurrency",
        "16",
        "--duration",
        String(options.duration ?? 120),
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    )
    const running = track(child, this.children)
    return {
      stop: async () => {
        child.kill("SIGTERM")
        const run = await running.done
        const lines = run.stdout
          .trim()
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
        const summary = lines.find((l) => l.summary === true) as LoadSummary | undefined
        if (summary === undefined) throw new Error(`load printed no summary:\n${run.stdout}\n${run.stderr}`)
        const seconds = lines.filter((l) => l.summary === undefined) as unknown as Array<LoadSecond>
        return { startedAt, summary, seconds }
      },
    }
  }

  /** Stops everything this world started and removes its folders. */
  async cleanup(): Promise<void> {
    for (const child of this.children) child.kill("SIGKILL")
    for (const dir of [this.stateDir, ...this.extraStateDirs]) {
      await this.run(["agent", "stop"], { stateDir: dir, timeout: 30_000 }).catch(() => undefined)
      // Whatever survived (a replica of an agent killed on purpose, say).
      for (const pid of replicaProcesses(dir)) {
        try {
          process.kill(pid, "SIGKILL")
        } catch {
          // gone meanwhile
        }
      }
    }
    if (this.agentPid > 0 && isRunning(this.agentPid)) process.kill(this.agentPid, "SIGKILL")
    for (const dir of [this.stateDir, ...this.extraStateDirs, this.workspace])
      rmSync(dir, { recursive: true, force: true })
  }
}

/** Events of a record, by tag. */
export const eventsOf = <T extends RolloutEvent["_tag"]>(
  record: RolloutRecord,
  tag: T,
): ReadonlyArray<Extract<RolloutEvent, { _tag: T }>> =>
  record.events.filter((e): e is Extract<RolloutEvent, { _tag: T }> => e._tag === tag)

/**
 * Requests answered during [from, to], at most: the load's per-second counts of every
 * interval that overlaps the window (so the count errs on the high side).
 */
export const requestsDuring = (load: LoadResult, from: number, to: number): number => {
  let previous = load.startedAt
  let total = 0
  for (const s of load.seconds) {
    if (s.t > from && previous < to) total += s.ok + s.failed
    previous = s.t
  }
  return total
}
