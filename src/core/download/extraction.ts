import { randomBytes } from 'node:crypto'
import { createWriteStream, type Stats } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { crc32 } from 'node:zlib'
import yauzl, { type Entry } from 'yauzl'

const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const MADE_BY_UNIX = 3
const CONCURRENT_WRITES = 8
const CACHE_BLOCK_SIZE = 256 * 1024
const CACHE_BLOCKS = 8
/** Reads of a large entry: a MiB at a time, 16 times fewer round trips than the default. */
const LARGE_READ_SIZE = 1024 * 1024

/**
 * A fresh name beside `target`, in the same folder and so on the same file system: work done
 * there is moved into place with a rename, and never shows half-done at `target`.
 */
export function partialPathBeside(target: string): string {
  const suffix = randomBytes(6).toString('hex')
  return path.join(path.dirname(target), `.${path.basename(target)}.partial-${suffix}`)
}

/**
 * Extracts the zip archive `zipFile` into `destination` (created if missing, merged into if it
 * exists) and returns the relative paths of the files written. Entries that would land outside
 * the destination (`..`, absolute paths, drive letters, symbolic links) are refused. Everything
 * is extracted into a temporary folder beside the destination first, and moved into place only
 * once all of it succeeded: a failure leaves the destination as it was.
 */
export async function extractZip(
  zipFile: string,
  destination: string,
  subject: string,
): Promise<string[]> {
  await mkdir(path.dirname(destination), { recursive: true })
  const staging = partialPathBeside(destination)
  await mkdir(staging)
  try {
    const files = await extractInto(zipFile, staging, subject)
    await moveInto(staging, destination).catch((error: unknown) => {
      throw new Error(`Extracting ${subject}: ${message(error)}`)
    })
    return files
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

async function extractInto(zipFile: string, root: string, subject: string): Promise<string[]> {
  let zip: yauzl.ZipFile
  try {
    // Names are decoded and checked below, so the refusal can name the artifact and the entry.
    zip = await openCached(zipFile, { decodeStrings: false, autoClose: false })
  } catch (error) {
    throw new Error(`Extracting ${subject}: not a readable zip archive (${message(error)})`)
  }
  const files = new Set<string>()
  const folders = new Set<string>()
  const writes = new ConcurrentWrites(CONCURRENT_WRITES)
  try {
    for await (const entry of zip.eachEntry()) {
      const name = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        true,
      )
      const relative = checkedEntryPath(entry, name, subject)
      const target = path.join(root, ...relative.split('/'))
      assertInside(root, target, subject, name)
      const folder = name.endsWith('/') || name.endsWith('\\') ? target : path.dirname(target)
      if (!folders.has(folder)) {
        await mkdir(folder, { recursive: true })
        folders.add(folder)
      }
      if (folder !== target) {
        await writes.add(relative, () => writeEntry(zip, entry, target, subject, name))
        files.add(relative)
      }
    }
    await writes.finish()
  } catch (error) {
    throw error instanceof UnsafeEntryError
      ? error
      : new Error(`Extracting ${subject} failed: ${message(error)}`)
  } finally {
    // Nothing may still be writing when the caller removes the folder.
    await writes.settle()
    zip.close()
  }
  return [...files]
}

/** Opens the archive through a CachingReader, closing the file when yauzl is done with it. */
async function openCached(zipFile: string, options: yauzl.Options): Promise<yauzl.ZipFile> {
  const handle = await open(zipFile)
  try {
    const { size } = await handle.stat()
    return await yauzl.fromRandomAccessReaderPromise(new CachingReader(handle), size, options)
  } catch (error) {
    await handle.close()
    throw error
  }
}

/**
 * Reads small ranges of the archive through a few cached blocks. Without it, each entry of a
 * zip of many small files costs three tiny reads (its central directory record, local header
 * and data), each a round trip to the thread pool: most of the time such an extraction took.
 */
class CachingReader extends yauzl.RandomAccessReader {
  private readonly blocks = new Map<number, Promise<Buffer>>()

  constructor(private readonly handle: FileHandle) {
    super()
  }

  _readStreamForRange(start: number, end: number): Readable {
    if (end - start > CACHE_BLOCK_SIZE) {
      return this.handle.createReadStream({
        start,
        end: end - 1,
        autoClose: false,
        highWaterMark: LARGE_READ_SIZE,
      })
    }
    return Readable.from(this.lazily(start, end), { objectMode: false })
  }

  /** The read starts when the stream is first read, so its failure always has a listener. */
  private async *lazily(start: number, end: number): AsyncGenerator<Buffer> {
    yield await this.cached(start, end)
  }

  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null) => void,
  ): void {
    this.cached(position, position + length).then(
      (bytes) =>
        callback(
          bytes.copy(buffer, offset) === length ? null : new Error('unexpected end of file'),
        ),
      (error: Error) => callback(error),
    )
  }

  close(callback: (error: Error | null) => void): void {
    this.handle.close().then(() => callback(null), callback)
  }

  private async cached(start: number, end: number): Promise<Buffer> {
    const first = Math.floor(start / CACHE_BLOCK_SIZE)
    const last = Math.floor((end - 1) / CACHE_BLOCK_SIZE)
    const parts: Buffer[] = []
    for (let index = first; index <= last; index++) parts.push(await this.block(index))
    const joined = parts.length === 1 ? parts[0] : Buffer.concat(parts)
    const from = start - first * CACHE_BLOCK_SIZE
    return joined.subarray(from, from + end - start)
  }

  private block(index: number): Promise<Buffer> {
    let block = this.blocks.get(index)
    if (!block) {
      block = this.handle
        .read(Buffer.allocUnsafe(CACHE_BLOCK_SIZE), 0, CACHE_BLOCK_SIZE, index * CACHE_BLOCK_SIZE)
        .then(({ buffer, bytesRead }) => buffer.subarray(0, bytesRead))
      this.blocks.set(index, block)
      if (this.blocks.size > CACHE_BLOCKS)
        this.blocks.delete(this.blocks.keys().next().value as number)
    }
    return block
  }
}

/**
 * Entry writes in flight at once: extracting many small files waits on the file system far more
 * than on the CPU, and overlapping them roughly halves the time (bench/extraction.ts).
 */
class ConcurrentWrites {
  private readonly running = new Map<string, Promise<void>>()
  private failure: { error: unknown } | undefined

  constructor(private readonly limit: number) {}

  /** Starts the write once a slot is free; a failure of an earlier one is thrown here. */
  async add(file: string, write: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running.values())
    // An archive may hold a name twice: the later entry must win, as in a serial extraction.
    await this.running.get(file)
    this.throwIfFailed()
    const done = write()
      .catch((error: unknown) => {
        this.failure ??= { error }
      })
      .finally(() => this.running.delete(file))
    this.running.set(file, done)
  }

  /** Waits for every write, throwing the first failure. */
  async finish(): Promise<void> {
    await this.settle()
    this.throwIfFailed()
  }

  /** Waits for every write, whatever the outcome. */
  async settle(): Promise<void> {
    await Promise.all(this.running.values())
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error
  }
}

class UnsafeEntryError extends Error {
  constructor(subject: string, name: string, why: string) {
    super(`Refusing to extract ${subject}: its entry '${name}' ${why}`)
    this.name = 'UnsafeEntryError'
  }
}

/** The entry's path relative to the destination, with `/` separators; throws if unsafe. */
function checkedEntryPath(entry: Entry, name: string, subject: string): string {
  const normalised = name.replace(/\\/g, '/')
  const refuse = (why: string) => new UnsafeEntryError(subject, name, why)
  // `//server/share` (a UNC path once `\` is normalised) starts with `/` as well.
  if (normalised.startsWith('/')) throw refuse('is an absolute path')
  if (/^[a-zA-Z]:/.test(normalised)) throw refuse('starts with a drive letter')
  if (normalised.includes('\0')) throw refuse('contains a NUL character')
  const segments = normalised.split('/').filter((segment) => segment !== '' && segment !== '.')
  if (segments.includes('..')) throw refuse("contains a '..' segment")
  if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
    throw refuse('is a symbolic link')
  }
  if (segments.length === 0 && !normalised.endsWith('/')) throw refuse('has no file name')
  return segments.join('/')
}

function assertInside(root: string, target: string, subject: string, name: string): void {
  const relative = path.relative(root, target)
  // Only a `..` segment leaves the root: `..foo` is an ordinary name.
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new UnsafeEntryError(subject, name, 'would be written outside the destination')
  }
}

async function writeEntry(
  zip: yauzl.ZipFile,
  entry: Entry,
  target: string,
  subject: string,
  name: string,
): Promise<void> {
  const content = await zip.openReadStreamPromise(entry)
  await pipeline(
    content,
    crcCheck(entry.crc32, () => `Extracting ${subject}: entry '${name}' is corrupt (CRC mismatch)`),
    createWriteStream(target, { mode: fileMode(entry) }),
  )
}

/** yauzl checks sizes but not checksums: a corrupt entry would otherwise pass unnoticed. */
function crcCheck(expected: number, describe: () => string): Transform {
  let crc = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      crc = crc32(chunk, crc)
      done(null, chunk)
    },
    flush(done) {
      done(crc === expected ? null : new Error(describe()))
    },
  })
}

/** Unix permission bits from the archive, so executables stay executable; never setuid. */
function fileMode(entry: Entry): number {
  const unixMode = (entry.externalFileAttributes >>> 16) & 0o777
  if (entry.versionMadeBy >> 8 !== MADE_BY_UNIX || unixMode === 0) return 0o666
  return unixMode | 0o600
}

/**
 * Moves everything under `source` into `destination`, merging into folders that exist there
 * and replacing files. Every conflict is found before the first move, so a refusal changes
 * nothing; a folder or link in the way of a file (or the other way round) is a conflict, so
 * nothing is ever written through a symbolic link already at the destination.
 */
async function moveInto(source: string, destination: string): Promise<void> {
  // The destination itself may be a link to a folder (a user's choice): follow it.
  const existing = await statIfExists(destination, stat)
  if (existing && !existing.isDirectory()) throw inTheWay(destination)
  const moves = existing
    ? await planMoves(source, destination)
    : [{ from: source, to: destination }]
  for (const { from, to } of moves) await rename(from, to)
}

interface Move {
  from: string
  to: string
}

async function planMoves(source: string, destination: string): Promise<Move[]> {
  const moves: Move[] = []
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name)
    const to = path.join(destination, entry.name)
    const existing = await statIfExists(to, lstat)
    if (entry.isDirectory() && existing) {
      if (!existing.isDirectory()) throw inTheWay(to)
      moves.push(...(await planMoves(from, to)))
    } else {
      if (existing?.isDirectory()) throw inTheWay(to)
      moves.push({ from, to })
    }
  }
  return moves
}

function inTheWay(target: string): Error {
  return new Error(`cannot write '${target}': a file, folder or link of another kind is in the way`)
}

async function statIfExists(
  target: string,
  read: (target: string) => Promise<Stats>,
): Promise<Stats | undefined> {
  try {
    return await read(target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
