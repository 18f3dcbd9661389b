/**
 * Child processes a benchmark starts: every one is tracked so the runner can stop what
 * is left when a benchmark ends, fails or times out (SIGTERM, a grace period, SIGKILL),
 * and every wait is bounded.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process"

/** A line a child printed, with the wall-clock time (epoch ms) it arrived. */
export interface TimedLine {
  readonly at: number
  readonly text: string
}

/** A finished command. */
export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** Epoch ms when it was spawned and when it exited. */
  readonly startedAt: number
  readonly endedAt: number
  readonly stdout: ReadonlyArray<TimedLine>
  readonly stderr: string
  /** True when it was stopped for running past its time limit. */
  readonly timedOut: boolean
}

/** A started child with its output collected line by line. */
export interface Running {
  readonly child: ChildProcess
  readonly startedAt: number
  readonly lines: Array<TimedLine>
  /** Resolves with the whole run once the child exits. */
  readonly done: Promise<Finished>
  /** Resolves with the first line matching `test` (rejects after `timeoutMs` or on exit). */
  readonly waitForLine: (test: (line: string) => boolean, timeoutMs: number) => Promise<TimedLine>
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null

/** Waits for a child to exit; `false` when it is still running after `ms`. */
const exitWithin = (child: ChildProcess, ms: number): Promise<boolean> =>
  exited(child)
    ? Promise.resolve(true)
    : new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms)
        child.once("exit", () => {
          clearTimeout(timer)
          resolve(true)
        })
      })

/**
 * The processes one benchmark started. `stopAll` ends whatever is still running.
 *
 * @example
 * const procs = new Processes()
 * const app = procs.start("node", ["app.ts"])
 * await app.waitForLine((l) => l.includes("listening"), 5_000)
 * await procs.stopAll()
 */
export class Processes {
  readonly #children = new Set<ChildProcess>()
  #closed = false

  /** Starts a child (stdin closed, stdout collected by line, stderr kept). */
  start(
    command: string,
    args: ReadonlyArray<string>,
    options: SpawnOptions & { readonly timeoutMs?: number } = {},
  ): Running {
    // A benchmark that timed out may still be running; it must not start anything more.
    if (this.#closed) throw new Error(`not starting ${command}: the benchmark was stopped`)
    const { timeoutMs, ...spawnOptions } = options
    const startedAt = Date.now()
    const child = spawn(command, [...args], { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] })
    this.#children.add(child)
    const lines: Array<TimedLine> = []
    const waiters = new Set<() => void>()
    let partial = ""
    let stderr = ""
    // Set once the child exited and its output is drained: no line can arrive after it.
    let closed = false
    child.stdout!.setEncoding("utf8")
    child.stdout!.on("data", (chunk: string) => {
      const at = Date.now()
      const parts = (partial + chunk).split("\n")
      partial = parts.pop() ?? ""
      for (const text of parts) lines.push({ at, text })
      for (const wake of waiters) wake()
    })
    child.stderr!.setEncoding("utf8")
    child.stderr!.on("data", (chunk: string) => {
      // Keep the tail only: enough for an error message, bounded for chatty children.
      stderr = (stderr + chunk).slice(-20_000)
    })
    let timedOut = false
    // "close" comes after the pipes drain; the exit itself is the moment that counts.
    let exitAt: number | undefined
    child.once("exit", () => {
      exitAt = Date.now()
    })
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            void this.stop(child)
          }, timeoutMs)
    const done = new Promise<Finished>((resolve, reject) => {
      child.once("error", (e) => {
        if (timer) clearTimeout(timer)
        this.#children.delete(child)
        reject(new Error(`could not run ${command}: ${e.message}`))
      })
      child.once("close", (code, signal) => {
        if (timer) clearTimeout(timer)
        this.#children.delete(child)
        if (partial !== "") lines.push({ at: Date.now(), text: partial })
        closed = true
        for (const wake of waiters) wake()
        resolve({ code, signal, startedAt, endedAt: exitAt ?? Date.now(), stdout: lines, stderr, timedOut })
      })
    })
    const waitForLine = (test: (line: string) => boolean, ms: number): Promise<TimedLine> =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = lines.find((l) => test(l.text))
          if (found !== undefined) {
            finish()
            resolve(found)
            return true
          }
          if (closed) {
            finish()
            reject(new Error(`${command} exited (${child.exitCode ?? child.signalCode}) before: ${stderr}`))
            return true
          }
          return false
        }
        const timer = setTimeout(() => {
          finish()
          reject(new Error(`${command} printed no expected line within ${ms} ms; stderr: ${stderr}`))
        }, ms)
        const wake = () => void check()
        const finish = () => {
          clearTimeout(timer)
          waiters.delete(wake)
        }
        waiters.add(wake)
        check()
      })
    return { child, startedAt, lines, done, waitForLine }
  }

  /** Runs a command to completion (bounded by `timeoutMs`, default 2 minutes). */
  run(
    command: string,
    args: ReadonlyArray<string>,
    options: SpawnOptions & { readonly timeoutMs?: number } = {},
  ): Promise<Finished> {
    return this.start(command, args, { timeoutMs: 120_000, ...options }).done
  }

  /** SIGTERM, then SIGKILL after `graceMs` if it is still there. */
  async stop(child: ChildProcess, graceMs = 5_000): Promise<void> {
    if (exited(child)) return
    child.kill("SIGTERM")
    if (await exitWithin(child, graceMs)) return
    child.kill("SIGKILL")
    await exitWithin(child, 2_000)
  }

  /** Stops every child still running, all at once. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#children].map((c) => this.stop(c)))
    this.#children.clear()
  }

  /** Stops every child and refuses to start more (the benchmark is over). */
  async close(): Promise<void> {
    this.#closed = true
    await this.stopAll()
  }

  /** How many children are still running. */
  get running(): number {
    return [...this.#children].filter((c) => !exited(c)).length
  }
}

/** True while a process with this id exists. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Waits (bounded) until a process id is gone; `false` if it is still there after `ms`. */
export const waitGone = async (pid: number, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!alive(pid)) return true
    await sleep(50)
  }
  return !alive(pid)
}
