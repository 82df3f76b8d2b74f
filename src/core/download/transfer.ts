import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { pipeline } from 'node:stream/promises'
import type { StorageGet } from '../api.js'
import { systemClock, type Clock } from '../clock.js'
import type { Reporter } from '../reporter.js'

export interface TransferOptions {
  /** Asks the API for a signed storage URL; called again when the one in hand has expired. */
  getUrl: () => Promise<string>
  /** Fetches the signed URL from the storage host. */
  get: StorageGet
  /** Where the body goes; rewritten on each attempt, removed when the transfer fails. */
  file: string
  /** What is transferred, for messages: "artifact 'dist' (id 7)". */
  subject: string
  reporter: Reporter
  /** Retries after the first attempt, for 5xx, dropped connections and truncated bodies. */
  retries?: number
  /** First pause between attempts; it doubles on each retry. */
  retryDelayMs?: number
  /** A URL older than this is not reused for a retry: GitHub signs them for about a minute. */
  urlLifetimeMs?: number
  /** A connection that sends nothing for this long is dropped and retried. */
  idleTimeoutMs?: number
  clock?: Clock
  signal?: AbortSignal
  /** Told the bytes received so far by the current attempt (0 as each attempt starts). */
  onReceived?: (bytes: number) => void
}

export interface Transfer {
  file: string
  /** Hex SHA-256 of exactly the bytes received. */
  sha256: string
  bytes: number
  /** The media type the storage host gave, lower-cased, without parameters ('' if none). */
  contentType: string
  /** Base name from Content-Disposition, made safe to use as a file name. */
  fileName?: string
}

const DEFAULTS = {
  retries: 3,
  retryDelayMs: 1_000,
  urlLifetimeMs: 50_000,
  idleTimeoutMs: 60_000,
}
/** Longest `retry-after` honoured; the signed URL would have expired by then anyway. */
const MAX_RETRY_AFTER_MS = 60_000

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

/**
 * Streams the artifact behind the signed storage URL into `options.file`, hashing the bytes on
 * the way, so memory stays flat whatever the size. The request carries no Authorization header:
 * the URL's signature is the only credential the storage host gets.
 */
export async function transferToFile(options: TransferOptions): Promise<Transfer> {
  const settings = { ...DEFAULTS, ...options }
  const clock = options.clock ?? systemClock
  let url: string | undefined
  let urlTime = 0
  try {
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted()
      if (url === undefined || clock.now() - urlTime > settings.urlLifetimeMs) {
        url = await options.getUrl()
        options.reporter.mask(url)
        urlTime = clock.now()
      }
      try {
        options.onReceived?.(0)
        return await attemptTransfer(url, settings)
      } catch (error) {
        if (!(error instanceof AttemptError) || !error.retryable || attempt > settings.retries) {
          throw failure(error, settings.subject, attempt)
        }
        const delayMs = Math.max(settings.retryDelayMs * 2 ** (attempt - 1), error.retryAfterMs)
        options.reporter.info(
          `Downloading ${settings.subject}: ${error.message}; retrying in ${Math.round(delayMs / 1000)} s (retry ${attempt} of ${settings.retries})`,
        )
        if (error.urlRefused) url = undefined
        await clock.sleep(delayMs)
      }
    }
  } catch (error) {
    await rm(options.file, { force: true })
    throw error
  }
}

type AttemptSettings = TransferOptions & typeof DEFAULTS

async function attemptTransfer(url: string, settings: AttemptSettings): Promise<Transfer> {
  let response: IncomingMessage
  try {
    response = await settings.get(url, settings.idleTimeoutMs)
  } catch (error) {
    throw new AttemptError(reason(error, url), true)
  }
  if (response.statusCode !== 200) {
    response.resume()
    throw statusError(response)
  }
  if (settings.signal?.aborted) {
    response.destroy()
    settings.signal.throwIfAborted()
  }
  response.setTimeout(settings.idleTimeoutMs, () =>
    response.destroy(new Error(`no data for ${settings.idleTimeoutMs / 1000} s`)),
  )
  const hash = createHash('sha256')
  let bytes = 0
  const file = createWriteStream(settings.file)
  let fileError: unknown
  file.once('error', (error) => (fileError = error))
  try {
    await pipeline(
      response,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk)
          bytes += chunk.length
          settings.onReceived?.(bytes)
          yield chunk
        }
      },
      file,
      { signal: settings.signal },
    )
  } catch (error) {
    settings.signal?.throwIfAborted()
    // A full disk or a folder we may not write is not cured by downloading again.
    throw new AttemptError(reason(error, url), error !== fileError)
  }
  const expected = Number(response.headers['content-length'] ?? NaN)
  if (!Number.isNaN(expected) && bytes !== expected) {
    throw new AttemptError(`the body ended after ${bytes} of ${expected} bytes`, true)
  }
  return {
    file: settings.file,
    sha256: hash.digest('hex'),
    bytes,
    contentType: mediaType(response.headers['content-type']),
    fileName: fileNameFromDisposition(response.headers['content-disposition']),
  }
}

function statusError(response: IncomingMessage): AttemptError {
  const status = response.statusCode ?? 0
  const answer = `the storage host answered HTTP ${status}`
  // An expired signature is refused with 403 (Azure: AuthenticationFailed).
  if (status === 401 || status === 403) return new AttemptError(answer, true, true)
  if (status === 408 || status === 429 || status >= 500) {
    return new AttemptError(answer, true, false, retryAfterMs(response.headers['retry-after']))
  }
  return new AttemptError(answer, false)
}

function retryAfterMs(header: string | undefined): number {
  const seconds = Number(header)
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : 0
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
  const message = error instanceof Error ? error.message : String(error)
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
