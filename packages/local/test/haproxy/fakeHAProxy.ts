/**
 * A fake HAProxy runtime API on a unix socket: HAProxy's text protocol in non-interactive
 * mode (one command line in, the answer and a blank line out, then close), over one
 * backend's servers. It records every command in order, and the weights after each
 * change, so tests can assert what a client sent and what HAProxy would have routed by.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"

export interface FakeServer {
  weight: number
  initial: number
  status: string
  bck: number
  hrsp_2xx: number
  hrsp_5xx: number
}

export interface FakeHAProxy {
  readonly socket: string
  readonly commands: Array<string>
  /** Weights of every server after each accepted `set weight`. */
  readonly history: Array<Readonly<Record<string, number>>>
  readonly servers: Map<string, FakeServer>
  /** Answers `set weight` for these servers with this refusal instead of applying it. */
  readonly refuse: Map<string, string>
  /** Accepts `set weight` for these servers (empty answer) but does not apply it. */
  readonly ignore: Set<string>
  /** Connections are accepted and never answered. */
  silent: boolean
}

// The real 2.6 header, up to the columns the fake fills in (HAProxy's has ~100 more).
const HEADER =
  "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight"

const row = (backend: string, name: string, s: FakeServer): string => {
  const cells: Record<string, string | number> = {
    pxname: backend,
    svname: name,
    status: s.status,
    weight: s.weight,
    uweight: s.weight,
    bck: s.bck,
    act: 1 - s.bck,
    hrsp_2xx: s.hrsp_2xx,
    hrsp_5xx: s.hrsp_5xx,
    stot: s.hrsp_2xx + s.hrsp_5xx,
    type: 2,
  }
  return HEADER.slice(2)
    .split(",")
    .map((c) => cells[c] ?? (c.startsWith("hrsp_") || c.endsWith("time") ? 0 : ""))
    .join(",")
}

/** A fake HAProxy serving `backend` with the given servers, for the test's lifetime. */
export const fakeHAProxy = (backend: string, servers: Record<string, number>) =>
  Effect.acquireRelease(
    Effect.callback<{ fake: FakeHAProxy; server: Server; dir: string }>((resume) => {
      const dir = mkdtempSync(join(tmpdir(), "slipway-fake-haproxy-"))
      const fake: FakeHAProxy = {
        socket: join(dir, "admin.sock"),
        commands: [],
        history: [],
        servers: new Map(
          Object.entries(servers).map(([name, weight]) => [
            name,
            { weight, initial: weight, status: "UP", bck: 0, hrsp_2xx: 0, hrsp_5xx: 0 },
          ]),
        ),
        refuse: new Map(),
        ignore: new Set(),
        silent: false,
      }
      const answer = (command: string): string => {
        const target = (ref: string | undefined) => {
          const [b, s] = (ref ?? "").split("/")
          if (b !== backend) return "No such backend."
          const server = fake.servers.get(s ?? "")
          return server === undefined ? "No such server." : { name: s!, server }
        }
        const words = command.split(" ")
        if (command.startsWith("show stat ")) {
          if (words[2] !== backend) return "No such proxy."
          return [HEADER, ...[...fake.servers].map(([n, s]) => row(backend, n, s))].join("\n")
        }
        if (command.startsWith("get weight ")) {
          const t = target(words[2])
          return typeof t === "string" ? t : `${t.server.weight} (initial ${t.server.initial})`
        }
        if (command.startsWith("set weight ")) {
          const t = target(words[2])
          if (typeof t === "string") return t
          const weight = Number(words[3])
          if (!Number.isInteger(weight) || weight < 0 || weight > 256) {
            return "Absolute weight can only be between 0 and 256 inclusive."
          }
          const refusal = fake.refuse.get(t.name)
          if (refusal !== undefined) return refusal
          if (!fake.ignore.has(t.name)) t.server.weight = weight
          fake.history.push(Object.fromEntries([...fake.servers].map(([n, s]) => [n, s.weight])))
          return ""
        }
        return "Unknown command, but maybe one of the following ones is a better match:\n  help [<command>]"
      }
      const server = createServer((conn) => {
        let input = ""
        conn.setEncoding("utf8")
        conn.on("error", () => undefined)
        conn.on("data", (chunk: string) => {
          input += chunk
          const end = input.indexOf("\n")
          if (end < 0) return
          const command = input.slice(0, end)
          fake.commands.push(command)
          if (fake.silent) return
          const text = answer(command)
          conn.end(text === "" ? "\n" : `${text}\n\n`)
        })
      })
      server.listen(fake.socket, () => resume(Effect.succeed({ fake, server, dir })))
    }),
    ({ server, dir }) =>
      Effect.callback<void>((resume) => {
        server.close(() => {
          rmSync(dir, { recursive: true, force: true })
          resume(Effect.void)
        })
      }),
  ).pipe(Effect.map(({ fake }) => fake))
