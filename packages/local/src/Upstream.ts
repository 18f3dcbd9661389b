/**
 * One replica as the proxy sees it: an address, a keep-alive connection pool to it, and
 * a count of what is in flight (HTTP requests and upgraded tunnels). When a replica
 * leaves the routing table it is retired: no new work is sent to it, and its pool is
 * closed only once the work already in flight has finished — that is what makes weight
 * switches and scale-downs drop nothing.
 */
import type { Socket } from "node:net"
import { Pool } from "undici"

/** Pool settings: keep-alive below Node's 5 s server default so we never reuse a socket the app is closing. */
const POOL_OPTIONS: Pool.Options = {
  connections: 256,
  pipelining: 1,
  keepAliveTimeout: 4_000,
  keepAliveMaxTimeout: 30_000,
  // The forwarder enforces its response-head deadline with one sweep for all requests.
  headersTimeout: 0,
  // Streaming responses (SSE, downloads) may pause for long; the client decides when to give up.
  bodyTimeout: 0,
  connect: { timeout: 5_000 },
}

/** A replica's address, pool and in-flight work (internal to the proxy). */
export class Upstream {
  /** `host:port` of the replica. */
  readonly address: string
  readonly host: string
  readonly port: number
  readonly pool: Pool
  private inflight = 0
  private readonly tunnels = new Set<Socket>()
  private retiredFlag = false
  private closed = false
  private readonly drainedWaiters: Array<() => void> = []

  constructor(address: string) {
    const colon = address.lastIndexOf(":")
    this.address = address
    this.host = address.slice(0, colon)
    this.port = Number(address.slice(colon + 1))
    this.pool = new Pool(`http://${address}`, POOL_OPTIONS)
  }

  get retired(): boolean {
    return this.retiredFlag
  }

  /** Requests and tunnels currently using this replica. */
  get busy(): number {
    return this.inflight + this.tunnels.size
  }

  acquire(): void {
    this.inflight += 1
  }

  release(): void {
    this.inflight -= 1
    this.settle()
  }

  addTunnel(socket: Socket): void {
    this.tunnels.add(socket)
  }

  removeTunnel(socket: Socket): void {
    if (this.tunnels.delete(socket)) this.settle()
  }

  /** Stops new work; closes the pool once in-flight work is done. */
  retire(): void {
    if (this.retiredFlag) return
    this.retiredFlag = true
    this.settle()
  }

  /** Resolves when the replica is retired and nothing is in flight on it. */
  drained(): Promise<void> {
    if (this.retiredFlag && this.busy === 0) return Promise.resolve()
    return new Promise((resolve) => this.drainedWaiters.push(resolve))
  }

  /** Ends everything now (proxy shutdown after its grace period). */
  destroy(): Promise<void> {
    this.retiredFlag = true
    for (const socket of this.tunnels) socket.destroy()
    this.tunnels.clear()
    this.inflight = 0
    this.settle()
    return this.pool.destroy().catch(() => undefined)
  }

  private settle(): void {
    if (!this.retiredFlag) return
    if (this.inflight === 0 && !this.closed) {
      this.closed = true
      // close() waits for anything still queued in the pool, then ends its sockets.
      void this.pool.close().catch(() => undefined)
    }
    if (this.busy === 0) {
      for (const resolve of this.drainedWaiters.splice(0)) resolve()
    }
  }
}
