/**
 * The event stream as JSON lines: one event per line, for CI logs, `--json` output and
 * files a report can be rendered from later. Both directions go through the `RolloutEvent`
 * schema's JSON codec, so what is written is exactly what reads back (including the
 * numbers plain JSON cannot hold, such as a gate's `NaN`).
 */
import { Data, Result, Schema } from "effect"
import { RolloutEvent } from "../Events.ts"

/** One line of a JSON lines text that is not a rollout event. */
export interface JsonLineIssue {
  /** 1-based line number in the text. */
  readonly line: number
  readonly message: string
}

/**
 * A JSON lines text held lines that are not rollout events. `decoded` keeps the events
 * that did decode, in order, so a caller can still show a partial report (a journal cut
 * off by a crash typically ends in half a line).
 */
export class JsonLinesInvalid extends Data.TaggedError("JsonLinesInvalid")<{
  readonly issues: ReadonlyArray<JsonLineIssue>
  readonly decoded: ReadonlyArray<RolloutEvent>
}> {
  override get message(): string {
    const n = this.issues.length
    return `${n} ${n === 1 ? "line is" : "lines are"} not a rollout event:\n${this.issues
      .map((i) => `  line ${i.line}: ${i.message}`)
      .join("\n")}`
  }
}

const JsonEvent = Schema.toCodecJson(RolloutEvent)
const encodeJson = Schema.encodeSync(JsonEvent)
const decodeJson = Schema.decodeUnknownResult(JsonEvent)
// The plain schema's messages name the expected type ("Expected number"), which reads
// better than the JSON codec's ("Expected \"Infinity\" | …") when explaining a bad line.
const decodePlain = Schema.decodeUnknownResult(RolloutEvent)

// Exhaustive by type: adding an event to the union without listing it here fails to compile.
const EVENT_TAGS: Record<RolloutEvent["_tag"], true> = {
  RolloutStarted: true,
  StepStarted: true,
  StepCompleted: true,
  WeightSet: true,
  Scaled: true,
  GateEvaluated: true,
  Paused: true,
  Resumed: true,
  Promoted: true,
  RollbackStarted: true,
  RolledBack: true,
  Succeeded: true,
}

/**
 * One event as one line of JSON (no trailing newline; join lines with `"\n"`).
 *
 * @example
 * import { toJsonLine } from "@slipway/core"
 * process.stdout.write(`${toJsonLine(event)}\n`)
 * // {"_tag":"WeightSet","rolloutId":"r-1","app":"shop","at":1736942400000,"weights":{"v1":80,"v2":20},"candidateWeight":20}
 */
export const toJsonLine = (event: RolloutEvent): string => JSON.stringify(encodeJson(event))

// "Expected number\n  at [\"at\"]" → "at: expected number"
const explainSchemaMessage = (message: string): string => {
  const out: Array<string> = []
  const lines = message.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.startsWith("  at ")) continue
    const next = lines[i + 1]
    const text = line.trim().replace(/^Expected/, "expected")
    if (next?.startsWith("  at ")) {
      const path = next
        .slice(5)
        .trim()
        .replace(/\["([^"]+)"\]/g, ".$1")
        .replace(/^\./, "")
        .replace(/\.?\[(\d+)\]/g, "[$1]")
      out.push(`${path}: ${text}`)
    } else out.push(text)
  }
  return out.join("; ")
}

const kindOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`

const decodeLine = (text: string): Result.Result<RolloutEvent, string> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Result.fail(`not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  const decoded = decodeJson(json, { errors: "all" })
  if (Result.isSuccess(decoded)) return Result.succeed(decoded.success)
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return Result.fail(`expected a JSON object with a "_tag", got ${kindOf(json)}`)
  }
  const tag = (json as { readonly _tag?: unknown })._tag
  if (typeof tag !== "string" || !Object.hasOwn(EVENT_TAGS, tag)) {
    return Result.fail(
      `${tag === undefined ? "missing" : `unknown event ${JSON.stringify(tag)} in`} "_tag"; expected one of ${Object.keys(EVENT_TAGS).join(", ")}`,
    )
  }
  const plain = decodePlain(json, { errors: "all" })
  const message = Result.isFailure(plain) ? plain.failure.message : decoded.failure.message
  return Result.fail(`${tag}: ${explainSchemaMessage(message)}`)
}

/**
 * Reads JSON lines back into events. Blank lines are skipped; every other line must be
 * one event. Fails with every malformed line and its 1-based number (plus the events
 * that did decode).
 *
 * @example
 * import { parseJsonLines, renderHtmlReport } from "@slipway/core"
 * import { Result } from "effect"
 * const parsed = parseJsonLines(readFileSync("rollout.jsonl", "utf8"))
 * if (Result.isFailure(parsed)) console.error(parsed.failure.message) // "1 line is not a rollout event:\n  line 7: not valid JSON (…)"
 * else writeFileSync("report.html", renderHtmlReport(parsed.success))
 */
export const parseJsonLines = (
  text: string,
): Result.Result<ReadonlyArray<RolloutEvent>, JsonLinesInvalid> => {
  const events: Array<RolloutEvent> = []
  const issues: Array<JsonLineIssue> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "")
    if (line.trim().length === 0) continue
    const decoded = decodeLine(line)
    if (Result.isSuccess(decoded)) events.push(decoded.success)
    else issues.push({ line: i + 1, message: decoded.failure })
  }
  return issues.length > 0
    ? Result.fail(new JsonLinesInvalid({ issues, decoded: events }))
    : Result.succeed(events)
}
