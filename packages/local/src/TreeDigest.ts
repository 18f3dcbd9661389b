/**
 * A content digest of a directory tree, the identity of sources and artifacts. It covers
 * each file's relative path (sorted, `/`-separated), mode and bytes — and nothing else:
 * not timestamps, owners or the order the file system lists entries in — so the same
 * content gives the same digest on any machine, and a rebuild that changes nothing
 * changes nothing downstream.
 *
 * Modes are normalised the way git does (executable or not), so a different umask does
 * not change the digest. Symlinks count by their target text. `node_modules`, `.git` and
 * `.slipway` are never included, nor what a `.slipwayignore` file lists.
 */
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import { lstat, readdir, readFile, readlink } from "node:fs/promises"
import { join, relative, sep } from "node:path"

/**
 * Directory names skipped at any depth.
 *
 * @example
 * import { ALWAYS_IGNORED } from "@slipway/local"
 * ALWAYS_IGNORED // ["node_modules", ".git", ".slipway"]
 */
export const ALWAYS_IGNORED: ReadonlyArray<string> = ["node_modules", ".git", ".slipway"]

/** One file of a tree. */
export interface TreeEntry {
  /** Relative path, `/`-separated. */
  readonly path: string
  /** 0o755 or 0o644 for files, 0o120000 for symlinks. */
  readonly mode: number
  readonly size: number
  /** Symlink target, for links. */
  readonly link?: string
}

/** A tree's files and digest. */
export interface TreeDigest {
  /** `sha256:<hex>`. */
  readonly digest: string
  readonly files: ReadonlyArray<TreeEntry>
  /** Total bytes of the files. */
  readonly bytes: number
}

const globToRegExp = (glob: string): string => {
  let out = ""
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === "*" && glob[i + 1] === "*") {
      // `**/` matches any number of directories (including none); a trailing `**` anything.
      if (glob[i + 2] === "/") {
        out += "(?:.*/)?"
        i += 2
      } else {
        out += ".*"
        i += 1
      }
    } else if (c === "*") out += "[^/]*"
    else if (c === "?") out += "[^/]"
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&")
  }
  return out
}

/**
 * Ignore rules in a small, gitignore-like language: one pattern per line; `#` comments;
 * `*`, `?` and `**`; a trailing `/` matches directories only; a pattern with a `/`
 * elsewhere is anchored at the tree's root, one without matches a name at any depth;
 * `!pattern` re-includes.
 *
 * @example
 * import { IgnoreRules } from "@slipway/local"
 * const rules = IgnoreRules.parse("*.log\n/tmp/\n!keep.log")
 * rules.ignores("logs/app.log", false) // true
 * rules.ignores("keep.log", false) // false
 */
export class IgnoreRules {
  private readonly rules: ReadonlyArray<{
    readonly re: RegExp
    readonly dirOnly: boolean
    readonly negate: boolean
  }>

  private constructor(rules: IgnoreRules["rules"]) {
    this.rules = rules
  }

  static readonly none = new IgnoreRules([])

  static parse(text: string): IgnoreRules {
    const rules = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0 && !l.startsWith("#"))
      .map((line) => {
        const negate = line.startsWith("!")
        let pattern = negate ? line.slice(1) : line
        const dirOnly = pattern.endsWith("/")
        if (dirOnly) pattern = pattern.slice(0, -1)
        const anchored = pattern.includes("/")
        if (pattern.startsWith("/")) pattern = pattern.slice(1)
        const body = globToRegExp(pattern)
        return { re: new RegExp(anchored ? `^${body}$` : `(?:^|/)${body}$`), dirOnly, negate }
      })
    return new IgnoreRules(rules)
  }

  /** Whether `path` (relative, `/`-separated) is ignored; the last matching rule wins. */
  ignores(path: string, isDirectory: boolean): boolean {
    let ignored = false
    for (const rule of this.rules) {
      if (rule.dirOnly && !isDirectory) continue
      if (rule.re.test(path)) ignored = !rule.negate
    }
    return ignored
  }
}

/**
 * Reads `<dir>/.slipwayignore` if there is one.
 *
 * @example
 * import { readIgnoreFile } from "@slipway/local"
 * const rules = await readIgnoreFile("examples/hello-node")
 */
export const readIgnoreFile = async (dir: string): Promise<IgnoreRules> => {
  try {
    return IgnoreRules.parse(await readFile(join(dir, ".slipwayignore"), "utf8"))
  } catch {
    return IgnoreRules.none
  }
}

const normaliseMode = (mode: number): number => (mode & 0o111 ? 0o755 : 0o644)

/**
 * Lists a tree's files (sorted by path), skipping ignored ones. `exclude` holds absolute
 * paths to leave out as well (a build output inside the source, the state directory).
 *
 * @example
 * import { listTree, readIgnoreFile } from "@slipway/local"
 * const files = await listTree("examples/hello-node", { ignore: await readIgnoreFile("examples/hello-node") })
 */
export const listTree = async (
  root: string,
  options: { readonly ignore?: IgnoreRules; readonly exclude?: ReadonlyArray<string> } = {},
): Promise<ReadonlyArray<TreeEntry>> => {
  const ignore = options.ignore ?? IgnoreRules.none
  const exclude = new Set(options.exclude ?? [])
  const out: Array<TreeEntry> = []
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort()
    for (const name of names) {
      const abs = join(dir, name)
      if (exclude.has(abs)) continue
      const rel = relative(root, abs).split(sep).join("/")
      const stat = await lstat(abs)
      if (stat.isDirectory()) {
        if (ALWAYS_IGNORED.includes(name) || ignore.ignores(rel, true)) continue
        await walk(abs)
      } else if (stat.isSymbolicLink()) {
        if (ignore.ignores(rel, false)) continue
        out.push({ path: rel, mode: 0o120000, size: 0, link: await readlink(abs) })
      } else if (stat.isFile()) {
        if (ignore.ignores(rel, false)) continue
        out.push({ path: rel, mode: normaliseMode(stat.mode), size: stat.size })
      }
    }
  }
  await walk(root)
  // Sort by the full path's code units, not per directory, so the order is one total order.
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * The digest of a tree: sha256 over, for each file in path order,
 * `path \0 mode(octal) \0 size \0 bytes` (symlinks: their target instead of bytes).
 *
 * @example
 * import { digestTree } from "@slipway/local"
 * const { digest, files, bytes } = await digestTree("examples/hello-node/dist")
 * // digest: "sha256:…" — the same for the same content on any machine
 */
export const digestTree = async (
  root: string,
  options: { readonly ignore?: IgnoreRules; readonly exclude?: ReadonlyArray<string> } = {},
): Promise<TreeDigest> => {
  const files = await listTree(root, options)
  const hash = createHash("sha256")
  let bytes = 0
  for (const file of files) {
    hash.update(`${file.path}\0${file.mode.toString(8)}\0${file.size}\0`)
    if (file.link !== undefined) {
      hash.update(file.link)
    } else {
      for await (const chunk of createReadStream(join(root, file.path))) hash.update(chunk as Buffer)
      bytes += file.size
    }
    hash.update("\0")
  }
  return { digest: `sha256:${hash.digest("hex")}`, files, bytes }
}
