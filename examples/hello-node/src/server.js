// hello-node: a small HTTP app for trying Slipway deployments.
//
//   PORT               port to listen on (the supervisor assigns one)
//   APP_VERSION        version to report (default: package.json's)
//   FAULT_ERROR_RATE   share of requests answered 500, e.g. 0.3
//   FAULT_LATENCY_MS   delay added to every request except the health check
//   FAULT_UNHEALTHY=1  the health check answers 503
//
// GET /healthz is the health check (it also reports how many requests are in flight). Every answer carries the version in an
// `x-app-version` header; other paths answer JSON with the version.
// On SIGTERM it stops accepting connections, finishes what is in flight, and exits.
import { readFileSync } from "node:fs"
import { createServer } from "node:http"

const readVersion = () => {
  try {
    return JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version ?? "0.0.0"
  } catch {
    return "0.0.0"
  }
}

const version = process.env.APP_VERSION || readVersion()
const port = Number(process.env.PORT || 3000)
const errorRate = Number(process.env.FAULT_ERROR_RATE || 0)
const latencyMs = Number(process.env.FAULT_LATENCY_MS || 0)
const unhealthy = process.env.FAULT_UNHEALTHY === "1"

let inflight = 0
let stopping = false

const send = (res, status, body) => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-app-version": version,
  })
  res.end(text)
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://localhost").pathname
  if (path === "/healthz") {
    if (unhealthy || stopping)
      send(res, 503, { status: stopping ? "stopping" : "unhealthy", version, inflight })
    else send(res, 200, { status: "ok", version, inflight })
    return
  }
  inflight += 1
  res.on("close", () => {
    inflight -= 1
  })
  setTimeout(() => {
    if (Math.random() < errorRate) {
      send(res, 500, { error: "injected fault (FAULT_ERROR_RATE)", version })
      return
    }
    send(res, 200, {
      app: "hello-node",
      version,
      path,
      revision: process.env.SLIPWAY_REVISION ?? null,
      replica: process.env.SLIPWAY_REPLICA ?? null,
      pid: process.pid,
    })
  }, latencyMs)
})

server.listen(port, "127.0.0.1", () => {
  console.log(`hello-node ${version} listening on http://127.0.0.1:${port}`)
})

process.on("SIGTERM", () => {
  stopping = true
  console.log(`SIGTERM received: draining ${inflight} in-flight request(s)`)
  // close() stops accepting and ends idle keep-alive connections; busy ones end after their answer.
  server.close(() => {
    console.log("drained; exiting")
    process.exit(0)
  })
  server.closeIdleConnections()
  setTimeout(() => {
    console.error("requests still in flight after 10s; exiting anyway")
    process.exit(1)
  }, 10_000).unref()
})
