/**
 * Starts the app on `PORT` (set by the deployment) and stops gracefully: on SIGTERM it
 * fails its health check, finishes the requests in flight and exits, so a rollout or a
 * scale-in never cuts a request short.
 */
import { createServer } from "node:http"
import { type AppState, handle } from "./app.ts"

const port = Number(process.env.PORT ?? 8080)
const state: AppState = { draining: false }
const server = createServer(handle(state))

// The load balancer reuses idle connections for up to 60 s. Node must keep them open
// longer, or it closes one the load balancer is about to reuse and that request fails (502).
server.keepAliveTimeout = 65_000
server.headersTimeout = 66_000

server.listen(port, () => console.log(`listening on :${port}`))

const stop = (signal: string): void => {
  console.log(`${signal}: draining`)
  state.draining = true
  server.close(() => process.exit(0))
  server.closeIdleConnections()
  // Past the grace period ECS would SIGKILL anyway; exit on our own terms first.
  setTimeout(() => process.exit(0), 25_000).unref()
}
process.on("SIGTERM", () => stop("SIGTERM"))
process.on("SIGINT", () => stop("SIGINT"))
