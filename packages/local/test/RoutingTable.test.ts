import { assert, describe, it } from "@effect/vitest"
import { RoutingTable } from "../src/RoutingTable.ts"
import { countBy } from "./support.ts"

const picks = (table: RoutingTable<string>, n: number): Array<string> =>
  Array.from({ length: n }, () => table.pick()?.revision ?? "none")

describe("RoutingTable", () => {
  it("splits 1000 picks at 80/20 exactly (every run of 100 picks gives each revision its weight)", () => {
    const table = new RoutingTable(
      "hello",
      [
        { revision: "a", weight: 80, upstreams: ["a1"] },
        { revision: "b", weight: 20, upstreams: ["b1"] },
      ],
      true,
    )
    const all = picks(table, 1000)
    assert.deepStrictEqual(
      countBy(all, (r) => r),
      { a: 800, b: 200 },
    )
    for (let window = 0; window < 1000; window += 100) {
      assert.strictEqual(all.slice(window, window + 100).filter((r) => r === "b").length, 20)
    }
  })

  it("spreads the minority revision out instead of sending it a burst", () => {
    const table = new RoutingTable(
      "hello",
      [
        { revision: "a", weight: 90, upstreams: ["a1"] },
        { revision: "b", weight: 10, upstreams: ["b1"] },
      ],
      true,
    )
    const all = picks(table, 100)
    const positions = all.flatMap((r, i) => (r === "b" ? [i] : []))
    assert.strictEqual(positions.length, 10)
    for (let i = 1; i < positions.length; i++) assert.strictEqual(positions[i]! - positions[i - 1]!, 10)
  })

  it("never sends traffic to a revision at weight 0, even when it is ready", () => {
    const table = new RoutingTable(
      "hello",
      [
        { revision: "stable", weight: 100, upstreams: ["s1"] },
        { revision: "candidate", weight: 0, upstreams: ["c1"] },
      ],
      true,
    )
    assert.deepStrictEqual(
      countBy(picks(table, 50), (r) => r),
      { stable: 50 },
    )
  })

  it("gives the share of a revision with no ready replica to the others", () => {
    const table = new RoutingTable(
      "hello",
      [
        { revision: "a", weight: 50, upstreams: [] },
        { revision: "b", weight: 30, upstreams: ["b1"] },
        { revision: "c", weight: 20, upstreams: ["c1"] },
      ],
      true,
    )
    assert.deepStrictEqual(
      countBy(picks(table, 50), (r) => r),
      { b: 30, c: 20 },
    )
  })

  it("has nothing to pick when no weighted revision is ready", () => {
    const table = new RoutingTable("hello", [{ revision: "a", weight: 100, upstreams: [] }], true)
    assert.isUndefined(table.pick())
  })

  it("shares equally between ready revisions until weights are set", () => {
    const table = new RoutingTable(
      "hello",
      [
        { revision: "a", weight: 0, upstreams: ["a1"] },
        { revision: "b", weight: 0, upstreams: ["b1"] },
      ],
      false,
    )
    assert.deepStrictEqual(
      countBy(picks(table, 10), (r) => r),
      { a: 5, b: 5 },
    )
  })

  it("takes a revision's replicas in round robin, skipping those already tried", () => {
    const table = new RoutingTable(
      "hello",
      [{ revision: "a", weight: 100, upstreams: ["a1", "a2", "a3"] }],
      true,
    )
    assert.deepStrictEqual(
      Array.from({ length: 6 }, () => table.upstream("a")),
      ["a1", "a2", "a3", "a1", "a2", "a3"],
    )
    assert.strictEqual(table.upstream("a", new Set(["a1", "a2"])), "a3")
    assert.isUndefined(table.upstream("a", new Set(["a1", "a2", "a3"])))
    assert.isUndefined(table.upstream("unknown"))
  })
})
