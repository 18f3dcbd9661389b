/** The HAProxy backend an app is served by, and which server slots each revision owns. */
import { checkName, HAProxyConfigError, make, type Runtime, type RuntimeOptions } from "./HAProxyRuntime.ts"

/**
 * An app's backend in an HAProxy this host already runs: the runtime API socket, the
 * backend's name, and the servers (slots declared in haproxy.cfg) of each revision.
 *
 * @example
 * import type { HAProxyBackend } from "@slipway/local"
 * const backend: HAProxyBackend = {
 *   socket: "/run/haproxy/admin.sock",
 *   backend: "hello",
 *   servers: { "hello-3f9c2a7b1d0e": ["blue1", "blue2"], "hello-9d41e0c2aa17": ["green1", "green2"] },
 * }
 */
export interface HAProxyBackend {
  /** The runtime API: a unix socket path or a loopback `127.0.0.1:port`, or an existing client. */
  readonly socket: string | Runtime
  readonly backend: string
  /** Server names of the backend that serve each revision. A server belongs to one revision. */
  readonly servers: Readonly<Record<string, ReadonlyArray<string>>>
  /** When set, only this app is served; queries for another app fail. Default: any app name. */
  readonly app?: string
  /** Options of the client made from `socket` (timeout). */
  readonly runtime?: RuntimeOptions
}

/** A checked backend. Internal. */
export interface Slots {
  readonly runtime: Runtime
  readonly backend: string
  readonly app: string | undefined
  /** Revisions in configuration order, with their servers in order. */
  readonly revisions: ReadonlyArray<{ readonly revision: string; readonly servers: ReadonlyArray<string> }>
  readonly owner: ReadonlyMap<string, string>
}

/** Checks a backend configuration, throwing `HAProxyConfigError`. Internal. */
export const checkBackend = (config: HAProxyBackend): Slots => {
  const backend = checkName("backend", config.backend)
  const entries = Object.entries(config.servers)
  if (entries.length === 0) {
    throw new HAProxyConfigError({
      field: "servers",
      problem: "no revisions; map each revision to its server slots",
    })
  }
  const owner = new Map<string, string>()
  const revisions = entries.map(([revision, servers]) => {
    if (revision.length === 0)
      throw new HAProxyConfigError({ field: "servers", problem: "a revision id is empty" })
    if (servers.length === 0) {
      throw new HAProxyConfigError({
        field: `servers.${revision}`,
        problem: "no servers; give at least one slot",
      })
    }
    for (const server of servers) {
      checkName(`servers.${revision}`, server)
      const other = owner.get(server)
      if (other !== undefined) {
        throw new HAProxyConfigError({
          field: `servers.${revision}`,
          problem: `server ${backend}/${server} is also mapped to ${other}; a slot serves one revision`,
        })
      }
      owner.set(server, revision)
    }
    return { revision, servers: [...servers] }
  })
  const runtime = typeof config.socket === "string" ? make(config.socket, config.runtime) : config.socket
  return { runtime, backend, app: config.app, revisions, owner }
}
