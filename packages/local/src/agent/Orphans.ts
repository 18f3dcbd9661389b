/**
 * Replicas left behind by an agent that died without stopping them (`kill -9`, OOM killer,
 * a crash). Replicas run in their own process groups so that a graceful stop reaches what
 * they spawn; the price is that they outlive an agent killed outright, keep their ports
 * and memory, and would run next to the replicas a restarted agent starts. The restarted
 * agent finds them and stops them before it restores what it served.
 *
 * A process is one of ours when its working directory is a release in this state
 * directory's artifact store and its environment names a Slipway revision — both are set
 * by the supervisor, so an operator's shell that merely `cd`s into a release is left
 * alone. Finding them needs `/proc` (Linux); elsewhere there is nothing to find.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs"
import { join, resolve, sep } from "node:path"
import { Effect, Schedule } from "effect"

/** A replica process of a previous agent. */
export interface OrphanReplica {
  readonly pid: number
  readonly revision: string
}

const revisionOf = (pid: number): string | undefined => {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0")
    return environ.find((e) => e.startsWith("SLIPWAY_REVISION="))?.slice("SLIPWAY_REVISION=".length)
  } catch {
    return undefined
  }
}

/**
 * Replica processes running from `stateDir`'s artifact store, other than this process.
 *
 * @example
 * import { findOrphanReplicas } from "./Orphans.ts"
 * for (const o of findOrphanReplicas("/srv/slipway")) console.log(`${o.revision}: pid ${o.pid}`)
 */
export const findOrphanReplicas = (stateDir: string): ReadonlyArray<OrphanReplica> => {
  const releases = join(resolve(stateDir), "artifacts") + sep
  let entries: Array<string>
  try {
    entries = readdirSync("/proc")
  } catch {
    return []
  }
  const found: Array<OrphanReplica> = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    let cwd: string
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`)
    } catch {
      continue // gone meanwhile, or not ours to read
    }
    if (!`${cwd}${sep}`.startsWith(releases)) continue
    const revision = revisionOf(pid)
    if (revision !== undefined) found.push({ pid, revision })
  }
  return found
}

// Running, as opposed to gone or a zombie waiting for whoever adopted it to reap it.
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

// Signals the replica's process group (it leads one), falling back to the process itself.
const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(-pid, sig)
  } catch {
    try {
      process.kill(pid, sig)
    } catch {
      // already gone
    }
  }
}

/**
 * Stops the orphans of `stateDir`: SIGTERM to each one's process group, up to
 * `gracePeriod` ms to exit, then SIGKILL. Returns what it found.
 *
 * @example
 * import { reapOrphanReplicas } from "./Orphans.ts"
 * import { Effect } from "effect"
 * const reaped = await Effect.runPromise(reapOrphanReplicas("/srv/slipway", 5_000))
 */
export const reapOrphanReplicas = (
  stateDir: string,
  gracePeriod: number,
): Effect.Effect<ReadonlyArray<OrphanReplica>> =>
  Effect.gen(function* () {
    const orphans = findOrphanReplicas(stateDir)
    if (orphans.length === 0) return orphans
    for (const o of orphans) signal(o.pid, "SIGTERM")
    const interval = 100
    yield* Effect.sync(() => orphans.some((o) => alive(o.pid))).pipe(
      Effect.repeat({
        schedule: Schedule.spaced(interval),
        while: (any) => any,
        times: Math.max(1, Math.ceil(gracePeriod / interval)),
      }),
    )
    for (const o of orphans) signal(o.pid, "SIGKILL")
    return orphans
  })
