/** Shared fixtures for the gates tests: revisions, a rollout context, scripted gates, loopback servers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { type Gate, type GateContext, makeRevision, type Revision, Verdict } from "@slipway/core"
import { Clock, Effect } from "effect"

const revision = (tag: string): Revision =>
  makeRevision({ app: "api", artifact: { digest: `sha256:${tag}`, uri: `file:///artifacts/${tag}` } })

export const candidate = revision("candidate")
export const stable = revision("stable")

export const context = (overrides: Partial<GateContext> = {}): GateContext => ({
  app: "api",
  candidate,
  stable,
  candidateWeight: 10,
  stepIndex: 1,
  ...overrides,
})

/** A gate that answers from a script (the last entry repeats) and records when it was asked. */
export const scripted = (name: string, script: ReadonlyArray<Verdict["_tag"]>) => {
  const calls: Array<number> = []
  const gate: Gate = {
    name,
    check: () =>
      Effect.gen(function* () {
        const index = calls.length
        calls.push(yield* Clock.currentTimeMillis)
        const tag = script[Math.min(index, script.length - 1)]!
        return Verdict[tag]({
          reason: `${name} #${index + 1} ${tag.toLowerCase()}`,
          evidence: [{ gate: name, observed: index + 1 }],
        })
      }),
  }
  return { gate, calls }
}

/** A verdict-constant gate. */
export const fixed = (name: string, tag: Verdict["_tag"], extra: Partial<Gate> = {}): Gate => ({
  name,
  check: () =>
    Effect.succeed(Verdict[tag]({ reason: `${name} ${tag.toLowerCase()}`, evidence: [{ gate: name }] })),
  ...extra,
})

/** An HTTP server on 127.0.0.1 for the test's scope; every connection is cut when the scope closes. */
export const httpServer = (handler: (request: IncomingMessage, response: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.callback<Server>((resume) => {
      const server = createServer(handler)
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      }),
  ).pipe(
    Effect.map((server) => ({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  )

/** A loopback port with nothing listening on it. */
export const closedPort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** A promise with its resolver, for signals from server callbacks to the test. */
export const deferred = <A = void>() => {
  let resolve!: (value: A) => void
  const promise = new Promise<A>((r) => {
    resolve = r
  })
  return { promise, resolve }
}
