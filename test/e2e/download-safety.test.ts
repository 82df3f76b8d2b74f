import { randomBytes } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeEach, describe, expect, it } from '@jest/globals'
import type { ArtifactRecord } from '../../src/core/artifact.js'
import { runAction, type ActionResult } from '../support/action.js'
import {
  buildZip,
  type Emulator,
  type SeedArtifact,
  type SeedRun,
  type ZipEntry,
} from '../support/emulator/index.js'
import { tree, useEmulator, useScratchFolder } from '../support/fixtures.js'

const start = useEmulator()
/** Holds the workspace, so that anything written beside or above it shows. */
const scratch = useScratchFolder('download-safety-')
let workspace: string

beforeEach(async () => {
  workspace = path.join(scratch.path, 'workspace')
  await mkdir(workspace)
})

const RUN = 7_300

async function startWith(artifacts: SeedArtifact[], runs: SeedRun[] = []): Promise<Emulator> {
  return start([...runs, { id: RUN, workflow: 'build.yml', artifacts }])
}

function download(server: Emulator, inputs: Record<string, string> = {}): Promise<ActionResult> {
  return runAction({
    inputs: { operation: 'download', 'run-id': String(RUN), ...inputs },
    emulator: server,
    workspace,
  })
}

function names(result: ActionResult): string[] {
  return (JSON.parse(result.outputs.artifacts) as ArtifactRecord[]).map((r) => r.name)
}

describe('download safety', () => {
  it('never sends the token to the storage host, nor prints the signed URL', async () => {
    const server = await startWith([{ name: 'dist' }, { name: 'docs' }])

    const result = await download(server)

    expect(result.exitCode).toBe(0)
    expect(server.storageRequests).toHaveLength(2)
    expect(server.storageRequests.every((r) => r.headers.authorization === undefined)).toBe(true)
    expect(server.requests.every((r) => r.headers.authorization !== undefined)).toBe(true)
    const signatures = server.storageRequests.map((r) => r.query.sig)
    // `::add-mask::` lines are the runner's instructions to hide a value: they never show.
    const shown = result.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n')
    for (const signature of signatures) {
      expect(shown).not.toContain(encodeURIComponent(signature))
      expect(shown).not.toContain(signature)
    }
    expect(shown).not.toContain(server.token)
    const masked = result.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'))
    expect(masked.filter((line) => line.includes('/artifacts/')).length).toBeGreaterThanOrEqual(2)
  })

  it('refuses bytes that do not match the digest, showing both, writing nothing', async () => {
    const wrong = `sha256:${'ab'.repeat(32)}`
    const server = await startWith([{ name: 'dist', files: { 'a.txt': 'a' }, digest: wrong }])

    const result = await download(server, { name: 'dist', path: 'out' })

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toContain(`expected ${wrong}`)
    expect(result.errors.join('\n')).toMatch(/received sha256:[0-9a-f]{64}/)
    expect(await tree(scratch.path)).toEqual({ 'workspace/': '' })
  })

  it.each<[string, ZipEntry[]]>([
    ['a parent segment', [{ name: '../../escaped.txt', data: 'evil' }]],
    ['an absolute path', [{ name: '/absolute/escaped.txt', data: 'evil' }]],
    ['a symbolic link', [{ name: 'link', symlinkTarget: '/' }]],
  ])('refuses an archive holding %s, writing nothing anywhere', async (_kind, hostile) => {
    const server = await startWith([
      { name: 'evil', zip: buildZip([{ name: 'innocent.txt', data: 'fine' }, ...hostile]) },
    ])

    const result = await download(server, { name: 'evil', path: 'deep/out' })

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      new RegExp(`Refusing to extract artifact 'evil' .*: its entry '.*' (contains|is)`),
    )
    expect(await tree(scratch.path)).toEqual({ 'workspace/': '', 'workspace/deep/': '' })
  })

  it('names an expired artifact and requests nothing from storage', async () => {
    const server = await startWith([{ name: 'old', expired: true }])

    const result = await download(server, { name: 'old' })

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/Artifact 'old' \(id \d+\) has expired/)
    expect(server.storageRequests).toEqual([])
    expect(await tree(workspace)).toEqual({})
  })

  it('skips the artifacts of a fork run with a warning, unless allow-forks', async () => {
    const runs: SeedRun[] = [
      {
        id: 7_001,
        workflow: 'pr.yml',
        artifacts: [{ name: 'pr-build', files: { 'app.js': 'trusted' } }],
      },
      {
        id: 7_002,
        workflow: 'pr.yml',
        fromFork: true,
        artifacts: [{ name: 'pr-build', files: { 'app.js': 'from a fork' } }],
      },
    ]
    const server = await startWith([], runs)

    const safe = await download(server, { 'run-id': '', workflow: 'pr.yml', name: 'pr-build' })

    expect(safe.exitCode).toBe(0)
    expect(safe.outputs['run-id']).toBe('7001')
    expect(await readFile(path.join(workspace, 'app.js'), 'utf8')).toBe('trusted')
    expect(safe.warnings.join('\n')).toMatch(/run 7002.*fork/)

    const trusting = await download(server, {
      'run-id': '',
      workflow: 'pr.yml',
      name: 'pr-build',
      'allow-forks': 'true',
    })

    expect(trusting.exitCode).toBe(0)
    expect(trusting.outputs['run-id']).toBe('7002')
    expect(await readFile(path.join(workspace, 'app.js'), 'utf8')).toBe('from a fork')
  })

  it('deletes the artifacts it downloaded with delete-after-download, and only those', async () => {
    const server = await startWith([
      { name: 'dist', files: { 'a.txt': 'a' } },
      { name: 'docs', files: { 'b.txt': 'b' } },
      { name: 'logs', files: { 'c.txt': 'c' } },
    ])

    const result = await download(server, { name: 'd*', 'delete-after-download': 'true' })

    expect(result.exitCode).toBe(0)
    expect(server.artifacts().map((a) => a.name)).toEqual(['logs'])
    expect(names(result).sort()).toEqual(['dist', 'docs'])
    expect(await tree(workspace)).toEqual({
      'dist/': '',
      'dist/a.txt': 'a',
      'docs/': '',
      'docs/b.txt': 'b',
    })
  })

  it('retries dropped and failed storage answers, and resumes a truncated one', async () => {
    const data = randomBytes(200_000)
    const server = await startWith([
      { name: 'big', zip: buildZip([{ name: 'data.bin', data, method: 'store' }]) },
    ])
    server.addFault({ target: 'storage', path: /^\/artifacts\//, reset: 'connection' })
    server.addFault({ target: 'storage', path: /^\/artifacts\//, status: 502 })
    server.addFault({ target: 'storage', path: /^\/artifacts\//, truncate: 1_000 })

    const result = await download(server, { name: 'big' })

    expect(result.exitCode).toBe(0)
    expect(server.storageRequests.map((r) => r.status)).toEqual([0, 502, 200, 206])
    expect(server.storageRequests[3].range?.start).toBe(1_000)
    expect((await readFile(path.join(workspace, 'data.bin'))).equals(data)).toBe(true)
  })

  it('fails clearly when storage keeps failing, leaving no partial file', async () => {
    const server = await startWith([{ name: 'dist', files: { 'a.txt': 'a' } }])
    server.addFault({ target: 'storage', path: /^\/artifacts\//, status: 500, times: 99 })

    const result = await download(server, { name: 'dist' })

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /Downloading artifact 'dist' \(id \d+, run 7300\) from the storage URL failed after 4 attempts: the storage host answered HTTP 500/,
    )
    expect(await tree(scratch.path)).toEqual({ 'workspace/': '' })
  })
})
