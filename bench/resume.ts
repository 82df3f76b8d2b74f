/**
 * A connection reset after 90% of a 48 MiB body: how many bytes storage serves in all before the
 * download completes, against the artifact's size (a download that starts again from byte 0
 * costs 1.9×). Measured twice: with the core's transfer on one connection (the cut hits the whole
 * body) and with the bundled action and its defaults (parallel parts: the cut hits the first
 * part). Prints figures; asserts nothing.
 *
 *   npx tsx bench/resume.ts [size in MiB, default 48]
 */
import { mkdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runnerStorage } from '../src/transport/storage.js'
import { transferToFile } from '../src/core/download/transfer.js'
import { runAction } from '../test/support/action.js'
import { startEmulator, type Emulator } from '../test/support/emulator/index.js'
import { quietClient, quietReporter, zipArtifact } from './harness.js'
import { MiB, randomChunks, writeZip } from './large-zip.js'

const SIZE = Number(process.argv[2] ?? 48) * MiB
const RUN_ID = 7_700
const CUT = { afterFraction: 0.9, ending: 'rst' as const }
const TARGET = 1.15

const work = path.join(path.dirname(fileURLToPath(import.meta.url)), '.work')

async function emulatorServing(zip: string): Promise<Emulator> {
  const artifacts = [await zipArtifact(zip, 'big')]
  const emulator = await startEmulator({
    seed: { runs: [{ id: RUN_ID, workflow: 'build.yml', artifacts }] },
  })
  emulator.addFault({ target: 'storage', path: /^\/artifacts\//, cut: CUT })
  return emulator
}

async function oneConnection(zip: string): Promise<number> {
  const emulator = await emulatorServing(zip)
  try {
    const client = quietClient(emulator)
    const [artifact] = await client.listArtifacts({})
    const file = path.join(work, 'resume.zip')
    await transferToFile({
      getUrl: () => client.getDownloadUrl(artifact),
      get: runnerStorage(),
      file,
      subject: 'resume',
      reporter: quietReporter,
      retryDelayMs: 100,
    })
    await rm(file, { force: true })
    return emulator.storageBytesServed()
  } finally {
    await emulator.close()
  }
}

async function action(zip: string): Promise<number> {
  const emulator = await emulatorServing(zip)
  const workspace = path.join(work, 'workspace')
  await mkdir(workspace, { recursive: true })
  try {
    const inputs = { operation: 'download', 'run-id': String(RUN_ID), name: 'big', path: 'out' }
    const result = await runAction({ inputs, emulator, workspace })
    if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.stdout}`)
    return emulator.storageBytesServed()
  } finally {
    await rm(workspace, { recursive: true, force: true })
    await emulator.close()
  }
}

async function main(): Promise<void> {
  await mkdir(work, { recursive: true })
  const zip = path.join(work, 'resume-artifact.zip')
  try {
    await writeZip(zip, [{ name: 'random.bin', method: 'store', chunks: randomChunks(SIZE) }])
    const size = (await stat(zip)).size
    const share = (served: number) =>
      `${(served / MiB).toFixed(1)} MiB served, ${(served / size).toFixed(3)}x the artifact`
    console.log(`connection reset after 90% of the body, ${(size / MiB).toFixed(0)} MiB artifact:`)
    console.log(`  one connection: ${share(await oneConnection(zip))} (target <= ${TARGET}x)`)
    console.log(`  action, default parts: ${share(await action(zip))}`)
  } finally {
    await rm(zip, { force: true })
  }
}

await main()
