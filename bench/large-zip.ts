/**
 * Helpers for the download and extraction benchmarks: large zip archives written as streams
 * (never held in memory), and a way to learn a child process's peak memory.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { chmod, open, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { crc32, deflateRawSync } from 'node:zlib'

export const MiB = 1024 * 1024

export interface BenchEntry {
  name: string
  /** 'deflate' compresses the whole entry in one go: meant for small files. */
  method: 'store' | 'deflate'
  chunks: Iterable<Buffer>
}

interface Written {
  name: Buffer
  method: number
  crc: number
  compressedSize: number
  size: number
  offset: number
}

const STORE = 0
const DEFLATE = 8

/** `size` random bytes, a MiB at a time. */
export function* randomChunks(size: number): Generator<Buffer> {
  for (let left = size; left > 0; left -= MiB) yield randomBytes(Math.min(MiB, left))
}

/**
 * Writes the entries as a zip archive in one sequential pass, then patches each local header's
 * CRC and sizes in place, so that stored entries need no data descriptor (which streaming
 * extractors cannot read for stored data). Entries and archive must stay under 4 GiB.
 */
export async function writeZip(file: string, entries: Iterable<BenchEntry>): Promise<void> {
  const written: Written[] = []
  let offset = 0
  async function* archive(): AsyncGenerator<Buffer> {
    for (const entry of entries) {
      const record: Written = {
        name: Buffer.from(entry.name),
        method: entry.method === 'store' ? STORE : DEFLATE,
        crc: 0,
        compressedSize: 0,
        size: 0,
        offset,
      }
      const header = localHeader(record)
      offset += header.length
      yield header
      for (const data of entryData(entry, record)) {
        offset += data.length
        record.compressedSize += data.length
        yield data
      }
      written.push(record)
    }
    const centralStart = offset
    for (const record of written) {
      const header = centralHeader(record)
      offset += header.length
      yield header
    }
    yield endOfCentralDirectory(written.length, offset - centralStart, centralStart)
  }
  await pipeline(archive, createWriteStream(file))
  const handle = await open(file, 'r+')
  try {
    for (const record of written) await handle.write(sizesAndCrc(record), 0, 12, record.offset + 14)
  } finally {
    await handle.close()
  }
}

function* entryData(entry: BenchEntry, record: Written): Generator<Buffer> {
  if (record.method === DEFLATE) {
    const whole = Buffer.concat([...entry.chunks])
    record.crc = crc32(whole)
    record.size = whole.length
    yield deflateRawSync(whole)
    return
  }
  for (const chunk of entry.chunks) {
    record.crc = crc32(chunk, record.crc)
    record.size += chunk.length
    yield chunk
  }
}

function localHeader(record: Written): Buffer {
  const header = Buffer.alloc(30)
  header.writeUInt32LE(0x04034b50, 0)
  header.writeUInt16LE(20, 4)
  header.writeUInt16LE(0x0800, 6)
  header.writeUInt16LE(record.method, 8)
  // time, date at 10 and 12; CRC and sizes at 14 are patched once known
  header.writeUInt16LE(record.name.length, 26)
  return Buffer.concat([header, record.name])
}

function sizesAndCrc(record: Written): Buffer {
  const fields = Buffer.alloc(12)
  fields.writeUInt32LE(record.crc, 0)
  fields.writeUInt32LE(record.compressedSize, 4)
  fields.writeUInt32LE(record.size, 8)
  return fields
}

function centralHeader(record: Written): Buffer {
  const header = Buffer.alloc(46)
  header.writeUInt32LE(0x02014b50, 0)
  header.writeUInt16LE((3 << 8) | 20, 4)
  header.writeUInt16LE(20, 6)
  header.writeUInt16LE(0x0800, 8)
  header.writeUInt16LE(record.method, 10)
  sizesAndCrc(record).copy(header, 16)
  header.writeUInt16LE(record.name.length, 28)
  header.writeUInt32LE((0o100644 << 16) >>> 0, 38)
  header.writeUInt32LE(record.offset, 42)
  return Buffer.concat([header, record.name])
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const record = Buffer.alloc(22)
  record.writeUInt32LE(0x06054b50, 0)
  record.writeUInt16LE(count, 8)
  record.writeUInt16LE(count, 10)
  record.writeUInt32LE(size, 12)
  record.writeUInt32LE(offset, 16)
  return record
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

/**
 * A stand-in for `node` that runs it under GNU time, which writes the peak resident set size
 * (KiB) to the file named by BENCH_RSS_FILE; BENCH_NODE names the real node. A Node script, not
 * a shell one: shells drop the runner's `INPUT_GITHUB-TOKEN`-style variables (hyphens).
 */
export async function writeMeasuredNode(folder: string): Promise<string> {
  const script = path.join(folder, 'measured-node.mjs')
  await writeFile(
    script,
    `#!${process.execPath}
import { spawn } from 'node:child_process'
const { BENCH_RSS_FILE, BENCH_NODE } = process.env
const time = ['-f', '%M', '-o', BENCH_RSS_FILE, BENCH_NODE, ...process.argv.slice(2)]
spawn('/usr/bin/time', time, { stdio: 'inherit' }).on('close', (code) => process.exit(code ?? 1))
`,
  )
  await chmod(script, 0o755)
  return script
}

export async function peakRssMiB(rssFile: string): Promise<number> {
  const kib = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop())
  return kib / 1024
}
