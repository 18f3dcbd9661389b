/**
 * Test fixtures: upstream HTTP servers, a load generator and a Prometheus text parser.
 * Everything listens on 127.0.0.1 and is closed by the scope that opened it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { Readable } from "node:stream"
import { Effect } from "effect"
import { Agent, request } from "undici"

export interface TestUpstream {
  readonly server: Server
  readonly port: number
  readonly address: string
  /** Simulates a crash: refuses new connections and cuts the open ones. */
  readonly crash: () => void
}

/** An HTTP server on 127.0.0.1:0 for the test's lifetime. */
export const upstream = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.callback<TestUpstream>((resume) => {
      const server = createServer(handler)
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(
          Effect.succeed({
            server,
            port,
            address: `127.0.0.1:${port}`,
            crash: () => {
              server.close()
              server.closeAllConnections()
            },
          }),
        )
      })
    }),
    (u) =>
      Effect.callback<void>((resume) => {
        u.server.close(() => resume(Effect.void))
        u.server.closeAllConnections()
        if (!u.server.listening) resume(Effect.void)
      }),
  )

/** An upstream answering JSON `{ name, path, headers }`, optionally after `delayMs`. */
export const namedUpstream = (name: string, delayMs = 0) =>
  upstream((req, res) => {
    req.resume()
    req.on("end", () => {
      const answer = () => {
        const body = JSON.stringify({ name, path: req.url, method: req.method, headers: req.headers })
        res.writeHead(200, { "content-type": "application/json", "x-upstream": name })
        res.end(body)
      }
      if (delayMs > 0) setTimeout(answer, delayMs)
      else answer()
    })
  })

/** A keep-alive HTTP client for the test's lifetime. */
export const client = Effect.acquireRelease(
  Effect.sync(() => new Agent({ connections: 32, keepAliveTimeout: 2_000 })),
  (agent) => Effect.promise(() => agent.close()),
)

export interface Reply {
  readonly status: number
  readonly revision: string | undefined
  readonly body: string
  readonly error?: string
}

/** One request; a transport failure becomes `status: 0` with the error, never a throw. */
export const send = async (
  agent: Agent,
  url: string,
  options: {
    readonly host?: string
    readonly method?: string
    readonly headers?: Record<string, string>
  } = {},
): Promise<Reply> => {
  try {
    const res = await request(url, {
      dispatcher: agent,
      method: (options.method ?? "GET") as "GET",
      headers: { ...options.headers, ...(options.host === undefined ? {} : { host: options.host }) },
    })
    const body = await res.body.text()
    const revision = res.headers["x-slipway-revision"]
    return { status: res.statusCode, revision: typeof revision === "string" ? revision : undefined, body }
  } catch (err) {
    return { status: 0, revision: undefined, body: "", error: String(err) }
  }
}

/** A reply of `load`, with the order in which its request was sent (1-based). */
export interface LoadReply extends Reply {
  readonly seq: number
}

/**
 * Sends `total` requests, `concurrency` at a time, and returns the replies in completion
 * order. `onProgress(done, sent)` runs after each reply (to switch weights mid-load).
 */
export const load = (
  agent: Agent,
  url: string,
  options: {
    readonly total: number
    readonly concurrency: number
    readonly host?: string
    readonly onProgress?: (done: number, sent: number) => void
  },
): Effect.Effect<ReadonlyArray<LoadReply>> =>
  Effect.promise(async () => {
    const replies: Array<LoadReply> = []
    let sent = 0
    const worker = async () => {
      while (sent < options.total) {
        sent += 1
        const seq = sent
        const reply = await send(agent, url, options.host === undefined ? {} : { host: options.host })
        replies.push({ ...reply, seq })
        options.onProgress?.(replies.length, sent)
      }
    }
    await Promise.all(Array.from({ length: options.concurrency }, worker))
    return replies
  })

export const countBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1
  return out
}

/** Polls `check` every `intervalMs` until it returns true, at most `attempts` times. */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, attempts = 100, intervalMs = 100) =>
  Effect.gen(function* () {
    for (let i = 0; i < attempts; i++) {
      if (yield* check) return true
      yield* Effect.sleep(intervalMs)
    }
    return false
  })

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/**
 * A strict parser for the Prometheus text format (0.0.4): every line must be a comment,
 * blank, or `name{labels} value`; TYPE lines must name known types. Throws on anything else.
 */
export const parsePrometheus = (
  text: string,
): { samples: ReadonlyArray<Sample>; types: Record<string, string> } => {
  const samples: Array<Sample> = []
  const types: Record<string, string> = {}
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:\d+(?:\.\d*)?(?:e[+-]?\d+)?|\+Inf|-Inf|NaN))$/
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g
  for (const raw of text.split("\n")) {
    if (raw === "") continue
    if (raw.startsWith("# TYPE ")) {
      const [, name, type] = raw.split(" ").slice(1)
      if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type ?? "")) {
        throw new Error(`bad TYPE line: ${raw}`)
      }
      types[name!] = type!
      continue
    }
    if (raw.startsWith("#")) continue
    const m = line.exec(raw)
    if (m === null) throw new Error(`not a Prometheus sample line: ${raw}`)
    const labels: Record<string, string> = {}
    const body = m[2] ?? ""
    let consumed = 0
    for (const l of body.matchAll(label)) {
      labels[l[1]!] = l[2]!.replace(/\\"/g, '"').replace(/\\n/g, "\n").replace(/\\\\/g, "\\")
      consumed += l[0].length
    }
    if (consumed !== body.length) throw new Error(`bad labels in: ${raw}`)
    samples.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return { samples, types }
}

/** Reads a whole Node stream into a string. */
export const readAll = async (stream: Readable): Promise<string> => {
  let text = ""
  for await (const chunk of stream) text += String(chunk)
  return text
}
