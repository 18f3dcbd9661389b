import { assert, describe, it } from "@effect/vitest"
import { makeRevision, type RolloutRecord } from "@slipway/core"
import type { AgentInfo } from "@slipway/local"
import { canary } from "@slipway/strategies"
import { Option } from "effect"
import { renderStatus, statusView } from "../src/commands/status.ts"

const revision = (digest: string) =>
  makeRevision({
    app: "hello",
    artifact: { digest: `sha256:${digest}`, uri: `file:///srv/slipway/artifacts/sha256-${digest}/` },
    config: { command: ["node", "server.js"], healthPath: "/healthz" },
  })
const stable = revision("aaaa")
const candidate = revision("bbbb")
const T0 = Date.UTC(2026, 10, 22, 9, 0, 0)

// A canary at its second bake: 30% on the candidate.
const record: RolloutRecord = {
  rolloutId: `${candidate.id}-mwr0001`,
  app: "hello",
  stable,
  candidate,
  strategy: canary({
    steps: [
      { weight: 10, bake: "1m" },
      { weight: 30, bake: "1m" },
    ],
  }),
  replicas: 2,
  stepIndex: 5,
  stepPhase: "before",
  status: "progressing",
  pause: { reason: "step", startedAt: T0, until: T0 + 60_000 },
  weights: { [stable.id]: 70, [candidate.id]: 30 },
  failures: 0,
  inconclusives: 0,
  events: [],
  startedAt: T0 - 90_000,
  updatedAt: T0,
}

const agent: AgentInfo = {
  pid: 4242,
  version: "0.1.0",
  stateDir: "/srv/slipway",
  proxyUrl: "http://127.0.0.1:8080",
  adminUrl: "http://127.0.0.1:9090",
  startedAt: T0 - 3_600_000,
  revisions: [
    { revision: stable.id, app: "hello", desired: 2, ready: 2, restarts: 0 },
    { revision: candidate.id, app: "hello", desired: 2, ready: 1, restarts: 3 },
    { revision: "other-0123456789ab", app: "other", desired: 1, ready: 1, restarts: 0 },
  ],
  routes: {
    hello: { [stable.id]: 70, [candidate.id]: 30 },
    other: { "other-0123456789ab": 100 },
  },
}

describe("statusView", () => {
  it("joins the journal's rollout with the agent's weights and replicas of this app only", () => {
    const view = statusView("hello", Option.some(record), agent)
    assert.deepStrictEqual(view, {
      app: "hello",
      url: "http://hello.localhost:8080",
      agent: { pid: 4242, proxyUrl: "http://127.0.0.1:8080", adminUrl: "http://127.0.0.1:9090" },
      weights: { [stable.id]: 70, [candidate.id]: 30 },
      revisions: agent.revisions.slice(0, 2),
      rollout: {
        rolloutId: record.rolloutId,
        status: "progressing",
        candidate: candidate.id,
        stable: stable.id,
        step: 5,
        steps: record.strategy.steps.length,
        updatedAt: T0,
      },
    })
  })

  it("without an agent or a rollout: nothing routed, no URL", () => {
    const view = statusView("hello", Option.none(), null)
    assert.deepStrictEqual(view, {
      app: "hello",
      url: null,
      agent: null,
      weights: {},
      revisions: [],
      rollout: null,
    })
  })
})

describe("renderStatus", () => {
  it("shows the URL, the traffic split heaviest first with readiness, and where the rollout is", () => {
    const text = renderStatus(statusView("hello", Option.some(record), agent), false, T0 + 12_000)
    assert.strictEqual(
      text,
      [
        "hello  http://hello.localhost:8080",
        "traffic:",
        `  ${stable.id.padEnd(26)}  70%  2/2 ready`,
        `  ${candidate.id.padEnd(26)}  30%  1/2 ready, 3 restarts`,
        `rollout ${record.rolloutId}: progressing  ${stable.id} → ${candidate.id}  step 6/${record.strategy.steps.length}  (12s ago)`,
      ].join("\n"),
    )
  })

  it("shows the rollback reason of a rolled-back rollout, and idle revisions", () => {
    const rolledBack: RolloutRecord = {
      ...record,
      status: "rolled-back",
      stepIndex: 2,
      rollbackReason: "gate failed: error-rate: 12% > 5%",
      weights: { [stable.id]: 100, [candidate.id]: 0 },
    }
    const scaledDown: AgentInfo = {
      ...agent,
      revisions: [agent.revisions[0]!, { ...agent.revisions[1]!, desired: 0, ready: 0 }],
      routes: { hello: { [stable.id]: 100 } },
    }
    const text = renderStatus(statusView("hello", Option.some(rolledBack), scaledDown), false, T0 + 1_000)
    assert.include(text, `  ${stable.id.padEnd(26)} 100%  2/2 ready`)
    assert.include(text, `  ${candidate.id.padEnd(26)}   —   0/0 ready`)
    assert.include(text, `rollout ${record.rolloutId}: rolled-back  ${stable.id} → ${candidate.id}  step 3/`)
    assert.include(text, "  reason: gate failed: error-rate: 12% > 5%")
  })

  it("says how to start when there is no agent and no rollout", () => {
    assert.strictEqual(
      renderStatus(statusView("hello", Option.none(), null), false, T0),
      ["hello  (agent not running: `slipway agent start`)", "no rollout yet: `slipway deploy`"].join("\n"),
    )
  })

  it("colours only when asked", () => {
    const view = statusView("hello", Option.some(record), agent)
    assert.notInclude(renderStatus(view, false, T0), "\u001b[")
    assert.include(renderStatus(view, true, T0), "\u001b[33mprogressing\u001b[0m")
  })
})
