/**
 * The app answers its health check, stops taking traffic while draining, and serves `/`.
 * Runs the real handler on a loopback port.
 */
import assert from "node:assert/strict"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { after, before, describe, it } from "node:test"
import { type AppState, handle } from "../app/app.ts"

describe("app", () => {
  const state: AppState = { draining: false }
  let server: Server
  let base: string

  before(async () => {
    server = createServer(handle(state))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it("passes the load balancer's health check", async () => {
    const res = await fetch(`${base}/healthz`)
    assert.equal(res.status, 200)
  })

  it("fails the health check while draining, so no new requests arrive", async () => {
    state.draining = true
    try {
      assert.equal((await fetch(`${base}/healthz`)).status, 503)
    } finally {
      state.draining = false
    }
  })

  it("answers / with JSON", async () => {
    const res = await fetch(base)
    assert.equal(res.status, 200)
    assert.equal(((await res.json()) as { message: string }).message, "Hello from slipway-fargate")
  })

  it("answers unknown paths with 404", async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404)
  })
})
