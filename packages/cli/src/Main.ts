/**
 * Runs one `slipway` invocation: parse, dispatch, and turn every failure into a message
 * that says what to do, with an exit code scripts can rely on:
 * 0 done, 1 rolled back / not found, 2 bad input (nothing changed), 3 failed.
 */
import { Cause, Effect, Exit, Fiber } from "effect"
import { commandHelp, mainHelp, type Parsed, parse, UsageError } from "./Cli.ts"
import { agent } from "./commands/agent.ts"
import { awsCommand, targetOf } from "./commands/aws.ts"
import { control } from "./commands/control.ts"
import { deploy } from "./commands/deploy.ts"
import { history, report } from "./commands/history.ts"
import { rollback } from "./commands/rollback.ts"
import { status } from "./commands/status.ts"
import { makeOutput, type Output, red } from "./Output.ts"

export const VERSION = "0.1.0"

const handlers: Record<string, (p: Parsed, o: Output) => Effect.Effect<number, unknown, never>> = {
  deploy,
  status,
  promote: control,
  pause: control,
  resume: control,
  abort: control,
  rollback,
  history,
  report,
  agent,
}

// Tags of errors that mean "your input is wrong; nothing was changed".
const INPUT_ERRORS = new Set(["ConfigInvalid", "StrategyInvalid", "GateConfigError"])

const describe = (error: unknown): { message: string; code: number } => {
  const e = error as { _tag?: string; message?: string; name?: string }
  if (error instanceof UsageError) return { message: error.message, code: 2 }
  if (e?._tag && INPUT_ERRORS.has(e._tag)) return { message: e.message ?? String(error), code: 2 }
  if (e?.name === "StrategyInvalid" || e?._tag === "StrategyInvalid")
    return { message: String(e.message), code: 2 }
  if (e?._tag === "RolloutLocked") return { message: e.message ?? "another rollout is running", code: 3 }
  return { message: e?.message ?? String(error), code: 3 }
}

/**
 * Runs the CLI with `argv` (without node and the script); resolves to the exit code.
 *
 * @example
 * import { main } from "slipway"
 * process.exitCode = await main(["deploy", "--strategy", "canary"])
 */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (e) {
    process.stderr.write(`slipway: ${(e as Error).message}\n`)
    return 2
  }
  if (parsed === "help") {
    process.stdout.write(`${mainHelp(VERSION)}\n`)
    return 0
  }
  if (parsed === "version") {
    process.stdout.write(`${VERSION}\n`)
    return 0
  }
  if (parsed.flags.help) {
    process.stdout.write(`${commandHelp(parsed.command)}\n`)
    return 0
  }
  // `--target aws` (a driven rollout's journal in S3) is checked before anything runs.
  let target: ReturnType<typeof targetOf>
  try {
    target = targetOf(parsed)
  } catch (e) {
    process.stderr.write(`slipway ${parsed.command.name}: ${(e as Error).message}\n`)
    return 2
  }
  const out = makeOutput({ json: Boolean(parsed.flags.json), noColor: Boolean(parsed.flags["no-color"]) })
  const handler =
    target.kind === "aws"
      ? (p: Parsed, o: Output) => awsCommand(p, o, target.aws)
      : handlers[parsed.command.name]!
  // Ctrl-C interrupts the effect, so scopes close: control sockets are removed, and a
  // rollout stops where it is with its journal consistent (`slipway resume` continues it).
  const fiber = Effect.runFork(Effect.suspend(() => handler(parsed, out)))
  const onSignal = () => {
    out.err(
      "\ninterrupted: the rollout stays where it is; `slipway resume` continues it, `slipway abort` rolls it back",
    )
    Effect.runFork(Fiber.interrupt(fiber))
  }
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  const exit = await Effect.runPromise(Fiber.await(fiber))
  process.off("SIGINT", onSignal)
  process.off("SIGTERM", onSignal)
  if (Exit.isSuccess(exit)) return exit.value
  if (Cause.hasInterruptsOnly(exit.cause)) return 130
  const failure = Cause.squash(exit.cause)
  const { message, code } = describe(failure)
  out.err(red(out.color, `slipway ${parsed.command.name}: ${message}`))
  return code
}
