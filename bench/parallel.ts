/**
 * Downloading over a link that caps each connection (the emulator's link model: a rate cap per
 * connection and a round trip before each answer's first byte), as a long path to a far storage
 * region does. First a sweep of part sizes and connection counts with the core's transfer, which
 * chose the defaults; then the bundled action (run `npm run bundle` first) beside one stream of
 * the same download (curl) in the same run; last, the action with `cache: true` twice, the second
 * served from the runner's tool cache. Prints figures; asserts nothing.
 *
 *   npx tsx bench/parallel.ts [size in MiB, default 256] [sweep size in MiB, default 64; 0: none]
 */
import { mkdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runnerStorage } from '../src/transport/storage.js'
import { transferToFile } from '../src/core/download/transfer.js'
import { runAction } from '../test/support/action.js'
import { fetchApi, repoPath, startEmulator, type Emulator } from '../test/support/emulator/index.js'
import { quietClient, quietReporter, run, zipArtifact } from './harness.js'
import { MiB, randomChunks, writeZip } from './large-zip.js'

const SIZE = Number(process.argv[2] ?? 256) * MiB
const SWEEP_SIZE = Number(process.argv[3] ?? 64) * MiB
const LINK = { bytesPerSecond: 8 * MiB, roundTripMs: 40 }
const RUN_ID = 7_600
const PART_SIZES_MIB = [2, 8, 32]
const CONNECTIONS = [4, 8, 16]

const work = path.join(path.dirname(fileURLToPath(import.meta.url)), '.work')

async function emulatorServing(zip: string, name: string): Promise<Emulator> {
  const artifacts = [await zipArtifact(zip, name)]
  return startEmulator({
    storageLink: LINK,
    seed: { runs: [{ id: RUN_ID, workflow: 'build.yml', artifacts }] },
  })
}

async function signedUrl(emulator: Emulator): Promise<string> {
  const id = emulator.artifacts()[0].id
  const answer = await fetchApi(emulator, `${repoPath(emulator)}/actions/artifacts/${id}/zip`)
  return answer.headers.get('location') ?? ''
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

/** The core's transfer alone, with the given split. */
async function sweep(zip: string): Promise<void> {
  const emulator = await emulatorServing(zip, 'sweep')
  const client = quietClient(emulator)
  const [artifact] = await client.listArtifacts({})
  const file = path.join(work, 'sweep.zip')
  const rate = (seconds: number) => `${(SWEEP_SIZE / MiB / seconds).toFixed(0)} MiB/s`
  console.log(
    `sweep: ${SWEEP_SIZE / MiB} MiB, link ${LINK.bytesPerSecond / MiB} MiB/s per connection, ${LINK.roundTripMs} ms round trip`,
  )
  try {
    for (const connections of CONNECTIONS) {
      const cells: string[] = []
      for (const partMiB of PART_SIZES_MIB) {
        const parallel = { partBytes: partMiB * MiB, connections, minBytes: 0 }
        const seconds = await timed(() =>
          transferToFile({
            getUrl: () => client.getDownloadUrl(artifact),
            get: runnerStorage(),
            file,
            subject: 'sweep',
            reporter: quietReporter,
            expectedBytes: artifact.size_in_bytes,
            parallel,
          }),
        )
        cells.push(`${partMiB} MiB parts ${rate(seconds)}`)
      }
      console.log(`  ${connections} connections: ${cells.join(', ')}`)
    }
  } finally {
    await rm(file, { force: true })
    await emulator.close()
  }
}

/** The bundled action with its defaults, beside one stream (curl) of the same download. */
async function compare(zip: string): Promise<void> {
  const emulator = await emulatorServing(zip, 'big')
  const size = (await stat(zip)).size
  const rate = (seconds: number) => `${(size / MiB / seconds).toFixed(1)} MiB/s`
  try {
    const curlFile = path.join(work, 'curl.zip')
    const url = await signedUrl(emulator)
    const oneStream = await timed(() =>
      run('curl', ['--silent', '--show-error', '--fail', '--output', curlFile, url]),
    )
    await rm(curlFile, { force: true })
    const action = await timed(() => download(emulator, {}))
    const toolkit = await timed(() => toolkitClient(emulator))
    console.log(`\n${(size / MiB).toFixed(0)} MiB over the same link:`)
    console.log(`  one stream (curl): ${oneStream.toFixed(2)} s (${rate(oneStream)})`)
    console.log(
      `  @actions/artifact: ${toolkit.toFixed(2)} s (${rate(toolkit)}), download and unzip`,
    )
    console.log(`  action:            ${action.toFixed(2)} s (${rate(action)}), download and unzip`)
    console.log(`  speed-up: ${(oneStream / action).toFixed(1)}x (target >= 4x)`)
    const env = { RUNNER_TOOL_CACHE: path.join(work, 'tool-cache'), RUNNER_TEMP: work }
    const servedBefore = emulator.storageBytesServed()
    const first = await timed(() => download(emulator, { cache: 'true' }, env))
    const servedFirst = emulator.storageBytesServed() - servedBefore
    const second = await timed(() => download(emulator, { cache: 'true' }, env))
    const servedSecond = emulator.storageBytesServed() - servedBefore - servedFirst
    console.log('cache: true, the same artifact twice:')
    console.log(
      `  first:  ${first.toFixed(2)} s, ${(servedFirst / MiB).toFixed(0)} MiB from storage`,
    )
    console.log(`  second: ${second.toFixed(2)} s, ${servedSecond} bytes from storage`)
  } finally {
    await rm(path.join(work, 'tool-cache'), { recursive: true, force: true })
    await emulator.close()
  }
}

/** The toolkit's client, in a process of its own (it reads GITHUB_API_URL as it loads). */
async function toolkitClient(emulator: Emulator): Promise<void> {
  const folder = path.join(work, 'toolkit')
  const id = String(emulator.artifacts()[0].id)
  const repository = `${emulator.owner}/${emulator.repo}`
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'toolkit-client.ts')
  try {
    await run('npx', ['tsx', script, repository, String(RUN_ID), id, folder], {
      GITHUB_API_URL: emulator.apiUrl,
      BENCH_TOKEN: emulator.token,
    })
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

/** One run of the bundled action downloading the artifact into a fresh workspace. */
async function download(
  emulator: Emulator,
  extraInputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<void> {
  const workspace = path.join(work, 'workspace')
  await mkdir(workspace, { recursive: true })
  const inputs = {
    operation: 'download',
    'run-id': String(RUN_ID),
    name: 'big',
    path: 'out',
    ...extraInputs,
  }
  try {
    const result = await runAction({ inputs, emulator, workspace, env })
    if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.stdout}`)
  } finally {
    await rm(workspace, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  await mkdir(work, { recursive: true })
  const sweepZip = path.join(work, 'sweep-artifact.zip')
  const zip = path.join(work, 'parallel-artifact.zip')
  try {
    if (SWEEP_SIZE > 0) {
      const chunks = randomChunks(SWEEP_SIZE)
      await writeZip(sweepZip, [{ name: 'r.bin', method: 'store', chunks }])
      await sweep(sweepZip)
      await rm(sweepZip, { force: true })
    }
    await writeZip(zip, [{ name: 'random.bin', method: 'store', chunks: randomChunks(SIZE) }])
    await compare(zip)
  } finally {
    await rm(sweepZip, { force: true })
    await rm(zip, { force: true })
  }
}

await main()
