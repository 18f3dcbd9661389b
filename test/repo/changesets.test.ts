/**
 * Every changeset names real workspace packages with a valid bump in its frontmatter.
 * A formatter once turned single-package frontmatter into a Markdown heading
 * (`## "@slipway/core": minor`), which `changeset version` silently skips — so the
 * release notes would have lost those changes.
 */
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")
const changesetDir = join(root, ".changeset")

// The published packages: every packages/* manifest that is not private.
const published = new Set(
  readdirSync(join(root, "packages"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map(
      (entry) =>
        JSON.parse(readFileSync(join(root, "packages", entry.name, "package.json"), "utf8")) as {
          name: string
          private?: boolean
        },
    )
    .filter((manifest) => manifest.private !== true)
    .map((manifest) => manifest.name),
)

const changesets = readdirSync(changesetDir).filter((f) => f.endsWith(".md") && f !== "README.md")

describe("changesets", () => {
  it("exist", () => {
    expect(changesets.length).toBeGreaterThan(0)
  })

  it.each(changesets)("%s has frontmatter naming published packages and a bump, then a summary", (file) => {
    const text = readFileSync(join(changesetDir, file), "utf8")
    const match = /^---\n((?:"[^"\n]+": (?:major|minor|patch)\n)+)---\n\n(\S[\s\S]*)$/.exec(text)
    expect(
      match,
      `${file}: expected ---, one '"package": bump' line per package, ---, blank line, summary`,
    ).not.toBeNull()
    for (const line of match![1]!.trim().split("\n")) {
      const name = /^"([^"]+)"/.exec(line)![1]!
      expect(published, `${file} names ${name}, which is not a published workspace package`).toContain(name)
    }
  })
})
