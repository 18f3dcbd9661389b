// Builds a self-contained release into dist/: the server plus a package.json that carries
// the version (the release directory is all a replica gets, not this folder).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = dirname(fileURLToPath(import.meta.url))
const src = join(root, "src")
const dist = join(root, "dist")
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))

rmSync(dist, { recursive: true, force: true })
mkdirSync(dist, { recursive: true })
for (const file of readdirSync(src).sort()) {
  if (file.endsWith(".js")) copyFileSync(join(src, file), join(dist, file))
}
writeFileSync(
  join(dist, "package.json"),
  `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: "module", main: "server.js" }, null, 2)}\n`,
)
console.log(`built ${pkg.name}@${pkg.version} into dist/`)
