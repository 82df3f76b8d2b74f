import { randomBytes } from 'node:crypto'
import { open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeEach, describe, expect, it } from '@jest/globals'
import type { Artifact } from '../../../src/core/artifact.js'
import type { ArtifactClient, StorageGet, StorageRequest } from '../../../src/core/api.js'
import {
  downloadArtifacts,
  type DownloadContext,
  type DownloadLayout,
} from '../../../src/core/download/download.js'
import { runnerCache } from '../../../src/action/cache.js'
import { fileNameRules } from '../../../src/core/download/extraction.js'
import { runnerStorage } from '../../../src/transport/storage.js'
import type { Reporter } from '../../../src/core/reporter.js'
import { ArtifactExpiredError } from '../../../src/core/errors.js'
import { buildZip } from '../../support/zip.js'
import {
  emulatorClient,
  recordingReporter,
  tree,
  useEmulator,
  useScratchFolder,
} from '../../support/fixtures.js'
import type { Emulator, SeedArtifact } from '../../support/emulator/index.js'

const start = useEmulator()
const scratch = useScratchFolder('download-')
let destination: string

beforeEach(() => {
  destination = path.join(scratch.path, 'artifacts')
})

interface Setup {
  server: Emulator
  client: ArtifactClient
  /** Oldest first, as seeded. */
  artifacts: Artifact[]
}

/** One run holding the artifacts, seeded oldest first a minute apart. */
async function setup(seeds: SeedArtifact[]): Promise<Setup> {
  const firstAt = Date.now() - seeds.length * 60_000
  const artifacts = seeds.map((seed, index) => ({
    createdAt: new Date(firstAt + index * 60_000).toISOString(),
    ...seed,
  }))
  const server = await start([{ workflow: 'build.yml', artifacts }])
  const client = emulatorClient(server)
  const listed = await client.listArtifacts({})
  return { server, client, artifacts: listed.reverse() }
}

function layout(overrides: Partial<DownloadLayout> = {}): DownloadLayout {
  return {
    path: destination,
    mergeMultiple: false,
    extract: true,
    deleteAfterDownload: false,
    ...overrides,
  }
}

function contextOf(
  client: ArtifactClient,
  reporter: Reporter = recordingReporter(),
): DownloadContext {
  return { client, storage: runnerStorage(), reporter }
}

async function failureOf(work: Promise<unknown>): Promise<Error> {
  return work.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error as Error,
  )
}

describe('downloadArtifacts', () => {
  it('puts each artifact in a folder of its name and says where, one line each', async () => {
    const { client, artifacts } = await setup([
      { name: 'linux', files: { app: 'linux build', 'lib/a.so': 'a' } },
      { name: 'windows', files: { 'app.exe': 'windows build' } },
    ])
    const reporter = recordingReporter()

    const result = await downloadArtifacts(artifacts, layout(), contextOf(client, reporter))

    expect(await tree(destination)).toEqual({
      'linux/': '',
      'linux/app': 'linux build',
      'linux/lib/': '',
      'linux/lib/a.so': 'a',
      'windows/': '',
      'windows/app.exe': 'windows build',
    })
    expect(result.downloaded).toEqual([
      { artifact: artifacts[0], path: path.join(destination, 'linux') },
      { artifact: artifacts[1], path: path.join(destination, 'windows') },
    ])
    expect(result.deleted).toEqual([])
    expect(reporter.infos).toHaveLength(2)
    expect(reporter.infos[1]).toMatch(
      new RegExp(`artifact 'windows' .*, \\d+ B, to ${path.join(destination, 'windows')}$`),
    )
  })

  it('merges oldest first so the newest wins, and warns about each overwritten file', async () => {
    const { server, client, artifacts } = await setup([
      { name: 'part-old', files: { 'shared.txt': 'old', 'config/app.json': 'old', 'a.txt': 'a' } },
      { name: 'part-mid', files: { 'b.txt': 'b' } },
      { name: 'part-new', files: { 'shared.txt': 'new', 'config/app.json': 'new' } },
    ])
    // The oldest arrives last (its first answer fails), so arrival order is not write order.
    server.addFault({ target: 'storage', path: new RegExp(`/${artifacts[0].id}$`), status: 503 })
    const reporter = recordingReporter()

    const result = await downloadArtifacts(
      artifacts,
      layout({ mergeMultiple: true }),
      contextOf(client, reporter),
    )

    expect(await tree(destination)).toEqual({
      'shared.txt': 'new',
      'config/': '',
      'config/app.json': 'new',
      'a.txt': 'a',
      'b.txt': 'b',
    })
    expect(result.downloaded.map((d) => [d.artifact.name, d.path])).toEqual([
      ['part-old', destination],
      ['part-mid', destination],
      ['part-new', destination],
    ])
    expect(reporter.warnings).toHaveLength(1)
    expect(reporter.warnings[0]).toMatch(
      /Artifact 'part-new' .* overwrote 2 file\(s\) of the older artifact 'part-old'/,
    )
    expect(reporter.warnings[0]).toContain('shared.txt')
    expect(reporter.warnings[0]).toContain('config/app.json')
  })

  it('merges names differing only in case as one file where case is ignored', async () => {
    const { client, artifacts } = await setup([
      { name: 'part-old', files: { 'Notes.TXT': 'old', 'Docs/a.md': 'a' } },
      { name: 'part-new', files: { 'notes.txt': 'new', 'docs/b.md': 'b' } },
    ])
    const reporter = recordingReporter()

    await downloadArtifacts(artifacts, layout({ mergeMultiple: true }), {
      ...contextOf(client, reporter),
      fileNames: fileNameRules('win32'),
    })

    expect(await tree(destination)).toEqual({
      'notes.txt': 'new',
      'Docs/': '',
      'Docs/a.md': 'a',
      'Docs/b.md': 'b',
    })
    expect(reporter.warnings).toHaveLength(1)
    expect(reporter.warnings[0]).toMatch(
      /Artifact 'part-new' .* overwrote 1 file\(s\) of the older artifact 'part-old' .*: notes\.txt \(was Notes\.TXT\)$/,
    )
  })

  it('refuses, on Windows, an artifact whose name would be a reserved file name there', async () => {
    const { server, client, artifacts } = await setup([
      { name: 'fine', files: { 'a.txt': 'a' } },
      { name: 'con', files: { 'b.txt': 'b' } },
    ])
    const windows = { ...contextOf(client), fileNames: fileNameRules('win32') }

    for (const extract of [true, false]) {
      const failure = await failureOf(downloadArtifacts(artifacts, layout({ extract }), windows))
      expect(failure.message).toBe(
        `Artifact 'con' (id ${artifacts[1].id}, run ${artifacts[1].workflow_run?.id}): its name ` +
          "uses the reserved device name 'con' (not a valid file name on Windows)",
      )
    }
    expect(server.storageRequests).toEqual([])
    expect(await readdir(scratch.path)).toEqual([])

    // Merged, its name is never on disk.
    await downloadArtifacts(artifacts, layout({ mergeMultiple: true }), windows)
    expect(await tree(destination)).toEqual({ 'a.txt': 'a', 'b.txt': 'b' })
  })

  it('saves <name>.zip unextracted with extract: false', async () => {
    const { server, client, artifacts } = await setup([
      { name: 'dist', files: { 'index.js': 'code' } },
    ])

    const result = await downloadArtifacts(artifacts, layout({ extract: false }), contextOf(client))

    const zip = path.join(destination, 'dist.zip')
    expect(await readdir(destination)).toEqual(['dist.zip'])
    expect(await readFile(zip)).toEqual(server.artifactBytes(artifacts[0].id))
    expect(result.downloaded[0].path).toBe(zip)
  })

  it('saves an artifact uploaded unzipped as its single file', async () => {
    const data = Buffer.from('<h1>coverage</h1>')
    const { client, artifacts } = await setup([
      { name: 'coverage', rawFile: { fileName: 'coverage.html', data, contentType: 'text/html' } },
      { name: 'other', files: { 'x.txt': 'x' } },
    ])

    const result = await downloadArtifacts(artifacts, layout(), contextOf(client))

    expect(await tree(destination)).toEqual({
      'coverage/': '',
      'coverage/coverage.html': data.toString(),
      'other/': '',
      'other/x.txt': 'x',
    })
    expect(result.downloaded[0].path).toBe(path.join(destination, 'coverage', 'coverage.html'))
  })

  it('refuses, on Windows, a file uploaded unzipped whose name Windows cannot hold', async () => {
    const data = Buffer.from('log')
    const { client, artifacts } = await setup([
      { name: 'logs', rawFile: { fileName: 'aux.log', data } },
    ])
    const windows = { ...contextOf(client), fileNames: fileNameRules('win32') }

    const failure = await failureOf(downloadArtifacts(artifacts, layout(), windows))

    expect(failure.message).toBe(
      `Artifact 'logs' (id ${artifacts[0].id}, run ${artifacts[0].workflow_run?.id}), file ` +
        "'aux.log': its name uses the reserved device name 'aux' (not a valid file name on Windows)",
    )
    expect(await tree(destination)).toEqual({})
  })

  it('refuses bytes that do not match the digest, printing both, writing nothing', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`
    const { client, artifacts } = await setup([
      { name: 'dist', files: { 'index.js': 'code' }, digest: wrong },
    ])

    const error = await failureOf(downloadArtifacts(artifacts, layout(), contextOf(client)))

    expect(error.message).toContain(`Artifact 'dist' (id ${artifacts[0].id}`)
    expect(error.message).toContain(`expected ${wrong}`)
    expect(error.message).toMatch(/received sha256:[0-9a-f]{64}/)
    // The destination folder is there, empty: no file of the artifact, no partial download.
    expect(await tree(scratch.path)).toEqual({ 'artifacts/': '' })
  })

  it('checks the digest over every part of a parallel download, writing nothing on a mismatch', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`
    const { server, client, artifacts } = await setup([
      { name: 'dist', files: { 'data.bin': randomBytes(100_000) }, digest: wrong },
    ])
    const parallel = { partBytes: 16 * 1024, connections: 4, minBytes: 1 }

    const error = await failureOf(
      downloadArtifacts(artifacts, layout(), { ...contextOf(client), parallel }),
    )

    expect(error.message).toContain(`expected ${wrong}`)
    expect(server.storageRequests.length).toBeGreaterThan(4)
    expect(server.storageRequests.every((request) => request.status === 206)).toBe(true)
    expect(await tree(scratch.path)).toEqual({ 'artifacts/': '' })
  })

  it('extracts into a private folder beside the destination while the parts arrive', async () => {
    const entries = Array.from({ length: 8 }, (_, index) => ({
      name: `part-${index}.bin`,
      data: randomBytes(400_000),
      method: 'store' as const,
    }))
    const zip = buildZip(entries)
    const { client, artifacts } = await setup([{ name: 'dist', zip }])
    const partBytes = 256 * 1024
    const parallel = { partBytes, connections: 2, minBytes: 1 }
    // Holding back the part where the last entry starts leaves the download unfinished while
    // the test looks, with the entries before it and the central directory all arrived.
    const lastEntryAt = zip.indexOf(entries[entries.length - 1].data)
    const held = heldStorage(runnerStorage(), (request) => asksFor(request, lastEntryAt))
    const download = downloadArtifacts(artifacts, layout(), {
      ...contextOf(client),
      storage: held.storage,
      parallel,
    })

    const staged = await eventually(() => stagedFiles(destination), 20_000)
    const destinationWhileHeld = await readdir(destination)
    held.release()
    await download

    // Files were extracted before the last byte arrived, where `path` does not show them.
    expect(held.holding).toBe(true)
    expect(staged.length).toBeGreaterThan(0)
    expect(destinationWhileHeld).not.toContain('dist')
    const written = await readdir(path.join(destination, 'dist'))
    expect(written.sort()).toEqual(entries.map((entry) => entry.name).sort())
    expect(await readdir(destination)).toEqual(['dist'])
  })

  it('writes a large stored entry straight into its extracted file, not into the zip as well', async () => {
    const data = randomBytes(16 * 1024 * 1024)
    const zip = buildZip([{ name: 'big.bin', data, method: 'store' }])
    const { client, artifacts } = await setup([{ name: 'dist', zip }])
    const partBytes = 1024 * 1024
    // Parts are fetched the first, then the last, then the others in order: the one before the
    // last is fetched last, and holding it back leaves the download unfinished while the test
    // looks at a part from the middle, long since arrived.
    const heldByte = zip.length - partBytes - 1
    const held = heldStorage(runnerStorage(), (request) => asksFor(request, heldByte))
    const download = downloadArtifacts(artifacts, layout(), {
      ...contextOf(client),
      storage: held.storage,
      parallel: { partBytes, connections: 2, minBytes: 1 },
    })

    const dataAt = zip.indexOf(data)
    const middle = 8 * partBytes
    const staged = await eventually(async () => {
      const { partialZip, stagedFile } = await inProgress(destination, 'big.bin')
      const arrived = await readRange(stagedFile, middle - dataAt, partBytes)
      return arrived?.equals(zip.subarray(middle, middle + partBytes))
        ? [{ partialZip, stagedFile }]
        : []
    }, 20_000)
    const zipWhileHeld = staged[0] && (await readRange(staged[0].partialZip, middle, partBytes))
    held.release()
    await download

    expect(held.holding).toBe(true)
    expect(staged).toHaveLength(1)
    // The archive file has nothing where the entry's bytes went straight to their file.
    expect(zipWhileHeld?.equals(Buffer.alloc(partBytes))).toBe(true)
    expect((await readFile(path.join(destination, 'dist', 'big.bin'))).equals(data)).toBe(true)
    expect(await readdir(destination)).toEqual(['dist'])
  })

  it('keeps the later of two large stored entries of one name, written while they arrive', async () => {
    const [first, later] = [randomBytes(2_000_000), randomBytes(2_000_000)]
    const zip = buildZip([
      { name: 'before.bin', data: randomBytes(1_000_000), method: 'store' },
      { name: 'same.bin', data: first, method: 'store' },
      { name: 'same.bin', data: later, method: 'store' },
    ])
    const { client, artifacts } = await setup([{ name: 'dist', zip }])
    // Holding back a part of the first entry keeps the hash from reading the others back, while
    // everything after it arrives: the later 'same.bin' must not replace the first one's bytes
    // before the hash has read them.
    const heldByte = 600_000
    const held = heldStorage(runnerStorage(), (request) => asksFor(request, heldByte))
    const download = downloadArtifacts(artifacts, layout(), {
      ...contextOf(client),
      storage: held.storage,
      parallel: { partBytes: 256 * 1024, connections: 3, minBytes: 1 },
    })

    const staged = await eventually(async () => {
      const { stagedFile } = await inProgress(destination, 'same.bin')
      const content = await readRange(stagedFile, 0, first.length)
      return content?.equals(first) ? [content] : []
    }, 20_000)
    // Time for a later entry to go ahead, were it allowed to.
    await new Promise((resolve) => setTimeout(resolve, 500))
    held.release()
    await download

    expect(staged).toHaveLength(1)
    expect((await readFile(path.join(destination, 'dist', 'same.bin'))).equals(later)).toBe(true)
  })

  it('refuses a large stored entry whose content does not match its checksum, leaving nothing', async () => {
    const data = randomBytes(3_000_000)
    const zip = buildZip([{ name: 'big.bin', data, method: 'store' }])
    // Damaged before upload: the digest is of these bytes, so only the entry's CRC can tell.
    zip[zip.indexOf(data) + 2_500_000] ^= 0xff
    const { client, artifacts } = await setup([{ name: 'dist', zip }])

    const error = await failureOf(
      downloadArtifacts(artifacts, layout(), {
        ...contextOf(client),
        parallel: { partBytes: 256 * 1024, connections: 3, minBytes: 1 },
      }),
    )

    expect(error.message).toContain("entry 'big.bin' is corrupt (CRC mismatch)")
    expect(await tree(scratch.path)).toEqual({ 'artifacts/': '' })
  })

  it('skips the check of a digest of another kind, saying so in the debug log', async () => {
    const { client, artifacts } = await setup([
      { name: 'dist', files: { 'index.js': 'code' }, digest: 'md5:0123' },
    ])
    const reporter = recordingReporter()

    await downloadArtifacts(artifacts, layout(), contextOf(client, reporter))

    expect(await tree(destination)).toEqual({ 'dist/': '', 'dist/index.js': 'code' })
    expect(reporter.debugs.some((line) => line.includes("digest 'md5:0123'"))).toBe(true)
  })

  it('refuses an expired artifact before any request', async () => {
    const { server, client, artifacts } = await setup([
      { name: 'fresh' },
      { name: 'old', expired: true },
    ])
    const requestsBefore = server.requests.length

    const error = await failureOf(downloadArtifacts(artifacts, layout(), contextOf(client)))

    expect(error).toBeInstanceOf(ArtifactExpiredError)
    expect(error.message).toContain("Artifact 'old'")
    expect(server.requests.length).toBe(requestsBefore)
    expect(server.storageRequests).toEqual([])
    expect(await readdir(scratch.path)).toEqual([])
  })

  it('leaves nothing of a failed artifact, keeps those done, and says which they are', async () => {
    const evil = buildZip([
      { name: 'fine.txt', data: 'fine' },
      { name: '../escaped.txt', data: 'evil' },
    ])
    const { client, artifacts } = await setup([
      { name: 'good', files: { 'good.txt': 'good' } },
      { name: 'evil', zip: evil },
      { name: 'later', files: { 'later.txt': 'later' } },
    ])

    const error = await failureOf(downloadArtifacts(artifacts, layout(), contextOf(client)))

    expect(error.message).toContain("its entry '../escaped.txt' contains a '..' segment")
    expect(error.message).toContain(
      `Downloaded before the failure, and left in place: 'good' in ${path.join(destination, 'good')}`,
    )
    expect(await tree(scratch.path)).toEqual({
      'artifacts/': '',
      'artifacts/good/': '',
      'artifacts/good/good.txt': 'good',
    })
  })

  it('deletes each artifact once it is written, with delete-after-download', async () => {
    const { server, client, artifacts } = await setup([
      { name: 'one', files: { '1.txt': '1' } },
      { name: 'two', files: { '2.txt': '2' } },
      { name: 'stays', files: { '3.txt': '3' } },
    ])

    const result = await downloadArtifacts(
      artifacts.slice(0, 2),
      layout({ deleteAfterDownload: true }),
      contextOf(client),
    )

    expect(result.deleted.map((a) => a.name)).toEqual(['one', 'two'])
    expect(server.artifacts().map((a) => a.name)).toEqual(['stays'])
    expect(await tree(destination)).toEqual({
      'one/': '',
      'one/1.txt': '1',
      'two/': '',
      'two/2.txt': '2',
    })
  })

  it("reports the bytes received of the selection's total, a retried transfer counted afresh", async () => {
    const { server, client, artifacts } = await setup([
      { name: 'one', files: { 'a.bin': randomBytes(200_000) } },
      { name: 'two', files: { 'b.bin': randomBytes(300_000) } },
    ])
    server.addFault({ target: 'storage', path: /./, cut: { afterFraction: 0.5, ending: 'fin' } })
    const reporter = recordingReporter()

    await downloadArtifacts(artifacts, layout(), contextOf(client, reporter))

    const total = artifacts.reduce((sum, a) => sum + a.size_in_bytes, 0)
    const done = reporter.progressed.map((p) => p.done)
    expect(server.storageRequests).toHaveLength(3)
    expect(reporter.progressed.every((p) => p.operation === 'download' && p.total === total)).toBe(
      true,
    )
    expect(done[0]).toBe(0)
    expect(done.at(-1)).toBe(total)
    expect(Math.max(...done)).toBe(total)
  })

  it('streams a large incompressible artifact intact', async () => {
    const big = randomBytes(8 * 1024 * 1024)
    const { server, client, artifacts } = await setup([
      { name: 'big', zip: buildZip([{ name: 'blob.bin', data: big, method: 'store' }]) },
    ])

    await downloadArtifacts(artifacts, layout(), contextOf(client))

    expect((await readFile(path.join(destination, 'big', 'blob.bin'))).equals(big)).toBe(true)
    expect(server.storageRequests).toHaveLength(1)
  })
})

/** Files in the private extraction folders beside `folder` (names starting with '.'). */
/** A storage that keeps the requests `isHeld` picks waiting until `release`. */
function heldStorage(
  storage: StorageGet,
  isHeld: (request: StorageRequest) => boolean,
): { storage: StorageGet; release: () => void; readonly holding: boolean } {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  const state = {
    holding: false,
    release,
    storage: async (url: string, request: StorageRequest) => {
      if (isHeld(request)) {
        state.holding = true
        await released
      }
      return storage(url, request)
    },
  }
  return state
}

/** Whether a ranged storage request asks for the byte at `position`. */
function asksFor(request: StorageRequest, position: number): boolean {
  const [from, to] = (request.headers?.range ?? '').replace('bytes=', '').split('-')
  return Number(from) <= position && position <= Number(to)
}

/** What `look` finds once it finds something, or nothing after `timeoutMs`. */
async function eventually<T>(look: () => Promise<T[]>, timeoutMs: number): Promise<T[]> {
  const giveUpAt = Date.now() + timeoutMs
  for (;;) {
    const found = await look()
    if (found.length > 0 || Date.now() > giveUpAt) return found
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The partial zip file in `folder`, and the file `name` in the staging folder beside it. */
async function inProgress(
  folder: string,
  name: string,
): Promise<{ partialZip: string; stagedFile: string }> {
  const found = await readdir(folder, { withFileTypes: true }).catch(() => [])
  const temporary = found.filter((entry) => entry.name.startsWith('.'))
  const zipEntry = temporary.find((entry) => entry.isFile())
  const stagingEntry = temporary.find((entry) => entry.isDirectory())
  return {
    partialZip: zipEntry ? path.join(folder, zipEntry.name) : '',
    stagedFile: stagingEntry ? path.join(folder, stagingEntry.name, name) : '',
  }
}

/** `length` bytes of `file` from `position`; undefined when there are fewer, or no file. */
async function readRange(
  file: string,
  position: number,
  length: number,
): Promise<Buffer | undefined> {
  const handle = await open(file, 'r').catch(() => undefined)
  if (!handle) return undefined
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(length), 0, length, position)
    return bytesRead === length ? buffer : undefined
  } finally {
    await handle.close()
  }
}

async function stagedFiles(folder: string): Promise<string[]> {
  const found = await readdir(folder, { withFileTypes: true }).catch(() => [])
  const staging = found.filter((entry) => entry.isDirectory() && entry.name.startsWith('.'))
  const files = await Promise.all(
    staging.map((entry) =>
      readdir(path.join(folder, entry.name), { recursive: true }).catch(() => []),
    ),
  )
  return files.flat()
}

describe('downloadArtifacts with the runner cache', () => {
  beforeEach(() => {
    process.env.RUNNER_TOOL_CACHE = path.join(scratch.path, 'tool-cache')
    process.env.RUNNER_TEMP = scratch.path
  })

  function cachingContext(client: ArtifactClient, reporter = recordingReporter()): DownloadContext {
    return { ...contextOf(client, reporter), cache: runnerCache() }
  }

  const files = { 'index.js': 'code', 'lib/util.js': 'util' }

  it('serves a second download of the same digest from the cache: no storage request', async () => {
    const { server, client, artifacts } = await setup([{ name: 'dist', files }])
    await downloadArtifacts(artifacts, layout(), cachingContext(client))
    await rm(destination, { recursive: true })
    const reporter = recordingReporter()

    await downloadArtifacts(artifacts, layout(), cachingContext(client, reporter))

    expect(server.storageRequests).toHaveLength(1)
    expect(await tree(destination)).toEqual({
      'dist/': '',
      'dist/index.js': 'code',
      'dist/lib/': '',
      'dist/lib/util.js': 'util',
    })
    expect(reporter.infos.join('\n')).toContain(
      `Using the copy of artifact 'dist' (id ${artifacts[0].id}, run `,
    )
    expect(reporter.progressed.at(-1)).toEqual({
      operation: 'download',
      done: artifacts[0].size_in_bytes,
      total: artifacts[0].size_in_bytes,
    })
  })

  it('downloads what it has not kept, and keeps it', async () => {
    const { server, client, artifacts } = await setup([{ name: 'dist', files }])

    await downloadArtifacts(artifacts, layout(), cachingContext(client))

    expect(server.storageRequests).toHaveLength(1)
    const kept = await readdir(path.join(scratch.path, 'tool-cache'))
    expect(kept).toContain(`manage-artifacts-${artifacts[0].digest?.replace(':', '-')}`)
  })

  it('never caches an artifact without a digest', async () => {
    const { server, client, artifacts } = await setup([{ name: 'dist', files, digest: null }])

    await downloadArtifacts(artifacts, layout(), cachingContext(client))
    await downloadArtifacts(artifacts, layout(), cachingContext(client))

    expect(server.storageRequests).toHaveLength(2)
    await expect(readdir(path.join(scratch.path, 'tool-cache'))).rejects.toThrow(/ENOENT/)
  })

  it('detects a damaged cached copy before use, and downloads it again', async () => {
    const { server, client, artifacts } = await setup([{ name: 'dist', files }])
    await downloadArtifacts(artifacts, layout(), cachingContext(client))
    const entry = path.join(
      scratch.path,
      'tool-cache',
      `manage-artifacts-${artifacts[0].digest?.replace(':', '-')}`,
    )
    const [kept] = await readdir(entry, { recursive: true, withFileTypes: true }).then((found) =>
      found.filter((item) => item.isFile() && item.name === 'artifact'),
    )
    await writeFile(path.join(kept.parentPath, kept.name), 'damaged')
    await rm(destination, { recursive: true })
    const reporter = recordingReporter()

    await downloadArtifacts(artifacts, layout(), cachingContext(client, reporter))

    expect(server.storageRequests).toHaveLength(2)
    expect(reporter.warnings.join('\n')).toContain(
      `The cached copy of artifact 'dist' (id ${artifacts[0].id}, run `,
    )
    expect(await tree(path.join(destination, 'dist'))).toEqual({
      'index.js': 'code',
      'lib/': '',
      'lib/util.js': 'util',
    })
    // The damaged copy was replaced by the fresh download.
    expect(await readFile(path.join(kept.parentPath, kept.name))).not.toEqual(
      Buffer.from('damaged'),
    )
  })
})
