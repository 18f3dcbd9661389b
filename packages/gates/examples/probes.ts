// Probes against a real server on 127.0.0.1: run with
// node --conditions=@slipway/source packages/gates/examples/probes.ts
import { createServer } from "node:http"
import { makeRevision } from "@slipway/core"
import * as Gate from "@slipway/gates"
import { Effect } from "effect"

// A revision listening on 127.0.0.1, as the local supervisor would run it.
const server = createServer((request, response) => {
  if (request.url === "/healthz")
    response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}')
  else response.writeHead(503).end("warming up")
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const { port } = server.address() as { port: number }

const candidate = makeRevision({ app: "web", artifact: { digest: "sha256:c0ff", uri: "file:///srv/web" } })
const context = { app: "web", candidate, stable: null, candidateWeight: 0, stepIndex: 0 }

const ready = Gate.consecutive(
  3,
  Gate.interval(
    "100ms",
    Gate.http("/healthz", {
      bodyMatches: /"status":"ok"/,
      header: { "content-type": /json/ },
      timeout: "1s",
    }),
  ),
)
const warm = Gate.http("/", { expectStatus: "2xx" })

const program = Effect.gen(function* () {
  for (const gate of [ready, warm, Gate.tcp("127.0.0.1", port)]) {
    const verdict = yield* gate.check(context)
    console.log(`${gate.name}: ${verdict._tag} — ${verdict.reason}`)
  }
}).pipe(Effect.provide(Gate.ProbeTarget.layerMemory({ [candidate.id]: `http://127.0.0.1:${port}` })))

await Effect.runPromise(program)
server.close()
