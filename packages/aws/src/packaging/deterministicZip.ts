/**
 * Zip archives that are byte-for-byte the same whenever their contents are: entries
 * sorted by path, every timestamp 1980-01-01 00:00 (the zip epoch), modes normalised to
 * 0644 or 0755, no directory entries, no extra fields, no comments. An unchanged Lambda
 * therefore produces an unchanged archive and `pulumi up` shows no diff — the spurious
 * update that plagues zips built from a working tree (pulumi/pulumi#21008, SST #1417).
 *
 * Written by hand (the format is small) so that nothing — not a library's defaults, not
 * the clock, not the file system's order or mtimes — can leak in, and synchronously, so
 * an artifact exists before any resource that uses it is registered.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative, sep } from "node:path"
import { crc32, deflateRawSync } from "node:zlib"
import { Data } from "effect"

/**
 * One file to put in an archive.
 *
 * @example
 * const entries: ZipEntry[] = [
 *   { path: "index.js", content: "exports.handler = async () => 'ok'" },
 *   { path: "bin/start", sourcePath: "scripts/start.sh", mode: 0o755 },
 * ]
 */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated and relative (`index.js`, `lib/util.js`). */
  readonly path: string
  /** The file's bytes (text is written as UTF-8). Exactly one of `content` and `sourcePath`. */
  readonly content?: string | Uint8Array
  /** A file to read the bytes from. */
  readonly sourcePath?: string
  /** Unix mode; only "executable or not" is kept (0755 / 0644). Default: 0644, or the source file's exec bit. */
  readonly mode?: number
}

/**
 * Options of `deterministicZip`.
 *
 * @example
 * deterministicZip("dist", { compression: "store", exclude: (p) => p.endsWith(".map") })
 */
export interface ZipOptions {
  /**
   * `"deflate"` (default) compresses; `"store"` does not. Stored archives are
   * byte-identical on every machine; deflated ones on every machine with the same zlib
   * build (compressed bytes can differ between zlib builds, never the contents).
   */
  readonly compression?: "deflate" | "store"
  /** Paths (relative, `/`-separated) to leave out when zipping a directory. */
  readonly exclude?: (path: string) => boolean
}

/**
 * An archive that cannot be built: a bad path, a duplicate, a missing file.
 *
 * @example
 * try {
 *   deterministicZip([{ path: "../x.js", content: "" }])
 * } catch (e) {
 *   if (e instanceof ZipError) console.error(e.message) // cannot add "../x.js" to the archive: …
 * }
 */
export class ZipError extends Data.TaggedError("ZipError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `cannot add "${this.path}" to the archive: ${this.reason}`
  }
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1 // year offset 0, month 1, day 1
const DOS_TIME_MIDNIGHT = 0
const S_IFREG = 0o100000
const UTF8_NAMES = 0x0800
const MADE_BY_UNIX_2_0 = (3 << 8) | 20

const normalMode = (mode: number | undefined): number => ((mode ?? 0) & 0o111 ? 0o755 : 0o644)

const checkPath = (path: string): string => {
  const p = path.replace(/\\/g, "/")
  if (p.length === 0) throw new ZipError({ path, reason: "the path is empty" })
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p))
    throw new ZipError({ path, reason: "the path is absolute; make it relative" })
  if (p.split("/").some((part) => part === ".." || part === "." || part === "")) {
    throw new ZipError({ path, reason: "the path has empty, '.' or '..' segments" })
  }
  return p
}

/**
 * The regular files under a directory as zip entries, in path order, keeping each
 * file's executable bit. Symbolic links are followed; anything else (sockets, devices)
 * is refused.
 *
 * @example
 * import { filesOf } from "@slipway/aws"
 * filesOf("dist") // [{ path: "index.js", sourcePath: "dist/index.js", mode: 0o644 }, …]
 */
export const filesOf = (dir: string, exclude?: (path: string) => boolean): Array<ZipEntry> => {
  const entries: Array<ZipEntry> = []
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const full = join(current, name)
      const path = relative(dir, full).split(sep).join("/")
      if (exclude?.(path) === true) continue
      const stat = statSync(full)
      if (stat.isDirectory()) walk(full)
      else if (stat.isFile()) entries.push({ path, sourcePath: full, mode: normalMode(stat.mode) })
      else throw new ZipError({ path, reason: "it is neither a file nor a directory" })
    }
  }
  walk(dir)
  return entries
}

const bytesOf = (entry: ZipEntry): Buffer => {
  if ((entry.content === undefined) === (entry.sourcePath === undefined)) {
    throw new ZipError({ path: entry.path, reason: "give exactly one of `content` and `sourcePath`" })
  }
  if (entry.content !== undefined) {
    return typeof entry.content === "string" ? Buffer.from(entry.content, "utf8") : Buffer.from(entry.content)
  }
  try {
    return readFileSync(entry.sourcePath!)
  } catch (cause) {
    throw new ZipError({
      path: entry.path,
      reason: `cannot read ${entry.sourcePath}: ${(cause as Error).message}`,
    })
  }
}

const modeOf = (entry: ZipEntry): number => {
  if (entry.mode !== undefined) return normalMode(entry.mode)
  if (entry.sourcePath !== undefined) return normalMode(statSync(entry.sourcePath).mode)
  return 0o644
}

/**
 * Builds a zip whose bytes depend only on the entries' paths, contents and executable
 * bits. Accepts a list of entries or a directory to zip.
 *
 * @example
 * import { deterministicZip } from "@slipway/aws"
 * const a = deterministicZip([{ path: "index.js", content: "exports.handler = async () => 'ok'" }])
 * const b = deterministicZip([{ path: "index.js", content: "exports.handler = async () => 'ok'" }])
 * a.equals(b) // true
 * deterministicZip("dist", { compression: "store" })
 */
export const deterministicZip = (
  input: ReadonlyArray<ZipEntry> | string,
  options: ZipOptions = {},
): Buffer => {
  const list = typeof input === "string" ? filesOf(input, options.exclude) : input
  const files = list
    .map((entry) => ({ entry, path: checkPath(entry.path) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.path === files[i - 1]!.path)
      throw new ZipError({ path: files[i]!.path, reason: "it is listed twice" })
  }
  if (files.length > 0xffff) {
    throw new ZipError({
      path: files[0xffff]!.path,
      reason: "more than 65535 entries needs zip64, which is not written",
    })
  }

  const deflate = (options.compression ?? "deflate") === "deflate"
  const locals: Array<Buffer> = []
  const centrals: Array<Buffer> = []
  let offset = 0
  for (const { entry, path } of files) {
    const data = bytesOf(entry)
    const body = deflate ? deflateRawSync(data, { level: 9 }) : data
    const name = Buffer.from(path, "utf8")
    const flags = /^[\x20-\x7e]*$/.test(path) ? 0 : UTF8_NAMES
    const method = deflate ? 8 : 0
    const version = deflate ? 20 : 10
    const crc = crc32(data)
    if (offset + 30 + name.length + body.length > 0xffffffff) {
      throw new ZipError({ path, reason: "the archive would exceed 4 GiB, which needs zip64" })
    }

    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(version, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt16LE(DOS_TIME_MIDNIGHT, 10)
    local.writeUInt16LE(DOS_DATE_1980_01_01, 12)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28) // no extra field: no timestamps, no uid/gid
    locals.push(local, name, body)

    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(MADE_BY_UNIX_2_0, 4)
    central.writeUInt16LE(version, 6)
    central.writeUInt16LE(flags, 8)
    central.writeUInt16LE(method, 10)
    central.writeUInt16LE(DOS_TIME_MIDNIGHT, 12)
    central.writeUInt16LE(DOS_DATE_1980_01_01, 14)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(body.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt16LE(0, 30) // extra
    central.writeUInt16LE(0, 32) // comment
    central.writeUInt16LE(0, 34) // disk
    central.writeUInt16LE(0, 36) // internal attributes
    central.writeUInt32LE(((S_IFREG | modeOf(entry)) << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)

    offset += 30 + name.length + body.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(0, 4)
  end.writeUInt16LE(0, 6)
  end.writeUInt16LE(files.length, 8)
  end.writeUInt16LE(files.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  end.writeUInt16LE(0, 20)
  return Buffer.concat([...locals, directory, end])
}
