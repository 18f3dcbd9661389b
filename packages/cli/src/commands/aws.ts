/**
 * `--target aws`: `status`, `history`, `report`, `promote`, `pause`, `resume`, `abort` and
 * `rollback` for a service that `pulumi up` rolls out with `rollout: { mode: "driven" }`.
 * Its journal is in S3 (`--bucket`, `--prefix`, `--app`): status and history read it,
 * operator commands append requests the driving `pulumi up` picks up, and a rollback after
 * the rollout runs from here with the same engine.
 *
 * `@slipway/aws/operators` is imported only when an AWS command runs (and it loads no
 * Pulumi), so the local commands never pay for the AWS SDK.
 */
import { writeFileSync } from "node:fs"
import { resolve } from "node:path"
import type { AwsClients, ControlCommandName, ControlRequest, Placement } from "@slipway/aws/operators"
import { formatDuration, Journal, type RolloutRecord, renderHtmlReport } from "@slipway/core"
import { fromName } from "@slipway/strategies"
import { Effect, type Layer, Option } from "effect"
import { type Parsed, UsageError } from "../Cli.ts"
import { eventsLayer, writeReport } from "../Drive.ts"
import { bold, dim, green, type Output, red, yellow } from "../Output.ts"
import { allRollouts, historyRow } from "./history.ts"

/**
 * Where an AWS app's journal is, from the flags.
 *
 * @example
 * const target: AwsTarget = { bucket: "web-prod-journal-1a2b3c", region: "eu-west-1", app: "web-prod-web" }
 */
export interface AwsTarget {
  readonly bucket: string
  readonly prefix?: string
  readonly region?: string
  readonly profile?: string
  readonly app: string
}

/**
 * What the AWS commands use instead of making SDK clients (tests pass stubs).
 *
 * @example
 * const access: AwsAccess = { clients: { ...stubClients, s3: stubS3 } }
 */
export interface AwsAccess {
  readonly clients?: AwsClients
}

const AWS_FLAGS = ["bucket", "prefix", "region", "profile", "app"] as const

const stringFlag = (parsed: Parsed, name: string): string | undefined => {
  const value = parsed.flags[name]
  return typeof value === "string" ? value : undefined
}

/**
 * Which target a command is about: `local` (the default: this machine's agent and journal)
 * or `aws` with where its journal is. Throws `UsageError` naming the flag at fault.
 *
 * @example
 * const target = targetOf(parse(["status", "--target", "aws", "--bucket", "b", "--app", "web"]) as Parsed)
 * // { kind: "aws", aws: { bucket: "b", app: "web" } }
 */
export const targetOf = (
  parsed: Parsed,
): { readonly kind: "local" } | { readonly kind: "aws"; readonly aws: AwsTarget } => {
  if (!("target" in parsed.command.flags)) return { kind: "local" }
  const kind = stringFlag(parsed, "target") ?? "local"
  if (kind !== "local" && kind !== "aws") {
    throw new UsageError(
      `--target ${kind}: use "local" (this machine, the default) or "aws" (a service rolled out by \`pulumi up\` in driven mode)`,
    )
  }
  if (kind === "local") {
    const stray = AWS_FLAGS.find((flag) => parsed.flags[flag] !== undefined)
    if (stray !== undefined) {
      throw new UsageError(
        `--${stray} only applies with --target aws; add \`--target aws\` to read a driven rollout's journal in S3`,
      )
    }
    return { kind: "local" }
  }
  if (parsed.flags.config !== undefined) {
    throw new UsageError(
      "--config applies to --target local; with --target aws the journal's place comes from --bucket, --prefix and --app",
    )
  }
  const bucket = stringFlag(parsed, "bucket")
  if (bucket === undefined || bucket.trim() === "") {
    throw new UsageError(
      "--target aws needs --bucket BUCKET: the S3 bucket holding the rollout journal (the service's `driven.journalBucket`, e.g. from `pulumi stack output`)",
    )
  }
  const app = stringFlag(parsed, "app")
  if (app === undefined || app.trim() === "") {
    throw new UsageError(
      "--target aws needs --app APP: the name the service's rollouts are journaled under (its `driven.app`: <project>-<stack>-<name>)",
    )
  }
  const optional = (name: "prefix" | "region" | "profile") => {
    const value = stringFlag(parsed, name)
    return value === undefined ? {} : { [name]: value }
  }
  return {
    kind: "aws",
    aws: { bucket, app, ...optional("prefix"), ...optional("region"), ...optional("profile") },
  }
}

/** The journal folder, for messages. */
const journalUrl = (t: AwsTarget): string =>
  `s3://${t.bucket}/${t.prefix === undefined || t.prefix === "" ? "" : `${t.prefix.replace(/^\/+|\/+$/g, "")}/`}${t.app}/`

// Loaded on first use: the local CLI never loads the AWS SDK.
const loadOperators = Effect.tryPromise({
  try: () => import("@slipway/aws/operators"),
  catch: (cause) =>
    new Error(
      `--target aws needs @slipway/aws, which could not be loaded (${String(cause)}); reinstall slipway`,
    ),
})

const connection = (t: AwsTarget, access: AwsAccess) => ({
  bucket: t.bucket,
  ...(t.prefix === undefined ? {} : { prefix: t.prefix }),
  ...(t.region === undefined ? {} : { region: t.region }),
  ...(t.profile === undefined ? {} : { profile: t.profile }),
  ...(access.clients === undefined ? {} : { client: access.clients.s3 }),
})

/** The journal the `pulumi up` of the service writes, as core's `Journal`. */
const journalLayer = (t: AwsTarget, access: AwsAccess): Effect.Effect<Layer.Layer<Journal>, Error> =>
  Effect.map(loadOperators, (ops) => ops.awsJournalLayer(connection(t, access)))

// ---------------------------------------------------------------- status

/**
 * What `slipway status --target aws` shows: the journal's current rollout and where each
 * of its revisions runs.
 *
 * @example
 * const view: AwsStatusView = { app: "web-prod-web", journal: "s3://b/web-prod-web/", traffic: [], rollout: null }
 */
export interface AwsStatusView {
  readonly app: string
  readonly journal: string
  /** The weights the journal last recorded, largest first, with each revision's slot and release. */
  readonly traffic: ReadonlyArray<{
    readonly revision: string
    readonly weight: number
    readonly slot: string | null
    readonly release: string | null
  }>
  readonly rollout: {
    readonly rolloutId: string
    readonly status: RolloutRecord["status"]
    readonly candidate: string
    readonly stable: string | null
    readonly step: number
    readonly steps: number
    readonly owner?: string
    readonly rollbackReason?: string
    readonly updatedAt: number
  } | null
}

/** A release in a few words: the task definition, launch template version or Lambda version. */
const describeRelease = (placement: Placement | undefined): string | null => {
  const release = placement?.release
  if (release === undefined) return null
  switch (release.kind) {
    case "ecs":
      return release.taskDefinitionArn.replace(/^.*:task-definition\//, "task-definition/")
    case "asg":
      return `${release.launchTemplateId} v${release.launchTemplateVersion}`
    case "lambda":
      return `version ${release.version}`
  }
}

/**
 * The status view of `record` (`placementOf` reads where a revision runs).
 *
 * @example
 * const view = awsStatusView(target, Option.some(record), placementOf)
 */
export const awsStatusView = (
  target: AwsTarget,
  record: Option.Option<RolloutRecord>,
  placementOf: (revision: RolloutRecord["candidate"]) => Placement | undefined,
): AwsStatusView => {
  const r = Option.getOrUndefined(record)
  // Stable first, so that it stays first on equal weights.
  const revisions = r === undefined ? [] : [...(r.stable === null ? [] : [r.stable]), r.candidate]
  const traffic = revisions
    .map((revision) => {
      const placement = placementOf(revision)
      return {
        revision: revision.id,
        weight: r?.weights[revision.id] ?? 0,
        slot: placement?.slot ?? null,
        release: describeRelease(placement),
      }
    })
    .sort((a, b) => b.weight - a.weight)
  return {
    app: target.app,
    journal: journalUrl(target),
    traffic,
    rollout:
      r === undefined
        ? null
        : {
            rolloutId: r.rolloutId,
            status: r.status,
            candidate: r.candidate.id,
            stable: r.stable?.id ?? null,
            step: r.stepIndex,
            steps: r.strategy.steps.length,
            ...(r.owner === undefined ? {} : { owner: r.owner }),
            ...(r.rollbackReason === undefined ? {} : { rollbackReason: r.rollbackReason }),
            updatedAt: r.updatedAt,
          },
  }
}

/**
 * The status view as text.
 *
 * @example
 * out.out(renderAwsStatus(view, false, Date.now()))
 */
export const renderAwsStatus = (v: AwsStatusView, color: boolean, now: number): string => {
  const lines = [`${bold(color, v.app)}  ${dim(color, v.journal)}`]
  if (v.rollout === null) {
    lines.push(
      `no rollout recorded: check --app (the service's driven.app) and --prefix, or run \`pulumi up\` first`,
    )
    return lines.join("\n")
  }
  lines.push("traffic (as the journal last recorded it):")
  for (const t of v.traffic) {
    const where = [t.slot, t.release].filter((x) => x !== null).join("  ")
    lines.push(`  ${t.revision.padEnd(30)} ${String(t.weight).padStart(3)}%  ${where}`)
  }
  const r = v.rollout
  const paint = r.status === "succeeded" ? green : r.status === "rolled-back" ? red : yellow
  lines.push(
    `rollout ${r.rolloutId}: ${paint(color, r.status)}  ${r.stable ?? "(first)"} → ${r.candidate}  step ${Math.min(r.step + 1, r.steps)}/${r.steps}  (${formatDuration(Math.max(0, now - r.updatedAt))} ago)`,
  )
  if (r.owner !== undefined && r.status !== "succeeded" && r.status !== "rolled-back") {
    lines.push(`  driven by ${r.owner}`)
  }
  if (r.rollbackReason !== undefined) lines.push(`  reason: ${r.rollbackReason}`)
  return lines.join("\n")
}

const status = (parsed: Parsed, out: Output, t: AwsTarget, access: AwsAccess) =>
  Effect.gen(function* () {
    const ops = yield* loadOperators
    const layer = yield* journalLayer(t, access)
    const read = Effect.flatMap(Effect.service(Journal), (journal) => journal.load(t.app)).pipe(
      Effect.map((record) => awsStatusView(t, record, ops.placementOf)),
      Effect.provide(layer),
    )
    if (!parsed.flags.watch) {
      const view = yield* read
      if (out.json) out.data(view)
      else out.out(renderAwsStatus(view, out.color, Date.now()))
      return view.rollout === null ? 1 : 0
    }
    // --watch: S3 is read every 2 seconds until interrupted.
    for (;;) {
      const view = yield* read
      if (out.json) out.out(JSON.stringify(view))
      else
        out.out(
          `\u001b[2J\u001b[H${renderAwsStatus(view, out.color, Date.now())}\n${dim(out.color, "(ctrl-c to stop)")}`,
        )
      yield* Effect.sleep("2 seconds")
    }
  })

// ---------------------------------------------------------------- history and report

const history = (parsed: Parsed, out: Output, t: AwsTarget, access: AwsAccess) =>
  Effect.gen(function* () {
    const limitFlag = stringFlag(parsed, "limit")
    const limit = limitFlag === undefined ? 20 : Number(limitFlag)
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit ${limitFlag}: use a whole number ≥ 1`)
    const layer = yield* journalLayer(t, access)
    const rollouts = (yield* allRollouts(t.app).pipe(Effect.provide(layer))).slice(0, limit)
    if (out.json) {
      out.data(
        rollouts.map((r) => ({
          rolloutId: r.rolloutId,
          status: r.status,
          stable: r.stable?.id ?? null,
          candidate: r.candidate.id,
          startedAt: r.startedAt,
          updatedAt: r.updatedAt,
          rollbackReason: r.rollbackReason ?? null,
        })),
      )
    } else if (rollouts.length === 0) {
      out.out(`${t.app} has no rollouts in ${journalUrl(t)}: check --app and --prefix, or run \`pulumi up\``)
    } else {
      for (const r of rollouts) out.out(historyRow(r, out.color))
    }
    return 0
  })

const report = (parsed: Parsed, out: Output, t: AwsTarget, access: AwsAccess) =>
  Effect.gen(function* () {
    const layer = yield* journalLayer(t, access)
    const rollouts = yield* allRollouts(t.app).pipe(Effect.provide(layer))
    const wanted = parsed.positionals[0]
    const record = wanted
      ? rollouts.find((r) => r.rolloutId === wanted || r.rolloutId.startsWith(wanted))
      : rollouts[0]
    if (!record) {
      throw new UsageError(
        wanted
          ? `no rollout "${wanted}" of ${t.app} in ${journalUrl(t)}; \`slipway history --target aws\` lists them`
          : `${t.app} has no rollouts in ${journalUrl(t)}: check --app and --prefix`,
      )
    }
    if (record.events.length === 0) {
      return yield* Effect.fail(
        new Error(`rollout ${record.rolloutId} of ${t.app} recorded no events; there is nothing to report`),
      )
    }
    const outFlag = stringFlag(parsed, "out")
    let path: string
    if (outFlag !== undefined) {
      path = resolve(outFlag)
      writeFileSync(path, renderHtmlReport(record.events, { title: `${t.app} — ${record.candidate.id}` }))
    } else {
      path = writeReport(resolve(stringFlag(parsed, "state-dir") ?? ".slipway"), record)
    }
    if (out.json) out.data({ rolloutId: record.rolloutId, report: path })
    else out.out(path)
    return 0
  })

// ---------------------------------------------------------------- operator requests

const commandName = (parsed: Parsed): ControlCommandName => {
  switch (parsed.command.name) {
    case "promote":
      return parsed.flags.full ? "promote-full" : "promote"
    case "pause":
      return "pause"
    case "resume":
      return "resume"
    default:
      return "abort"
  }
}

const asked = (out: Output, t: AwsTarget, request: ControlRequest) => {
  if (out.json) {
    out.data({
      delivered: true,
      command: request.command,
      rolloutId: request.rolloutId,
      requestId: request.id,
    })
    return
  }
  out.out(
    `asked rollout ${request.rolloutId} of ${t.app} to ${request.command.replace("-", " ")}; the \`pulumi up\` driving it acts within about 5 s\n` +
      "(if none is running any more, run `pulumi up` again: it continues the rollout from the journal and picks the request up)",
  )
}

const control = (parsed: Parsed, out: Output, t: AwsTarget, access: AwsAccess) =>
  Effect.gen(function* () {
    const ops = yield* loadOperators
    const command = commandName(parsed)
    const reason =
      command === "abort" ? (stringFlag(parsed, "reason") ?? "aborted by an operator") : undefined
    return yield* ops
      .requestControl({
        ...connection(t, access),
        app: t.app,
        command,
        ...(reason === undefined ? {} : { reason }),
      })
      .pipe(
        Effect.map((request) => {
          asked(out, t, request)
          return 0
        }),
        Effect.catchTag("NoRolloutRunning", (e) =>
          Effect.sync(() => {
            if (out.json) out.data({ delivered: false, reason: e.message })
            else out.err(e.message)
            return 1
          }),
        ),
      )
  })

// ---------------------------------------------------------------- rollback

const rollback = (parsed: Parsed, out: Output, t: AwsTarget, access: AwsAccess) =>
  Effect.gen(function* () {
    const ops = yield* loadOperators
    const strategyFlag = stringFlag(parsed, "strategy")
    const to = parsed.positionals[0]
    const events = eventsLayer(out)
    const result = yield* ops
      .awsRollback({
        bucket: t.bucket,
        app: t.app,
        ...(t.prefix === undefined ? {} : { prefix: t.prefix }),
        ...(t.region === undefined ? {} : { region: t.region }),
        ...(t.profile === undefined ? {} : { profile: t.profile }),
        ...(to === undefined ? {} : { to }),
        ...(strategyFlag === undefined ? {} : { strategy: fromName(strategyFlag) }),
        ...(access.clients === undefined ? {} : { clients: access.clients }),
        events: events.layer,
      })
      .pipe(
        Effect.ensuring(Effect.sync(events.finish)),
        Effect.map(Option.some),
        Effect.catchTag("RollbackUnavailable", (e) =>
          Effect.sync(() => {
            if (out.json) out.data({ status: "unavailable", reason: e.message })
            else out.err(e.message)
            return Option.none()
          }),
        ),
      )
    if (Option.isNone(result)) return 1
    const r = result.value
    switch (r._tag) {
      case "AbortRequested":
        if (out.json) out.data({ delivered: true, command: "abort", rolloutId: r.request.rolloutId })
        else
          out.out(
            `asked rollout ${r.request.rolloutId} of ${t.app} to abort; the \`pulumi up\` driving it returns traffic to the stable revision`,
          )
        return 0
      case "AlreadyServing":
        if (out.json) out.data({ status: "succeeded", candidate: r.revision, unchanged: true })
        else out.out(`${r.revision} is already serving ${t.app}`)
        return 0
      case "RolledOut": {
        const { outcome } = r
        if (out.json) {
          out.data({ status: outcome.status, rolloutId: outcome.record.rolloutId, candidate: r.revision })
        }
        if (outcome.status === "succeeded") {
          if (!out.json) out.out(green(out.color, `${t.app}: rolled back to ${r.revision}`))
          return 0
        }
        out.err(
          red(
            out.color,
            `${t.app}: rollback to ${r.revision} did not complete — ${outcome.record.rollbackReason ?? "rolled back"}`,
          ),
        )
        return 1
      }
    }
  })

// ---------------------------------------------------------------- dispatch

/**
 * Runs `parsed` (a command given `--target aws`) against its S3 journal; resolves to the
 * exit code (0 done, 1 nothing to act on / rolled back).
 *
 * @example
 * const code = await Effect.runPromise(awsCommand(parsed, output, { bucket: "b", app: "web" }))
 */
export const awsCommand = (
  parsed: Parsed,
  out: Output,
  target: AwsTarget,
  access: AwsAccess = {},
): Effect.Effect<number, unknown> => {
  switch (parsed.command.name) {
    case "status":
      return status(parsed, out, target, access)
    case "history":
      return history(parsed, out, target, access)
    case "report":
      return report(parsed, out, target, access)
    case "promote":
    case "pause":
    case "resume":
    case "abort":
      return control(parsed, out, target, access)
    case "rollback":
      return rollback(parsed, out, target, access)
    default:
      return Effect.fail(new UsageError(`\`slipway ${parsed.command.name}\` has no --target aws`))
  }
}
