/**
 * Header rewriting at the proxy boundary (RFC 9110 §7.6.1): hop-by-hop headers belong to
 * one connection and are dropped in both directions — including any header the
 * `Connection` header names — and the upstream is told who really asked with
 * `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`.
 *
 * These run once per proxied request, so they scan the raw header list once and skip
 * parsing `Connection` in the usual case where it only says `keep-alive` or `close`.
 */
import type { IncomingMessage } from "node:http"

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
])

const NONE: ReadonlySet<string> = new Set()

/** Header names a `Connection` value nominates as hop-by-hop (beyond the fixed list). */
const connectionTokens = (value: string | ReadonlyArray<string> | undefined): ReadonlySet<string> => {
  if (value === undefined) return NONE
  const joined = typeof value === "string" ? value : value.join(",")
  // The usual values name nothing beyond the fixed hop-by-hop list.
  const lower = joined.toLowerCase()
  if (lower === "keep-alive" || lower === "close" || lower === "upgrade") return NONE
  return new Set(
    lower
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t.length > 0),
  )
}

/**
 * The request's headers for the upstream, as a flat `[name, value, …]` list (duplicates
 * and case preserved). For an upgrade, `Connection` and `Upgrade` are kept: they are the
 * request. `Expect` is dropped because Node has already answered `100 Continue`.
 *
 * @example
 * upstreamRequestHeaders(req, { upgrade: false })
 * // ["Host", "hello.localhost:4780", "Accept", "*\/*", "x-forwarded-for", "127.0.0.1", "x-forwarded-proto", "http", …]
 */
export const upstreamRequestHeaders = (
  req: IncomingMessage,
  options: { readonly upgrade: boolean },
): Array<string> => {
  const named = connectionTokens(req.headers.connection)
  const raw = req.rawHeaders
  const out: Array<string> = []
  let forwardedFor: string | undefined
  let proto: string | undefined
  let forwardedHost: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    const lower = name.toLowerCase()
    if (lower === "x-forwarded-for") {
      forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`
      continue
    }
    if (lower === "x-forwarded-proto") {
      proto ??= value
      continue
    }
    if (lower === "x-forwarded-host") {
      forwardedHost ??= value
      continue
    }
    if (lower === "expect") continue
    if (HOP_BY_HOP.has(lower) || named.has(lower)) {
      if (!(options.upgrade && (lower === "connection" || lower === "upgrade"))) continue
    }
    out.push(name, value)
  }
  const remote = req.socket.remoteAddress ?? "unknown"
  const client = remote.startsWith("::ffff:") ? remote.slice("::ffff:".length) : remote
  out.push("x-forwarded-for", forwardedFor === undefined ? client : `${forwardedFor}, ${client}`)
  // A proxy in front of this one (TLS termination) already knows the scheme and host.
  out.push("x-forwarded-proto", proto ?? "http")
  const shownHost = forwardedHost ?? req.headers.host
  if (shownHost !== undefined) out.push("x-forwarded-host", shownHost)
  return out
}

const latin1 = (value: Buffer | string): string =>
  typeof value === "string" ? value : value.toString("latin1")

/**
 * The upstream's raw response header list (`[name, value, …]` as undici reports it, bytes
 * or strings) for the client: latin1 text — how HTTP header bytes are carried, so they
 * reach the client unchanged — without hop-by-hop headers, case and order kept.
 * `replaced` (lower case) is a header the proxy sets itself, so the upstream's own is
 * dropped.
 *
 * @example
 * clientResponseHeaderList(["Content-Type", "text/plain", "Keep-Alive", "timeout=5"])
 * // ["Content-Type", "text/plain"]
 */
export const clientResponseHeaderList = (
  raw: ReadonlyArray<Buffer | string>,
  replaced?: string,
): Array<string> => {
  const out: Array<string> = []
  let nominated: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = latin1(raw[i]!)
    const value = latin1(raw[i + 1]!)
    const lower = name.toLowerCase()
    if (lower === "connection") nominated = nominated === undefined ? value : `${nominated},${value}`
    if (HOP_BY_HOP.has(lower) || lower === replaced) continue
    out.push(name, value)
  }
  const named = connectionTokens(nominated)
  if (named === NONE) return out
  // Rare: `Connection` names further headers, which are hop-by-hop too.
  const kept: Array<string> = []
  for (let i = 0; i < out.length; i += 2) {
    if (!named.has(out[i]!.toLowerCase())) kept.push(out[i]!, out[i + 1]!)
  }
  return kept
}
