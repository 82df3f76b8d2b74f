import { createHash, type Hash } from 'node:crypto'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { setMaxListeners } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { StorageGet } from '../api.js'
import { systemClock, type Clock } from '../clock.js'
import { limiter } from '../concurrency.js'
import type { Reporter } from '../reporter.js'
import type { Arrivals, ObjectFacts, Part } from './arrivals.js'
import { locate, type Place } from './placement.js'
import { writeAll } from './write-all.js'
import { errorText } from '../errors.js'

export interface TransferOptions {
  /** Asks the API for a signed storage URL; called again when the one in hand has expired. */
  getUrl: () => Promise<string>
  /** Fetches the signed URL from the storage host. */
  get: StorageGet
  /** Where the body goes; removed when the transfer fails. */
  file: string
  /** What is transferred, for messages: "artifact 'dist' (id 7)". */
  subject: string
  reporter: Reporter
  /**
   * Retries in a row without a byte received, for 5xx, dropped connections, truncated bodies and
   * stalls; an attempt that received something resumes where it stopped and starts the count anew.
   */
  retries?: number
  /** First pause between attempts; it doubles on each retry. */
  retryDelayMs?: number
  /** A URL older than this is not reused for a retry: GitHub signs them for about a minute. */
  urlLifetimeMs?: number
  /** A connection that sends nothing for this long is dropped and retried. */
  idleTimeoutMs?: number
  /** The size the API announced: from `parallel.minBytes` on, parts go over several connections. */
  expectedBytes?: number
  parallel?: ParallelSettings
  /**
   * Told of each write, for a reader working on the file while it arrives; its placements say
   * which ranges go to other files instead.
   */
  arrivals?: Arrivals
  clock?: Clock
  signal?: AbortSignal
  /**
   * Told the bytes received so far, over every part; fewer again when a part must start over
   * (a server that ignored a resume's Range).
   */
  onReceived?: (bytes: number) => void
}

/** How a large download is split into ranged requests. */
export interface ParallelSettings {
  /** Bytes per ranged request. */
  partBytes: number
  /** Ranged requests in flight at once for one download. */
  connections: number
  /** Smaller downloads use one connection. */
  minBytes: number
}

export interface Transfer {
  file: string
  /** Hex SHA-256 of exactly the bytes received, in order. */
  sha256: string
  bytes: number
  /** The media type the storage host gave, lower-cased, without parameters ('' if none). */
  contentType: string
  /** Base name from Content-Disposition, made safe to use as a file name. */
  fileName?: string
}

const MiB = 1024 * 1024

const DEFAULTS = {
  retries: 3,
  retryDelayMs: 1_000,
  urlLifetimeMs: 50_000,
  idleTimeoutMs: 60_000,
  expectedBytes: 0,
}

/**
 * Measured on the emulator's link model (README, "Large downloads"): 8 connections fill a path
 * that caps each one, and 8 MiB parts keep the round trip before each part's first byte small
 * beside its transfer time, while a cut costs at most one part.
 */
const PARALLEL_DEFAULTS: ParallelSettings = {
  partBytes: 8 * MiB,
  connections: 8,
  minBytes: 32 * MiB,
}

/** Longest `retry-after` honoured; the signed URL would have expired by then anyway. */
const MAX_RETRY_AFTER_MS = 60_000
/** Read-back size when hashing parts that arrived ahead of the bytes before them. */
const HASH_READ_BYTES = MiB
/** Received bytes of one connection waiting for the disk before the socket is read again. */
const MAX_QUEUED_BYTES = 128 * 1024

/**
 * Tries of one part, resumptions included: a storage host that cuts every answer after a few
 * bytes makes progress each time, and must still be given up on.
 */
const MAX_TRIES_PER_PART = 20

/** A failed attempt; `retryable` ones are tried again, `urlRefused` ones with a fresh URL. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly urlRefused = false,
    readonly retryAfterMs = 0,
  ) {
    super(message)
  }
}

/** The local file could not be written: downloading again would not help. */
class DiskError extends Error {}

/** Writing problems a retry cannot cure, in words a user can act on. */
const DISK_PROBLEMS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a file is in the place of a folder on its path',
  EISDIR: 'a folder is in its place',
}

/** What the storage host said about the object, from its first accepted answer. */
interface StoredObject extends ObjectFacts {
  etag: string | undefined
  fileName: string | undefined
}

/**
 * Streams the artifact behind the signed storage URL into `options.file`, hashing the bytes in
 * order on the way, so memory stays flat whatever the size. A connection that fails is resumed
 * where it stopped with a ranged request checked to be the same object's right part. Large
 * objects are fetched as parts over several connections. The request carries no Authorization
 * header: the URL's signature is the only credential the storage host gets.
 */
export async function transferToFile(options: TransferOptions): Promise<Transfer> {
  const settings = { ...DEFAULTS, ...options }
  try {
    const handle = await open(options.file, 'w+').catch((error: unknown) => {
      throw diskError(error, settings)
    })
    try {
      return await new Download(settings, handle).run()
    } finally {
      // Closed before a failed file is removed: Windows removes no file held open.
      await handle.close().catch(() => undefined)
    }
  } catch (error) {
    options.arrivals?.fail(error)
    // Where the file could not be made (a file in place of its folder), there is nothing to remove.
    await rm(options.file, { force: true }).catch(() => undefined)
    throw error
  } finally {
    options.arrivals?.end()
  }
}

type Settings = TransferOptions & typeof DEFAULTS

/** One transfer: its parts, the signed URL they share, and the hash over the whole. */
class Download {
  private readonly urls: SignedUrl
  private readonly hash: OrderedHash
  private readonly parts: Part[] = []
  private readonly facts: StoredObject = {
    size: undefined,
    etag: undefined,
    contentType: '',
    fileName: undefined,
  }
  private readonly stop = new AbortController()
  private readonly signal: AbortSignal
  private attempts = 0
  /** Bytes in the file over every part: kept as they arrive, not summed again per chunk. */
  private received = 0
  /** Whether the object was split into several parts (and may no longer restart from byte 0). */
  private split = false
  private answered!: () => void
  private readonly firstAnswer = new Promise<void>((resolve) => (this.answered = resolve))

  constructor(
    private readonly settings: Settings,
    private readonly handle: FileHandle,
  ) {
    this.urls = new SignedUrl(settings)
    this.hash = new OrderedHash(handle, this.parts, (bytes) => settings.arrivals?.hashed(bytes))
    this.signal = settings.signal
      ? AbortSignal.any([settings.signal, this.stop.signal])
      : this.stop.signal
    // Each connection listens for the abort twice (its request and its body).
    const { connections } = settings.parallel ?? PARALLEL_DEFAULTS
    setMaxListeners(2 * connections + 2, this.signal)
  }

  async run(): Promise<Transfer> {
    try {
      return await this.transfer()
    } finally {
      await this.hash.close()
    }
  }

  private async transfer(): Promise<Transfer> {
    const parallel = this.settings.parallel ?? PARALLEL_DEFAULTS
    const ranged = this.settings.expectedBytes >= parallel.minBytes
    const first: Part = { start: 0, end: ranged ? parallel.partBytes - 1 : undefined, received: 0 }
    this.parts.push(first)
    const slot = limiter(ranged ? parallel.connections : 1)
    const running = [this.guarded(slot(() => this.fetchPart(first)))]
    if (ranged) {
      await Promise.race([this.firstAnswer, running[0].catch(() => undefined)])
      for (const part of this.remainingParts(parallel.partBytes)) {
        running.push(this.guarded(slot(() => this.fetchPart(part))))
      }
    }
    const outcomes = await Promise.allSettled(running)
    const failed = outcomes.find((outcome) => outcome.status === 'rejected')
    if (failed) throw failed.reason
    const bytes = this.received
    return {
      file: this.settings.file,
      sha256: await this.hash.digest(bytes),
      bytes,
      contentType: this.facts.contentType,
      fileName: this.facts.fileName,
    }
  }

  /** The first failure stops every other part. */
  private guarded(work: Promise<void>): Promise<void> {
    return work.catch((error: unknown) => {
      if (!this.stop.signal.aborted) this.stop.abort(error)
      throw this.settings.signal?.aborted ? this.settings.signal.reason : error
    })
  }

  /** Once the first part's answer told the size, the parts after it. */
  private remainingParts(partBytes: number): Part[] {
    const size = this.facts.size
    const first = this.parts[0]
    if (size === undefined || first.end === undefined || first.end >= size - 1) return []
    this.split = true
    // Cut from the end back, so that the last part is a whole one whatever the size: a zip's
    // central directory and the end record a reader looks for first are in it, rather than
    // spread over a short last part and the one before it.
    const rest: Part[] = []
    for (let end = size; end > first.end + 1; end -= partBytes) {
      rest.unshift({ start: Math.max(end - partBytes, first.end + 1), end: end - 1, received: 0 })
    }
    this.parts.push(...rest)
    // The last part first, as a reader working on the file while it arrives needs it first.
    return [...rest.slice(-1), ...rest.slice(0, -1)]
  }

  /** Fetches one part, resuming it after a retryable failure. */
  private async fetchPart(part: Part): Promise<void> {
    for (let failures = 0, tries = 1; ; tries++) {
      this.signal.throwIfAborted()
      const url = await this.urls.current()
      const before = part.received
      this.attempts++
      try {
        await this.attempt(url, part)
        return
      } catch (error) {
        this.signal.throwIfAborted()
        failures = part.received > before ? 1 : failures + 1
        if (
          !(error instanceof AttemptError) ||
          !error.retryable ||
          failures > this.settings.retries ||
          tries >= MAX_TRIES_PER_PART
        ) {
          throw failure(error, this.settings.subject, this.attempts)
        }
        await this.pauseBeforeRetry(error, failures, url)
      }
    }
  }

  private async pauseBeforeRetry(
    error: AttemptError,
    failures: number,
    url: string,
  ): Promise<void> {
    const { retryDelayMs, retries, reporter, subject } = this.settings
    const delayMs = Math.max(retryDelayMs * 2 ** (failures - 1), error.retryAfterMs)
    reporter.info(
      `Downloading ${subject}: ${error.message}; retrying in ${Math.round(delayMs / 1000)} s (retry ${failures} of ${retries})`,
    )
    if (error.urlRefused) this.urls.refused(url)
    await (this.settings.clock ?? systemClock).sleep(delayMs)
  }

  private async attempt(url: string, part: Part): Promise<void> {
    const position = part.start + part.received
    const response = await this.request(url, part, position)
    try {
      this.accept(response, part, position)
      await this.receive(response, part)
    } finally {
      response.destroy()
    }
    const expected = part.end === undefined ? undefined : part.end - part.start + 1
    if (expected !== undefined && part.received < expected) {
      throw new AttemptError(
        `the body ended after ${part.start + part.received} of ${part.end! + 1} bytes`,
        true,
      )
    }
  }

  private async request(url: string, part: Part, position: number): Promise<IncomingMessage> {
    const headers: Record<string, string> = {}
    if (position > 0 || part.end !== undefined)
      headers.range = `bytes=${position}-${part.end ?? ''}`
    if (this.facts.etag !== undefined) headers['if-match'] = this.facts.etag
    const { get, idleTimeoutMs } = this.settings
    let response: IncomingMessage
    try {
      response = await abandonable(
        get(url, { idleTimeoutMs, headers, signal: this.signal }),
        this.signal,
      )
    } catch (error) {
      this.signal.throwIfAborted()
      throw new AttemptError(reason(error, url), true)
    }
    if (response.statusCode !== 200 && response.statusCode !== 206) {
      response.resume()
      throw statusError(response)
    }
    return response
  }

  /**
   * Checks the answer is the part asked for, of the same object: a 206 whose Content-Range starts
   * where the part resumes. A 200 is the whole object: taken as a fresh start when the part
   * begins the object and nothing was split off it, else refused like a wrong part.
   */
  private accept(response: IncomingMessage, part: Part, position: number): void {
    const body = answeredRange(response)
    const sameObject = this.facts.size === undefined || body.size === this.facts.size
    if (response.statusCode === 200 && part.start === 0 && !this.split && sameObject) {
      this.received -= part.received
      part.received = 0
      part.end = body.end
      this.hash.restart()
    } else {
      const size = this.facts.size ?? body.size
      const end = size === undefined ? part.end : Math.min(part.end ?? Infinity, size - 1)
      if (!sameObject || body.start !== position || (end !== undefined && body.end !== end)) {
        throw new AttemptError(
          `the storage host answered ${describeRange(response)} when asked for bytes ` +
            `${position}-${part.end ?? ''}`,
          true,
        )
      }
      part.end = end ?? body.end
    }
    this.learn(response, body.size)
  }

  private learn(response: IncomingMessage, size: number | undefined): void {
    if (this.facts.size === undefined) this.facts.size = size
    const etag = response.headers.etag
    if (this.facts.etag === undefined && etag) this.facts.etag = etag
    if (response.headers['content-type'] !== undefined && this.facts.contentType === '') {
      this.facts.contentType = mediaType(response.headers['content-type'])
    }
    this.facts.fileName ??= fileNameFromDisposition(response.headers['content-disposition'])
    this.settings.arrivals?.begin(
      { size: this.facts.size, contentType: this.facts.contentType },
      this.parts,
    )
    this.answered()
  }

  /**
   * Writes the body at its place in the file; network failures are retryable, disk ones not.
   * The socket is read while a write is in flight, and what arrived meanwhile goes in one
   * `writev`: a write per socket chunk cost more on the main thread than the rest of a download.
   */
  private async receive(response: IncomingMessage, part: Part): Promise<void> {
    const { idleTimeoutMs } = this.settings
    response.setTimeout(idleTimeoutMs, () =>
      response.destroy(new Error(`no data for ${idleTimeoutMs / 1000} s`)),
    )
    const abandon = (): void => void response.destroy()
    this.signal.addEventListener('abort', abandon, { once: true })
    const writer = new QueuedWriter((chunks, bytes) => this.store(chunks, bytes, part))
    let accepted = part.received
    try {
      const chunks = response[Symbol.asyncIterator]() as AsyncIterator<Buffer>
      for (;;) {
        let next: IteratorResult<Buffer>
        try {
          next = await chunks.next()
        } catch (error) {
          this.signal.throwIfAborted()
          throw new AttemptError(reason(error, this.urls.latest()), true)
        }
        if (next.done) return
        accepted += next.value.length
        if (part.end !== undefined && part.start + accepted > part.end + 1) {
          throw new AttemptError('the storage host sent more bytes than asked for', true)
        }
        await writer.add(next.value)
      }
    } finally {
      this.signal.removeEventListener('abort', abandon)
      // What was received is in the file before a retry resumes after it; a disk error wins.
      await writer.drain()
    }
  }

  private async store(chunks: Buffer[], bytes: number, part: Part): Promise<void> {
    let position = part.start + part.received
    part.places ??= this.settings.arrivals?.placements?.within(part.start, part.end ?? Infinity)
    try {
      await this.writePlaced(chunks, bytes, position, part)
    } catch (error) {
      throw diskError(error, this.settings)
    }
    part.received += bytes
    this.received += bytes
    this.settings.onReceived?.(this.received)
    for (const chunk of chunks) {
      this.hash.written(chunk, position)
      position += chunk.length
    }
    this.settings.arrivals?.written()
  }

  /** Writes `chunks`, which continue `part` at `position`, into the files its places name. */
  private async writePlaced(
    chunks: Buffer[],
    bytes: number,
    position: number,
    part: Part,
  ): Promise<void> {
    if (!part.places?.length) return writeFully(this.handle, chunks, bytes, position)
    let rest = chunks
    for (let done = 0; done < bytes;) {
      const { place, position: at, length } = locate(part, position + done, bytes - done)
      const [these, others] = splitChunks(rest, length)
      await writeFully(place?.file ?? this.handle, these, length, at)
      rest = others
      done += length
    }
  }
}

/** The first `bytes` of `chunks`, and the rest, cutting a chunk in two where they meet. */
function splitChunks(chunks: Buffer[], bytes: number): [Buffer[], Buffer[]] {
  const first: Buffer[] = []
  let index = 0
  for (let taken = 0; taken < bytes; index++) {
    const chunk = chunks[index]
    if (taken + chunk.length <= bytes) {
      first.push(chunk)
      taken += chunk.length
    } else {
      first.push(chunk.subarray(0, bytes - taken))
      return [first, [chunk.subarray(bytes - taken), ...chunks.slice(index + 1)]]
    }
  }
  return [first, chunks.slice(index)]
}

/**
 * Writes queued chunks in order, one `write` at a time, each taking all that queued while the
 * one before was in flight. `add` waits only when too much is queued.
 */
class QueuedWriter {
  private queued: Buffer[] = []
  private queuedBytes = 0
  private flushing: Promise<void> | undefined
  private failure: { error: unknown } | undefined

  constructor(private readonly write: (chunks: Buffer[], bytes: number) => Promise<void>) {}

  async add(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure.error
    this.queued.push(chunk)
    this.queuedBytes += chunk.length
    this.flushing ??= this.flush()
    if (this.queuedBytes >= MAX_QUEUED_BYTES) await this.flushing
  }

  /** Resolves once everything queued is written; rejects with the first write's failure. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing
    if (this.failure) throw this.failure.error
  }

  private async flush(): Promise<void> {
    try {
      while (this.queued.length > 0 && !this.failure) {
        const [chunks, bytes] = [this.queued, this.queuedBytes]
        this.queued = []
        this.queuedBytes = 0
        await this.write(chunks, bytes)
      }
    } catch (error) {
      this.failure = { error }
    } finally {
      // Cleared in the same step as the loop's last look at the queue: a chunk added from here
      // on starts a flush of its own, so none is left behind.
      this.flushing = undefined
    }
  }
}

/** `writev` may write less than asked; the rest follows until all of it is in the file. */
async function writeFully(
  handle: FileHandle,
  chunks: Buffer[],
  bytes: number,
  position: number,
): Promise<void> {
  const { bytesWritten } = await handle.writev(chunks, position)
  if (bytesWritten < bytes) {
    await writeAll(handle, Buffer.concat(chunks).subarray(bytesWritten), position + bytesWritten)
  }
}

/**
 * The answer, or a rejection as soon as `signal` aborts: a storage client may take no signal,
 * and its response, should it still come, is dropped.
 */
function abandonable(
  answer: Promise<IncomingMessage>,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  signal.throwIfAborted()
  return new Promise((resolve, reject) => {
    const abandon = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', abandon, { once: true })
    answer.then(
      (response) => {
        signal.removeEventListener('abort', abandon)
        if (signal.aborted) response.destroy()
        else resolve(response)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abandon)
        reject(error as Error)
      },
    )
  })
}

/** The signed URL the parts share: asked for once, again when old or refused. */
class SignedUrl {
  private url: Promise<string> | undefined
  private value = ''
  private since = 0

  constructor(private readonly settings: Settings) {}

  current(): Promise<string> {
    const clock = this.settings.clock ?? systemClock
    if (this.url === undefined || clock.now() - this.since > this.settings.urlLifetimeMs) {
      this.since = clock.now()
      const asked = this.settings.getUrl().then((url) => {
        this.settings.reporter.mask(url)
        this.value = url
        return url
      })
      // A failed request for a URL is not kept: the next part asks again.
      asked.catch(() => {
        if (this.url === asked) this.url = undefined
      })
      this.url = asked
    }
    return this.url
  }

  /** The storage host refused `url`: the next request gets a fresh one, unless it already has. */
  refused(url: string): void {
    if (this.value === url) this.url = undefined
  }

  /** The URL last handed out, to keep it out of messages. */
  latest(): string {
    return this.value
  }
}

/**
 * SHA-256 of the file's bytes in order, while parts arrive in any order: bytes that continue the
 * hashed prefix are hashed as they come; parts that arrived ahead are read back from the file
 * once the bytes before them are in.
 */
class OrderedHash {
  private hash: Hash = createHash('sha256')
  private hashed = 0
  private reading: Promise<void> | undefined
  private failure: { error: unknown } | undefined
  private readonly buffer = Buffer.allocUnsafe(HASH_READ_BYTES)
  /** The place last read back, open for reading: its writer closes its own handle when done. */
  private placeRead: { place: Place; file: Promise<FileHandle> } | undefined

  constructor(
    private readonly handle: FileHandle,
    private readonly parts: Part[],
    private readonly onHashed: (bytes: number) => void,
  ) {}

  /** The part that begins the object starts again from its first byte. */
  restart(): void {
    this.hash = createHash('sha256')
    this.hashed = 0
  }

  /** `chunk` is now in the file at `position`. */
  written(chunk: Buffer, position: number): void {
    if (this.reading === undefined && position === this.hashed) {
      this.hash.update(chunk)
      this.hashed += chunk.length
      this.onHashed(this.hashed)
    }
    if (this.reading === undefined && this.partAhead()) {
      this.reading = this.readAhead()
        .catch((error: unknown) => void (this.failure ??= { error }))
        .finally(() => (this.reading = undefined))
    }
  }

  /** The hex digest once `bytes` bytes are hashed. */
  async digest(bytes: number): Promise<string> {
    while (this.reading) await this.reading
    if (this.failure) throw this.failure.error
    await this.readAhead()
    if (this.hashed !== bytes) throw new Error(`only ${this.hashed} of ${bytes} bytes were hashed`)
    return this.hash.digest('hex')
  }

  /** Hashes, from where they were written, what the parts hold past the hashed prefix. */
  private async readAhead(): Promise<void> {
    for (let part = this.partAhead(); part; part = this.partAhead()) {
      const available = part.start + part.received - this.hashed
      const { place, position, length } = locate(
        part,
        this.hashed,
        Math.min(available, this.buffer.length),
      )
      const file = place ? await this.placeReader(place) : this.handle
      const { bytesRead } = await file.read(this.buffer, 0, length, position)
      if (bytesRead === 0) return
      this.hash.update(this.buffer.subarray(0, bytesRead))
      this.hashed += bytesRead
      this.onHashed(this.hashed)
    }
  }

  /** Done reading back: closes the place open for it, if any. */
  async close(): Promise<void> {
    while (this.reading) await this.reading
    await this.closePlaceRead()
  }

  private async placeReader(place: Place): Promise<FileHandle> {
    if (this.placeRead?.place !== place) {
      await this.closePlaceRead()
      this.placeRead = { place, file: open(place.path, 'r') }
    }
    return this.placeRead.file
  }

  private async closePlaceRead(): Promise<void> {
    const read = this.placeRead
    this.placeRead = undefined
    await read?.file.then((file) => file.close()).catch(() => undefined)
  }

  /** The part holding written bytes from the end of the hashed prefix on. */
  private partAhead(): Part | undefined {
    return this.parts.find(
      ({ start, received }) => start <= this.hashed && this.hashed < start + received,
    )
  }
}

/** The part a 200 or 206 answer carries, and the object's size when the answer tells it. */
interface AnsweredRange {
  start: number
  end: number | undefined
  size: number | undefined
}

function answeredRange(response: IncomingMessage): AnsweredRange {
  if (response.statusCode === 206) {
    const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '')
    if (!match) return { start: -1, end: undefined, size: undefined }
    const size = match[3] === '*' ? undefined : Number(match[3])
    return { start: Number(match[1]), end: Number(match[2]), size }
  }
  const length = Number(response.headers['content-length'] ?? NaN)
  const size = Number.isNaN(length) ? undefined : length
  return { start: 0, end: size === undefined ? undefined : size - 1, size }
}

function describeRange(response: IncomingMessage): string {
  if (response.statusCode === 200) return 'HTTP 200 with the whole object'
  const range = response.headers['content-range']
  return range ? `the part '${range}'` : 'HTTP 206 without a Content-Range'
}

function statusError(response: IncomingMessage): AttemptError {
  const status = response.statusCode ?? 0
  const answer = `the storage host answered HTTP ${status}`
  // An expired signature is refused with 403 (Azure: AuthenticationFailed).
  if (status === 401 || status === 403) return new AttemptError(answer, true, true)
  if (status === 412) {
    return new AttemptError(`${answer}: the object changed on the storage host`, false)
  }
  if (status === 408 || status === 429 || status >= 500) {
    return new AttemptError(answer, true, false, retryAfterMs(response.headers['retry-after']))
  }
  return new AttemptError(answer, false)
}

function retryAfterMs(header: string | undefined): number {
  const seconds = Number(header)
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : 0
}

function diskError(error: unknown, settings: Settings): DiskError {
  const code = (error as NodeJS.ErrnoException).code ?? ''
  const problem = DISK_PROBLEMS[code] ?? errorText(error)
  return new DiskError(
    `Downloading ${settings.subject}: cannot write ${settings.file}: ${problem}` +
      `${code && DISK_PROBLEMS[code] ? ` (${code})` : ''}; nothing was kept`,
  )
}

/** The final error: names what failed and why, but never the signed URL (a credential). */
function failure(error: unknown, subject: string, attempts: number): Error {
  if (!(error instanceof AttemptError))
    return error instanceof Error ? error : new Error(String(error))
  const tries = attempts === 1 ? '' : ` after ${attempts} attempts`
  return new Error(`Downloading ${subject} from the storage URL failed${tries}: ${error.message}`)
}

/** An error's message with the signed URL (or its path and query) replaced by a neutral name. */
function reason(error: unknown, url: string): string {
  const message = errorText(error)
  if (url === '') return message
  const parsed = new URL(url)
  return [url, parsed.pathname + parsed.search].reduce(
    (text, secret) => text.split(secret).join('the storage URL'),
    message,
  )
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase()
}

/**
 * The file name a Content-Disposition header gives (RFC 6266: `filename*` wins over `filename`),
 * reduced to its base name and stripped of what no file system should get from a server.
 */
export function fileNameFromDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined
  const extended = /filename\*\s*=\s*([\w!#$%&+^`{}~-]*)'[^']*'([^;\s]+)/i.exec(header)
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header)
  const name = extended
    ? decodeExtendedValue(extended[1], extended[2])
    : plain && (plain[1]?.replace(/\\(.)/g, '$1') ?? plain[2])
  return name ? safeFileName(name) : undefined
}

function decodeExtendedValue(charset: string, value: string): string {
  const bytes: number[] = []
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '%' && /^[0-9a-f]{2}$/i.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      bytes.push(value.charCodeAt(i))
    }
  }
  const encoding = charset.toLowerCase() === 'utf-8' ? 'utf8' : 'latin1'
  return Buffer.from(bytes).toString(encoding)
}

function safeFileName(name: string): string | undefined {
  const base = name.split(/[\\/]/).pop() ?? ''
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f]/g, '')
    // Characters Windows refuses in file names; trailing dots and spaces it silently drops.
    .replace(/[<>:"|?*]/g, '_')
    .replace(/[. ]+$/, '')
    .trim()
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? undefined : cleaned
}
