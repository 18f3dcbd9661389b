/**
 * zip: Lambda artifacts must be byte-for-byte reproducible (an unchanged handler shows no
 * diff on `pulumi up`). Builds the Lambda template's handler twice with `lambdaBundle`
 * (esbuild + `deterministicZip`) and zips a fixture folder with `deterministicZip` before
 * and after touching every file's mtime; compares the bytes and the time to package
 * against `zip -9 -X -r` of the same folder (yazl when `zip` is not installed).
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync } from "node:fs"
import { join, relative } from "node:path"
import { deterministicZip, lambdaBundle } from "@slipway/aws"
import yazl from "yazl"
import type { BenchContext, Benchmark } from "../lib/Benchmark.ts"
import { figure } from "../lib/Figures.ts"

const REPEAT = 5

const timed = <A>(f: () => A): { readonly value: A; readonly ms: number } => {
  const t0 = performance.now()
  const value = f()
  return { value, ms: performance.now() - t0 }
}

const timedAsync = async <A>(f: () => Promise<A>): Promise<{ readonly value: A; readonly ms: number }> => {
  const t0 = performance.now()
  const value = await f()
  return { value, ms: performance.now() - t0 }
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile())
    .sort()

/** Moves every file's mtime, as a fresh checkout or a CI cache restore does. */
const touchAll = (files: ReadonlyArray<string>, epochSeconds: number): void => {
  for (const f of files) utimesSync(f, epochSeconds, epochSeconds)
}

const allEqual = (buffers: ReadonlyArray<Buffer>): boolean => buffers.every((b) => b.equals(buffers[0]!))

/** The reference archiver: `zip -9 -X -r` (deflate level 9, as deterministicZip), or yazl. */
const referenceZipper = (
  ctx: BenchContext,
  dir: string,
): { readonly label: string; readonly spawned: boolean; readonly zip: () => Promise<Buffer> } => {
  const found = spawnSync("zip", ["-v"], { encoding: "utf8", timeout: 5_000 })
  if (found.error === undefined && found.status === 0) {
    const version = /This is Zip ([\d.]+)/.exec(found.stdout)?.[1] ?? "?"
    return {
      label: `zip ${version} -9 -X -r`,
      spawned: true,
      zip: async () => {
        // `-` writes the archive to stdout: no file to race on between repetitions.
        const r = spawnSync("zip", ["-9", "-X", "-r", "-q", "-", "."], {
          cwd: dir,
          maxBuffer: 256 * 2 ** 20,
          timeout: 60_000,
        })
        if (r.status !== 0) throw new Error(`zip failed: ${r.stderr}`)
        return r.stdout
      },
    }
  }
  ctx.note("`zip` is not installed (apt-get install -y zip): the reference is yazl (npm), deflate level 9")
  return {
    label: "yazl",
    spawned: false,
    zip: () =>
      new Promise<Buffer>((resolve, reject) => {
        const z = new yazl.ZipFile()
        const chunks: Array<Buffer> = []
        z.outputStream.on("data", (c: Buffer) => chunks.push(c))
        z.outputStream.on("end", () => resolve(Buffer.concat(chunks)))
        z.outputStream.on("error", reject)
        for (const f of filesUnder(dir))
          z.addBuffer(readFileSync(f), relative(dir, f), { mtime: statSync(f).mtime, compressionLevel: 9 })
        z.end()
      }),
  }
}

export const zip: Benchmark = {
  name: "zip",
  title: "deterministic zips: identical bytes across builds, time to package vs zip",
  timeoutMs: 120_000,
  run: async (ctx) => {
    // 1. The Lambda template's handler through lambdaBundle, twice.
    const template = join(ctx.root, "templates", "lambda", "handler", "index.ts")
    const entry = existsSync(template) ? template : join(ctx.root, "bench", "fixtures", "lambda-handler.ts")
    ctx.note(`Lambda handler: ${relative(ctx.root, entry)} bundled by lambdaBundle (esbuild, cjs, node22)`)
    const bundles = [1, 2].map((n) =>
      timed(() => lambdaBundle("api", { entry, outDir: join(ctx.tmp, `bundle-${n}`) })),
    )
    const bundleBytes = bundles.map((b) => readFileSync(b.value.path))
    ctx.record(figure("lambdaBundle: identical bytes, 2 builds", allEqual(bundleBytes) ? "yes" : "no", ""))
    ctx.record(figure("lambdaBundle: 1st build (esbuild + zip)", bundles[0]!.ms, "ms"))
    ctx.record(figure("lambdaBundle: 2nd build", bundles[1]!.ms, "ms"))
    ctx.record(figure("lambdaBundle: archive size", bundleBytes[0]!.length, "bytes"))

    // 2. A fixture folder: a copy of every package's sources (so nothing edits it meanwhile).
    const tree = join(ctx.tmp, "tree")
    mkdirSync(tree, { recursive: true })
    const packages = join(ctx.root, "packages")
    for (const pkg of readdirSync(packages).sort()) {
      const src = join(packages, pkg, "src")
      if (existsSync(src)) cpSync(src, join(tree, pkg), { recursive: true })
    }
    const files = filesUnder(tree)
    const treeBytes = files.reduce((n, f) => n + statSync(f).size, 0)
    ctx.note(
      `fixture folder: a copy of packages/*/src — ${files.length} files, ${(treeBytes / 1024).toFixed(0)} KiB; each archiver runs ${REPEAT}× per state (median time), before and after every mtime is moved`,
    )
    const reference = referenceZipper(ctx, tree)

    const build = async (zipper: () => Promise<Buffer>) => {
      const runs: Array<{ readonly value: Buffer; readonly ms: number }> = []
      for (let i = 0; i < REPEAT; i++) runs.push(await timedAsync(zipper))
      return { ms: median(runs.map((r) => r.ms)), bytes: runs.map((r) => r.value) }
    }
    const ours = async () => deterministicZip(tree)
    touchAll(files, Date.UTC(2024, 0, 1) / 1000)
    const oursBefore = await build(ours)
    const refBefore = await build(reference.zip)
    touchAll(files, Date.UTC(2025, 5, 15, 12, 30) / 1000)
    const oursAfter = await build(ours)
    const refAfter = await build(reference.zip)

    const oursSame = allEqual([...oursBefore.bytes, ...oursAfter.bytes])
    const refSame = allEqual([...refBefore.bytes, ...refAfter.bytes])
    ctx.record(figure("deterministicZip: identical after mtime change", oursSame ? "yes" : "no", ""))
    ctx.record(figure(`${reference.label}: identical after mtime change`, refSame ? "yes" : "no", ""))
    const refMs = median([refBefore.ms, refAfter.ms])
    ctx.record(
      figure("deterministicZip: time to package", median([oursBefore.ms, oursAfter.ms]), "ms", {
        reference: { label: reference.label, value: refMs },
      }),
    )
    ctx.record(
      figure("deterministicZip: archive size", oursBefore.bytes[0]!.length, "bytes", {
        reference: { label: reference.label, value: refBefore.bytes[0]!.length },
      }),
    )
    ctx.note(
      `${reference.label}${reference.spawned ? " runs as a separate process (its time includes spawning it, a few ms);" : ""} stores each file's mtime, so a fresh checkout changes its bytes`,
    )
  },
}
