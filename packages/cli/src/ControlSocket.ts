/**
 * Operators steer a running rollout from another terminal (`slipway promote`, `pause`,
 * `resume`, `abort`) through a unix socket that the driving `slipway deploy` process
 * opens next to the journal. No socket means no process is driving the rollout: the
 * commands then act on the journal directly (see commands/control.ts).
 */
import { chmodSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import { connect } from "node:net"
import { join } from "node:path"
import type { RolloutControl } from "@slipway/core"
import { Data, Effect, type Scope } from "effect"
import { Client } from "undici"

/** Another process answers on the control socket: it drives the app's rollout. */
export class RolloutDriven extends Data.TaggedError("RolloutDriven")<{ readonly path: string }> {
  override get message(): string {
    return `another slipway process is driving this app's rollout (control socket ${this.path}); wait for it to finish, or steer it with \`slipway promote | pause | resume | abort\``
  }
}

// True when a process accepts connections on the socket (a file alone may be left by a killed one).
const answering = (path: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(path)
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

export type ControlCommand =
  | { readonly command: "pause" }
  | { readonly command: "resume" }
  | { readonly command: "promote"; readonly full: boolean }
  | { readonly command: "abort"; readonly reason: string }

export const controlSocketPath = (stateDir: string, app: string): string =>
  join(stateDir, `control-${app}.sock`)

/** Serves `control` on the app's control socket for as long as the scope is open. */
export const serveControl = (
  path: string,
  control: RolloutControl,
): Effect.Effect<void, Error | RolloutDriven, Scope.Scope> =>
  Effect.gen(function* () {
    // Never take the socket over from a live driver: its operators would lose their handle
    // on it (and this process is about to be refused the rollout lock anyway).
    if (yield* Effect.promise(() => answering(path))) return yield* Effect.fail(new RolloutDriven({ path }))
    const context = yield* Effect.context<never>()
    const run = Effect.runPromiseWith(context)
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        let cmd: ControlCommand
        try {
          cmd = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ControlCommand
        } catch {
          res.writeHead(400).end("body is not JSON")
          return
        }
        const effect =
          cmd.command === "pause"
            ? control.pause
            : cmd.command === "resume"
              ? control.resume
              : cmd.command === "promote"
                ? control.promote({ full: cmd.full })
                : cmd.command === "abort"
                  ? control.abort(cmd.reason)
                  : undefined
        if (!effect) {
          res.writeHead(400).end(`unknown command ${JSON.stringify((cmd as { command?: unknown }).command)}`)
          return
        }
        run(effect).then(
          () => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'),
          (e: unknown) => res.writeHead(500).end(String(e)),
        )
      })
    })
    yield* Effect.acquireRelease(
      Effect.callback<void, Error>((resume) => {
        rmSync(path, { force: true })
        server.once("error", (e) => resume(Effect.fail(e)))
        server.listen(path, () => {
          chmodSync(path, 0o600)
          resume(Effect.void)
        })
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
          rmSync(path, { force: true })
        }),
    )
  })

/** Sends a command to the process driving the app's rollout; `false` when none is listening. */
export const sendControl = (path: string, command: ControlCommand): Effect.Effect<boolean, Error> =>
  Effect.tryPromise({
    try: async () => {
      const client = new Client("http://control.localhost", { socketPath: path })
      try {
        const res = await client.request({
          method: "POST",
          path: "/",
          body: JSON.stringify(command),
          headersTimeout: 10_000,
        })
        const text = await res.body.text()
        if (res.statusCode !== 200) throw new Error(`the rollout refused ${command.command}: ${text}`)
        return true
      } catch (e) {
        const code = (e as { code?: string }).code
        if (code === "ENOENT" || code === "ECONNREFUSED" || code === "UND_ERR_SOCKET") return false
        throw e
      } finally {
        await client.close().catch(() => undefined)
      }
    },
    catch: (e) => e as Error,
  })
