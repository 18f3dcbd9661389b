import { assert, describe, it } from "@effect/vitest"
import type { ResolvedConfig } from "../src/Config.ts"
import { chooseStrategy, defaultStrategy, parseEnvFlags } from "../src/commands/deploy.ts"
import { usageErrorOf } from "./support.ts"

const refused = (values: ReadonlyArray<string>): string =>
  usageErrorOf(`parseEnvFlags(${JSON.stringify(values)})`, () => parseEnvFlags(values))

describe("parseEnvFlags", () => {
  it("reads KEY=VALUE pairs; the value is everything after the first =", () => {
    assert.deepStrictEqual(
      parseEnvFlags(["APP_VERSION=2", "DSN=postgres://u@h/db?ssl=true", "EMPTY=", "_x1=y"]),
      {
        APP_VERSION: "2",
        DSN: "postgres://u@h/db?ssl=true",
        EMPTY: "",
        _x1: "y",
      },
    )
  })

  it("lets a later flag win over an earlier one", () => {
    assert.deepStrictEqual(parseEnvFlags(["A=1", "A=2"]), { A: "2" })
  })

  it("is empty without flags", () => {
    assert.deepStrictEqual(parseEnvFlags([]), {})
  })

  it("refuses what is not KEY=VALUE, quoting it", () => {
    assert.match(refused(["APP_VERSION"]), /^--env "APP_VERSION": expected KEY=VALUE/)
    assert.match(refused(["=2"]), /^--env "=2": expected KEY=VALUE/)
    assert.match(
      refused(["1A=2"]),
      /^--env "1A=2": expected KEY=VALUE with KEY made of letters, digits and _/,
    )
    assert.match(refused(["A-B=2"]), /^--env "A-B=2"/)
    assert.match(refused(["OK=1", "NOT OK=2"]), /^--env "NOT OK=2"/)
  })
})

describe("chooseStrategy", () => {
  const config = { strategy: undefined } as unknown as ResolvedConfig

  it("uses --strategy over the config's, the config's over the default", () => {
    assert.strictEqual(chooseStrategy("blue-green", config).kind, "blueGreen")
    const configured = { ...config, strategy: defaultStrategy() } as ResolvedConfig
    assert.strictEqual(chooseStrategy(undefined, configured), configured.strategy)
    assert.deepStrictEqual(chooseStrategy(undefined, config), defaultStrategy())
  })

  it("names the strategy a typo meant", () => {
    assert.throws(() => chooseStrategy("canery", config), /did you mean "canary"/)
  })
})
