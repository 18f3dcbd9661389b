/**
 * Header rewriting at the proxy boundary (RFC 9110 §7.6.1): hop-by-hop headers belong to
 * one connection and are dropped in both directions — including any header the
 * `Connection` header names — and the upstream is told who really asked with
 * `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http"

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

const connectionTokens = (value: string | ReadonlyArray<string> | undefined): Set<string> => {
  const joined = Array.isArray(value) ? value.join(",") : ((value as string | undefined) ?? "")
  return new Set(
    joined
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t.length > 0),
  )
}

/**
 * The request's headers for the upstream, as a flat `[name, value, …]` list (duplicates
 * and case preserved). For an upgrade, `Connection` and `Upgrade` are kept: they are the
 * request. `Expect` is dropped because Node has already answered `100 Continue`.
 */
export const upstreamRequestHeaders = (
  req: IncomingMessage,
  options: { readonly upgrade: boolean },
): Array<string> => {
  const named = connectionTokens(req.headers.connection)
  const out: Array<string> = []
  const raw = req.rawHeaders
  const forwardedFor: Array<string> = []
  let proto: string | undefined
  let forwardedHost: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    const lower = name.toLowerCase()
    if (lower === "x-forwarded-for") {
      forwardedFor.push(value)
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
    const keepForUpgrade = options.upgrade && (lower === "connection" || lower === "upgrade")
    if (!keepForUpgrade && (HOP_BY_HOP.has(lower) || named.has(lower))) continue
    out.push(name, value)
  }
  const client = req.socket.remoteAddress ?? "unknown"
  forwardedFor.push(client.startsWith("::ffff:") ? client.slice("::ffff:".length) : client)
  out.push("x-forwarded-for", forwardedFor.join(", "))
  // A proxy in front of this one (TLS termination) already knows the scheme and host.
  out.push("x-forwarded-proto", proto ?? "http")
  const host = forwardedHost ?? req.headers.host
  if (host !== undefined) out.push("x-forwarded-host", host)
  return out
}

/** The upstream response's headers for the client, without hop-by-hop headers. */
export const clientResponseHeaders = (
  headers: IncomingHttpHeaders,
): Record<string, string | Array<string>> => {
  const named = connectionTokens(headers.connection)
  const out: Record<string, string | Array<string>> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue
    out[name] = value
  }
  return out
}
