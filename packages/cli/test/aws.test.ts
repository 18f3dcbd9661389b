import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import type { AwsClients } from "@slipway/aws/operators"
import { PLACEMENT_KEY, S3Journal } from "@slipway/aws/operators"
import { makeRevision, type Revision, type RolloutRecord } from "@slipway/core"
import { canary } from "@slipway/strategies"
import { Effect } from "effect"
import { vi } from "vitest"
import { type Parsed, parse, UsageError } from "../src/Cli.ts"
import { awsCommand, targetOf } from "../src/commands/aws.ts"
import { main } from "../src/Main.ts"
import type { Output } from "../src/Output.ts"

// ---------------------------------------------------------------- a stub S3 at the client boundary

/** One command the stub received. */
interface Sent {
  readonly name: string
  // biome-ignore lint/suspicious/noExplicitAny: each SDK command has its own input shape; tests read fields by name
  readonly input: any
}

const s3Error = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $fault: "client", $metadata: { httpStatusCode: status } })

/**
 * An S3 client whose `send` answers from a map of objects, honouring `IfNoneMatch: "*"` and
 * `IfMatch` as S3 does (412 when the condition does not hold), and logs every command.
 */
const stubS3 = () => {
  const objects = new Map<string, { text: string; etag: string }>()
  const log: Array<Sent> = []
  let version = 0
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, "")
      const input = structuredClone(command.input)
      log.push({ name, input })
      const key = String(input.Key)
      const existing = objects.get(key)
      switch (name) {
        case "GetObject":
          if (existing === undefined) throw s3Error("NoSuchKey", 404)
          return { ETag: existing.etag, Body: { transformToString: async () => existing.text } }
        case "PutObject": {
          if (input.IfNoneMatch === "*" && existing !== undefined) throw s3Error("PreconditionFailed", 412)
          if (input.IfMatch !== undefined && existing?.etag !== input.IfMatch) {
            throw s3Error("PreconditionFailed", 412)
          }
          const etag = `"v${++version}"`
          objects.set(key, { text: String(input.Body), etag })
          return { ETag: etag }
        }
        case "DeleteObject":
          objects.delete(key)
          return {}
        case "ListObjectsV2": {
          const keys = [...objects.keys()].filter((k) => k.startsWith(String(input.Prefix ?? ""))).sort()
          return {
            Contents: keys.slice(0, Number(input.MaxKeys ?? 1000)).map((Key) => ({ Key })),
            IsTruncated: false,
          }
        }
        default:
          throw new Error(`the stub S3 does not answer ${name}`)
      }
    },
  }
  // Every other AWS service: a rollback that got this far would be a bug in the test.
  const unused = {
    send: async (command: { constructor: { name: string } }) => {
      throw new Error(`unexpected ${command.constructor.name}: only S3 is stubbed`)
    },
  }
  const clients = {
    s3: client,
    elbv2: unused,
    ecs: unused,
    autoScaling: unused,
    lambda: unused,
    cloudWatch: unused,
  } as unknown as AwsClients
  return {
    clients,
    log,
    objects,
    // biome-ignore lint/suspicious/noExplicitAny: parsed JSON
    json: (key: string): any => JSON.parse(objects.get(key)?.text ?? "null"),
    put: (key: string, value: unknown) => {
      objects.set(key, { text: JSON.stringify(value), etag: `"v${++version}"` })
    },
  }
}

// ---------------------------------------------------------------- journal contents

const BUCKET = "web-prod-journal-1a2b3c"
const APP = "web-prod-web"
const TD = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web-prod-web"

const placed = (digest: string, slot: string, taskDefinition: number): Revision =>
  makeRevision({
    app: APP,
    artifact: { digest, uri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@${digest}` },
    config: {
      port: 8080,
      [PLACEMENT_KEY]: { slot, release: { kind: "ecs", taskDefinitionArn: `${TD}:${taskDefinition}` } },
    },
  })
const v1 = placed(`sha256:${"1".repeat(64)}`, "blue", 7)
const v2 = placed(`sha256:${"2".repeat(64)}`, "green", 8)

const record = (over: Partial<RolloutRecord> = {}): RolloutRecord => ({
  rolloutId: `${v2.id}-r1`,
  app: APP,
  stable: v1,
  candidate: v2,
  strategy: canary({
    steps: [
      { weight: 10, bake: "5m" },
      { weight: 50, bake: "manual" },
    ],
  }),
  replicas: 2,
  stepIndex: 5,
  stepPhase: "after",
  status: "paused",
  weights: { [v1.id]: 50, [v2.id]: 50 },
  failures: 0,
  inconclusives: 0,
  owner: "pulumi up by ci@runner-7 (pid 4242)",
  events: [],
  startedAt: 1_767_225_600_000,
  updatedAt: 1_767_225_900_000,
  ...over,
})

const withJournal = (...records: ReadonlyArray<RolloutRecord>) =>
  Effect.gen(function* () {
    const s3 = stubS3()
    const journal = S3Journal.make({ client: s3.clients.s3, bucket: BUCKET })
    for (const r of records) yield* journal.save(r)
    s3.log.length = 0
    return s3
  })

// ---------------------------------------------------------------- running commands

const capture = (json = false) => {
  const lines: Array<string> = []
  const errors: Array<string> = []
  const data: Array<unknown> = []
  const out: Output = {
    json,
    color: false,
    interactive: false,
    out: (text) => void lines.push(text),
    err: (text) => void errors.push(text),
    data: (value) => void data.push(value),
  }
  return { out, lines, errors, data }
}

const parsed = (argv: ReadonlyArray<string>): Parsed => {
  const p = parse(argv)
  if (typeof p === "string") throw new Error(`"${argv.join(" ")}" parsed as ${p}`)
  return p
}

const run = (argv: ReadonlyArray<string>, clients: AwsClients, json = false) =>
  Effect.gen(function* () {
    const p = parsed([...argv, "--target", "aws", "--bucket", BUCKET, "--app", APP])
    const target = targetOf(p)
    if (target.kind !== "aws") throw new Error("expected --target aws")
    const io = capture(json)
    const code = yield* awsCommand(p, io.out, target.aws, { clients })
    return { code, ...io }
  })

const usageError = (argv: ReadonlyArray<string>): string => {
  try {
    targetOf(parsed(argv))
  } catch (e) {
    if (e instanceof UsageError) return e.message
    throw e
  }
  throw new Error(`expected "${argv.join(" ")}" to be refused`)
}

// ---------------------------------------------------------------- specifications

describe("--target aws flags", () => {
  it("say where the journal is: bucket, prefix, region, profile and app", () => {
    const target = targetOf(
      parsed([
        "status",
        "--target",
        "aws",
        "--bucket",
        BUCKET,
        "--prefix",
        "rollouts",
        "--region",
        "eu-west-1",
        "--profile",
        "prod",
        "--app",
        APP,
      ]),
    )
    assert.deepStrictEqual(target, {
      kind: "aws",
      aws: { bucket: BUCKET, prefix: "rollouts", region: "eu-west-1", profile: "prod", app: APP },
    })
    assert.deepStrictEqual(targetOf(parsed(["status"])), { kind: "local" })
  })

  it("refuse a missing --bucket or --app, naming the flag", () => {
    assert.match(
      usageError(["status", "--target", "aws", "--app", APP]),
      /^--target aws needs --bucket BUCKET/,
    )
    assert.match(
      usageError(["history", "--target", "aws", "--bucket", BUCKET]),
      /^--target aws needs --app APP/,
    )
  })

  it("refuse an unknown target, AWS flags without --target aws, and --config with it", () => {
    assert.match(usageError(["status", "--target", "gcp"]), /^--target gcp: use "local".*or "aws"/)
    assert.match(usageError(["promote", "--bucket", BUCKET]), /^--bucket only applies with --target aws/)
    assert.match(
      usageError([
        "abort",
        "--target",
        "aws",
        "--bucket",
        BUCKET,
        "--app",
        APP,
        "--config",
        "slipway.config.ts",
      ]),
      /^--config applies to --target local/,
    )
  })

  it("make `slipway` exit 2 with the usage error before anything runs", async () => {
    const written: Array<string> = []
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk))
      return true
    })
    try {
      assert.strictEqual(await main(["status", "--target", "aws", "--app", APP]), 2)
    } finally {
      stderr.mockRestore()
    }
    assert.match(written.join(""), /^slipway status: --target aws needs --bucket BUCKET/)
  })

  it("exist on the commands that read or steer a journal, and not on deploy", () => {
    for (const command of [
      "status",
      "history",
      "report",
      "promote",
      "pause",
      "resume",
      "abort",
      "rollback",
    ]) {
      assert.strictEqual(
        parsed([command, "--target", "aws", "--bucket", BUCKET, "--app", APP]).flags.target,
        "aws",
      )
    }
    assert.throws(() => parse(["deploy", "--target", "aws"]), UsageError)
  })
})

describe("slipway status --target aws", () => {
  it.effect("shows the recorded weights with each revision's slot and release, and the rollout's step", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal(record())
      const { code, lines } = yield* run(["status"], s3.clients)
      assert.strictEqual(code, 0)
      const text = lines.join("\n")
      assert.include(text, `s3://${BUCKET}/${APP}/`)
      assert.match(text, new RegExp(`${v1.id}\\s+50%\\s+blue\\s+task-definition/web-prod-web:7`))
      assert.match(text, new RegExp(`${v2.id}\\s+50%\\s+green\\s+task-definition/web-prod-web:8`))
      assert.include(text, `rollout ${v2.id}-r1: paused  ${v1.id} → ${v2.id}  step 6/`)
      assert.include(text, "driven by pulumi up by ci@runner-7 (pid 4242)")
      assert.deepStrictEqual(
        s3.log.map((c) => [c.name, c.input.Key]),
        [["GetObject", `${APP}/current.json`]],
      )
    }),
  )

  it.effect("prints the same view as JSON with --json", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal(
        record({ status: "rolled-back", rollbackReason: "gate failed: alarm web-5xx" }),
      )
      const { code, data } = yield* run(["status", "--json"], s3.clients, true)
      assert.strictEqual(code, 0)
      const view = data[0] as { rollout: { status: string; rollbackReason: string }; traffic: Array<unknown> }
      assert.strictEqual(view.rollout.status, "rolled-back")
      assert.strictEqual(view.rollout.rollbackReason, "gate failed: alarm web-5xx")
      assert.deepStrictEqual(view.traffic[0], {
        revision: v1.id,
        weight: 50,
        slot: "blue",
        release: "task-definition/web-prod-web:7",
      })
    }),
  )

  it.effect("exits 1 with a hint when the journal has nothing for the app", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal()
      const { code, lines } = yield* run(["status"], s3.clients)
      assert.strictEqual(code, 1)
      assert.include(lines.join("\n"), "no rollout recorded: check --app")
    }),
  )
})

describe("slipway history and report --target aws", () => {
  const at = 1_767_000_000_000
  const base = { rolloutId: "r0", app: APP }
  const first = record({
    ...base,
    stable: null,
    candidate: v1,
    status: "succeeded",
    weights: { [v1.id]: 100 },
    events: [
      {
        _tag: "RolloutStarted",
        ...base,
        at,
        stable: null,
        candidate: v1.id,
        strategy: record().strategy,
        resumed: false,
      },
      { _tag: "WeightSet", ...base, at: at + 1_000, weights: { [v1.id]: 100 }, candidateWeight: 100 },
      { _tag: "Succeeded", ...base, at: at + 60_000, revision: v1.id },
    ],
    startedAt: at,
    updatedAt: at + 60_000,
  })

  it.effect("lists the running rollout and the finished ones, newest first", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal(first, record())
      const { code, lines } = yield* run(["history"], s3.clients)
      assert.strictEqual(code, 0)
      assert.lengthOf(lines, 2)
      assert.match(lines[0]!, new RegExp(`paused\\s+${v1.id}\\s+→ ${v2.id}`))
      assert.match(lines[1]!, new RegExp(`succeeded\\s+\\(first\\)\\s+→ ${v1.id}`))
    }),
  )

  it.effect("writes a rollout's HTML report where --out says", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal(first)
      const dir = mkdtempSync(join(tmpdir(), "slipway-aws-report-"))
      try {
        const path = join(dir, "r0.html")
        const { code, lines } = yield* run(["report", "r0", "--out", path], s3.clients)
        assert.strictEqual(code, 0)
        assert.deepStrictEqual(lines, [path])
        assert.include(readFileSync(path, "utf8"), `${APP} — ${v1.id}`)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }),
  )
})

describe("slipway promote | pause | resume | abort --target aws", () => {
  it.effect("asks the running rollout, through control.json, stamped with its id", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal(record())
      const promoted = yield* run(["promote", "--full"], s3.clients)
      assert.strictEqual(promoted.code, 0)
      assert.include(promoted.lines.join("\n"), `asked rollout ${v2.id}-r1 of ${APP} to promote full`)
      const aborted = yield* run(["abort", "--reason", "p99 is up"], s3.clients)
      assert.strictEqual(aborted.code, 0)
      const requests = s3.json(`${APP}/control.json`).requests as Array<{
        command: string
        rolloutId: string
        reason?: string
      }>
      assert.deepStrictEqual(
        requests.map((r) => [r.command, r.rolloutId, r.reason]),
        [
          ["promote-full", `${v2.id}-r1`, undefined],
          ["abort", `${v2.id}-r1`, "p99 is up"],
        ],
      )
    }),
  )

  it.effect("exits 1 and changes nothing when no rollout is running", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal(record({ status: "succeeded", weights: { [v2.id]: 100 } }))
      const { code, errors } = yield* run(["pause"], s3.clients)
      assert.strictEqual(code, 1)
      assert.match(errors.join("\n"), /no rollout of web-prod-web is running \(the last one succeeded\)/)
      assert.isFalse(s3.objects.has(`${APP}/control.json`))
    }),
  )
})

describe("slipway rollback --target aws", () => {
  const target = {
    app: APP,
    backend: {
      kind: "ecs",
      cluster: "web",
      ruleArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/2/3",
      slots: [
        { name: "blue", targetGroupArn: "arn:tg/blue", service: "web-blue" },
        { name: "green", targetGroupArn: "arn:tg/green", service: "web-green" },
      ],
    },
    region: "eu-west-1",
    replicas: 2,
    updatedAt: 0,
  }

  it.effect("during a rollout, asks the pulumi up driving it to abort", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal(record())
      const { code, data } = yield* run(["rollback", "--json"], s3.clients, true)
      assert.strictEqual(code, 0)
      assert.deepStrictEqual(data, [{ delivered: true, command: "abort", rolloutId: `${v2.id}-r1` }])
      assert.strictEqual(s3.json(`${APP}/control.json`).requests[0].command, "abort")
    }),
  )

  it.effect("afterwards, says when the revision asked for already serves, without touching traffic", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal(record({ status: "succeeded", weights: { [v2.id]: 100 } }))
      s3.put(`${APP}/target.json`, target)
      const { code, data } = yield* run(["rollback", v2.id, "--json"], s3.clients, true)
      assert.strictEqual(code, 0)
      assert.deepStrictEqual(data, [{ status: "succeeded", candidate: v2.id, unchanged: true }])
    }),
  )

  it.effect("exits 1 with the reason when there is nothing earlier to return to", () =>
    Effect.gen(function* () {
      const s3 = yield* withJournal(
        record({ stable: null, candidate: v1, status: "succeeded", weights: { [v1.id]: 100 } }),
      )
      s3.put(`${APP}/target.json`, target)
      const { code, data } = yield* run(["rollback", "--json"], s3.clients, true)
      assert.strictEqual(code, 1)
      assert.deepStrictEqual(data, [
        { status: "unavailable", reason: `${APP} has no earlier revision to roll back to` },
      ])
    }),
  )
})

describe("the local CLI", () => {
  it("never loads @slipway/aws at start-up: only a type import and a dynamic import name it", () => {
    const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src")
    const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))
    const eager = files.filter((file) =>
      /^(?:import|export)\s+(?!type\s)[\w$\s,{}*]*?from\s+"@slipway\/aws/m.test(
        readFileSync(join(src, file), "utf8"),
      ),
    )
    assert.deepStrictEqual(eager, [])
    assert.include(readFileSync(join(src, "commands/aws.ts"), "utf8"), 'import("@slipway/aws/operators")')
  })
})
