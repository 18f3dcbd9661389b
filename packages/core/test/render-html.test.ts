import { assert, describe, it } from "@effect/vitest"
import { vi } from "vitest"
import type { RolloutEvent } from "../src/Events.ts"
import { renderHtmlReport } from "../src/render/HtmlReport.ts"
import { NoRolloutEvents } from "../src/render/Summary.ts"
import {
  pausedThenPromoted,
  ROLLBACK_REASON,
  rolledBackCanary,
  successfulCanary,
  withApp,
} from "./render-fixtures.ts"

const escaped = (text: string) =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")

// The weight line's vertices as [x, y] pairs.
const weightLine = (html: string): Array<[number, number]> => {
  const match = /<polyline class="weight-line" points="([^"]+)"/.exec(html)
  assert.isNotNull(match, "the timeline has a weight line")
  return match![1]!.split(" ").map((p) => p.split(",").map(Number) as [number, number])
}

// The weights the line steps through, read back from its heights against the chart's own
// 0% and 100% gridlines.
const weightLevels = (html: string): Array<number> => {
  const grid = new Map<number, number>()
  for (const m of html.matchAll(
    /<line class="grid" [^>]*y1="([\d.]+)"[^>]*\/><text class="y-label"[^>]*>(\d+)%<\/text>/g,
  )) {
    grid.set(Number(m[2]), Number(m[1]))
  }
  const zero = grid.get(0)!
  const full = grid.get(100)!
  assert.isAbove(zero, full, "0% is drawn below 100%")
  const levels = weightLine(html).map(([, y]) => Math.round(((zero - y) / (zero - full)) * 100))
  return levels.filter((w, i) => i === 0 || w !== levels[i - 1])
}

const count = (html: string, needle: string) => html.split(needle).length - 1

describe("HTML report", () => {
  describe("a successful 5-step canary", () => {
    const html = renderHtmlReport(successfulCanary())

    it("is one self-contained document: inline CSS, no script, no external assets", () => {
      assert.isTrue(html.startsWith("<!doctype html>"))
      assert.include(html, "<style>")
      for (const forbidden of ["<script", "<link", "src=", "href=", "url(", "@import"]) {
        assert.notInclude(html, forbidden)
      }
    })

    it("heads with app, stable → candidate, outcome, start, end and duration", () => {
      assert.include(html, "<title>shop rollout r-canary</title>")
      assert.include(html, '<span class="rev">v41</span> → <span class="rev">v42</span>')
      assert.include(html, '<span class="badge succeeded">succeeded</span>')
      assert.include(html, '<dt>Started</dt><dd><span class="mono">2025-01-15T12:00:00Z</span>')
      assert.include(html, '<dt>Ended</dt><dd><span class="mono">2025-01-15T12:01:33Z</span>')
      assert.include(html, "<dt>Duration</dt><dd>1m33s</dd>")
    })

    it("draws candidate weight over time as a step line through each weight", () => {
      assert.include(html, '<svg class="timeline"')
      const points = weightLine(html)
      assert.deepStrictEqual(weightLevels(html), [0, 20, 50, 100])
      for (let i = 1; i < points.length; i++)
        assert.isAtLeast(points[i]![0], points[i - 1]![0], "time runs left to right")
      // A step line: every change is a vertical segment (same x), never a diagonal.
      for (let i = 1; i < points.length; i++) {
        assert.isTrue(points[i]![0] === points[i - 1]![0] || points[i]![1] === points[i - 1]![1])
      }
    })

    it("plots one series per gate with a marker per verdict, coloured by verdict", () => {
      assert.strictEqual(count(html, '<g class="gate-panel">'), 2)
      assert.include(html, "error-rate  (threshold &lt; 0.01)")
      assert.strictEqual(count(html, '<circle class="m-pass"'), 3)
      assert.strictEqual(count(html, '<circle class="m-inconclusive nodata"'), 1)
      assert.strictEqual(count(html, '<line class="threshold"'), 2)
    })

    it("shades the pause and marks no rollback", () => {
      assert.strictEqual(count(html, '<rect class="pause"'), 1)
      assert.notInclude(html, '<g class="rollback">')
    })

    it("tables every step with its timing", () => {
      assert.strictEqual(count(html, '<tr>\n<td class="num">'), 5)
      assert.include(html, "<td>pause 1m</td>")
      assert.include(html, '<td class="num">1m</td>')
    })
  })

  describe("a canary rolled back by a failing gate", () => {
    const events = rolledBackCanary()
    const html = renderHtmlReport(events)

    it("explains every verdict with its evidence: query, observed, threshold, sample size, reason", () => {
      for (const e of events) {
        if (e._tag !== "GateEvaluated") continue
        assert.include(html, `<td class="reason">${escaped(e.verdict.reason)}</td>`)
        for (const ev of e.verdict.evidence) {
          if (ev.query !== undefined) assert.include(html, `<code>${escaped(ev.query)}</code>`)
          if (ev.threshold !== undefined) assert.include(html, `<code>${escaped(ev.threshold)}</code>`)
          if (ev.detail !== undefined) assert.include(html, escaped(ev.detail))
        }
      }
      assert.include(html, '<td class="num">0.042</td>')
      assert.include(html, '<td class="num">800</td>')
      assert.include(html, "0.031, 0.044, 0.051")
      assert.include(html, '<span class="badge dry">dry run</span>')
    })

    it("calls out the rollback with its reason and time to rollback", () => {
      assert.include(html, '<span class="badge rolled-back">rolled back</span>')
      assert.include(html, `<strong>Rolled back:</strong> ${escaped(ROLLBACK_REASON)}`)
      assert.include(html, "traffic was back on stable 1.5s after the first failing verdict")
    })

    it("marks the rollback moment on the timeline and the weight line returns to 0%", () => {
      assert.include(html, '<g class="rollback">')
      assert.deepStrictEqual(weightLevels(html), [0, 10, 25, 0])
      assert.include(html, '<circle class="m-fail"')
      assert.include(html, '<circle class="m-fail nodata dry"')
    })

    it("shows the cut-short step as rolled back", () => {
      assert.include(html, '<td class="status-rolled-back">rolled-back</td>')
    })
  })

  it("shades an open-ended pause up to the promotion", () => {
    const html = renderHtmlReport(pausedThenPromoted())
    assert.match(html, /<rect class="pause"[^>]*><title>paused, step 2, 10m<\/title>/)
  })

  it("escapes user data: an app name or reason cannot inject markup", () => {
    const hostile = '<script>alert("pwned")</script>'
    const events: ReadonlyArray<RolloutEvent> = withApp(rolledBackCanary(), hostile).map((e) =>
      e._tag === "RollbackStarted" ? { ...e, reason: '<img src=x onerror="alert(1)">' } : e,
    )
    const html = renderHtmlReport(events, { title: "<b>title</b>" })
    assert.notInclude(html, "<script")
    assert.notInclude(html, "<img")
    assert.notInclude(html, "<b>")
    assert.include(html, "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;")
    assert.include(html, "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;")
  })

  it("is byte-identical across renders and does not depend on the wall clock", () => {
    const first = renderHtmlReport(rolledBackCanary())
    vi.useFakeTimers({ now: new Date("2031-06-01T00:00:00Z") })
    try {
      const second = renderHtmlReport(rolledBackCanary())
      assert.strictEqual(second, first)
      assert.notInclude(second, "2031")
    } finally {
      vi.useRealTimers()
    }
  })

  it("refuses an empty event list", () => {
    assert.throws(() => renderHtmlReport([]), NoRolloutEvents)
  })
})
