import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import type { ArtifactCache } from '../api.js'
import type { Reporter } from '../reporter.js'
import type { Transfer } from './transfer.js'
import { errorText } from '../errors.js'

/** The cache key of an artifact: its SHA-256 digest, or undefined (never cached without one). */
export function cacheKey(digest: string | null | undefined): string | undefined {
  const match = /^sha256:([0-9a-f]{64})$/i.exec(digest ?? '')
  return match ? `sha256:${match[1].toLowerCase()}` : undefined
}

/**
 * Copies the cached copy of `key` to `file`, hashing it on the way: a copy that does not match
 * the digest (damaged, or changed since it was kept) is not used, and the caller downloads.
 */
export async function copyFromCache(
  cache: ArtifactCache,
  key: string,
  file: string,
  subject: string,
  reporter: Reporter,
): Promise<Transfer | undefined> {
  const found = await cache.find(key).catch((error: unknown) => {
    reporter.warning(`Looking up ${subject} in the runner's cache failed: ${errorText(error)}`)
    return undefined
  })
  if (!found) return undefined
  const hash = createHash('sha256')
  let bytes = 0
  try {
    await pipeline(
      createReadStream(found.file),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk)
          bytes += chunk.length
          yield chunk
        }
      },
      createWriteStream(file),
    )
  } catch (error) {
    await rm(file, { force: true })
    reporter.warning(
      `Reading the cached copy of ${subject} failed (${errorText(error)}); downloading it`,
    )
    return undefined
  }
  const sha256 = hash.digest('hex')
  if (`sha256:${sha256}` !== key) {
    await rm(file, { force: true })
    reporter.warning(
      `The cached copy of ${subject} is damaged (received sha256:${sha256}, expected ${key}); ` +
        'downloading it again',
    )
    return undefined
  }
  reporter.info(`Using the copy of ${subject} kept in the runner's cache (${key})`)
  return { file, sha256, bytes, contentType: found.contentType, fileName: found.fileName }
}

/** Keeps a verified download; a cache that cannot take it costs a warning, not the download. */
export async function keepInCache(
  cache: ArtifactCache,
  key: string,
  transfer: Transfer,
  subject: string,
  reporter: Reporter,
): Promise<void> {
  try {
    await cache.keep(key, transfer)
  } catch (error) {
    reporter.warning(`Keeping ${subject} in the runner's cache failed: ${errorText(error)}`)
  }
}
