import { existsSync } from "node:fs"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { closestCommand, commandHelp, commands, mainHelp, parse } from "../src/Cli.ts"
import { VERSION } from "../src/Main.ts"
import { plainConfig, runMain, tempFolder, usageErrorOf } from "./support.ts"

const parsed = (argv: ReadonlyArray<string>) => {
  const p = parse(argv)
  if (typeof p === "string") throw new Error(`expected a command, got ${p}`)
  return p
}

const usageError = (argv: ReadonlyArray<string>): string =>
  usageErrorOf(`parse(${JSON.stringify(argv)})`, () => parse(argv))

describe("parse", () => {
  it("reads each command with its flags and positionals", () => {
    const deploy = parsed(["deploy", "-s", "blue-green", "-e", "A=1", "--env", "B=2", "--dry-run", "--json"])
    assert.strictEqual(deploy.command.name, "deploy")
    assert.strictEqual(deploy.flags.strategy, "blue-green")
    assert.deepStrictEqual(deploy.flags.env, ["A=1", "B=2"])
    assert.strictEqual(deploy.flags["dry-run"], true)
    assert.strictEqual(deploy.flags.json, true)

    assert.strictEqual(parsed(["promote", "--full"]).flags.full, true)
    assert.strictEqual(parsed(["abort", "--reason", "p99 up"]).flags.reason, "p99 up")
    assert.deepStrictEqual(parsed(["rollback", "hello-3f9c2a7b1d0e"]).positionals, ["hello-3f9c2a7b1d0e"])
    assert.strictEqual(parsed(["history", "-n", "5"]).flags.limit, "5")
    assert.strictEqual(parsed(["report", "-o", "r.html"]).flags.out, "r.html")
    assert.deepStrictEqual(parsed(["agent", "start", "-p", "0"]).positionals, ["start"])
    assert.strictEqual(
      parsed(["status", "-w", "--state-dir", "/tmp/s", "-c", "x.ts"]).flags["state-dir"],
      "/tmp/s",
    )
  })

  it("answers help and version without a command", () => {
    for (const argv of [[], ["help"], ["--help"], ["-h"]]) assert.strictEqual(parse(argv), "help")
    assert.strictEqual(parse(["--version"]), "version")
    assert.strictEqual(parse(["-v"]), "version")
  })

  it("refuses unknown flags and extra arguments, pointing at the command's help", () => {
    assert.match(
      usageError(["deploy", "--strategi", "canary"]),
      /Unknown option '--strategi'.*slipway deploy --help/,
    )
    assert.match(usageError(["status", "now"]), /`slipway status` takes no arguments \(got "now"\)/)
    assert.match(usageError(["rollback", "a", "b"]), /takes at most 1 argument \(REVISION\)/)
    assert.match(usageError(["history", "--limit"]), /--limit/)
  })
})

describe("unknown commands", () => {
  it("suggests the command a typo meant", () => {
    assert.match(usageError(["deplyo"]), /unknown command "deplyo"; did you mean "deploy"\?/)
    assert.strictEqual(closestCommand("satus"), "status")
    assert.strictEqual(closestCommand("pasue"), "pause")
    assert.strictEqual(closestCommand("promte"), "promote")
    assert.strictEqual(closestCommand("rollbak"), "rollback")
    assert.strictEqual(closestCommand("histroy"), "history")
    assert.strictEqual(closestCommand("depl"), "deploy")
    assert.strictEqual(closestCommand("AGENT"), "agent")
  })

  it("suggests nothing when nothing is close", () => {
    assert.strictEqual(closestCommand("kubectl"), undefined)
    assert.strictEqual(closestCommand("x"), undefined)
    assert.notMatch(usageError(["kubectl"]), /did you mean/)
    assert.match(usageError(["kubectl"]), /slipway --help/)
  })
})

describe("help", () => {
  it("lists every command in the main help", () => {
    const help = mainHelp(VERSION)
    for (const c of commands) assert.include(help, `  ${c.name.padEnd(10)} ${c.summary}`)
  })

  for (const c of commands) {
    it(`\`slipway ${c.name} --help\` shows the usage, every flag and an example`, async () => {
      const text = commandHelp(c)
      assert.isTrue(text.startsWith(c.usage))
      for (const [name, flag] of Object.entries(c.flags)) {
        assert.include(text, `--${name}`)
        assert.include(text, flag.description)
        if (flag.short) assert.include(text, `-${flag.short}, --${name}`)
      }
      assert.include(text, `$ ${c.examples[0]}`)
      const ran = await runMain([c.name, "--help"])
      assert.strictEqual(ran.code, 0)
      assert.strictEqual(ran.stdout, `${text}\n`)
    })
  }

  it("prints the version", async () => {
    assert.deepStrictEqual(await runMain(["--version"]), { code: 0, stdout: `${VERSION}\n`, stderr: "" })
  })
})

describe("usage errors exit with 2 and change nothing", () => {
  const folder = tempFolder({ "slipway.config.mjs": plainConfig() })
  const config = folder.path("slipway.config.mjs")
  const state = folder.path("state")
  afterAll(() => folder.remove())

  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, RegExp]> = [
    ["an unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ["an unknown flag", ["deploy", "--bogus"], /Unknown option '--bogus'/],
    ["an extra argument", ["promote", "now"], /takes no arguments/],
    ["an unknown agent action", ["agent", "restart", "--state-dir", state], /unknown agent action "restart"/],
    ["a port that is not one", ["agent", "start", "--port", "80a", "--state-dir", state], /--port 80a/],
    ["a malformed --env", ["deploy", "-c", config, "--state-dir", state, "-e", "1X=2"], /--env "1X=2"/],
    [
      "an unknown strategy",
      ["deploy", "-c", config, "--state-dir", state, "-s", "canery"],
      /did you mean "canary"/,
    ],
    ["a bad --limit", ["history", "-c", config, "--state-dir", state, "--limit", "0"], /--limit 0/],
    ["a missing config", ["deploy", "-c", folder.path("nope.ts"), "--state-dir", state], /file not found/],
  ]
  for (const [what, argv, message] of cases) {
    it(`${what}: exit 2 with a message on stderr`, async () => {
      const ran = await runMain(argv)
      assert.strictEqual(ran.code, 2, ran.stderr)
      assert.match(ran.stderr, message)
      assert.strictEqual(ran.stdout, "")
      assert.isFalse(existsSync(state), "no state directory was created")
    })
  }
})
