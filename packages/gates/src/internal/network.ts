/** Network failures as a person reads them. Internal. */
import { errorMessage } from "./verdicts.ts"

/** The most specific error code undici or node:net attached (AggregateError holds one per address). */
const networkErrorCode = (error: unknown): string | undefined => {
  const candidates: Array<unknown> = [error]
  if (typeof error === "object" && error !== null) {
    if ("cause" in error) candidates.push(error.cause)
    if ("errors" in error && Array.isArray(error.errors)) candidates.push(...error.errors)
  }
  for (const candidate of candidates) {
    if (typeof candidate === "object" && candidate !== null && "code" in candidate) {
      const code = candidate.code
      if (typeof code === "string") return code
    }
  }
  return undefined
}

/** A network failure as a person says it: "connection refused (ECONNREFUSED)". */
export const describeNetworkError = (error: unknown): string => {
  const code = networkErrorCode(error)
  const plain: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset",
    UND_ERR_SOCKET: "connection closed before a response",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host name lookup failed",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    ETIMEDOUT: "connection timed out",
  }
  const text = code !== undefined ? plain[code] : undefined
  if (text !== undefined) return `${text} (${code})`
  const message = errorMessage(error)
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message
}
