/**
 * The app's request handling, apart from the server so that tests can drive it. Replace
 * it with your own; keep answering the health check path (`/healthz`), which the load
 * balancer probes to decide whether a task may receive traffic.
 */
import type { IncomingMessage, ServerResponse } from "node:http"

/** What the handler needs to know about the process. */
export interface AppState {
  /** Set on SIGTERM: the health check fails so that no new requests arrive. */
  draining: boolean
}

const text = (res: ServerResponse, status: number, body: string): void => {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${body}\n`)
}

/**
 * The request handler.
 *
 * @example
 * import { createServer } from "node:http"
 * createServer(handle({ draining: false })).listen(8080)
 */
export const handle =
  (state: AppState) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname
    if (path === "/healthz") {
      text(res, state.draining ? 503 : 200, state.draining ? "draining" : "ok")
      return
    }
    if (path === "/" && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(
        `${JSON.stringify({ message: "Hello from slipway-fargate", version: process.env.APP_VERSION ?? "dev" })}\n`,
      )
      return
    }
    text(res, 404, "not found")
  }
