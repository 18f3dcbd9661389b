/**
 * HAProxy as the reference proxy: a config with one frontend on 127.0.0.1 and a backend
 * of weighted servers, whose weights are set through the runtime API on a unix socket —
 * the way a deployment tool drives an HAProxy that a host already runs.
 */
import { spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { HAProxyRuntime } from "@slipway/local"
import { Effect } from "effect"
import type { Processes, Running } from "./Processes.ts"
import { sleep } from "./Processes.ts"

/** `HAProxy version 2.6.12-1+deb12u4 …`, or `undefined` when it is not installed. */
export const findHAProxy = (): string | undefined => {
  const r = spawnSync("haproxy", ["-v"], { encoding: "utf8", timeout: 5_000 })
  if (r.error !== undefined || r.status !== 0) return undefined
  return r.stdout
    .split("\n")[0]
    ?.replace(/ - https?:.*$/, "")
    .trim()
}

/** One backend server. */
export interface HAProxyServer {
  readonly name: string
  readonly address: string
  readonly weight: number
}

/**
 * The config: one thread (the Slipway proxy is one Node thread), keep-alive on both
 * sides, round robin by weight, and an admin-level runtime API socket (mode 600).
 */
export const haproxyConfig = (options: {
  readonly port: number
  readonly socket: string
  readonly servers: ReadonlyArray<HAProxyServer>
}): string =>
  [
    "global",
    "  nbthread 1",
    "  maxconn 4096",
    `  stats socket ${options.socket} mode 600 level admin`,
    "",
    "defaults",
    "  mode http",
    "  option http-keep-alive",
    "  http-reuse safe",
    "  timeout connect 5s",
    "  timeout client 30s",
    "  timeout server 30s",
    "  timeout http-keep-alive 30s",
    "",
    "frontend bench",
    `  bind 127.0.0.1:${options.port}`,
    "  default_backend app",
    "",
    "backend app",
    "  balance roundrobin",
    // Start at weight 1: the real weights arrive through the runtime API, as in a rollout.
    ...options.servers.map((s) => `  server ${s.name} ${s.address} weight 1`),
    "",
  ].join("\n")

/**
 * Starts HAProxy in the foreground with the servers at weight 1, waits for its runtime
 * API, sets each server's weight through it and checks it took.
 */
export const startHAProxy = async (
  procs: Processes,
  dir: string,
  port: number,
  servers: ReadonlyArray<HAProxyServer>,
): Promise<Running> => {
  const socket = join(dir, "admin.sock")
  const config = join(dir, "haproxy.cfg")
  writeFileSync(config, haproxyConfig({ port, socket, servers }))
  const check = spawnSync("haproxy", ["-c", "-q", "-f", config], { encoding: "utf8", timeout: 10_000 })
  if (check.status !== 0) throw new Error(`haproxy refused ${config}: ${check.stderr}${check.stdout}`)
  const running = procs.start("haproxy", ["-db", "-f", config])
  // Slipway's own runtime-API client: the one its HAProxy adapter drives a host's HAProxy with.
  const runtime = HAProxyRuntime.make(socket)
  for (let attempt = 0; ; attempt++) {
    try {
      await Effect.runPromise(runtime.command("show info"))
      break
    } catch (e) {
      if (attempt >= 100 || running.child.exitCode !== null)
        throw new Error(`haproxy did not open its runtime API: ${(e as Error).message}`)
      await sleep(50)
    }
  }
  for (const s of servers) {
    await Effect.runPromise(runtime.setWeight("app", s.name, s.weight))
    const weight = await Effect.runPromise(runtime.getWeight("app", s.name))
    if (weight.current !== s.weight) {
      throw new Error(`haproxy runtime API: app/${s.name} has weight ${weight.current}, expected ${s.weight}`)
    }
  }
  return running
}
