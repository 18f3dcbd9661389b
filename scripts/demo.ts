/**
 * `pnpm demo`: a canary rollout on this machine, end to end, in about a minute.
 *
 *  1. starts a Slipway agent in a temporary state directory (a free port, loopback only)
 *  2. deploys hello-node v1
 *  3. starts steady load from a second process
 *  4. deploys v2 with a canary — live progress, gates judging real traffic
 *  5. deploys a faulty v3 (30% errors) that the gates catch and roll back on their own
 *  6. prints what happened (requests, failures, verdicts, time to rollback) and the
 *     HTML reports, then stops everything it started
 *
 * It drives the real `slipway` CLI, exactly as a user would.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Journal, summarize } from "@slipway/core"
import { Effect } from "effect"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const app = join(root, "examples", "hello-node")
const stateDir = mkdtempSync(join(tmpdir(), "slipway-demo-"))
const node = [process.execPath, "--conditions=@slipway/source"]
const cli = [...node, join(root, "packages", "cli", "src", "bin.ts")]
const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR
const bold = (s: string) => (color ? `\u001b[1m${s}\u001b[0m` : s)
const started = Date.now()

const banner = (text: string) => console.log(`\n${bold(`━━ ${text} `.padEnd(72, "━"))}`)

const slipway = (args: ReadonlyArray<string>, options: { quiet?: boolean } = {}) => {
  const r = spawnSync(cli[0]!, [...cli.slice(1), ...args, "--state-dir", stateDir], {
    cwd: app,
    stdio: options.quiet ? ["ignore", "pipe", "pipe"] : "inherit",
    encoding: "utf8",
    timeout: 120_000,
  })
  return { code: r.status ?? 1, stdout: r.stdout ?? "" }
}

let load: ChildProcess | undefined
const cleanup = () => {
  load?.kill("SIGTERM")
  slipway(["agent", "stop"], { quiet: true })
}
// Ctrl-C, or a CI job / `timeout` stopping the demo: never leave the agent running.
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const) {
  process.on(signal, () => {
    cleanup()
    process.exit(code)
  })
}

const main = async () => {
  banner("1. start the agent")
  const agent = slipway(["agent", "start", "--port", "0", "--json"], { quiet: true })
  if (agent.code !== 0) throw new Error(`agent did not start:\n${agent.stdout}`)
  const proxyUrl = (JSON.parse(agent.stdout) as { proxyUrl: string }).proxyUrl
  console.log(`agent up; the app will answer on ${proxyUrl}  (state: ${stateDir})`)

  banner("2. deploy v1 (first deployment)")
  if (slipway(["deploy", "-e", "APP_VERSION=1.0.0"]).code !== 0) throw new Error("v1 did not deploy")

  banner("3. steady load from a second process: 100 requests/s")
  const summary = new Promise<Record<string, unknown>>((resolve) => {
    load = spawn(
      node[0]!,
      [
        join(root, "scripts", "load.ts"),
        "--url",
        `${proxyUrl}/`,
        "--rps",
        "100",
        "--duration",
        "110",
        "--quiet",
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    )
    let out = ""
    load.stdout!.on("data", (c: Buffer) => {
      out += c.toString()
    })
    load.on("exit", () =>
      resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>),
    )
  })
  await new Promise((r) => setTimeout(r, 2000))

  banner("4. deploy v2 with a canary: 10% → 30% → 60% → 100%, gates on every step")
  const v2 = slipway(["deploy", "-e", "APP_VERSION=2.0.0"])
  if (v2.code !== 0) throw new Error("v2 should have been promoted")

  banner("5. deploy a faulty v3 (30% of its requests fail): the gates must roll it back")
  const v3 = slipway(["deploy", "-e", "APP_VERSION=3.0.0", "-e", "FAULT_ERROR_RATE=0.3"])
  if (v3.code !== 1) throw new Error(`v3 should have been rolled back (exit ${v3.code})`)

  await new Promise((r) => setTimeout(r, 2000))
  load?.kill("SIGTERM")
  const traffic = await summary

  banner("6. what happened")
  const rollouts = await Effect.runPromise(
    Effect.flatMap(Effect.service(Journal), (j) => j.history("hello")).pipe(
      Effect.provide(Journal.layerFile(join(stateDir, "journal"))),
    ),
  )
  const statuses = traffic.statuses as Record<string, number>
  console.log(
    `requests served: ${traffic.sent}, failed: ${traffic.failed} (${Object.entries(statuses)
      .map(([s, n]) => `${n}× ${s}`)
      .join(", ")})`,
  )
  console.log(`answered by version: ${JSON.stringify(traffic.versions)}`)
  for (const record of [...rollouts].reverse()) {
    const s = summarize(record.events)
    const verdicts = `${s.verdicts.pass} pass, ${s.verdicts.fail} fail, ${s.verdicts.inconclusive} inconclusive`
    console.log(
      `${record.candidate.config.env ? (record.candidate.config.env as Record<string, string>).APP_VERSION : "?"}  ${s.outcome.padEnd(11)} ${record.candidate.id}  ${((s.durationMs ?? 0) / 1000).toFixed(1)}s  verdicts: ${verdicts}`,
    )
    for (const step of s.steps) {
      if (step.verdicts.pass + step.verdicts.fail + step.verdicts.inconclusive === 0) continue
      console.log(
        `     ${`step ${step.index + 1}:`.padEnd(9)} ${step.label.padEnd(24)} ${step.verdicts.pass} pass, ${step.verdicts.fail} fail, ${step.verdicts.inconclusive} inconclusive`,
      )
    }
    if (s.rollbackReason) console.log(`     rolled back: ${s.rollbackReason}`)
    if (s.timeToRollbackMs !== undefined)
      console.log(`     time to rollback: ${s.timeToRollbackMs} ms (first failing verdict → candidate at 0%)`)
  }
  console.log(`reports: ${join(stateDir, "reports")}/*.html`)
  console.log(`demo finished in ${((Date.now() - started) / 1000).toFixed(0)}s`)
}

main().then(
  () => {
    cleanup()
  },
  (e: unknown) => {
    console.error(`demo failed: ${(e as Error).message}`)
    cleanup()
    process.exitCode = 1
  },
)
