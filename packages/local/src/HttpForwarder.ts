/**
 * Forwards one HTTP request to a revision's replica over its keep-alive pool, streaming
 * both bodies (undici `dispatch` with backpressure: the upstream is paused while the
 * client is slow), and records the outcome in the revision's metrics exactly once: the
 * final status (a body cut off by the upstream counts as 502) and the time to the
 * upstream's response headers (so a long download or event stream is not "slow").
 *
 * Retries go to another replica of the same revision, and only when replaying cannot do
 * harm: a connection that could not be made (nothing was sent), or — for a bodyless
 * GET/HEAD/OPTIONS — a connection that broke before any response byte arrived. So a
 * replica that crashes or restarts costs the client nothing.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Dispatcher } from "undici"
import { clientResponseHeaders, upstreamRequestHeaders } from "./ForwardedHeaders.ts"
import type { ProxyMetrics } from "./ProxyMetrics.ts"
import type { Upstream } from "./Upstream.ts"

/** Where a request goes: an app's revision and a way to get its next replica. */
export interface ForwardTarget {
  readonly app: string
  readonly revision: string
  /** The next ready replica of the revision (from the current table), skipping those tried. */
  readonly next: (tried: ReadonlySet<Upstream>) => Upstream | undefined
}

/** How `forwardRequest` records and retries. */
export interface ForwardOptions {
  readonly metrics: ProxyMetrics
  /** Add `x-slipway-revision` to responses. */
  readonly revisionHeader: boolean
  /** Distinct replicas tried before giving up (default 3). */
  readonly maxAttempts?: number
}

// Nothing reached the upstream: safe to send anywhere else, whatever the method.
const CONNECT_FAILURES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
])
// The connection broke before a response: safe to replay only an idempotent bodyless request.
const BROKEN_BEFORE_RESPONSE = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"])
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS"])

const errorCode = (err: unknown): string =>
  typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : "EUNKNOWN"

const describe = (err: unknown): string =>
  err instanceof Error ? `${errorCode(err)} ${err.message}`.trim() : String(err)

/** True when a request carries a body (RFC 9112 §6.3). */
const hasBody = (req: IncomingMessage): boolean => {
  const length = req.headers["content-length"]
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0")
}

/**
 * Sends `req` to `target` and streams the answer into `res`. Never throws: failures
 * become a 502 (before the response started) or a cut connection (after).
 */
export const forwardRequest = (
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardTarget,
  options: ForwardOptions,
): void => {
  const started = performance.now()
  const tried = new Set<Upstream>()
  const maxAttempts = options.maxAttempts ?? 3
  const withBody = hasBody(req)
  const method = req.method ?? "GET"
  const replayable = IDEMPOTENT.has(method) && !withBody
  const headers = upstreamRequestHeaders(req, { upgrade: false })
  let controller: Dispatcher.DispatchController | undefined
  let recorded = false
  let clientGone = false
  let headersAt: number | undefined

  // Recorded before the last byte goes out, so a client that has its answer also sees it counted.
  const record = (status: number): void => {
    if (recorded) return
    recorded = true
    options.metrics.record(target.app, target.revision, status, (headersAt ?? performance.now()) - started)
  }

  res.on("close", () => {
    if (res.writableFinished) return
    clientGone = true
    // 499: the client went away before the answer was complete (nginx's convention).
    record(499)
    controller?.abort(new Error("client closed the connection"))
  })

  const fail = (err: unknown, upstream: Upstream | undefined): void => {
    record(502)
    if (!res.headersSent && !res.destroyed) {
      const where = upstream === undefined ? "no ready replica" : `replica ${upstream.address}`
      const body = `slipway: revision ${target.revision} could not answer (${where}): ${describe(err)}\n`
      const out: Record<string, string> = {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
      }
      if (options.revisionHeader) out["x-slipway-revision"] = target.revision
      res.writeHead(502, out)
      res.end(body)
    } else {
      res.destroy(err instanceof Error ? err : new Error(String(err)))
    }
  }

  const attempt = (lastError: unknown, lastUpstream: Upstream | undefined): void => {
    const upstream = tried.size < maxAttempts ? target.next(tried) : undefined
    if (upstream === undefined) {
      fail(lastError ?? new Error("no replica of this revision is ready"), lastUpstream)
      return
    }
    tried.add(upstream)
    upstream.acquire()
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      upstream.release()
    }
    let responseStarted = false

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c
        if (clientGone) c.abort(new Error("client closed the connection"))
      },
      onResponseStart(_c, statusCode, responseHeaders, statusMessage) {
        // 1xx informational responses: Node has answered `100 Continue` to the client itself.
        if (statusCode < 200) return
        responseStarted = true
        headersAt = performance.now()
        const out = clientResponseHeaders(responseHeaders)
        if (options.revisionHeader) out["x-slipway-revision"] = target.revision
        res.writeHead(statusCode, statusMessage || undefined, out)
      },
      onResponseData(c, chunk) {
        if (!res.write(chunk)) {
          c.pause()
          res.once("drain", () => c.resume())
        }
      },
      onResponseEnd() {
        release()
        record(res.statusCode)
        res.end()
      },
      onResponseError(_c, err) {
        release()
        if (clientGone) return
        const code = errorCode(err)
        const nothingSent = CONNECT_FAILURES.has(code) && (!withBody || !req.readableDidRead)
        const safeReplay = replayable && BROKEN_BEFORE_RESPONSE.has(code)
        if (!responseStarted && !res.headersSent && (nothingSent || safeReplay)) {
          attempt(err, upstream)
          return
        }
        fail(err, upstream)
      },
    }

    try {
      upstream.pool.dispatch(
        {
          path: req.url ?? "/",
          method,
          headers,
          body: withBody ? req : null,
          idempotent: IDEMPOTENT.has(method),
        },
        handler,
      )
    } catch (err) {
      // undici validates synchronously (e.g. a malformed header): nothing was sent.
      release()
      fail(err, upstream)
    }
  }

  attempt(undefined, undefined)
}
