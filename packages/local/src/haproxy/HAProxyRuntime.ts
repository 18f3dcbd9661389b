/**
 * A small client for HAProxy's runtime API (the "stats socket"), for a host that already
 * runs HAProxy: one command per connection in non-interactive mode — HAProxy answers and
 * closes, so a connection never carries state from one command to the next and a stuck
 * command cannot block the following ones. The socket is a unix socket or a loopback TCP
 * address, nothing else: the API is admin-level and unauthenticated.
 */

import { connect, isIPv4, isIPv6 } from "node:net"
import { type DurationInput, formatDuration, parseDuration } from "@slipway/core"
import { Data, Effect } from "effect"

// ---------------------------------------------------------------- errors

/**
 * A configuration HAProxy adapters refuse when they are built (thrown, like the gates'
 * `GateConfigError`): a non-loopback socket, a bad backend or server name, an empty slot list.
 *
 * @example
 * import { HAProxyRuntime } from "@slipway/local"
 * try {
 *   HAProxyRuntime.make("10.0.0.7:9999")
 * } catch (e) {
 *   if (e instanceof HAProxyRuntime.HAProxyConfigError) console.error(e.message)
 * }
 */
export class HAProxyConfigError extends Data.TaggedError("HAProxyConfigError")<{
  readonly field: string
  readonly problem: string
}> {
  override get message(): string {
    return `HAProxy ${this.field}: ${this.problem}`
  }
}

/**
 * The runtime API could not be asked: the socket is missing or refused the connection,
 * the connection broke, or no answer came within the timeout.
 *
 * @example
 * import { HAProxyRuntime } from "@slipway/local"
 * import { Effect } from "effect"
 * const info = HAProxyRuntime.make("/run/haproxy/admin.sock").command("show info").pipe(
 *   Effect.catchTag("HAProxyUnreachable", (e) => Effect.succeed(`unreachable: ${e.message}`)),
 * )
 */
export class HAProxyUnreachable extends Data.TaggedError("HAProxyUnreachable")<{
  readonly socket: string
  readonly command: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `HAProxy runtime API at ${this.socket} did not answer "${this.command}": ${this.reason}`
  }
}

/**
 * HAProxy answered a command with an error ("No such server.", "Absolute weight can only
 * be between 0 and 256 inclusive.", …), or with an answer this client cannot read.
 *
 * @example
 * import { HAProxyRuntime } from "@slipway/local"
 * import { Effect } from "effect"
 * const set = HAProxyRuntime.make("/run/haproxy/admin.sock").setWeight("app", "s1", 50).pipe(
 *   Effect.catchTag("HAProxyCommandFailed", (e) => Effect.logError(e.answer)),
 * )
 */
export class HAProxyCommandFailed extends Data.TaggedError("HAProxyCommandFailed")<{
  readonly socket: string
  readonly command: string
  /** HAProxy's answer, trimmed. */
  readonly answer: string
}> {
  override get message(): string {
    return `HAProxy at ${this.socket} refused "${this.command}": ${this.answer || "(empty answer)"}`
  }
}

/** Any failure of a runtime API command. */
export type HAProxyError = HAProxyUnreachable | HAProxyCommandFailed

// ---------------------------------------------------------------- addresses

/** Where the runtime API listens: a unix socket path, or a loopback TCP address. */
export type RuntimeAddress =
  | { readonly _tag: "Unix"; readonly path: string }
  | { readonly _tag: "Tcp"; readonly host: string; readonly port: number }

const isLoopback = (host: string): boolean =>
  (isIPv4(host) && host.startsWith("127.")) ||
  (isIPv6(host) && (host === "::1" || host === "0:0:0:0:0:0:0:1"))

/**
 * Reads a runtime API address as HAProxy's `stats socket` line writes it: a path
 * (`/run/haproxy/admin.sock`, `unix@/run/…`), or `127.0.0.1:9999`, `ipv4@127.0.0.1:9999`,
 * `[::1]:9999`, `ipv6@[::1]:9999`. Anything that is not a unix socket or a loopback IP
 * literal is refused — host names too (`localhost` could resolve elsewhere).
 *
 * @example
 * import { HAProxyRuntime } from "@slipway/local"
 * HAProxyRuntime.parseAddress("127.0.0.1:9999") // { _tag: "Tcp", host: "127.0.0.1", port: 9999 }
 * HAProxyRuntime.parseAddress("10.0.0.7:9999") // throws HAProxyConfigError
 */
export const parseAddress = (socket: string): RuntimeAddress => {
  const refuse = (problem: string): never => {
    throw new HAProxyConfigError({ field: "socket", problem: `${JSON.stringify(socket)} ${problem}` })
  }
  const text = socket.trim()
  if (text.length === 0) return refuse("is empty; give the path of HAProxy's stats socket")
  if (text.startsWith("unix@")) return { _tag: "Unix", path: text.slice("unix@".length) }
  if (text.startsWith("/") || text.startsWith("./") || text.startsWith("../"))
    return { _tag: "Unix", path: text }
  const inet = text.replace(/^ipv[46]@/, "")
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(inet)
  if (match === null) return refuse("is neither a unix socket path nor a loopback host:port")
  const host = match[1] ?? match[2]!
  const port = Number(match[3])
  if (!isLoopback(host)) {
    return refuse(
      "is not on this machine: the runtime API is admin-level and unauthenticated, so only a unix socket or 127.0.0.1/[::1] is accepted",
    )
  }
  if (port < 1 || port > 65_535) return refuse(`has port ${port}; use 1..65535`)
  return { _tag: "Tcp", host, port }
}

const describeAddress = (address: RuntimeAddress): string =>
  address._tag === "Unix"
    ? address.path
    : `${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`

// HAProxy's proxy and server names: letters, digits, '-', '_', '.', ':'.
const NAME = /^[A-Za-z0-9_.:-]+$/

/**
 * Checks a backend or server name before it goes into a command (no spaces, `;`, newlines).
 *
 * @example
 * import { HAProxyRuntime } from "@slipway/local"
 * HAProxyRuntime.checkName("server", "blue-1") // "blue-1"
 */
export const checkName = (field: string, name: string): string => {
  if (!NAME.test(name)) {
    throw new HAProxyConfigError({
      field,
      problem: `${JSON.stringify(name)} is not an HAProxy name (letters, digits, "-", "_", ".", ":")`,
    })
  }
  return name
}

// ---------------------------------------------------------------- show stat

/**
 * One line of `show stat` — the columns Slipway reads, typed. Counters are lifetime
 * values since HAProxy (re)started; `rtime`/`ttime`/`qtime`/`ctime` are HAProxy's
 * averages (ms) over the last 1024 requests, not a distribution.
 */
export interface StatRow {
  readonly pxname: string
  readonly svname: string
  /** `UP`, `DOWN`, `MAINT`, `DRAIN`, `no check`, … */
  readonly status: string
  /** Effective weight. */
  readonly weight: number
  /** The weight set by the user (config or `set weight`); equals `weight` when HAProxy does not report it. */
  readonly uweight: number
  /** 1 for a backup server. */
  readonly bck: number
  readonly scur: number
  readonly stot: number
  readonly econ: number
  readonly eresp: number
  readonly hrsp_1xx: number
  readonly hrsp_2xx: number
  readonly hrsp_3xx: number
  readonly hrsp_4xx: number
  readonly hrsp_5xx: number
  readonly hrsp_other: number
  readonly qtime: number
  readonly ctime: number
  readonly rtime: number
  readonly ttime: number
  /** Every column by its header name, as text. */
  readonly raw: Readonly<Record<string, string>>
}

const NUMERIC = [
  "weight",
  "bck",
  "scur",
  "stot",
  "econ",
  "eresp",
  "hrsp_1xx",
  "hrsp_2xx",
  "hrsp_3xx",
  "hrsp_4xx",
  "hrsp_5xx",
  "hrsp_other",
  "qtime",
  "ctime",
  "rtime",
  "ttime",
] as const

/**
 * Parses `show stat` CSV (the `# pxname,svname,…` header line, then one line per proxy or
 * server). Empty cells read as 0. Fails with a reason when the header is missing or lacks
 * `pxname`/`svname`.
 *
 * @example
 * import { HAProxyRuntime } from "@slipway/local"
 * const rows = HAProxyRuntime.parseShowStat("# pxname,svname,status,weight,hrsp_5xx\napp,a,UP,50,3\n")
 * rows[0]?.hrsp_5xx // 3
 */
export const parseShowStat = (csv: string): ReadonlyArray<StatRow> => {
  const lines = csv.split("\n").filter((l) => l.trim().length > 0)
  const header = lines[0]
  if (header === undefined || !header.startsWith("# ")) {
    throw new Error(`no "# pxname,svname,…" header line (got ${JSON.stringify(csv.slice(0, 80))})`)
  }
  const columns = header.slice(2).split(",")
  if (!columns.includes("pxname") || !columns.includes("svname")) {
    throw new Error(`header has no pxname/svname columns: ${header.slice(0, 80)}`)
  }
  return lines.slice(1).map((line) => {
    const cells = line.split(",")
    const raw: Record<string, string> = {}
    columns.forEach((name, i) => {
      if (name.length > 0 && name !== "-") raw[name] = cells[i] ?? ""
    })
    const num = (name: string): number => {
      const n = Number(raw[name] ?? "")
      return Number.isFinite(n) ? n : 0
    }
    const numbers = Object.fromEntries(NUMERIC.map((name) => [name, num(name)])) as Record<
      (typeof NUMERIC)[number],
      number
    >
    return {
      pxname: raw.pxname ?? "",
      svname: raw.svname ?? "",
      status: raw.status ?? "",
      ...numbers,
      uweight: (raw.uweight ?? "") === "" ? numbers.weight : num("uweight"),
      raw,
    }
  })
}

// ---------------------------------------------------------------- the client

/** A server's weight as `get weight` reports it. */
export interface ServerWeight {
  readonly current: number
  readonly initial: number
}

/**
 * The runtime API of one HAProxy. `command` sends one line and returns the answer; the
 * other operations are built on it and turn HAProxy's error answers into `HAProxyCommandFailed`.
 */
export interface Runtime {
  /** The socket, as shown in errors and evidence. */
  readonly socket: string
  /** Sends one command (no newline, no `;`) and returns HAProxy's answer with trailing blank lines removed. */
  readonly command: (command: string) => Effect.Effect<string, HAProxyError>
  /** `set weight <backend>/<server> <weight>` (0–256). */
  readonly setWeight: (backend: string, server: string, weight: number) => Effect.Effect<void, HAProxyError>
  /** `get weight <backend>/<server>`. */
  readonly getWeight: (backend: string, server: string) => Effect.Effect<ServerWeight, HAProxyError>
  /** `show stat <backend> 4 -1`: the backend's server lines. */
  readonly showStat: (backend: string) => Effect.Effect<ReadonlyArray<StatRow>, HAProxyError>
}

/** Options of {@link make}. */
export interface RuntimeOptions {
  /** Longest wait for one command, connect to answer (default `"5s"`). */
  readonly timeout?: DurationInput
}

/**
 * A runtime over a command function — every higher-level operation and its error
 * handling, without the socket. For tests (a scripted HAProxy) and for {@link make}.
 *
 * @example
 * import { HAProxyRuntime } from "@slipway/local"
 * import { Effect } from "effect"
 * const scripted = HAProxyRuntime.fromCommand("scripted", (command) =>
 *   Effect.succeed(command.startsWith("get weight") ? "50 (initial 1)" : ""),
 * )
 */
export const fromCommand = (
  socket: string,
  run: (command: string) => Effect.Effect<string, HAProxyError>,
): Runtime => {
  const command = (line: string): Effect.Effect<string, HAProxyError> =>
    /[\n\r;]/.test(line)
      ? Effect.fail(
          new HAProxyCommandFailed({
            socket,
            command: line,
            answer: "not sent: a command must be one line without ';'",
          }),
        )
      : run(line)
  // `set weight` succeeds silently: any answer is HAProxy saying no.
  const silent = (line: string) =>
    Effect.flatMap(command(line), (answer) =>
      answer === "" ? Effect.void : Effect.fail(new HAProxyCommandFailed({ socket, command: line, answer })),
    )
  return {
    socket,
    command,
    setWeight: (backend, server, weight) => silent(`set weight ${backend}/${server} ${weight}`),
    getWeight: (backend, server) => {
      const line = `get weight ${backend}/${server}`
      return Effect.flatMap(command(line), (answer) => {
        const m = /^(\d+) \(initial (\d+)\)$/.exec(answer)
        return m === null
          ? Effect.fail(new HAProxyCommandFailed({ socket, command: line, answer }))
          : Effect.succeed({ current: Number(m[1]), initial: Number(m[2]) })
      })
    },
    showStat: (backend) => {
      const line = `show stat ${backend} 4 -1`
      return Effect.flatMap(command(line), (answer) =>
        Effect.try({
          try: () => {
            if (!answer.startsWith("# ")) throw new Error(answer)
            return parseShowStat(answer).filter((row) => row.pxname === backend)
          },
          catch: (e) => new HAProxyCommandFailed({ socket, command: line, answer: (e as Error).message }),
        }),
      )
    },
  }
}

/**
 * A client for the runtime API at `socket` (see {@link parseAddress}); throws
 * `HAProxyConfigError` for an address that is not a unix socket or loopback. Nothing is
 * connected until a command runs.
 *
 * @example
 * import { HAProxyRuntime } from "@slipway/local"
 * import { Effect } from "effect"
 * const haproxy = HAProxyRuntime.make("/run/haproxy/admin.sock", { timeout: "2s" })
 * const program = Effect.gen(function* () {
 *   yield* haproxy.setWeight("app", "blue", 90)
 *   const { current } = yield* haproxy.getWeight("app", "blue") // 90
 *   const rows = yield* haproxy.showStat("app") // [{ svname: "blue", hrsp_5xx: 0, … }, …]
 * })
 */
export const make = (socket: string, options: RuntimeOptions = {}): Runtime => {
  const address = parseAddress(socket)
  const timeoutMs = parseDuration(options.timeout ?? "5s")
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new HAProxyConfigError({
      field: "timeout",
      problem: `${JSON.stringify(options.timeout)} is not a positive duration`,
    })
  }
  const shown = describeAddress(address)
  const send = (command: string): Effect.Effect<string, HAProxyError> =>
    Effect.callback<string, HAProxyError>((resume) => {
      const conn = address._tag === "Unix" ? connect(address.path) : connect(address.port, address.host)
      const chunks: Array<string> = []
      let done = false
      const finish = (effect: Effect.Effect<string, HAProxyError>) => {
        if (done) return
        done = true
        resume(effect)
      }
      conn.setEncoding("utf8")
      // Written without half-closing: HAProxy may drop a session whose input closed early.
      conn.on("connect", () => conn.write(`${command}\n`))
      conn.on("data", (chunk: string) => chunks.push(chunk))
      conn.on("error", (cause: NodeJS.ErrnoException) => {
        const reason =
          cause.code === "ENOENT"
            ? "no such socket (is HAProxy running, with a `stats socket` line at this path?)"
            : cause.code === "ECONNREFUSED"
              ? "connection refused (is HAProxy running?)"
              : cause.code === "EACCES"
                ? "permission denied on the socket (check its mode/user in the `stats socket` line)"
                : cause.message
        finish(Effect.fail(new HAProxyUnreachable({ socket: shown, command, reason, cause })))
      })
      // Non-interactive mode: HAProxy writes the whole answer, then closes.
      conn.on("close", () => finish(Effect.succeed(chunks.join("").replace(/\s+$/, ""))))
      return Effect.sync(() => {
        done = true
        conn.destroy()
      })
    }).pipe(
      Effect.timeoutOrElse({
        duration: timeoutMs,
        orElse: () =>
          Effect.fail(
            new HAProxyUnreachable({
              socket: shown,
              command,
              reason: `no answer within ${formatDuration(timeoutMs)}`,
            }),
          ),
      }),
    )
  return fromCommand(shown, send)
}
