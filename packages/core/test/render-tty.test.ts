import { assert, describe, it } from "@effect/vitest"
import type { RolloutEvent } from "../src/Events.ts"
import { makeTtyRenderer, renderTty } from "../src/render/Tty.ts"
import {
  at,
  pausedThenAborted,
  pausedThenPromoted,
  ROLLBACK_REASON,
  rolledBackCanary,
  successfulCanary,
} from "./render-fixtures.ts"

// biome-ignore lint/suspicious/noControlCharactersInRegex: the test is about escape codes
const ANSI = /\u001b\[[0-9;]*m/g

const plainLines = (events: ReadonlyArray<RolloutEvent>): Array<string> =>
  renderTty(events, { color: false }).split("\n")

const capture = () => {
  const writes: Array<string> = []
  return { writes, write: (s: string) => void writes.push(s), text: () => writes.join("") }
}

describe("TTY renderer, non-interactive and without colour (CI logs)", () => {
  describe("a successful 5-step canary", () => {
    const lines = plainLines(successfulCanary())

    it("opens with the app, the revisions and the plan", () => {
      assert.strictEqual(lines[0], "shop  v41 → v42  canary, 5 steps  rollout r-canary")
    })

    it("prints a line per step as it starts and as it completes, with its duration", () => {
      assert.include(lines, "step 1/5  setWeight 20%")
      assert.include(lines, "step 1/5  setWeight 20%  ✓ 1s")
      assert.include(lines, "step 2/5  gate error-rate, latency-p99  ✓ 30s")
      assert.include(lines, "step 4/5  pause 1m  ✓ 1m")
      assert.include(lines, "step 5/5  setWeight 100%  ✓ 1s")
    })

    it("draws live weights as a bar, stable on the left", () => {
      assert.include(lines, "  stable ████████████████░░░░ candidate 20%")
      assert.include(lines, "  stable ██████████░░░░░░░░░░ candidate 50%")
      assert.include(lines, "  stable ░░░░░░░░░░░░░░░░░░░░ candidate 100%")
    })

    it("gives every verdict its reason and observed value against the threshold", () => {
      assert.include(lines, "  ✓ pass  error-rate: error rate 0.2% < 1%  (observed 0.002 vs < 0.01, n=1200)")
      assert.include(
        lines,
        "  ? inconclusive  latency-p99: only 4 requests in the window; need 50  (observed no data vs < 500, n=4)",
      )
    })

    it("shows the time left in a timed pause and when it ends", () => {
      assert.include(lines, "  paused  1m left (until 12:01:32Z)")
      assert.include(lines, "  resumed after 1m")
    })

    it("ends with a summary: outcome, duration, steps, verdicts", () => {
      assert.include(lines, "✓ succeeded  shop  v41 → v42 in 1m33s")
      assert.include(lines, "  5/5 steps · verdicts 3 pass, 0 fail, 1 inconclusive · paused 1m")
    })

    it("writes no escape codes and no carriage returns", () => {
      const text = renderTty(successfulCanary(), { color: false })
      assert.notInclude(text, "\u001b")
      assert.notInclude(text, "\r")
    })
  })

  describe("a canary rolled back by a failing gate", () => {
    const lines = plainLines(rolledBackCanary())

    it("shows the failing verdict, then the rollback with its reason and where traffic went", () => {
      const fail = lines.indexOf(
        "  ✗ fail  error-rate: error rate 4.2% ≥ 1%  (observed 0.042 vs < 0.01, n=800)",
      )
      const rolling = lines.indexOf(`✗ rolling back: ${ROLLBACK_REASON}`)
      const zero = lines.indexOf("  stable ████████████████████ candidate 0%")
      const done = lines.indexOf(`✗ rolled back: ${ROLLBACK_REASON}`)
      assert.isAbove(fail, 0)
      assert.isTrue(fail < rolling && rolling < zero && zero < done, "fail → rolling back → 0% → rolled back")
      assert.strictEqual(lines[done + 1], "  all traffic on v7")
    })

    it("labels a dry-run verdict as such", () => {
      assert.include(lines, "  ✗ fail  smoke [dry run]: GET /checkout returned 503")
    })

    it("summarises the rollback with its reason and time to rollback", () => {
      assert.include(lines, "✗ rolled back  api  v7 → v8 after 1m33s")
      assert.include(lines, `  reason: ${ROLLBACK_REASON}`)
      assert.include(lines, "  time to rollback: 1.5s (first failing verdict → 0% candidate)")
      assert.include(lines, "  3/7 steps · verdicts 1 pass, 2 fail, 0 inconclusive")
    })
  })

  describe("a rollout paused until promoted", () => {
    it("says which command ends the pause, and when it was promoted", () => {
      const lines = plainLines(pausedThenPromoted())
      assert.include(lines, "step 2/3  pause until promoted")
      assert.include(lines, "  paused  waiting for `slipway promote`")
      assert.include(lines, "  promoted after 10m: on to the next step")
      assert.include(lines, "✓ succeeded  web  v1 → v2 in 10m2s")
    })

    it("times an operator's abort from the start of the rollback", () => {
      const lines = plainLines(pausedThenAborted())
      assert.include(lines, "  time to rollback: 1s (rollback start → 0% candidate)")
    })
  })

  it("describes an unfinished rollout as in progress, as of the clock", () => {
    const renderer = capture()
    const tty = makeTtyRenderer({ write: renderer.write, color: false, now: () => at(50) })
    for (const e of successfulCanary().slice(0, 13)) tty.onEvent(e)
    tty.finish()
    const lines = renderer.text().split("\n")
    assert.include(lines, "… in progress  shop  v41 → v42 for 50s, at step 4/5, candidate 50%")
  })

  it("finishes once: a second finish and later events write nothing", () => {
    const renderer = capture()
    const tty = makeTtyRenderer({ write: renderer.write, color: false })
    for (const e of pausedThenPromoted()) tty.onEvent(e)
    tty.finish()
    const count = renderer.writes.length
    tty.finish()
    tty.onEvent(pausedThenPromoted()[0]!)
    assert.strictEqual(renderer.writes.length, count)
  })
})

describe("TTY renderer with colour", () => {
  it("colours the same text: stripping the escape codes gives the plain output", () => {
    for (const events of [successfulCanary(), rolledBackCanary(), pausedThenPromoted()]) {
      const coloured = renderTty(events, { color: true })
      assert.include(coloured, "\u001b[")
      assert.strictEqual(coloured.replace(ANSI, ""), renderTty(events, { color: false }))
    }
  })

  it("paints rollbacks red", () => {
    const coloured = renderTty(rolledBackCanary(), { color: true })
    assert.include(coloured, `\u001b[31m✗ rolling back: ${ROLLBACK_REASON}\u001b[39m`)
  })
})

describe("TTY renderer, interactive (a real terminal)", () => {
  const pauseEvents = successfulCanary().slice(0, 13) // up to the timed pause at +32s

  it("keeps a live status line under the log: step, traffic bar and time left", () => {
    const renderer = capture()
    const tty = makeTtyRenderer({ write: renderer.write, color: false, interactive: true, now: () => at(32) })
    for (const e of pauseEvents) tty.onEvent(e)
    const live = renderer.text().split("\n").at(-1)!
    assert.include(live, "step 4/5  pause 1m")
    assert.include(live, "stable █████░░░░░ candidate 50%")
    assert.include(live, "paused, 1m left")
  })

  it("redraws the live line in place on tick, as the clock moves", () => {
    let now = at(32)
    const renderer = capture()
    const tty = makeTtyRenderer({ write: renderer.write, color: false, interactive: true, now: () => now })
    for (const e of pauseEvents) tty.onEvent(e)
    now = at(62)
    tty.tick()
    const redraw = renderer.writes.at(-1)!
    assert.match(redraw, /^\r +\r/, "erases the old live line with spaces, not escape codes")
    assert.notInclude(redraw, "\n", "a redraw never moves to another line")
    assert.include(redraw, "paused, 30s left")
  })

  it("prints log lines above the live line, then redraws it", () => {
    const renderer = capture()
    const tty = makeTtyRenderer({ write: renderer.write, color: false, interactive: true, now: () => at(32) })
    for (const e of pauseEvents) tty.onEvent(e)
    tty.onEvent(successfulCanary()[13]!) // a background verdict during the pause
    const write = renderer.writes.at(-1)!
    assert.match(
      write,
      /^\r +\r {2}✓ pass {2}error-rate: error rate 0\.4% < 1%[^\n]*\n[^\n]*paused, 1m left[^\n]*$/,
    )
  })

  it("never lets the live line wrap: it is cut to the terminal width", () => {
    const renderer = capture()
    const tty = makeTtyRenderer({
      write: renderer.write,
      color: true,
      interactive: true,
      width: 40,
      now: () => at(32),
    })
    for (const e of pauseEvents) tty.onEvent(e)
    const live = renderer.text().split("\n").at(-1)!.replace(ANSI, "")
    assert.isAtMost([...live].length, 39)
    assert.isTrue(live.endsWith("…"))
  })

  it("clears the live line before the summary and leaves the cursor on a fresh line", () => {
    const renderer = capture()
    const tty = makeTtyRenderer({ write: renderer.write, color: false, interactive: true, now: () => at(93) })
    for (const e of successfulCanary()) tty.onEvent(e)
    tty.finish()
    const last = renderer.writes.at(-1)!
    assert.match(last, /^\r +\r✓ succeeded {2}shop/)
    assert.isTrue(last.endsWith("\n"))
    tty.tick()
    assert.strictEqual(renderer.writes.at(-1), last, "no live line after finish")
  })

  it("still writes no escape codes when colour is off", () => {
    const renderer = capture()
    const tty = makeTtyRenderer({ write: renderer.write, color: false, interactive: true, now: () => at(0) })
    for (const e of rolledBackCanary()) tty.onEvent(e)
    tty.tick()
    tty.finish()
    assert.notInclude(renderer.text(), "\u001b")
  })

  it("does nothing on tick when not interactive", () => {
    const renderer = capture()
    const tty = makeTtyRenderer({ write: renderer.write, color: false, now: () => at(0) })
    for (const e of pauseEvents) tty.onEvent(e)
    const count = renderer.writes.length
    tty.tick()
    assert.strictEqual(renderer.writes.length, count)
  })
})
