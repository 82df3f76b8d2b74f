/**
 * Extraction with yauzl (the project's extractZip) against `unzip -q`, and against unzip-stream
 * (what actions/toolkit's artifact download pipes into) when it is installed, on two archives:
 * one 1 GiB stored entry of random bytes, and 20,000 deflated files of 1–4 KiB in 200 folders.
 * Each extraction runs in a process of its own under GNU time for its peak memory; best time of
 * two rounds. unzip-stream is not a dependency: install it for the measurement only
 * (`npm install --no-save unzip-stream`). Prints figures; asserts nothing.
 *
 *   npx tsx bench/extraction.ts [small]
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { extractZip } from '../src/core/download/extraction.js'
import {
  MiB,
  peakRssMiB,
  randomChunks,
  writeMeasuredNode,
  writeZip,
  type BenchEntry,
} from './large-zip.js'
import { run } from './harness.js'

type Extractor = 'yauzl' | 'unzip' | 'unzip-stream'

const SMALL_FILES = 20_000
const SMALL_FOLDERS = 200
const self = fileURLToPath(import.meta.url)
// BENCH_WORK: another folder for the archives and extractions (e.g. on a tmpfs, to leave the disk out).
const work = process.env.BENCH_WORK ?? path.join(path.dirname(self), '.work')

interface Archive {
  label: string
  file: string
  /** Uncompressed bytes: what throughput is counted in. */
  bytes: number
  entries: () => Iterable<BenchEntry>
}

const archives: Archive[] = [
  {
    label: '1 GiB stored random entry',
    file: path.join(work, 'stored.zip'),
    bytes: 1024 * MiB,
    entries: () => [{ name: 'random.bin', method: 'store', chunks: randomChunks(1024 * MiB) }],
  },
  {
    label: `${SMALL_FILES} deflated files of 1–4 KiB in ${SMALL_FOLDERS} folders`,
    file: path.join(work, 'many.zip'),
    bytes: Array.from({ length: SMALL_FILES }, (_, i) => textFile(i).length).reduce(
      (a, b) => a + b,
    ),
    entries: function* () {
      for (let i = 0; i < SMALL_FILES; i++) {
        yield {
          name: `src/module-${i % SMALL_FOLDERS}/file-${i}.txt`,
          method: 'deflate',
          chunks: [textFile(i)],
        }
      }
    },
  },
]

/** 1 to 4 KiB of text (32-byte lines), the size depending on the index. */
function textFile(index: number): Buffer {
  const lines = 32 + ((index * 7919) % 97)
  const line = (n: number) =>
    `line ${String(n).padStart(4, '0')} of file ${String(index).padStart(6, '0')}\n`
  return Buffer.from(Array.from({ length: lines }, (_, n) => line(n)).join(''))
}

async function installed(moduleName: string): Promise<boolean> {
  return import(moduleName).then(
    () => true,
    () => false,
  )
}

/** In the child: extract and exit. */
async function extractWith(extractor: Extractor, zip: string, destination: string): Promise<void> {
  if (extractor === 'yauzl') {
    await extractZip(zip, destination, 'the benchmark archive')
    return
  }
  // A variable, so that type checking does not look for a package that is not a dependency.
  const moduleName = 'unzip-stream'
  const unzip = (await import(moduleName)) as { Extract(options: { path: string }): Writable }
  const extraction = unzip.Extract({ path: destination })
  createReadStream(zip).pipe(extraction)
  // As actions/toolkit does: the extractor is done when it closes.
  await once(extraction, 'close')
}

async function measure(
  extractor: Extractor,
  archive: Archive,
): Promise<{ seconds: number; rssMiB: number }> {
  const destination = path.join(work, 'out')
  const rssFile = path.join(work, 'rss')
  // Each starts with the disk's write-back of what came before done (the archive, the last
  // extraction's removal): on a disk, whichever ran into it took several times as long.
  await run('sync', [])
  if (extractor === 'unzip') {
    const started = performance.now()
    await run('/usr/bin/time', [
      '-f',
      '%M',
      '-o',
      rssFile,
      'unzip',
      '-q',
      archive.file,
      '-d',
      destination,
    ])
    const seconds = (performance.now() - started) / 1000
    await rm(destination, { recursive: true, force: true })
    return { seconds, rssMiB: await peakRssMiB(rssFile) }
  }
  const node = await writeMeasuredNode(work)
  // The child times the extraction itself, leaving out its start-up, and prints the seconds.
  const printed = await new Promise<string>((resolve, reject) => {
    const child = spawn(node, ['--import', 'tsx', self, extractor, archive.file, destination], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_NODE: process.execPath, BENCH_RSS_FILE: rssFile },
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${extractor} exited with ${code}`)),
    )
  })
  await rm(destination, { recursive: true, force: true })
  return { seconds: Number(printed.trim()), rssMiB: await peakRssMiB(rssFile) }
}

async function main(onlySmall: boolean): Promise<void> {
  const extractors: Extractor[] = ['yauzl', 'unzip']
  if (await installed('unzip-stream')) extractors.push('unzip-stream')
  await rm(work, { recursive: true, force: true })
  await mkdir(work, { recursive: true })
  try {
    for (const archive of onlySmall ? archives.slice(1) : archives) {
      await writeZip(archive.file, archive.entries())
      console.log(`\n${archive.label} (${(archive.bytes / MiB).toFixed(0)} MiB uncompressed)`)
      // Best of two rounds in alternating order: the first run after writing the archive
      // competes with its write-back, which would otherwise always handicap the same one.
      const results = new Map<Extractor, { seconds: number; rssMiB: number }[]>()
      for (const order of [extractors, [...extractors].reverse()]) {
        for (const extractor of order) {
          results.set(extractor, [
            ...(results.get(extractor) ?? []),
            await measure(extractor, archive),
          ])
        }
      }
      for (const [extractor, runs] of results) {
        const seconds = Math.min(...runs.map((run) => run.seconds))
        const rssMiB = Math.max(...runs.map((run) => run.rssMiB))
        const rate = archive.bytes / MiB / seconds
        console.log(
          `  ${extractor.padEnd(12)} ${seconds.toFixed(2)} s, ${rate.toFixed(0)} MiB/s, ` +
            `peak RSS ${rssMiB.toFixed(0)} MiB`,
        )
      }
      await rm(archive.file, { force: true })
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

const [extractor, zip, destination] = process.argv.slice(2)
if (extractor && extractor !== 'small') {
  const started = performance.now()
  await extractWith(extractor as Extractor, zip, destination)
  console.log(((performance.now() - started) / 1000).toFixed(3))
} else {
  await main(extractor === 'small')
}
