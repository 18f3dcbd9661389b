/**
 * A real deployment to this machine, driven the way a user drives it: a copy of the
 * hello-node example, a `slipway.config.ts` written for the benchmark, the `slipway`
 * CLI (`agent start`, `deploy`, `agent stop`) as separate processes, load from
 * scripts/load.ts in another process, and the rollout's events read back from the
 * journal afterwards.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Journal, type RolloutEvent, type RolloutRecord } from "@slipway/core"
import { stopAgent } from "@slipway/local"
import { Effect, Option } from "effect"
import type { LoadSummary } from "../../scripts/LoadReport.ts"
import type { BenchContext } from "./Benchmark.ts"
import { type Finished, type TimedLine, waitGone } from "./Processes.ts"

/** The rollout the benchmark configures. */
export interface LocalDeployOptions {
  /** Canary steps: weight and bake (`"2s"`, or 0). */
  readonly steps: ReadonlyArray<{ readonly weight: number; readonly bake: string | 0 }>
  /** Background analysis interval, e.g. `"1s"`. */
  readonly interval: string
  /** Look-back window of the metric gates, e.g. `"1s"`. */
  readonly window: string
  /** Requests the candidate must have had in the window before the error rate is judged. */
  readonly minRequests: number
  /** Highest acceptable 5xx share. */
  readonly maxErrorRate: number
  readonly replicas: number
}

const APP = "bench"

/**
 * The config file's source: hello-node's (canary + error-rate, latency and health gates)
 * with the benchmark's steps, interval and window, no scale-down delay (so the CLI's wall
 * time holds no idle wait besides the bakes), and a free proxy port.
 */
export const configSource = (
  o: LocalDeployOptions,
): string => `// Written by bench/lib/LocalDeploy.ts for one benchmark run.
import * as Gate from "@slipway/gates"
import { canary } from "@slipway/strategies"
import { defineConfig } from "slipway"

export default defineConfig({
  app: ${JSON.stringify(APP)},
  build: { path: "app", command: "node build.mjs", output: "dist" },
  run: { command: ["node", "server.js"], replicas: ${o.replicas}, healthPath: "/healthz" },
  port: 0,
  stateDir: "state",
  strategy: canary({
    steps: ${JSON.stringify(o.steps)},
    analysis: { interval: ${JSON.stringify(o.interval)}, failureLimit: 0 },
    scaleDownDelay: 0,
  }),
  gates: [
    Gate.requireTraffic(${o.minRequests}, { window: ${JSON.stringify(o.window)} })(
      Gate.errorRate({ max: ${o.maxErrorRate}, window: ${JSON.stringify(o.window)} }),
    ),
    Gate.requireTraffic(${o.minRequests}, { window: ${JSON.stringify(o.window)} })(
      Gate.latency({ percentile: 95, max: 250, window: ${JSON.stringify(o.window)} }),
    ),
    Gate.http("/healthz", { timeout: "1s" }),
  ],
})
`

/** One `slipway deploy` process and the rollout it left in the journal. */
export interface DeployRun {
  readonly finished: Finished
  /** The journal's record of the rollout this deploy ran. */
  readonly record: RolloutRecord
  /** When the CLI printed a line matching `pattern` (epoch ms), if it did. */
  readonly lineAt: (pattern: RegExp) => number | undefined
}

export type { LoadSummary }

/** Steady load from scripts/load.ts; `stop` ends it and returns its summary. */
export interface LoadRun {
  readonly stop: () => Promise<LoadSummary>
}

/**
 * A scratch deployment: app copy, config, state directory, and the CLI to drive them.
 *
 * @example
 * const session = new LocalDeploySession(ctx, options)
 * const agent = await session.startAgent()
 * const v1 = await session.deploy({ APP_VERSION: "1" })
 */
export class LocalDeploySession {
  readonly dir: string
  readonly stateDir: string
  readonly config: string
  readonly #ctx: BenchContext
  #agentPid: number | undefined

  constructor(ctx: BenchContext, options: LocalDeployOptions) {
    this.#ctx = ctx
    this.dir = ctx.tmp
    this.stateDir = join(ctx.tmp, "state")
    this.config = join(ctx.tmp, "slipway.config.ts")
    // The example's files, copied: its own dist/ may be rebuilt by someone else meanwhile.
    const example = join(ctx.root, "examples", "hello-node")
    mkdirSync(join(this.dir, "app", "src"), { recursive: true })
    copyFileSync(join(example, "src", "server.js"), join(this.dir, "app", "src", "server.js"))
    copyFileSync(join(example, "build.mjs"), join(this.dir, "app", "build.mjs"))
    writeFileSync(
      join(this.dir, "app", "package.json"),
      `${JSON.stringify({ name: "hello-node", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`,
    )
    writeFileSync(this.config, configSource(options))
    // Whatever happens, no agent (and so no replica) outlives the benchmark.
    ctx.onCleanup(() => this.#forceStop())
  }

  #cli(args: ReadonlyArray<string>, timeoutMs: number): Promise<Finished> {
    const { node, root, procs } = this.#ctx
    return procs.run(
      node[0],
      [...node.slice(1), join(root, "packages", "cli", "src", "bin.ts"), ...args, "--config", this.config],
      { cwd: this.dir, timeoutMs, env: { ...process.env, NO_COLOR: "1" } },
    )
  }

  /** `slipway agent start --json`: the agent's pid and proxy URL, and how long the command took. */
  async startAgent(): Promise<{ readonly pid: number; readonly proxyUrl: string; readonly ms: number }> {
    const r = await this.#cli(["agent", "start", "--json"], 60_000)
    if (r.code !== 0) throw new Error(`slipway agent start exited ${r.code}: ${r.stderr}`)
    const info = JSON.parse(r.stdout.map((l) => l.text).join("\n")) as { pid: number; proxyUrl: string }
    this.#agentPid = info.pid
    return { pid: info.pid, proxyUrl: info.proxyUrl, ms: r.endedAt - r.startedAt }
  }

  /** `slipway agent stop`, then makes sure the process is gone; returns how long it took. */
  async stopAgent(): Promise<number> {
    const r = await this.#cli(["agent", "stop"], 60_000)
    if (r.code !== 0) throw new Error(`slipway agent stop exited ${r.code}: ${r.stderr}`)
    if (this.#agentPid !== undefined && !(await waitGone(this.#agentPid, 10_000))) {
      throw new Error(`agent pid ${this.#agentPid} still runs after \`slipway agent stop\``)
    }
    this.#agentPid = undefined
    return r.endedAt - r.startedAt
  }

  // The safety net: in-process (the runner refuses new processes by now), then signals.
  async #forceStop(): Promise<void> {
    const pid = this.#agentPid
    if (pid === undefined) return
    await Effect.runPromise(stopAgent(this.stateDir).pipe(Effect.timeout("40 seconds"), Effect.ignore))
    if (await waitGone(pid, 1_000)) return
    // SIGTERM makes the agent stop its replicas gracefully too.
    process.kill(pid, "SIGTERM")
    if (await waitGone(pid, 15_000)) return
    process.kill(pid, "SIGKILL")
    throw new Error(`agent pid ${pid} had to be killed; its replicas may be left running`)
  }

  /** `slipway deploy -e KEY=VALUE…` to completion (bounded), with the rollout it recorded. */
  async deploy(env: Readonly<Record<string, string>>, timeoutMs = 120_000): Promise<DeployRun> {
    const flags = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`])
    const finished = await this.#cli(["deploy", ...flags], timeoutMs)
    if (finished.timedOut) throw new Error(`slipway deploy ran past ${timeoutMs / 1000} s and was stopped`)
    if (finished.code !== 0 && finished.code !== 1) {
      throw new Error(
        `slipway deploy exited ${finished.code}: ${finished.stderr}${finished.stdout.map((l) => l.text).join("\n")}`,
      )
    }
    const record = await this.record()
    const lineAt = (pattern: RegExp) => finished.stdout.find((l: TimedLine) => pattern.test(l.text))?.at
    return { finished, record, lineAt }
  }

  /** The app's current rollout from the journal (written by the CLI process). */
  record(): Promise<RolloutRecord> {
    return Effect.runPromise(
      Effect.flatMap(Effect.service(Journal), (j) => j.load(APP)).pipe(
        Effect.provide(Journal.layerFile(join(this.stateDir, "journal"))),
        Effect.map(Option.getOrThrowWith(() => new Error(`the journal has no rollout of ${APP}`))),
      ),
    )
  }

  /** Starts scripts/load.ts against `url` at `rps` (it stops by itself after `durationS`). */
  startLoad(url: string, rps: number, durationS: number): LoadRun {
    const { node, root, procs } = this.#ctx
    const running = procs.start(node[0], [
      ...node.slice(1),
      join(root, "scripts", "load.ts"),
      "--url",
      `${url}/`,
      "--rps",
      String(rps),
      "--concurrency",
      "8",
      "--duration",
      String(durationS),
      "--quiet",
    ])
    return {
      stop: async () => {
        running.child.kill("SIGTERM")
        const finished = await running.done
        const line = [...finished.stdout].reverse().find((l) => l.text.startsWith('{"summary":true'))
        if (line === undefined) throw new Error(`load.ts printed no summary: ${finished.stderr}`)
        return JSON.parse(line.text) as LoadSummary
      },
    }
  }
}

/** Events of one type, in order. */
export const eventsOf = <T extends RolloutEvent["_tag"]>(
  record: RolloutRecord,
  tag: T,
): Array<Extract<RolloutEvent, { _tag: T }>> =>
  record.events.filter((e): e is Extract<RolloutEvent, { _tag: T }> => e._tag === tag)

/** Sum of the Pause steps' durations of a strategy (ms): the bakes. */
export const configuredBakes = (record: RolloutRecord): number =>
  record.strategy.steps.reduce((n, s) => n + (s._tag === "Pause" ? (s.duration ?? 0) : 0), 0)
