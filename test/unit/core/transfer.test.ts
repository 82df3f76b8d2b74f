import { runnerStorage } from '../../../src/transport/storage.js'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import type { Artifact } from '../../../src/core/artifact.js'
import type { ArtifactClient } from '../../../src/core/api.js'
import {
  fileNameFromDisposition,
  transferToFile,
  type TransferOptions,
} from '../../../src/core/download/transfer.js'
import {
  type Emulator,
  type EmulatorOptions,
  type SeedArtifact,
} from '../../support/emulator/index.js'
import { FakeClock } from '../../support/fake-clock.js'
import {
  emulatorClient,
  recordingReporter,
  useEmulator,
  useScratchFolder,
} from '../../support/fixtures.js'

const start = useEmulator()
const scratch = useScratchFolder('transfer-')

interface Setup {
  server: Emulator
  client: ArtifactClient
  artifact: Artifact
}

/** An emulator holding one artifact, and the action's own API client pointed at it. */
async function setup(
  seed: SeedArtifact = { name: 'dist', files: { 'data.bin': randomBytes(20_000) } },
  options: Partial<EmulatorOptions> = {},
): Promise<Setup> {
  const server = await start([{ workflow: 'build.yml', artifacts: [seed] }], options)
  const client = emulatorClient(server)
  const [artifact] = await client.listArtifacts({})
  return { server, client, artifact }
}

function transferOf(
  { client, artifact }: Setup,
  overrides: Partial<TransferOptions> = {},
): ReturnType<typeof transferToFile> {
  return transferToFile({
    getUrl: () => client.getDownloadUrl(artifact),
    get: runnerStorage(),
    file: path.join(scratch.path, 'download'),
    subject: `artifact '${artifact.name}' (id ${artifact.id})`,
    reporter: recordingReporter(),
    retryDelayMs: 1,
    ...overrides,
  })
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function downloadUrlRequests(server: Emulator): number {
  return server.requests.filter((request) => request.path.endsWith('/zip')).length
}

describe('transferToFile', () => {
  it('streams the body to the file with the SHA-256 of the exact bytes received', async () => {
    const context = await setup()
    const served = context.server.artifactBytes(context.artifact.id) as Buffer

    const transfer = await transferOf(context)

    expect(await readFile(transfer.file)).toEqual(served)
    expect(transfer.sha256).toBe(sha256(served))
    expect(transfer.bytes).toBe(served.length)
    expect(transfer.contentType).toBe('application/zip')
    expect(transfer.fileName).toBe('dist.zip')
  })

  it('sends no Authorization header to the storage host, while the API gets the token', async () => {
    const context = await setup()

    await transferOf(context)

    const { requests, storageRequests } = context.server
    expect(requests.length).toBeGreaterThan(0)
    expect(requests.every((r) => r.headers.authorization === `token ${context.server.token}`)).toBe(
      true,
    )
    expect(storageRequests).toHaveLength(1)
    expect(storageRequests[0].headers.authorization).toBeUndefined()
  })

  it('masks the signed URL it uses', async () => {
    const context = await setup()
    const reporter = recordingReporter()

    await transferOf(context, { reporter })

    const [fetched] = context.server.storageRequests
    const signature = fetched.query.sig
    expect(signature).toBeTruthy()
    expect(reporter.masked.some((secret) => secret.includes(encodeURIComponent(signature)))).toBe(
      true,
    )
  })

  it('downloads again after a body cut short, keeping only the complete file', async () => {
    const context = await setup()
    context.server.addFault({ target: 'storage', path: /^\/artifacts\//, truncate: 5_000 })
    const served = context.server.artifactBytes(context.artifact.id) as Buffer

    const transfer = await transferOf(context)

    expect(context.server.storageRequests).toHaveLength(2)
    expect(await readFile(transfer.file)).toEqual(served)
    expect(transfer.sha256).toBe(sha256(served))
  })

  it.each([
    ['server errors', { status: 503, times: 2 }, 3],
    ['a dropped connection', { reset: 'connection' as const }, 2],
  ])('retries %s, then succeeds', async (_kind, fault, requests) => {
    const context = await setup()
    context.server.addFault({ target: 'storage', path: /^\/artifacts\//, ...fault })
    const served = context.server.artifactBytes(context.artifact.id) as Buffer

    const transfer = await transferOf(context)

    expect(context.server.storageRequests).toHaveLength(requests)
    expect(await readFile(transfer.file)).toEqual(served)
  })

  it('asks the API for a fresh URL when the storage host refuses the signature', async () => {
    const context = await setup()
    context.server.addFault({ target: 'storage', path: /^\/artifacts\//, status: 403 })

    await transferOf(context)

    expect(downloadUrlRequests(context.server)).toBe(2)
    const [refused, accepted] = context.server.storageRequests
    expect(refused.status).toBe(403)
    expect(accepted.status).toBe(200)
  })

  it('asks for a fresh URL when retrying after the first one has aged', async () => {
    const context = await setup()
    context.server.addFault({ target: 'storage', path: /^\/artifacts\//, status: 500, times: 2 })
    const clock = new FakeClock(Date.now())

    // First retry after 20 s (URL still young), second after 40 s more (60 s old: renewed).
    await clock.run(transferOf(context, { clock, retryDelayMs: 20_000, urlLifetimeMs: 50_000 }))

    expect(context.server.storageRequests).toHaveLength(3)
    expect(downloadUrlRequests(context.server)).toBe(2)
  })

  it('gives up after its retries, naming the artifact but not the URL, leaving no file', async () => {
    const context = await setup()
    context.server.addFault({ target: 'storage', path: /^\/artifacts\//, status: 500, times: 9 })
    const file = path.join(scratch.path, 'download')

    const transfer = transferOf(context, { retries: 2, file })

    const error = await transfer.then(
      () => undefined,
      (failure: unknown) => failure as Error,
    )
    expect(error?.message).toBe(
      `Downloading artifact 'dist' (id ${context.artifact.id}) from the storage URL failed ` +
        'after 3 attempts: the storage host answered HTTP 500',
    )
    expect(context.server.storageRequests).toHaveLength(3)
    await expect(stat(file)).rejects.toThrow(/ENOENT/)
  })

  it('does not retry an answer that another attempt would not change', async () => {
    const context = await setup()
    context.server.addFault({ target: 'storage', path: /^\/artifacts\//, status: 404 })

    await expect(transferOf(context)).rejects.toThrow('the storage host answered HTTP 404')
    expect(context.server.storageRequests).toHaveLength(1)
  })

  it('drops a stalled connection, and keeps the signed URL out of the error', async () => {
    // The HTTP client's own timeout error quotes the request path, signature included.
    const context = await setup(undefined, { storageLatencyMs: 1_000 })

    const error = await transferOf(context, { retries: 1, idleTimeoutMs: 100 }).then(
      () => undefined,
      (failure: unknown) => failure as Error,
    )

    expect(error?.message).toMatch(/from the storage URL failed after 2 attempts: .*timeout/i)
    expect(error?.message).not.toContain('sig=')
    expect(error?.message).not.toContain('/artifacts/')
  })

  it("gives a raw file's content type and the base name its storage host announces", async () => {
    const data = Buffer.from('<h1>report</h1>')
    const context = await setup({
      name: 'report',
      rawFile: { fileName: '../../outside/report.html', data, contentType: 'text/html' },
    })

    const transfer = await transferOf(context)

    expect(transfer.contentType).toBe('text/html')
    expect(transfer.fileName).toBe('report.html')
    expect(await readFile(transfer.file)).toEqual(data)
  })

  it('stops when the operation is abandoned', async () => {
    const context = await setup()
    context.server.addFault({ target: 'storage', path: /^\/artifacts\//, status: 500, times: 9 })
    const abandon = new AbortController()
    const reporter = recordingReporter()
    const onRetry = (message: string): void => {
      reporter.infos.push(message)
      abandon.abort(new Error('abandoned'))
    }

    const transfer = transferOf(context, {
      signal: abandon.signal,
      reporter: { ...reporter, info: onRetry },
    })

    await expect(transfer).rejects.toThrow('abandoned')
    expect(context.server.storageRequests).toHaveLength(1)
  })
})

const STORAGE = /^\/artifacts\//
const KiB = 1024
// Large buffers are compared by digest: a deep comparison of a MiB takes jest seconds.

/** An artifact of about `bytes` incompressible bytes, so a cut falls inside its body. */
function bigSeed(bytes: number): SeedArtifact {
  return { name: 'dist', files: { 'data.bin': randomBytes(bytes) } }
}

async function failureOf(work: Promise<unknown>): Promise<Error> {
  return work.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error as Error,
  )
}

describe('transferToFile resuming after a failure', () => {
  it.each([
    ['a graceful close (FIN) early', 'fin', 0.2],
    ['a graceful close (FIN) late', 'fin', 0.9],
    ['a reset (RST) early', 'rst', 0.2],
    ['a reset (RST) late', 'rst', 0.9],
  ] as const)('asks only for the rest after %s', async (_kind, ending, afterFraction) => {
    const context = await setup(bigSeed(1024 * KiB))
    const served = context.server.artifactBytes(context.artifact.id) as Buffer
    context.server.addFault({ target: 'storage', path: STORAGE, cut: { afterFraction, ending } })

    const transfer = await transferOf(context)

    expect(sha256(await readFile(transfer.file))).toBe(sha256(served))
    expect(transfer.sha256).toBe(sha256(served))
    const [cut, resumed] = context.server.storageRequests
    expect(context.server.storageRequests).toHaveLength(2)
    expect(cut.range).toBeUndefined()
    // Bytes in flight, or still buffered when the connection ended, are lost: the rest starts
    // at what arrived, never after it.
    expect(resumed.range?.start).toBeGreaterThan(0)
    expect(resumed.range?.start).toBeLessThanOrEqual(cut.bytesSent ?? 0)
    expect(resumed.range?.end).toBe(served.length - 1)
    expect(resumed.headers['if-match']).toMatch(/^"0x/)
    expect(resumed.status).toBe(206)
    // A reset also discards what the receiving socket held, so only a graceful close is bounded.
    if (ending === 'fin')
      expect(context.server.storageBytesServed()).toBeLessThan(served.length * 1.2)
  })

  it('gives up on a storage host that cuts every answer, even one that sends some bytes each time', async () => {
    const context = await setup(bigSeed(1024 * KiB))
    const cut = { afterBytes: 1024, ending: 'fin' as const }
    context.server.addFault({ target: 'storage', path: STORAGE, cut, times: 1000 })

    const error = await failureOf(transferOf(context))

    expect(error.message).toMatch(/from the storage URL failed after 20 attempts: /)
    // Bounded: far fewer tries than the 1,024 resumptions it would take to finish this way.
    expect(context.server.storageRequests.length).toBeLessThanOrEqual(20)
  })

  it('drops a connection that stalls after some bytes and resumes after them', async () => {
    const context = await setup(bigSeed(256 * KiB))
    const served = context.server.artifactBytes(context.artifact.id) as Buffer
    const cut = { afterFraction: 0.5, ending: 'stall' as const }
    context.server.addFault({ target: 'storage', path: STORAGE, cut })

    const transfer = await transferOf(context, { idleTimeoutMs: 300 })

    expect(sha256(await readFile(transfer.file))).toBe(sha256(served))
    const [stalled, resumed] = context.server.storageRequests
    expect(resumed.range).toEqual({ start: stalled.bytesSent, end: served.length - 1 })
    expect(context.server.storageBytesServed()).toBe(served.length)
  })

  it('starts again from the first byte when a resume is answered 200 with the whole object', async () => {
    const context = await setup(bigSeed(128 * KiB))
    const served = context.server.artifactBytes(context.artifact.id) as Buffer
    context.server.addFault({ target: 'storage', path: STORAGE, truncate: 50_000 })
    context.server.addFault({ target: 'storage', path: STORAGE, ignoreRange: true })
    const received: number[] = []

    const transfer = await transferOf(context, { onReceived: (bytes) => received.push(bytes) })

    expect(sha256(await readFile(transfer.file))).toBe(sha256(served))
    expect(transfer.sha256).toBe(sha256(served))
    expect(transfer.bytes).toBe(served.length)
    expect(received.at(-1)).toBe(served.length)
    expect(Math.max(...received)).toBe(served.length)
    expect(context.server.storageRequests.map((request) => request.status)).toEqual([200, 200])
    expect(context.server.storageRequests[1].range?.start).toBe(50_000)
  })

  it('refuses a part other than the one asked for, and asks again', async () => {
    const context = await setup(bigSeed(128 * KiB))
    const served = context.server.artifactBytes(context.artifact.id) as Buffer
    const reporter = recordingReporter()
    context.server.addFault({ target: 'storage', path: STORAGE, truncate: 50_000 })
    context.server.addFault({ target: 'storage', path: STORAGE, shiftRange: 1_000 })

    const transfer = await transferOf(context, { reporter })

    expect(sha256(await readFile(transfer.file))).toBe(sha256(served))
    expect(transfer.sha256).toBe(sha256(served))
    const ranges = context.server.storageRequests.map((request) => request.range?.start)
    expect(ranges).toEqual([undefined, 50_000, 50_000])
    expect(reporter.infos.join('\n')).toContain(
      `the storage host answered the part 'bytes 51000-${served.length - 1}/${served.length}' ` +
        'when asked for bytes 50000-',
    )
  })

  it('fails at once, naming the file, when a folder is where the file should go', async () => {
    const context = await setup()
    const blocker = path.join(scratch.path, 'not-a-folder')
    await writeFile(blocker, 'a file')
    const file = path.join(blocker, 'download')

    const error = await failureOf(transferOf(context, { file }))

    expect(error.message).toBe(
      `Downloading artifact 'dist' (id ${context.artifact.id}): cannot write ${file}: ` +
        'a file is in the place of a folder on its path (ENOTDIR); nothing was kept',
    )
    expect(context.server.storageRequests).toHaveLength(0)
  })

  it('stops when abandoned mid-body, leaving no file', async () => {
    const size = 256 * KiB
    const context = await setup(bigSeed(size), { storageLink: { bytesPerSecond: 64 * KiB } })
    const abandon = new AbortController()
    const file = path.join(scratch.path, 'download')
    const watch = setInterval(() => {
      const [first] = context.server.storageRequests
      if ((first?.bytesSent ?? 0) > 0) abandon.abort(new Error('abandoned'))
    }, 5)

    const error = await failureOf(transferOf(context, { signal: abandon.signal, file }))
    clearInterval(watch)

    expect(error.message).toBe('abandoned')
    await expect(stat(file)).rejects.toThrow(/ENOENT/)
    expect(context.server.storageRequests).toHaveLength(1)
    expect(context.server.storageBytesServed()).toBeLessThan(size)
  })
})

/** A tiny file system of its own, where one can be mounted (Linux, as root); else undefined. */
function mountTinyFileSystem(folder: string): (() => void) | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', folder], { stdio: 'ignore' })
    return () => execFileSync('umount', [folder])
  } catch {
    return undefined
  }
}

describe('transferToFile on a full disk', () => {
  it('fails without retrying, says the disk is full, and leaves nothing', async () => {
    const folder = path.join(scratch.path, 'tiny')
    await mkdir(folder)
    const unmount = mountTinyFileSystem(folder)
    if (!unmount) {
      // Without the right to mount one, a full disk cannot be made: said, not silently passed.
      console.warn('skipped: mounting a tmpfs needs root on Linux')
      return
    }
    try {
      const context = await setup(bigSeed(512 * KiB))
      const file = path.join(folder, 'download')

      const error = await failureOf(transferOf(context, { file }))

      expect(error.message).toBe(
        `Downloading artifact 'dist' (id ${context.artifact.id}): cannot write ${file}: ` +
          'no space left on the device (ENOSPC); nothing was kept',
      )
      expect(context.server.storageRequests).toHaveLength(1)
      await expect(stat(file)).rejects.toThrow(/ENOENT/)
    } finally {
      unmount()
    }
  })
})

describe('transferToFile over several connections', () => {
  const parallel = { partBytes: 32 * KiB, connections: 3, minBytes: 1 }

  it('fetches the object in ranged parts and hashes the whole byte stream in order', async () => {
    const context = await setup(bigSeed(200 * KiB))
    const served = context.server.artifactBytes(context.artifact.id) as Buffer

    const transfer = await transferOf(context, { parallel, expectedBytes: served.length })

    expect(sha256(await readFile(transfer.file))).toBe(sha256(served))
    expect(transfer.sha256).toBe(sha256(served))
    const ranges = context.server.storageRequests.map((request) => request.range)
    const parts = Math.ceil(served.length / parallel.partBytes)
    expect(ranges).toHaveLength(parts)
    // The parts tile the object, and the last one is whole: it holds a zip's central directory.
    const tiles = ranges.map((range) => range!).sort((a, b) => a.start - b.start)
    expect(tiles[0].start).toBe(0)
    for (let index = 1; index < tiles.length; index++) {
      expect(tiles[index].start).toBe(tiles[index - 1].end + 1)
    }
    expect(tiles.every((tile) => tile.end - tile.start + 1 <= parallel.partBytes)).toBe(true)
    expect(tiles.at(-1)).toEqual({
      start: served.length - parallel.partBytes,
      end: served.length - 1,
    })
    expect(context.server.storageBytesServed()).toBe(served.length)
  })

  it('resumes only the part that was cut', async () => {
    const context = await setup(bigSeed(200 * KiB))
    const served = context.server.artifactBytes(context.artifact.id) as Buffer
    const cut = { afterBytes: 10_000, ending: 'rst' as const }
    context.server.addFault({ target: 'storage', path: STORAGE, cut })

    const transfer = await transferOf(context, { parallel, expectedBytes: served.length })

    expect(transfer.sha256).toBe(sha256(served))
    expect(context.server.storageBytesServed()).toBeLessThanOrEqual(served.length + 10_000)
  })

  it('asks for a fresh signed URL when it expires between parts', async () => {
    const context = await setup(bigSeed(256 * KiB), {
      signedUrlTtlMs: 400,
      storageLink: { bytesPerSecond: 256 * KiB },
    })
    const served = context.server.artifactBytes(context.artifact.id) as Buffer
    const oneAtATime = { ...parallel, connections: 1 }

    const transfer = await transferOf(context, { parallel: oneAtATime, expectedBytes: 1 })

    expect(transfer.sha256).toBe(sha256(served))
    const statuses = context.server.storageRequests.map((request) => request.status)
    expect(statuses).toContain(403)
    expect(downloadUrlRequests(context.server)).toBeGreaterThan(1)
    expect(context.server.storageBytesServed()).toBe(served.length)
  })

  it('refuses a whole object sent for a later part, and asks for the part again', async () => {
    const context = await setup(bigSeed(200 * KiB))
    const served = context.server.artifactBytes(context.artifact.id) as Buffer
    const first = { target: 'storage' as const, path: STORAGE }
    // The first request (part one) is answered right; the next ignores its Range.
    context.server.addFault({ ...first, times: 1 })
    context.server.addFault({ ...first, ignoreRange: true, times: 2 })

    const transfer = await transferOf(context, { parallel, expectedBytes: served.length })

    expect(transfer.sha256).toBe(sha256(served))
    expect(sha256(await readFile(transfer.file))).toBe(sha256(served))
  })
})

describe('fileNameFromDisposition', () => {
  it.each([
    ['attachment; filename="report.html"', 'report.html'],
    ['attachment; filename=plain.txt', 'plain.txt'],
    ['attachment; filename="fallback.txt"; filename*=UTF-8\'\'r%C3%A9sum%C3%A9.txt', 'résumé.txt'],
    ["attachment; filename*=iso-8859-1''caf%E9.txt", 'café.txt'],
    ['attachment; filename="../../etc/passwd"', 'passwd'],
    ['attachment; filename="..\\\\..\\\\evil.bat"', 'evil.bat'],
    ['attachment; filename="a<b>:c?.txt"', 'a_b__c_.txt'],
    ['attachment; filename="name. . "', 'name'],
    ['attachment; filename=".."', undefined],
    ['attachment', undefined],
    [undefined, undefined],
  ])('%s gives %s', (header, expected) => {
    expect(fileNameFromDisposition(header)).toBe(expected)
  })
})
