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
 *
 * This runs once per proxied request, so one `Forward` object carries a request through
 * and is itself undici's handler for every attempt: a request allocates no callbacks but
 * its client `close` listener. Answer bytes are written after the event loop has handled
 * the current batch of ready sockets, together with the other answers of that batch
 * (see `flushAll`): on loopback each write wakes its reader, and a client woken once for
 * several answers costs both sides far less CPU than one wake-up per answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Dispatcher } from "undici"
import { clientResponseHeaderList, upstreamRequestHeaders } from "./ForwardedHeaders.ts"
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
  /**
   * How long a replica may take to send its response head before the client gets a 504
   * (ms, default 300 000); checked about every half second.
   */
  readonly responseHeadTimeout?: number
}

/** The default of `ForwardOptions.responseHeadTimeout`: 5 minutes, for slow reports and long polls. */
export const DEFAULT_RESPONSE_HEAD_TIMEOUT = 300_000

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
const NOTHING_TRIED: ReadonlySet<Upstream> = new Set()
const REVISION_HEADER = "x-slipway-revision"

const errorCode = (err: unknown): string =>
  typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : "EUNKNOWN"

const describe = (err: unknown): string =>
  err instanceof Error ? `${errorCode(err)} ${err.message}`.trim() : String(err)

// Forwards with answer bytes to send, written in the event loop's check phase.
const flushing: Array<Forward> = []
let flushScheduled = false
const flushAll = (): void => {
  flushScheduled = false
  // A flush can resume an upstream that delivers more data at once: those join this loop.
  for (let i = 0; i < flushing.length; i++) flushing[i]!.flush()
  flushing.length = 0
}

// Forwards waiting for a response head. One coarse sweep replaces a timer per request
// (undici's `headersTimeout` is off in Upstream.ts): a timer per request cost ~4% of
// the proxy's throughput for a limit that almost never fires.
const awaitingHead = new Set<Forward>()
let sweeping = false
const SWEEP_EVERY_MS = 500
const sweep = (): void => {
  const now = performance.now()
  for (const forward of awaitingHead) forward.checkDeadline(now)
}

class ResponseHeadTimeout extends Error {
  readonly code = "ETIMEDOUT_HEAD"
}

class Forward implements Dispatcher.DispatchHandler {
  private readonly req: IncomingMessage
  private readonly res: ServerResponse
  private readonly target: ForwardTarget
  private readonly options: ForwardOptions
  private readonly started = performance.now()
  /** When the response head arrived (-1: not yet). */
  private headersAt = -1
  private readonly method: string
  private readonly withBody: boolean
  private readonly idempotent: boolean
  private readonly headers: Array<string>
  private upstream: Upstream | undefined
  private controller: Dispatcher.DispatchController | undefined
  private tried: Set<Upstream> | undefined
  private attempts = 0
  private released = true
  private recorded = false
  /** Why the client's answer no longer depends on the upstream (it left, or got its 504). */
  private abandoned: Error | undefined
  /** Answer bytes not yet written to the client (see `flushAll`). */
  private pending: Array<Buffer> | undefined
  private ended = false
  private queued = false
  private awaitingDrain = false

  constructor(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, options: ForwardOptions) {
    this.req = req
    this.res = res
    this.target = target
    this.options = options
    this.method = req.method ?? "GET"
    const length = req.headers["content-length"]
    // A request carries a body when it says so (RFC 9112 §6.3).
    this.withBody = req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0")
    this.idempotent = this.method === "GET" || this.method === "HEAD" || this.method === "OPTIONS"
    this.headers = upstreamRequestHeaders(req, { upgrade: false })
  }

  start(): void {
    this.res.on("close", () => this.onClientClose())
    this.attempt(undefined)
  }

  // Recorded before the last byte goes out, so a client that has its answer also sees it counted.
  private record(status: number): void {
    if (this.recorded) return
    this.recorded = true
    const at = this.headersAt >= 0 ? this.headersAt : performance.now()
    this.options.metrics.record(this.target.app, this.target.revision, status, at - this.started)
  }

  private release(): void {
    if (this.released) return
    this.released = true
    this.upstream!.release()
  }

  private onClientClose(): void {
    awaitingHead.delete(this)
    if (this.res.writableFinished) return
    this.abandoned = new Error("client closed the connection")
    // 499: the client went away before the answer was complete (nginx's convention).
    this.record(499)
    this.controller?.abort(this.abandoned)
  }

  private attempt(lastError: unknown): void {
    const previous = this.upstream
    // Only a retry needs a set of replicas tried; the first attempt passes a shared empty one.
    if (previous !== undefined) {
      this.tried ??= new Set()
      this.tried.add(previous)
    }
    const upstream =
      this.attempts < (this.options.maxAttempts ?? 3)
        ? this.target.next(this.tried ?? NOTHING_TRIED)
        : undefined
    if (upstream === undefined) {
      this.fail(lastError ?? new Error("no replica of this revision is ready"), previous)
      return
    }
    this.attempts += 1
    if (this.attempts === 1) {
      awaitingHead.add(this)
      if (!sweeping) {
        sweeping = true
        // Unref'd and never cleared: it keeps no process alive and costs nothing when idle.
        setInterval(sweep, SWEEP_EVERY_MS).unref()
      }
    }
    this.upstream = upstream
    this.controller = undefined
    upstream.acquire()
    this.released = false
    try {
      upstream.pool.dispatch(
        {
          path: this.req.url ?? "/",
          method: this.method,
          headers: this.headers,
          body: this.withBody ? this.req : null,
          idempotent: this.idempotent,
        },
        this,
      )
    } catch (err) {
      // undici validates synchronously (e.g. a malformed header): nothing was sent.
      this.release()
      this.fail(err, upstream)
    }
  }

  /** Gives up on a replica that has not started its answer by the deadline: 504. */
  checkDeadline(now: number): void {
    const limit = this.options.responseHeadTimeout ?? DEFAULT_RESPONSE_HEAD_TIMEOUT
    if (now - this.started < limit) return
    awaitingHead.delete(this)
    const err = new ResponseHeadTimeout(`no response head within ${limit} ms`)
    this.abandoned = err
    this.controller?.abort(err)
    this.release()
    this.fail(err, this.upstream, 504)
  }

  private fail(err: unknown, upstream: Upstream | undefined, status = 502): void {
    awaitingHead.delete(this)
    this.record(status)
    const res = this.res
    if (!res.headersSent && !res.destroyed) {
      const where = upstream === undefined ? "no ready replica" : `replica ${upstream.address}`
      const body = `slipway: revision ${this.target.revision} could not answer (${where}): ${describe(err)}\n`
      const out: Record<string, string> = {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
      }
      if (this.options.revisionHeader) out[REVISION_HEADER] = this.target.revision
      res.writeHead(status, status === 504 ? "Gateway Timeout" : "Bad Gateway", out)
      res.end(body)
    } else {
      res.destroy(err instanceof Error ? err : new Error(String(err)))
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.abandoned !== undefined) controller.abort(this.abandoned)
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    _headers: unknown,
    statusMessage?: string,
  ): void {
    // 1xx informational responses: Node has answered `100 Continue` to the client itself.
    if (statusCode < 200) return
    awaitingHead.delete(this)
    this.headersAt = performance.now()
    const revisionHeader = this.options.revisionHeader
    // The raw list keeps the replica's header case and order, and skips re-keying an object.
    const raw = (controller.rawHeaders ?? []) as ReadonlyArray<Buffer | string>
    const out = clientResponseHeaderList(raw, revisionHeader ? REVISION_HEADER : undefined)
    if (revisionHeader) out.push(REVISION_HEADER, this.target.revision)
    try {
      if (statusMessage) this.res.writeHead(statusCode, statusMessage, out)
      else this.res.writeHead(statusCode, out)
    } catch (err) {
      // A header Node refuses to send (a control character, an invalid name): the replica's fault.
      controller.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.pending === undefined) this.pending = [chunk]
    else this.pending.push(chunk)
    this.enqueue()
  }

  onResponseEnd(): void {
    this.release()
    this.record(this.res.statusCode)
    this.ended = true
    this.enqueue()
  }

  private enqueue(): void {
    if (this.queued) return
    this.queued = true
    flushing.push(this)
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flushAll)
    }
  }

  /** Writes what arrived since the last flush; ends the answer once the upstream has. */
  flush(): void {
    this.queued = false
    const res = this.res
    const chunks = this.pending
    this.pending = undefined
    if (res.destroyed) return
    if (this.ended) {
      // The last chunk goes with `end`: Node then sends head and body in one synchronous
      // write instead of scheduling a flush for `write` and finishing after it.
      if (chunks === undefined) res.end()
      else {
        for (let i = 0; i < chunks.length - 1; i++) res.write(chunks[i])
        res.end(chunks[chunks.length - 1])
      }
      return
    }
    let writable = true
    if (chunks !== undefined) for (const chunk of chunks) writable = res.write(chunk)
    // The client reads slower than the replica sends: stop reading the replica until it drains.
    const controller = this.controller
    if (!writable && controller !== undefined && !this.awaitingDrain) {
      // Chunks already parsed still arrive after pause(): one drain listener covers them all.
      this.awaitingDrain = true
      controller.pause()
      res.once("drain", () => {
        this.awaitingDrain = false
        controller.resume()
      })
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.release()
    if (this.abandoned !== undefined) return
    const code = errorCode(err)
    const nothingSent = CONNECT_FAILURES.has(code) && (!this.withBody || !this.req.readableDidRead)
    const safeReplay = this.idempotent && !this.withBody && BROKEN_BEFORE_RESPONSE.has(code)
    if (this.headersAt < 0 && !this.res.headersSent && (nothingSent || safeReplay)) {
      this.attempt(err)
      return
    }
    this.fail(err, this.upstream)
  }
}

/**
 * Sends `req` to `target` and streams the answer into `res`. Never throws: failures
 * become a 502 (before the response started) or a cut connection (after).
 *
 * @example
 * server.on("request", (req, res) => forwardRequest(req, res, target, { metrics, revisionHeader: true }))
 */
export const forwardRequest = (
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardTarget,
  options: ForwardOptions,
): void => {
  new Forward(req, res, target, options).start()
}
