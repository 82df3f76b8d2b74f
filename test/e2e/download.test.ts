import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeEach, describe, expect, it } from '@jest/globals'
import type { ArtifactRecord } from '../../src/core/artifact.js'
import { runAction, type ActionResult } from '../support/action.js'
import { buildZip, type Emulator } from '../support/emulator/index.js'
import { tree, useEmulator, useScratchFolder } from '../support/fixtures.js'

const start = useEmulator()
const scratch = useScratchFolder('download-e2e-')
let workspace: string

beforeEach(() => {
  workspace = scratch.path
})

function download(
  server: Emulator,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionResult> {
  return runAction({
    inputs: { operation: 'download', ...inputs },
    emulator: server,
    workspace,
    env,
  })
}

function records(result: ActionResult): ArtifactRecord[] {
  return JSON.parse(result.outputs.artifacts) as ArtifactRecord[]
}

const RUN_A = 7_100
const RUN_B = 7_200

describe('download', () => {
  it("takes the current run's artifacts by default, each into a folder of its name", async () => {
    const server = await start([
      { id: RUN_A, workflow: 'build.yml', artifacts: [{ name: 'other-run', files: { x: 'x' } }] },
      {
        id: RUN_B,
        workflow: 'build.yml',
        artifacts: [
          { name: 'linux', files: { 'bin/app': 'linux' } },
          { name: 'docs', files: { 'index.html': '<h1>docs</h1>' } },
        ],
      },
    ])

    const result = await download(server, {}, { GITHUB_RUN_ID: String(RUN_B) })

    expect(result.exitCode).toBe(0)
    expect(await tree(workspace)).toEqual({
      'linux/': '',
      'linux/bin/': '',
      'linux/bin/app': 'linux',
      'docs/': '',
      'docs/index.html': '<h1>docs</h1>',
    })
    const listed = records(result)
    const onServer = server.artifacts().filter((a) => a.runId === RUN_B)
    expect(listed.map((r) => [r.name, r.path]).sort()).toEqual([
      ['docs', path.join(workspace, 'docs')],
      ['linux', path.join(workspace, 'linux')],
    ])
    expect(listed.every((r) => r.run_id === RUN_B)).toBe(true)
    expect(result.outputs.count).toBe('2')
    expect(result.outputs['total-bytes']).toBe(
      String(onServer.reduce((sum, a) => sum + a.sizeInBytes, 0)),
    )
    expect(result.outputs['run-id']).toBe(String(RUN_B))
    expect(result.outputs['download-path']).toBe(workspace)
    expect(result.summary).toContain('linux')
    expect(result.summary).toContain('docs')
    expect(result.summary).toContain(String(RUN_B))
  })

  it.each([
    ['a single exact name into the path itself', 'dist', { 'index.js': 'code' }],
    ['a pattern into a folder of its name', 'di*', { 'dist/': '', 'dist/index.js': 'code' }],
  ])('puts one artifact asked for by %s', async (_, name, expected) => {
    const server = await start([
      {
        id: RUN_A,
        workflow: 'build.yml',
        artifacts: [{ name: 'dist', files: { 'index.js': 'code' } }],
      },
    ])

    const result = await download(server, { name }, { GITHUB_RUN_ID: String(RUN_A) })

    expect(result.exitCode).toBe(0)
    expect(await tree(workspace)).toEqual(expected)
  })

  it('takes the run given by run-id', async () => {
    const server = await start([
      {
        id: RUN_A,
        workflow: 'build.yml',
        artifacts: [{ name: 'wanted', files: { 'a.txt': 'a' } }],
      },
      {
        id: RUN_B,
        workflow: 'build.yml',
        artifacts: [{ name: 'current', files: { 'b.txt': 'b' } }],
      },
    ])

    const result = await download(
      server,
      { 'run-id': String(RUN_A) },
      { GITHUB_RUN_ID: String(RUN_B) },
    )

    expect(result.exitCode).toBe(0)
    expect(await tree(workspace)).toEqual({ 'wanted/': '', 'wanted/a.txt': 'a' })
    expect(result.outputs['run-id']).toBe(String(RUN_A))
  })

  it('finds the newest successful run of a workflow and branch holding the name', async () => {
    const server = await start([
      {
        workflow: 'build.yml',
        branch: 'main',
        artifacts: [{ name: 'dist', files: { 'app.js': 'older success' } }],
      },
      {
        id: RUN_A,
        workflow: 'build.yml',
        branch: 'main',
        artifacts: [{ name: 'dist', files: { 'app.js': 'the one' } }],
      },
      { workflow: 'build.yml', branch: 'main', artifacts: [{ name: 'coverage' }] },
      {
        workflow: 'build.yml',
        branch: 'main',
        conclusion: 'failure',
        artifacts: [{ name: 'dist', files: { 'app.js': 'failed run' } }],
      },
      {
        workflow: 'build.yml',
        branch: 'feature',
        artifacts: [{ name: 'dist', files: { 'app.js': 'other branch' } }],
      },
      {
        workflow: 'test.yml',
        branch: 'main',
        artifacts: [{ name: 'dist', files: { 'app.js': 'other workflow' } }],
      },
    ])

    const result = await download(server, {
      workflow: 'build.yml',
      branch: 'main',
      name: 'dist',
      path: 'dist',
    })

    expect(result.exitCode).toBe(0)
    // One artifact asked for by its exact name lands in `path` itself.
    expect(await tree(path.join(workspace, 'dist'))).toEqual({ 'app.js': 'the one' })
    expect(result.outputs['run-id']).toBe(String(RUN_A))
    expect(result.outputs['download-path']).toBe(path.join(workspace, 'dist'))
    expect(records(result)[0].path).toBe(path.join(workspace, 'dist'))
  })

  it('searches back to the newest run holding every name asked for, never mixing runs', async () => {
    const server = await start([
      {
        workflow: 'build.yml',
        artifacts: [
          { name: 'linux', files: { bin: 'old linux' } },
          { name: 'docs', files: { 'index.html': 'old docs' } },
        ],
      },
      {
        id: RUN_A,
        workflow: 'build.yml',
        artifacts: [
          { name: 'linux', files: { bin: 'linux' } },
          { name: 'docs', files: { 'index.html': 'docs' } },
          { name: 'logs' },
        ],
      },
      { workflow: 'build.yml', artifacts: [{ name: 'linux', files: { bin: 'newest, alone' } }] },
    ])

    const result = await download(server, { workflow: 'build.yml', name: 'linux\ndocs' })

    expect(result.exitCode).toBe(0)
    expect(result.outputs['run-id']).toBe(String(RUN_A))
    expect(await tree(workspace)).toEqual({
      'docs/': '',
      'docs/index.html': 'docs',
      'linux/': '',
      'linux/bin': 'linux',
    })
  })

  it('fails by default when nothing matches, saying what was searched', async () => {
    const server = await start([
      { workflow: 'build.yml', branch: 'main', artifacts: [{ name: 'dist' }] },
      {
        workflow: 'build.yml',
        branch: 'main',
        conclusion: 'failure',
        artifacts: [{ name: 'dist' }],
      },
    ])

    const result = await download(server, { workflow: 'build.yml', branch: 'main', name: 'dist-*' })

    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toContain('No artifact found')
    expect(error).toContain(`${server.owner}/${server.repo}`)
    expect(error).toMatch(/workflow build\.yml.*branch main.*conclusion success.*'dist-\*'/)
    // The failed run is filtered out by the server: one run was read.
    expect(error).toMatch(/the newest 1 run\(s\) of the listing, back to one created \S+Z, none/)
    expect(await readdir(workspace)).toEqual([])
  })

  it('merges several artifacts oldest first, newest winning, with a warning per overwrite', async () => {
    const server = await start([
      {
        id: RUN_A,
        workflow: 'build.yml',
        artifacts: [
          { name: 'part-1', files: { 'shared.txt': 'from part-1', 'one.txt': '1' } },
          { name: 'part-2', files: { 'shared.txt': 'from part-2', 'two.txt': '2' } },
          { name: 'part-3', files: { 'shared.txt': 'from part-3', 'three.txt': '3' } },
        ],
      },
    ])
    // The oldest arrives last (its first answer fails): arrival order must not decide the winner.
    const oldest = server.artifacts().find((a) => a.name === 'part-1')
    server.addFault({ target: 'storage', path: new RegExp(`/${oldest?.id}$`), status: 503 })

    const result = await download(server, {
      'run-id': String(RUN_A),
      name: 'part-*',
      'merge-multiple': 'true',
      path: 'merged',
    })

    expect(result.exitCode).toBe(0)
    expect(await tree(path.join(workspace, 'merged'))).toEqual({
      'shared.txt': 'from part-3',
      'one.txt': '1',
      'two.txt': '2',
      'three.txt': '3',
    })
    expect(result.warnings).toHaveLength(2)
    expect(result.warnings[0]).toMatch(
      /'part-2'.*overwrote 1 file\(s\) of the older artifact 'part-1'.*shared\.txt/,
    )
    expect(result.warnings[1]).toMatch(
      /'part-3'.*overwrote 1 file\(s\) of the older artifact 'part-2'.*shared\.txt/,
    )
    expect(records(result).every((r) => r.path === path.join(workspace, 'merged'))).toBe(true)
  })

  it('extracts an artifact of thousands of small files', async () => {
    // As many entries as this, and the files are written by a thread of their own.
    const files = Object.fromEntries(
      Array.from({ length: 1_500 }, (_, i) => [
        `module-${i % 20}/file-${i}.txt`,
        `${i}\n`.repeat(i % 40),
      ]),
    )
    const server = await start([
      { id: RUN_A, workflow: 'build.yml', artifacts: [{ name: 'sources', files }] },
    ])

    const result = await download(server, { name: 'sources', 'run-id': String(RUN_A) })

    expect(result.exitCode).toBe(0)
    expect(await tree(workspace)).toEqual({
      ...files,
      ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`module-${i}/`, ''])),
    })
  })

  it('saves <name>.zip with extract: false', async () => {
    const server = await start([
      {
        id: RUN_A,
        workflow: 'build.yml',
        artifacts: [{ name: 'dist', files: { 'a.txt': 'a' } }, { name: 'logs' }],
      },
    ])

    const result = await download(server, { 'run-id': String(RUN_A), extract: 'false' })

    expect(result.exitCode).toBe(0)
    expect((await readdir(workspace)).sort()).toEqual(['dist.zip', 'logs.zip'])
    for (const artifact of server.artifacts()) {
      const saved = await readFile(path.join(workspace, `${artifact.name}.zip`))
      expect(saved.equals(server.artifactBytes(artifact.id) as Buffer)).toBe(true)
    }
    expect(
      records(result)
        .map((r) => r.path)
        .sort(),
    ).toEqual([path.join(workspace, 'dist.zip'), path.join(workspace, 'logs.zip')])
  })

  it('saves an artifact uploaded unzipped as the file its storage host names', async () => {
    const data = Buffer.from('%PDF-1.7 report')
    const server = await start([
      {
        id: RUN_A,
        workflow: 'build.yml',
        artifacts: [
          {
            name: 'report.pdf',
            rawFile: { fileName: 'report.pdf', data, contentType: 'application/pdf' },
          },
        ],
      },
    ])

    const result = await download(server, { 'run-id': String(RUN_A), name: 'report.pdf' })

    expect(result.exitCode).toBe(0)
    expect(await tree(workspace)).toEqual({ 'report.pdf': data.toString() })
    expect(records(result)[0].path).toBe(path.join(workspace, 'report.pdf'))
  })

  it('works against an Enterprise Server API path', async () => {
    const server = await start(
      [
        {
          id: RUN_A,
          workflow: 'build.yml',
          artifacts: [{ name: 'dist', files: { 'a.txt': 'a' } }],
        },
      ],
      { apiPathPrefix: '/api/v3' },
    )

    const result = await download(server, { 'run-id': String(RUN_A), name: 'dist' })

    expect(result.exitCode).toBe(0)
    expect(await tree(workspace)).toEqual({ 'a.txt': 'a' })
  })

  it('leaves files already in the destination alone, apart from those it replaces', async () => {
    const server = await start([
      {
        id: RUN_A,
        workflow: 'build.yml',
        artifacts: [{ name: 'dist', zip: buildZip([{ name: 'app.js', data: 'new' }]) }],
      },
    ])
    await mkdir(path.join(workspace, 'dist'))
    await writeFile(path.join(workspace, 'dist', 'app.js'), 'old')
    await writeFile(path.join(workspace, 'dist', 'keep.txt'), 'mine')

    const result = await download(server, { 'run-id': String(RUN_A), name: 'dist', path: 'dist' })

    expect(result.exitCode).toBe(0)
    expect(await tree(path.join(workspace, 'dist'))).toEqual({
      'app.js': 'new',
      'keep.txt': 'mine',
    })
  })
})
