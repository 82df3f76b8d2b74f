import { randomBytes } from 'node:crypto'
import { createWriteStream, writeFileSync, type Stats } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { crc32, inflateRawSync } from 'node:zlib'
import yauzl, { type Entry } from 'yauzl'
import { systemClock, type Clock } from '../clock.js'
import type { Arrivals } from './arrivals.js'
import { temporaryMarker } from './leftovers.js'
import { ThreadWrites } from './thread-writes.js'
import { writeAll } from './write-all.js'
import { errorText } from '../errors.js'

const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const MADE_BY_UNIX = 3
const CONCURRENT_WRITES = 8
const CACHE_BLOCK_SIZE = 256 * 1024
const CACHE_BLOCKS = 8
/** Reads of a large entry: a MiB at a time, 16 times fewer round trips than the default. */
const LARGE_READ_SIZE = 1024 * 1024
/**
 * Entries up to this size are inflated in memory and written in one call: for small files, a
 * stream pipeline per entry (a zlib stream, an abort signal, a write stream) cost several times
 * the work itself (bench/extraction.ts, 20,000 files of 1–4 KiB).
 */
const SMALL_ENTRY_BYTES = 64 * 1024
/**
 * Archives of at least this many entries have their small files written by a thread of their
 * own (thread-writes.ts): its start, some 40 ms, is then well spent (bench/extraction.ts).
 */
const THREAD_WRITES_FROM = 1000
const STORED = 0
const DEFLATED = 8
const LOCAL_HEADER_SIGNATURE = 0x04034b50
const LOCAL_HEADER_BYTES = 30

/**
 * A fresh name beside `target`, in the same folder and so on the same file system: work done
 * there is moved into place with a rename, and never shows half-done at `target`. The name
 * carries this process's marker, so what a killed process left can be found (leftovers.ts).
 */
export function partialPathBeside(target: string): string {
  const suffix = `${temporaryMarker}-${randomBytes(6).toString('hex')}`
  return path.join(path.dirname(target), `.${path.basename(target)}.partial-${suffix}`)
}

/** How the file system written to treats names. */
export interface FileNameRules {
  /** Names Windows refuses or silently changes are refused, naming the entry. */
  windowsNames: boolean
  /** The key under which names are one file there: folded where the file system ignores case. */
  fold: (name: string) => string
}

/**
 * The rules of the usual file system of each platform: NTFS ignores case, and so does APFS as
 * macOS formats it by default (it also takes both Unicode normal forms of a name as one).
 */
export function fileNameRules(platform: NodeJS.Platform): FileNameRules {
  const fold =
    platform === 'win32'
      ? (name: string) => name.toLowerCase()
      : platform === 'darwin'
        ? (name: string) => name.normalize('NFD').toLowerCase()
        : (name: string) => name
  return { windowsNames: platform === 'win32', fold }
}

export const hostFileNameRules = fileNameRules(process.platform)

export interface ExtractOptions {
  /** Default: those of the platform this runs on. */
  rules?: FileNameRules
  /** Told about entries that are one file on a case-insensitive file system. */
  warn?: (message: string) => void
  /** The archive is still arriving: each read waits until its bytes are in the file. */
  arrivals?: Arrivals
  /** Paces the retries of a move into place that another program refused (default: real time). */
  clock?: Clock
}

/**
 * Extracts the zip archive `zipFile` into `destination` (created if missing, merged into if it
 * exists) and returns the relative paths of the files written. Entries that would land outside
 * the destination (`..`, absolute paths, drive letters, symbolic links), and on Windows names it
 * cannot hold, are refused. Everything is extracted into a temporary folder beside the
 * destination first, and moved into place only once all of it succeeded: a failure leaves the
 * destination as it was.
 */
export async function extractZip(
  zipFile: string,
  destination: string,
  subject: string,
  options: ExtractOptions = {},
): Promise<string[]> {
  const staged = await extractBeside(zipFile, destination, subject, options)
  return moveStaged(staged, destination, subject, options)
}

/** An archive extracted into a private folder beside its destination, not yet moved there. */
export interface StagedExtraction {
  staging: string
  /** Relative paths of the files written. */
  files: string[]
}

/**
 * Extracts `zipFile` into a fresh folder beside `destination`, removed again if anything fails.
 * With `arrivals`, the archive is read while it downloads: each read waits for its bytes, and
 * the entries come from its central directory (at its end) as in any other extraction.
 */
export async function extractBeside(
  zipFile: string,
  destination: string,
  subject: string,
  { rules = hostFileNameRules, warn = () => {}, arrivals }: ExtractOptions = {},
): Promise<StagedExtraction> {
  await mkdir(path.dirname(destination), { recursive: true })
  const staging = partialPathBeside(destination)
  await mkdir(staging)
  try {
    const names = new FoldedNames(rules.fold)
    const files = await extractInto(zipFile, staging, subject, { rules, names, arrivals })
    if (names.collisions.length > 0) warn(describeCollisions(subject, names.collisions))
    return { staging, files }
  } catch (error) {
    // The transfer may still read a file of the folder back for its hash.
    await arrivals?.settled
    await rm(staging, { recursive: true, force: true })
    throw error
  }
}

/** Moves a staged extraction into `destination`; the staging folder is gone afterwards. */
export async function moveStaged(
  staged: StagedExtraction,
  destination: string,
  subject: string,
  { rules = hostFileNameRules, clock = systemClock }: Pick<ExtractOptions, 'rules' | 'clock'> = {},
): Promise<string[]> {
  try {
    await moveInto(staged.staging, destination, rules.fold, clock).catch((error: unknown) => {
      throw new Error(`Extracting ${subject}: ${errorText(error)}`)
    })
    return staged.files
  } finally {
    await rm(staged.staging, { recursive: true, force: true })
  }
}

async function extractInto(
  zipFile: string,
  root: string,
  subject: string,
  { rules, names, arrivals }: { rules: FileNameRules; names: FoldedNames; arrivals?: Arrivals },
): Promise<string[]> {
  let archive: OpenArchive
  try {
    // Names are decoded and checked below, so the refusal can name the artifact and the entry.
    const options = { decodeStrings: false, autoClose: false }
    archive = await openCached(zipFile, options, arrivals)
  } catch (error) {
    throw new Error(`Extracting ${subject}: not a readable zip archive (${errorText(error)})`)
  }
  const { zip } = archive
  const files = new Set<string>()
  const folders = new Set<string>()
  const writes = new ConcurrentWrites(CONCURRENT_WRITES)
  const manyEntries = zip.entryCount >= THREAD_WRITES_FROM
  let threadWrites: ThreadWrites | undefined
  try {
    for await (const entry of zip.eachEntry()) {
      const name = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        true,
      )
      const isFolder = name.endsWith('/') || name.endsWith('\\')
      const checked = checkedEntryPath(entry, name, subject)
      if (rules.windowsNames) checkWindowsNames(checked, subject, name)
      const relative = names.spelling(checked, isFolder)
      const target = path.join(root, ...relative.split('/'))
      assertInside(root, target, subject, name)
      const folder = isFolder ? target : path.dirname(target)
      if (!folders.has(folder)) {
        await mkdir(folder, { recursive: true })
        folders.add(folder)
      }
      if (!isFolder) {
        const earlier = names.replacedBy(relative)
        const replaced = earlier && path.join(root, ...earlier.split('/'))
        // Keyed by the folded name: a later entry waits for the one it replaces, as in a serial
        // extraction, and removes it when spelt differently, so its own spelling is what stays.
        const key = rules.fold(relative)
        if (manyEntries && isSmall(entry)) {
          threadWrites ??= new ThreadWrites()
          await writes.waitFor(key)
          const content = await smallContent(archive, entry, subject, name)
          await threadWrites.add({ target, content, mode: fileMode(entry), replaces: replaced })
        } else {
          // The thread writes in order; this entry may replace one it has not written yet.
          await threadWrites?.drain()
          await writes.add(key, async () => {
            if (replaced) await rm(replaced, { force: true })
            await writeEntry(archive, entry, target, subject, name)
          })
        }
        if (earlier) files.delete(earlier)
        files.add(relative)
      }
    }
    await writes.finish()
    await threadWrites?.drain()
  } catch (error) {
    throw error instanceof UnsafeEntryError
      ? error
      : new Error(`Extracting ${subject} failed: ${errorText(error)}`)
  } finally {
    // Nothing may still be writing when the caller removes the folder.
    await writes.settle()
    await threadWrites?.close()
    zip.close()
  }
  return [...files]
}

/** An open archive: yauzl's view of it, the cached reader under it, its arrivals if arriving. */
interface OpenArchive {
  zip: yauzl.ZipFile
  reader: CachingReader
  arrivals?: Arrivals
}

/** Opens the archive through a CachingReader, closing the file when yauzl is done with it. */
async function openCached(
  zipFile: string,
  options: yauzl.Options,
  arrivals: Arrivals | undefined,
): Promise<OpenArchive> {
  const handle = await open(zipFile)
  try {
    const size = arrivals ? await arrivingSize(arrivals) : (await handle.stat()).size
    const reader = new CachingReader(handle, size, arrivals)
    const zip = await yauzl.fromRandomAccessReaderPromise(reader, size, options)
    return { zip, reader, arrivals }
  } catch (error) {
    await handle.close()
    throw error
  }
}

async function arrivingSize(arrivals: Arrivals): Promise<number> {
  const { size } = await arrivals.answer
  if (size === undefined) throw new Error('the storage host did not say how large it is')
  return size
}

/**
 * Reads small ranges of the archive through a few cached blocks. Without it, each entry of a
 * zip of many small files costs three tiny reads (its central directory record, local header
 * and data), each a round trip to the thread pool: most of the time such an extraction took.
 */
class CachingReader extends yauzl.RandomAccessReader {
  private readonly blocks = new Map<number, Promise<Buffer>>()

  /** With `arrivals`, each read first waits until its bytes are in the file. */
  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
    private readonly arrivals?: Arrivals,
  ) {
    super()
  }

  _readStreamForRange(start: number, end: number): Readable {
    // Plain reads, not `createReadStream`: several read streams of one FileHandle at once could
    // leave an extraction waiting forever (eight stored entries of 400 KB did).
    const chunks =
      end - start > CACHE_BLOCK_SIZE ? this.arriving(start, end) : this.lazily(start, end)
    return Readable.from(chunks, { objectMode: false })
  }

  /** A large range read a MiB at a time, each part once it has arrived (when arriving). */
  private async *arriving(start: number, end: number): AsyncGenerator<Buffer> {
    for (let position = start; position < end; position += LARGE_READ_SIZE) {
      yield await this.uncached(position, Math.min(position + LARGE_READ_SIZE, end))
    }
  }

  /** Bytes [start, end) read from the file, into `into` when given, once they have arrived. */
  async uncached(start: number, end: number, into?: Buffer): Promise<Buffer> {
    await this.arrivals?.waitFor(start, end)
    const length = end - start
    const buffer = into?.subarray(0, length) ?? Buffer.allocUnsafe(length)
    const { bytesRead } = await this.handle.read(buffer, 0, length, start)
    if (bytesRead < length) throw new Error('unexpected end of file')
    return buffer
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

  async cached(start: number, end: number): Promise<Buffer> {
    const first = Math.floor(start / CACHE_BLOCK_SIZE)
    const last = Math.floor((end - 1) / CACHE_BLOCK_SIZE)
    // A block is cached only once all of it has arrived: waiting for a whole block to read a
    // few bytes of it could wait for the part the transfer fetches last.
    const blocksEnd = Math.min((last + 1) * CACHE_BLOCK_SIZE, this.size)
    if (this.arrivals && !this.arrivals.holds(first * CACHE_BLOCK_SIZE, blocksEnd)) {
      return this.uncached(start, end)
    }
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
    await this.waitFor(file)
    const done = write()
      .catch((error: unknown) => {
        this.failure ??= { error }
      })
      .finally(() => this.running.delete(file))
    this.running.set(file, done)
  }

  /** Waits until `file` is not being written; a failure of an earlier write is thrown here. */
  async waitFor(file: string): Promise<void> {
    await this.running.get(file)
    this.throwIfFailed()
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

/**
 * `target` was made by `path.join`, which resolves any `..` left in it: one that led out of
 * `root` (itself made by `path.join`, so written the same way) leaves a path outside it.
 */
function assertInside(root: string, target: string, subject: string, name: string): void {
  if (target !== root && !target.startsWith(`${root}${path.sep}`)) {
    throw new UnsafeEntryError(subject, name, 'would be written outside the destination')
  }
}

/**
 * Names Windows takes for devices, whatever the extension (`CON`, `nul.txt`, `COM1.tar.gz`) and
 * with spaces before it (`CON .txt`, as Windows drops them): the serial and parallel ports count
 * the superscript digits ¹, ² and ³ as digits (`COM¹`), and `CONIN$` and `CONOUT$` are the
 * console's input and output.
 */
const WINDOWS_DEVICE_NAME = /^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[1-9¹²³]|LPT[1-9¹²³]) *(\.|$)/i
/** Characters Windows forbids in a name; `:` would write an NTFS alternate data stream. */
const WINDOWS_FORBIDDEN_CHARACTERS = /[<>:"|?*\u0001-\u001f]/

/**
 * Refuses names that Windows cannot hold, or would turn into another: it strips trailing dots
 * and spaces, so `a.` and `a ` would both be written to `a`.
 */
function checkWindowsNames(relative: string, subject: string, name: string): void {
  for (const segment of relative.split('/')) {
    const why = windowsNameProblem(segment)
    if (why) throw new UnsafeEntryError(subject, name, `${why} ${NOT_ON_WINDOWS}`)
  }
}

/** Refuses a file or folder name Windows cannot hold; the error starts with `describe()`. */
export function checkWindowsName(name: string, describe: () => string): void {
  const why = windowsNameProblem(name)
  if (why) throw new Error(`${describe()}: its name ${why} ${NOT_ON_WINDOWS}`)
}

const NOT_ON_WINDOWS = '(not a valid file name on Windows)'

function windowsNameProblem(segment: string): string | undefined {
  const device = WINDOWS_DEVICE_NAME.exec(segment)
  if (device) return `uses the reserved device name '${device[1]}'`
  const forbidden = WINDOWS_FORBIDDEN_CHARACTERS.exec(segment)
  if (forbidden) return `contains the character ${JSON.stringify(forbidden[0])}`
  if (/[. ]$/.test(segment)) return `has '${segment}', ending in a dot or a space`
  return undefined
}

/**
 * The names an archive's entries are written at, as a case-insensitive file system sees them
 * when `fold` folds case: a folder keeps the spelling it was first given, and of two files that
 * are one there, the later replaces the earlier, as an entry does one of the very same name.
 */
class FoldedNames {
  private readonly folders = new Map<string, string>()
  private readonly files = new Map<string, string>()
  /** Each folder name met, as given, with its spelling. */
  private readonly spelt = new Map<string, string>()
  /** Earlier and later spelling of each file replaced by a differently spelt one. */
  readonly collisions: [string, string][] = []

  constructor(private readonly fold: (name: string) => string) {}

  /** `relative` with its folders spelt as they were first seen. */
  spelling(relative: string, isFolder: boolean): string {
    const cut = isFolder ? relative.length : relative.lastIndexOf('/')
    if (cut <= 0) return relative
    return `${this.folderSpelling(relative.slice(0, cut))}${relative.slice(cut)}`
  }

  /**
   * The folder's spelling, kept per name as given: once a folder is spelt, so are all that hold
   * it, and no first spelling ever changes, so the answer for a name stays the same. The many
   * entries of one folder then cost one look-up each.
   */
  private folderSpelling(folder: string): string {
    let spelt = this.spelt.get(folder)
    if (spelt === undefined) {
      const segments = folder.split('/')
      for (let index = 0; index < segments.length; index++) {
        const key = this.fold(segments.slice(0, index + 1).join('/'))
        const known = this.folders.get(key)
        if (known === undefined) this.folders.set(key, segments.slice(0, index + 1).join('/'))
        else segments.splice(0, index + 1, ...known.split('/'))
      }
      spelt = segments.join('/')
      this.spelt.set(folder, spelt)
    }
    return spelt
  }

  /** Records the file; returns the spelling of an earlier one it replaces, if spelt otherwise. */
  replacedBy(relative: string): string | undefined {
    const key = this.fold(relative)
    const earlier = this.files.get(key)
    this.files.set(key, relative)
    if (earlier === undefined || earlier === relative) return undefined
    this.collisions.push([earlier, relative])
    return earlier
  }
}

function describeCollisions(subject: string, collisions: [string, string][]): string {
  const pairs = collisions.map(([earlier, later]) => `'${later}' replaced '${earlier}'`)
  return (
    `${subject.charAt(0).toUpperCase()}${subject.slice(1)} holds names that differ only in case, ` +
    `one file on this runner's file system; the later entry of each was kept: ${pairs.join(', ')}`
  )
}

async function writeEntry(
  archive: OpenArchive,
  entry: Entry,
  target: string,
  subject: string,
  name: string,
): Promise<void> {
  const corrupt = () => corruptEntry(subject, name)
  if (isSmall(entry)) {
    const content = await smallContent(archive, entry, subject, name)
    // One synchronous call: for a few KiB, three trips to the thread pool (open, write, close)
    // cost more than the writing (bench/extraction.ts).
    writeFileSync(target, content, { mode: fileMode(entry) })
    return
  }
  if (entry.compressionMethod === STORED && !entry.isEncrypted()) {
    await writeStored(archive, entry, { target, corrupt })
    return
  }
  const content = await archive.zip.openReadStreamPromise(entry)
  await pipeline(
    content,
    crcCheck(entry.crc32, corrupt),
    createWriteStream(target, { mode: fileMode(entry) }),
  )
}

function corruptEntry(subject: string, name: string): string {
  return `Extracting ${subject}: entry '${name}' is corrupt (CRC mismatch)`
}

/** A small entry's content, read and inflated in memory, its size and checksum checked. */
async function smallContent(
  { zip, reader }: OpenArchive,
  entry: Entry,
  subject: string,
  name: string,
): Promise<Buffer> {
  const content = inflated(entry, await readRaw(reader, entry, zip.fileSize), name)
  if (crc32(content) !== entry.crc32) throw new Error(corruptEntry(subject, name))
  return content
}

function isSmall(entry: Entry): boolean {
  return (
    (entry.compressionMethod === STORED || entry.compressionMethod === DEFLATED) &&
    !entry.isEncrypted() &&
    entry.uncompressedSize <= SMALL_ENTRY_BYTES &&
    entry.compressedSize <= SMALL_ENTRY_BYTES
  )
}

/** The entry's bytes as stored, read through the cached blocks: no stream per entry. */
async function readRaw(reader: CachingReader, entry: Entry, archiveSize: number): Promise<Buffer> {
  const { start, end } = await dataRange(reader, entry, archiveSize)
  return reader.cached(start, end)
}

/**
 * A large stored entry's content (yauzl has checked that its two sizes agree), its checksum
 * checked. While the archive arrives, the entry's range is given to the transfer as a place: the
 * parts that start from then on write it straight into `target`, and only what came before is
 * copied out of the archive here. Otherwise all of it is copied. The copy goes a MiB at a time
 * through two buffers used in turn: the next read overlaps the last write, and a GiB of content
 * allocates nothing new (a stream pipeline allocated every MiB afresh, which a runner paid for in
 * memory until it was collected).
 */
async function writeStored(
  { zip, reader, arrivals }: OpenArchive,
  entry: Entry,
  { target, corrupt }: { target: string; corrupt: () => string },
): Promise<void> {
  const { start, end } = await dataRange(reader, entry, zip.fileSize)
  const file = await open(target, 'w+', fileMode(entry))
  const place = { start, end, path: target, file }
  let writing: Promise<void> = Promise.resolve()
  try {
    arrivals?.placements?.add(place)
    await arrivals?.waitFor(start, end)
    const missed: [number, number][] = arrivals ? arrivals.missedRanges(place) : [[start, end]]
    const buffers = [Buffer.allocUnsafe(LARGE_READ_SIZE), Buffer.allocUnsafe(LARGE_READ_SIZE)]
    let crc = 0
    for (let position = start, turn = 0; position < end; turn++) {
      const copied = missed.find(([from, to]) => from <= position && position < to)
      const next = Math.min(
        position + LARGE_READ_SIZE,
        copied ? copied[1] : (missed.find(([from]) => from > position)?.[0] ?? end),
      )
      const buffer = buffers[turn % 2]
      // The write in flight uses the other buffer; this one's last write was awaited a turn ago.
      const chunk = copied
        ? await reader.uncached(position, next, buffer)
        : await readPlaced(file, buffer, next - position, position - start)
      crc = crc32(chunk, crc)
      await writing
      if (copied) writing = writeAll(file, chunk, position - start)
      position = next
    }
    await writing
    if (crc !== entry.crc32) throw new Error(corrupt())
    // The transfer reads the place back for its hash: until it has, no later entry of the same
    // name may replace the file (the entry is done only then, and the next waits for it).
    if (arrivals?.placements) await arrivals.waitForHash(end)
  } finally {
    await writing.catch(() => undefined)
    await file.close()
  }
}

/** `length` bytes of a place's file from `position`, all written there by the transfer. */
async function readPlaced(
  file: FileHandle,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<Buffer> {
  const { bytesRead } = await file.read(buffer, 0, length, position)
  if (bytesRead < length) throw new Error('unexpected end of file')
  return buffer.subarray(0, length)
}

/** Where the entry's bytes as stored lie, found through its local header as yauzl finds them. */
async function dataRange(
  reader: CachingReader,
  entry: Entry,
  archiveSize: number,
): Promise<{ start: number; end: number }> {
  const at = entry.relativeOffsetOfLocalHeader
  const header = await reader.cached(at, at + LOCAL_HEADER_BYTES)
  if (header.length < LOCAL_HEADER_BYTES || header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    throw new Error(`invalid local file header signature at offset ${at}`)
  }
  const start = at + LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28)
  const end = start + entry.compressedSize
  if (end > archiveSize) throw new Error('file data overflows the archive')
  return { start, end }
}

/** The entry's content, refused when it is not exactly the size the central directory declares. */
function inflated(entry: Entry, raw: Buffer, name: string): Buffer {
  let content = raw
  if (entry.compressionMethod === DEFLATED) {
    try {
      // One byte more than declared is enough to know the entry lies about its size.
      content = inflateRawSync(raw, { maxOutputLength: entry.uncompressedSize + 1 })
    } catch (error) {
      const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
      throw new Error(
        `entry '${name}' ${tooLarge ? 'holds more bytes than the archive declares' : `cannot be inflated (${errorText(error)})`}`,
      )
    }
  }
  if (content.length !== entry.uncompressedSize) {
    throw new Error(
      `entry '${name}' holds ${content.length} bytes, not the ${entry.uncompressedSize} the archive declares`,
    )
  }
  return content
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
 * nothing is ever written through a symbolic link already at the destination. Names are looked
 * up as `fold` sees them: where case is ignored, a file spelt otherwise is replaced (so the new
 * spelling is what stays) and a folder spelt otherwise is merged into.
 */
async function moveInto(
  source: string,
  destination: string,
  fold: (name: string) => string,
  clock: Clock,
): Promise<void> {
  // The destination itself may be a link to a folder (a user's choice): follow it.
  const existing = await statIfExists(destination, stat)
  if (existing && !existing.isDirectory()) throw inTheWay(destination)
  const moves = existing
    ? await planMoves(source, destination, fold)
    : [{ from: source, to: destination }]
  for (const { from, to, replaces } of moves) {
    if (replaces) await rm(replaces, { force: true })
    await renameRetrying(from, to, clock)
  }
}

interface Move {
  from: string
  to: string
  /** A file of the same name but another spelling, removed first. */
  replaces?: string
}

async function planMoves(
  source: string,
  destination: string,
  fold: (name: string) => string,
): Promise<Move[]> {
  const present = new Map<string, string>()
  for (const name of await readdir(destination)) present.set(fold(name), name)
  const moves: Move[] = []
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name)
    const presentName = present.get(fold(entry.name))
    const existing =
      presentName === undefined
        ? undefined
        : await statIfExists(path.join(destination, presentName), lstat)
    if (entry.isDirectory() && existing && presentName !== undefined) {
      const into = path.join(destination, presentName)
      if (!existing.isDirectory()) throw inTheWay(into)
      moves.push(...(await planMoves(from, into, fold)))
    } else {
      const to = path.join(destination, entry.name)
      if (existing?.isDirectory()) throw inTheWay(to)
      const spelling = existing && presentName !== entry.name ? presentName : undefined
      moves.push({ from, to, replaces: spelling && path.join(destination, spelling) })
    }
  }
  return moves
}

/** Errors of a file held open for a moment by another program: antivirus, the search indexer. */
const TRANSIENT_RENAME_ERRORS = new Set(['EPERM', 'EBUSY', 'EACCES'])
/** Pauses before each retry of a rename, 3.1 s in all, before its error stands. */
const RENAME_RETRY_DELAYS_MS = [100, 200, 400, 800, 1600]

/**
 * Renames `from` to `to`, retrying for a few seconds when Windows refuses because another
 * program holds one of them open; any other error, or the last, is thrown.
 */
export async function renameRetrying(
  from: string,
  to: string,
  clock: Clock = systemClock,
  attempt: (from: string, to: string) => Promise<void> = rename,
): Promise<void> {
  for (const delayMs of [...RENAME_RETRY_DELAYS_MS, undefined]) {
    try {
      return await attempt(from, to)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (delayMs === undefined || !TRANSIENT_RENAME_ERRORS.has(code)) throw error
      await clock.sleep(delayMs)
    }
  }
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
