/**
 * Downloading one 1 GiB incompressible artifact (a zip holding one stored entry of random bytes)
 * through the bundled action (run `npm run bundle` first) against the emulator, compared in the
 * same run with a baseline that fetches the same signed URL with curl and extracts it with
 * `unzip -q`. Prints the action's peak memory and its throughput as a share of the baseline's;
 * asserts nothing. Needs curl, unzip and GNU time (/usr/bin/time); ~4 GiB of free disk.
 *
 *   npx tsx bench/download.ts [size in MiB, default 1024] [rounds, default 2]
 */
import { mkdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAction } from '../test/support/action.js'
import { fetchApi, repoPath, startEmulator, type Emulator } from '../test/support/emulator/index.js'
import { run, zipArtifact } from './harness.js'
import { MiB, peakRssMiB, randomChunks, writeMeasuredNode, writeZip } from './large-zip.js'

const SIZE = Number(process.argv[2] ?? 1024) * MiB
const ROUNDS = Number(process.argv[3] ?? 2)
const RUN_ID = 7_500
const TARGET_RSS_MIB = 120
const TARGET_SHARE = 1.3

const work = path.join(path.dirname(fileURLToPath(import.meta.url)), '.work')

async function signedUrl(emulator: Emulator, artifactId: number): Promise<string> {
  const answer = await fetchApi(
    emulator,
    `${repoPath(emulator)}/actions/artifacts/${artifactId}/zip`,
  )
  const location = answer.headers.get('location')
  if (answer.status !== 302 || !location) throw new Error(`no redirect: HTTP ${answer.status}`)
  return location
}

/** curl to a file, then unzip: what a shell step would do. Returns seconds. */
async function baseline(emulator: Emulator, artifactId: number): Promise<number> {
  const zip = path.join(work, 'baseline.zip')
  const out = path.join(work, 'baseline-out')
  const url = await signedUrl(emulator, artifactId)
  const started = performance.now()
  await run('curl', ['--silent', '--show-error', '--fail', '--output', zip, url])
  await run('unzip', ['-q', zip, '-d', out])
  const seconds = (performance.now() - started) / 1000
  await rm(zip, { force: true })
  await rm(out, { recursive: true, force: true })
  return seconds
}

/** The bundled action, as the runner starts it. Returns seconds and peak RSS in MiB. */
async function action(emulator: Emulator): Promise<{ seconds: number; rssMiB: number }> {
  const workspace = path.join(work, 'workspace')
  await mkdir(workspace, { recursive: true })
  const rssFile = path.join(work, 'rss')
  const started = performance.now()
  const result = await runAction({
    inputs: { operation: 'download', 'run-id': String(RUN_ID), name: 'big', path: 'out' },
    emulator,
    workspace,
    node: await writeMeasuredNode(work),
    // The runtime action.yml names (Node 24), which also sets how much memory the action uses.
    env: { BENCH_NODE: process.env.ACTION_NODE ?? process.execPath, BENCH_RSS_FILE: rssFile },
  })
  const seconds = (performance.now() - started) / 1000
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.stdout}`)
  const rssMiB = await peakRssMiB(rssFile)
  await rm(workspace, { recursive: true, force: true })
  return { seconds, rssMiB }
}

async function main(): Promise<void> {
  await rm(work, { recursive: true, force: true })
  await mkdir(work, { recursive: true })
  const zip = path.join(work, 'artifact.zip')
  try {
    console.log(`writing a ${SIZE / MiB} MiB incompressible artifact...`)
    await writeZip(zip, [{ name: 'random.bin', method: 'store', chunks: randomChunks(SIZE) }])
    const zipSize = (await stat(zip)).size
    const emulator = await startEmulator({
      seed: {
        runs: [{ id: RUN_ID, workflow: 'build.yml', artifacts: [await zipArtifact(zip, 'big')] }],
      },
    })
    const artifactId = emulator.artifacts()[0].id
    const baselines: number[] = []
    const actions: { seconds: number; rssMiB: number }[] = []
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        baselines.push(await baseline(emulator, artifactId))
        actions.push(await action(emulator))
        console.log(
          `round ${round}: curl + unzip ${baselines[round - 1].toFixed(2)} s, ` +
            `action ${actions[round - 1].seconds.toFixed(2)} s, ` +
            `peak RSS ${actions[round - 1].rssMiB.toFixed(0)} MiB`,
        )
      }
    } finally {
      await emulator.close()
    }
    const bestBaseline = Math.min(...baselines)
    const bestAction = Math.min(...actions.map((a) => a.seconds))
    const peak = Math.max(...actions.map((a) => a.rssMiB))
    const rate = (seconds: number) => `${(zipSize / MiB / seconds).toFixed(0)} MiB/s`
    const share = bestBaseline / bestAction
    console.log(`\nartifact: ${(zipSize / MiB).toFixed(0)} MiB, best of ${ROUNDS} rounds`)
    console.log(`  curl + unzip -q: ${bestBaseline.toFixed(2)} s (${rate(bestBaseline)})`)
    console.log(`  action:          ${bestAction.toFixed(2)} s (${rate(bestAction)})`)
    console.log(
      `  throughput: ${(share * 100).toFixed(0)}% of the baseline (target >= ${TARGET_SHARE * 100}%)`,
    )
    console.log(`  action peak RSS: ${peak.toFixed(0)} MiB (target < ${TARGET_RSS_MIB} MiB)`)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

await main()
