/**
 * Writes every TypeScript sample of the docs into `.snippets/`, one module per block, so
 * that `tsc` checks them against the real API (`pnpm typecheck` runs this first).
 *
 *   node extract.ts [file.md …]   default: docs/*.md and the core and CLI READMEs
 *
 * A block is fenced ```ts (or ```typescript). A block whose info string says `nocheck`
 * (```ts nocheck) is a fragment and is skipped. Each block must stand alone: its own
 * imports, no names from other blocks.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { basename, join, relative, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..", "..")
const out = join(import.meta.dirname, ".snippets")

const defaults = [
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => join(root, "docs", f)),
  join(root, "packages", "core", "README.md"),
  join(root, "packages", "cli", "README.md"),
]
const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : defaults

const FENCE = /^(\s*)```(\S*)(.*)$/

/** The checked blocks of one Markdown file, with the line each starts on. */
export const blocks = (text: string): Array<{ line: number; code: string }> => {
  const found: Array<{ line: number; code: string }> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (open === null) continue
    const [, indent, lang, info] = open
    const body: Array<string> = []
    let j = i + 1
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent!.length))
    if ((lang === "ts" || lang === "typescript") && !info!.includes("nocheck")) {
      found.push({ line: i + 1, code: body.join("\n") })
    }
    i = j
  }
  return found
}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
let count = 0
for (const file of files) {
  const name = relative(root, file).replaceAll("/", "_").replace(/\.md$/, "")
  for (const { line, code } of blocks(readFileSync(file, "utf8"))) {
    // `export {}` makes every block a module: top-level names never collide across blocks.
    const header = `// ${relative(root, file)}:${line}\n`
    writeFileSync(join(out, `${name}_L${line}.ts`), `${header}${code}\nexport {}\n`)
    count++
  }
}
console.log(`${count} samples from ${files.length} files → ${basename(out)}/`)
