/** The handler's answers, called directly as Lambda would call it. */
import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { type HttpEvent, handler } from "../handler/index.ts"

const request = (method: string, rawPath: string): HttpEvent => ({
  rawPath,
  requestContext: { http: { method } },
})

describe("handler", () => {
  it("answers the health check", async () => {
    const res = await handler(request("GET", "/healthz"))
    assert.equal(res.statusCode, 200)
  })

  it("answers / with JSON naming the version that served it", async () => {
    process.env.AWS_LAMBDA_FUNCTION_VERSION = "7"
    try {
      const res = await handler(request("GET", "/"))
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers["content-type"], "application/json")
      assert.deepEqual(JSON.parse(res.body), { message: "Hello from slipway-lambda", version: "7" })
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_VERSION
    }
  })

  it("answers unknown routes with 404", async () => {
    const res = await handler(request("POST", "/nope"))
    assert.equal(res.statusCode, 404)
    assert.match(JSON.parse(res.body).error, /POST \/nope/)
  })
})
