// A minimal HTTP service: GET /healthz for the load balancer, JSON everywhere else, and a
// graceful stop on SIGTERM so that ECS can drain a task without failing requests.
import { createServer } from "node:http"

const version = process.env.APP_VERSION ?? "dev"
let draining = false

const server = createServer((req, res) => {
  const status = req.url === "/healthz" && draining ? 503 : 200
  res.writeHead(status, { "content-type": "application/json", "x-app-version": version })
  res.end(JSON.stringify(req.url === "/healthz" ? { ok: !draining } : { version, path: req.url }))
})
// The load balancer keeps idle connections for 60 s; close them later than it does.
server.keepAliveTimeout = 65_000
server.listen(Number(process.env.PORT ?? 8080))

process.on("SIGTERM", () => {
  draining = true
  server.close(() => process.exit(0))
  server.closeIdleConnections()
})
