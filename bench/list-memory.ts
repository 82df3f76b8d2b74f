/**
 * Listing 100,000 artifacts (1,000 pages) at no API latency: the peak RSS of the bundled action,
 * beside the same measure of the bundle before artifacts were reduced to the fields the product
 * reads as each page arrives (`BASELINE_COMMIT`'s committed `dist/`), in the same run.
 * Prints figures; asserts nothing.
 */
import { execFile } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { projectRoot, runAction } from '../test/support/action.js'
import { startEmulator, type Emulator, type SeedRun } from '../test/support/emulator/index.js'
import { peakRssMiB, writeMeasuredNode } from './large-zip.js'

const ARTIFACTS = 100_000
const PER_RUN = 100
const TARGET_RSS_MIB = 200
/** The last commit whose bundle kept whole REST objects. */
const BASELINE_COMMIT = process.env.BENCH_BASELINE_COMMIT ?? '901fc94'

const work = path.join(path.dirname(fileURLToPath(import.meta.url)), '.work', 'list-memory')

function seed(): SeedRun[] {
  return Array.from({ length: ARTIFACTS / PER_RUN }, (_, run) => ({
    workflow: 'build.yml',
    artifacts: Array.from({ length: PER_RUN }, (_, i) => ({
      name: `artifact-${run}-${i}`,
      zip: Buffer.alloc(0),
    })),
  }))
}

/** The baseline bundle, as committed then, beside its package.json (it is an ES module). */
async function baselineBundle(): Promise<string> {
  const folder = path.join(work, 'baseline')
  await mkdir(folder, { recursive: true })
  for (const file of ['index.js', 'package.json']) {
    const { stdout } = await promisify(execFile)(
      'git',
      ['show', `${BASELINE_COMMIT}:dist/${file}`],
      { cwd: projectRoot, maxBuffer: 64 * 1024 * 1024 },
    )
    await writeFile(path.join(folder, file), stdout)
  }
  return path.join(folder, 'index.js')
}

async function measure(
  emulator: Emulator,
  bundle?: string,
): Promise<{ count: string; rss: number; seconds: number }> {
  const rssFile = path.join(work, 'rss')
  const started = performance.now()
  const result = await runAction({
    emulator,
    bundle,
    inputs: { operation: 'list' },
    node: await writeMeasuredNode(work),
    env: {
      BENCH_NODE: process.env.ACTION_NODE ?? process.execPath,
      BENCH_RSS_FILE: rssFile,
    },
  })
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.stdout}`)
  const seconds = (performance.now() - started) / 1000
  return { count: result.outputs.count, rss: await peakRssMiB(rssFile), seconds }
}

await rm(work, { recursive: true, force: true })
await mkdir(work, { recursive: true })
const emulator = await startEmulator({ seed: { runs: seed() } })
try {
  const before = await measure(emulator, await baselineBundle())
  const after = await measure(emulator)
  console.log(`list memory: ${ARTIFACTS} artifacts (${ARTIFACTS / 100} pages), no API latency`)
  console.log(
    `  before (${BASELINE_COMMIT}, whole REST objects): ${before.count} listed in ${before.seconds.toFixed(1)} s, peak RSS ${before.rss.toFixed(0)} MiB`,
  )
  console.log(
    `  manage-artifacts list:                ${after.count} listed in ${after.seconds.toFixed(1)} s, peak RSS ${after.rss.toFixed(0)} MiB (target < ${TARGET_RSS_MIB} MiB)`,
  )
} finally {
  await emulator.close()
  await rm(work, { recursive: true, force: true })
}
