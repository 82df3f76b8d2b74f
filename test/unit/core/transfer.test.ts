import { runnerStorage } from '../../../src/action/storage.js'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
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
