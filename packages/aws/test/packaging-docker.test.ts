// No Pulumi mocks in this file: the Docker engine check only runs outside them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { ContainerImage, DockerEngineUnreachable, findDockerEngine } from "../src/index.ts"

const app = mkdtempSync(join(tmpdir(), "slipway-docker-"))
writeFileSync(join(app, "Dockerfile"), "FROM scratch\n")
afterAll(() => rmSync(app, { recursive: true, force: true }))

describe("the Docker engine check", () => {
  it("finds an engine through DOCKER_HOST, trusting tcp:// and ssh:// hosts", () => {
    assert.strictEqual(findDockerEngine({ DOCKER_HOST: "tcp://10.0.0.5:2376" }).found, "tcp://10.0.0.5:2376")
    assert.strictEqual(findDockerEngine({ DOCKER_HOST: "ssh://builder" }).found, "ssh://builder")
  })

  it("does not find an engine at a socket that does not exist", () => {
    const engine = findDockerEngine({ DOCKER_HOST: "unix:///nonexistent/docker.sock" })
    assert.isUndefined(engine.found)
    assert.deepStrictEqual(engine.tried, ["unix:///nonexistent/docker.sock"])
  })

  it("looks at the system, rootless and Desktop sockets when DOCKER_HOST is unset", () => {
    const engine = findDockerEngine({ XDG_RUNTIME_DIR: "/run/user/1000" })
    assert.include(engine.tried, "unix:///var/run/docker.sock")
    assert.include(engine.tried, "unix:///run/user/1000/docker.sock")
  })

  it("refuses to build without an engine, saying how to use a prebuilt image instead", () => {
    const saved = process.env.DOCKER_HOST
    process.env.DOCKER_HOST = "unix:///nonexistent/docker.sock"
    try {
      new ContainerImage("web", { context: app })
      assert.fail("expected DockerEngineUnreachable")
    } catch (e) {
      assert.instanceOf(e, DockerEngineUnreachable)
      assert.strictEqual(
        e.message,
        'no Docker engine reachable at unix:///nonexistent/docker.sock; start Docker (or set DOCKER_HOST) or pass `image: "<uri>@sha256:…"` to use a prebuilt image',
      )
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST
      else process.env.DOCKER_HOST = saved
    }
  })
})
