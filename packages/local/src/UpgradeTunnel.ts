/**
 * Forwards an HTTP `Upgrade` (WebSocket and friends) by opening a raw TCP connection to a
 * replica, replaying the request head, and piping bytes both ways until either side
 * closes. The proxy never parses the upgraded protocol; it only reads the status line of
 * the replica's answer to count it in the revision's metrics. A replica that refuses the
 * connection is skipped for the next one, as with plain requests.
 */
import type { IncomingMessage } from "node:http"
import { connect, type Socket } from "node:net"
import type { Duplex } from "node:stream"
import { upstreamRequestHeaders } from "./ForwardedHeaders.ts"
import type { ForwardTarget } from "./HttpForwarder.ts"
import type { ProxyMetrics } from "./ProxyMetrics.ts"
import type { Upstream } from "./Upstream.ts"

const CONNECT_TIMEOUT_MS = 5_000

const requestHead = (req: IncomingMessage): string => {
  const headers = upstreamRequestHeaders(req, { upgrade: true })
  let head = `${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1\r\n`
  for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`
  return `${head}\r\n`
}

const refuse = (socket: Duplex, status: number, text: string, revision: string | undefined): void => {
  if (socket.destroyed) return
  const body = `slipway: ${text}\n`
  const revisionLine = revision === undefined ? "" : `x-slipway-revision: ${revision}\r\n`
  socket.end(
    `HTTP/1.1 ${status} ${status === 502 ? "Bad Gateway" : "Service Unavailable"}\r\n` +
      `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${revisionLine}connection: close\r\n\r\n${body}`,
  )
}

/**
 * Tunnels an upgrade request to a replica of `target`. `client` is the socket Node handed
 * to the `upgrade` event, `head` the bytes already read past the request head.
 */
export const tunnelUpgrade = (
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: ForwardTarget,
  options: { readonly metrics: ProxyMetrics; readonly maxAttempts?: number },
): void => {
  const started = performance.now()
  const tried = new Set<Upstream>()
  const maxAttempts = options.maxAttempts ?? 3
  const payload = requestHead(req)
  let recorded = false
  const record = (status: number): void => {
    if (recorded) return
    recorded = true
    options.metrics.record(target.app, target.revision, status, performance.now() - started)
  }
  client.on("error", () => client.destroy())

  const attempt = (lastError: Error | undefined): void => {
    const upstream = tried.size < maxAttempts ? target.next(tried) : undefined
    if (upstream === undefined) {
      record(502)
      const why = lastError === undefined ? "no replica is ready" : lastError.message
      refuse(client, 502, `revision ${target.revision} could not take the upgrade: ${why}`, target.revision)
      return
    }
    tried.add(upstream)
    let connected = false
    const server: Socket = connect({ host: upstream.host, port: upstream.port })
    upstream.addTunnel(server)
    server.setTimeout(CONNECT_TIMEOUT_MS, () => {
      if (!connected) server.destroy(new Error(`connect to ${upstream.address} timed out`))
    })
    server.once("connect", () => {
      connected = true
      server.setTimeout(0)
      server.setNoDelay(true)
      if (client.destroyed) {
        server.destroy()
        return
      }
      server.write(payload)
      if (head.length > 0) server.write(head)
      server.once("data", (first: Buffer) => {
        const match = /^HTTP\/1\.[01] (\d{3})/.exec(first.subarray(0, 16).toString("latin1"))
        record(match ? Number(match[1]) : 502)
      })
      server.pipe(client)
      client.pipe(server)
    })
    server.on("error", (err) => {
      if (!connected && !client.destroyed) {
        upstream.removeTunnel(server)
        attempt(err)
        return
      }
      client.destroy()
    })
    server.on("close", () => {
      upstream.removeTunnel(server)
      if (connected) {
        // Closed before answering the handshake: that is the replica failing the request.
        record(502)
        client.destroy()
      }
    })
    client.on("close", () => server.destroy())
  }

  attempt(undefined)
}
