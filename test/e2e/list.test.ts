import { describe, expect, it } from '@jest/globals'
import type { ArtifactRecord } from '../../src/core/artifact.js'
import { runAction } from '../support/action.js'
import { type Emulator, type SeedRun } from '../support/emulator/index.js'
import { useEmulator, daysAgo } from '../support/fixtures.js'

const start = useEmulator()

function listedIds(outputs: Record<string, string>): number[] {
  return (JSON.parse(outputs.artifacts) as ArtifactRecord[]).map((a) => a.id).sort((a, b) => a - b)
}

function serverIds(server: Emulator): number[] {
  return server
    .artifacts()
    .map((a) => a.id)
    .sort((a, b) => a - b)
}

function apiRequests(server: Emulator, pattern: RegExp): number {
  return server.requests.filter((r) => pattern.test(r.path)).length
}

describe('list', () => {
  it('reads every page of a large repository once, with nothing missed or duplicated', async () => {
    const runs: SeedRun[] = Array.from({ length: 27 }, (_, run) => ({
      workflow: 'build.yml',
      artifacts: Array.from({ length: 10 }, (_, i) => ({ name: `part-${run}-${i}` })),
    }))
    const server = await start(runs)

    const result = await runAction({ inputs: { operation: 'list' }, emulator: server })

    expect(result.exitCode).toBe(0)
    const ids = listedIds(result.outputs)
    expect(ids).toEqual(serverIds(server))
    expect(new Set(ids).size).toBe(270)
    expect(result.outputs.count).toBe('270')
    const total = server.artifacts().reduce((sum, a) => sum + a.sizeInBytes, 0)
    expect(result.outputs['total-bytes']).toBe(String(total))
    const pages = server.requests.filter((r) => r.path.endsWith('/actions/artifacts'))
    expect(pages.map((r) => r.query.page ?? '1').sort()).toEqual(['1', '2', '3'])
    expect(pages.every((r) => r.query.per_page === '100')).toBe(true)
  })

  it('gives every documented field for each artifact', async () => {
    const server = await start([
      { workflow: 'build.yml', branch: 'feature/x', artifacts: [{ name: 'dist' }] },
    ])

    const result = await runAction({ inputs: { operation: 'list' }, emulator: server })

    const [listed] = JSON.parse(result.outputs.artifacts) as ArtifactRecord[]
    const [run] = server.runs()
    expect(Object.keys(listed).sort()).toEqual(
      [
        'created_at',
        'digest',
        'expired',
        'expires_at',
        'head_branch',
        'head_sha',
        'id',
        'name',
        'repository',
        'run_id',
        'size_in_bytes',
      ].sort(),
    )
    expect(listed).toMatchObject({
      repository: `${server.owner}/${server.repo}`,
      name: 'dist',
      head_branch: 'feature/x',
      run_id: run.id,
    })
    expect(listed.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('uses the server-side name filter for a single exact name', async () => {
    const server = await start([
      { workflow: 'build.yml', artifacts: [{ name: 'dist' }, { name: 'logs' }] },
      { workflow: 'build.yml', artifacts: [{ name: 'dist' }, { name: 'dist-extra' }] },
    ])

    const result = await runAction({
      inputs: { operation: 'list', name: 'dist' },
      emulator: server,
    })

    expect(result.outputs.count).toBe('2')
    const names = (JSON.parse(result.outputs.artifacts) as ArtifactRecord[]).map((a) => a.name)
    expect(names).toEqual(['dist', 'dist'])
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0].query.name).toBe('dist')
  })

  it('selects by glob, brace set, character class and regular expression, minus exclusions', async () => {
    const names = [
      'build-linux',
      'build-macos',
      'build-win',
      'test-1',
      'test-2',
      'Test-3',
      'logs',
      'dist-linux',
      'dist-win',
      'shard-2',
      'shard-4',
    ]
    const server = await start([{ workflow: 'ci.yml', artifacts: names.map((name) => ({ name })) }])

    const result = await runAction({
      inputs: {
        operation: 'list',
        name: 'build-*\ntest-[12]\n/^test-\\d$/i\ndist-{linux,macos}\nshard-{1..3}',
        exclude: 'build-win\n/^test-2$/',
      },
      emulator: server,
    })

    const listed = (JSON.parse(result.outputs.artifacts) as ArtifactRecord[]).map((a) => a.name)
    expect(listed.sort()).toEqual([
      'Test-3',
      'build-linux',
      'build-macos',
      'dist-linux',
      'shard-2',
      'test-1',
    ])
  })

  it('lists one run through the run endpoint', async () => {
    const server = await start([
      { id: 501, workflow: 'build.yml', artifacts: [{ name: 'a' }, { name: 'b' }] },
      { id: 502, workflow: 'build.yml', artifacts: [{ name: 'c' }] },
    ])

    const result = await runAction({
      inputs: { operation: 'list', 'run-id': '501' },
      emulator: server,
    })

    const listed = (JSON.parse(result.outputs.artifacts) as ArtifactRecord[]).map((a) => a.name)
    expect(listed.sort()).toEqual(['a', 'b'])
    expect(server.requests.map((r) => r.path)).toEqual([
      `/repos/${server.owner}/${server.repo}/actions/runs/501/artifacts`,
    ])
  })

  it('decides branch and commit from the artifacts alone, without run look-ups', async () => {
    const sha = 'abcdef1234567890abcdef1234567890abcdef12'
    const server = await start([
      { workflow: 'build.yml', branch: 'main', sha, artifacts: [{ name: 'hit' }] },
      { workflow: 'build.yml', branch: 'main', artifacts: [{ name: 'other-commit' }] },
      { workflow: 'build.yml', branch: 'dev', sha, artifacts: [{ name: 'other-branch' }] },
    ])

    const result = await runAction({
      inputs: { operation: 'list', branch: 'main', commit: sha.slice(0, 7) },
      emulator: server,
    })

    const listed = (JSON.parse(result.outputs.artifacts) as ArtifactRecord[]).map((a) => a.name)
    expect(listed).toEqual(['hit'])
    expect(apiRequests(server, /\/actions\/runs\/\d+$/)).toBe(0)
  })

  it('decides workflow, event, conclusion and pull-request filters from the runs listing', async () => {
    const server = await start([
      {
        workflow: 'build.yml',
        event: 'pull_request',
        pullRequests: [7],
        artifacts: [{ name: 'a1' }, { name: 'a2' }, { name: 'a3' }],
      },
      { workflow: 'build.yml', event: 'push', artifacts: [{ name: 'pushed' }] },
      {
        workflow: 'build.yml',
        event: 'pull_request',
        pullRequests: [7],
        conclusion: 'failure',
        artifacts: [{ name: 'failed' }],
      },
      {
        workflow: 'other.yml',
        event: 'pull_request',
        pullRequests: [7],
        artifacts: [{ name: 'o' }],
      },
      {
        workflow: 'build.yml',
        event: 'pull_request',
        pullRequests: [8],
        artifacts: [{ name: 'p8' }],
      },
    ])

    const result = await runAction({
      inputs: {
        operation: 'list',
        workflow: 'build.yml',
        event: 'pull_request',
        'workflow-conclusion': 'success',
        'pull-request': '7',
      },
      emulator: server,
    })

    const listed = (JSON.parse(result.outputs.artifacts) as ArtifactRecord[]).map((a) => a.name)
    expect(listed.sort()).toEqual(['a1', 'a2', 'a3'])
    expect(server.requests.map((r) => r.path.replace(/^.*\/(actions|pulls)\//, '$1/'))).toEqual([
      'actions/artifacts',
      'pulls/7',
      'actions/workflows/build.yml/runs',
    ])
  })

  it('reads every page of the runs listing when that is cheaper than looking runs up', async () => {
    const runs: SeedRun[] = Array.from({ length: 150 }, (_, i) => ({
      workflow: 'build.yml',
      event: i % 3 === 0 ? 'push' : 'schedule',
      conclusion: i % 5 === 0 ? 'failure' : 'success',
      artifacts: [{ name: `a${i}` }],
    }))
    const expected = runs
      .map((run, i) => ({ run, name: `a${i}` }))
      .filter(({ run }) => run.event === 'push' && run.conclusion === 'success')
      .map(({ name }) => name)
    const server = await start(runs)

    const result = await runAction({
      inputs: { operation: 'list', event: 'push', 'workflow-conclusion': 'success' },
      emulator: server,
    })

    const listed = (JSON.parse(result.outputs.artifacts) as ArtifactRecord[]).map((a) => a.name)
    expect(listed.sort()).toEqual(expected.sort())
    expect(apiRequests(server, /\/actions\/runs$/)).toBe(2)
    expect(apiRequests(server, /\/actions\/runs\/\d+$/)).toBe(0)
  })

  it('looks each run up once when that is cheaper than reading the runs listing', async () => {
    const quiet: SeedRun[] = Array.from({ length: 650 }, () => ({ workflow: 'build.yml' }))
    const wanted: SeedRun[] = [1, 2, 3, 4].map((i) => ({
      workflow: i === 4 ? 'other.yml' : 'build.yml',
      event: i === 2 ? 'schedule' : 'push',
      artifacts: [{ name: `wanted-${i}` }, { name: `wanted-${i}-extra` }],
    }))
    const server = await start([...wanted, ...quiet])

    const result = await runAction({
      inputs: { operation: 'list', name: 'wanted-*', workflow: 'build.yml', event: 'push' },
      emulator: server,
    })

    const listed = (JSON.parse(result.outputs.artifacts) as ArtifactRecord[]).map((a) => a.name)
    expect(listed.sort()).toEqual(['wanted-1', 'wanted-1-extra', 'wanted-3', 'wanted-3-extra'])
    const lookups = server.requests.filter((r) => /\/actions\/runs\/\d+$/.test(r.path))
    expect(lookups).toHaveLength(4)
    expect(new Set(lookups.map((r) => r.path)).size).toBe(4)
    expect(apiRequests(server, /\/actions\/workflows\/build\.yml\/runs$/)).toBe(1)
    expect(apiRequests(server, /\/actions\/workflows\/build\.yml$/)).toBe(1)
  })

  it('applies keep-latest per name before older-than and min-size, deterministically', async () => {
    const sameTime = daysAgo(30)
    const server = await start([
      {
        workflow: 'nightly.yml',
        artifacts: [
          { id: 1, name: 'report', createdAt: daysAgo(40), sizeInBytes: 5000 },
          { id: 2, name: 'report', createdAt: sameTime, sizeInBytes: 100 },
          { id: 3, name: 'report', createdAt: sameTime, sizeInBytes: 5000 },
          { id: 4, name: 'report', createdAt: daysAgo(1), sizeInBytes: 5000 },
          { id: 5, name: 'report', createdAt: daysAgo(50), expired: true, sizeInBytes: 100 },
          { id: 6, name: 'logs', createdAt: daysAgo(20), sizeInBytes: 10_000_000 },
          { id: 7, name: 'logs', createdAt: daysAgo(25), sizeInBytes: 10 },
          { id: 8, name: 'logs', createdAt: daysAgo(2), sizeInBytes: 10_000_000 },
        ],
      },
    ])

    const result = await runAction({
      inputs: { operation: 'list', 'keep-latest': '2', 'older-than': '14d', 'min-size': '1KB' },
      emulator: server,
    })

    // report: 4 and 3 (same time as 2, higher id) are kept; of 1, 2, 5 only 1 is >= 1 KB.
    // logs: 8 and 6 are kept; 7 is too small.
    expect(listedIds(result.outputs)).toEqual([1])
    expect(result.summary).toContain('4 kept by `keep-latest`')
  })

  it('lists expired artifacts, marked as such', async () => {
    const server = await start([
      { workflow: 'build.yml', artifacts: [{ name: 'old', expired: true }, { name: 'fresh' }] },
    ])

    const result = await runAction({ inputs: { operation: 'list' }, emulator: server })

    const listed = JSON.parse(result.outputs.artifacts) as ArtifactRecord[]
    expect(listed.map((a) => [a.name, a.expired]).sort()).toEqual([
      ['fresh', false],
      ['old', true],
    ])
    expect(result.summary).toMatch(/\| old \|.*\| yes \|/)
  })

  it('writes a job summary table with names escaped', async () => {
    const server = await start([
      { workflow: 'build.yml', branch: 'fix_[x]', artifacts: [{ name: 'a_b[1](x)&#' }] },
    ])

    const result = await runAction({ inputs: { operation: 'list' }, emulator: server })

    expect(result.summary).toContain('| Name | Size | Created | Expires | Run | Branch | Expired |')
    expect(result.summary).toContain('a\\_b\\[1\\]\\(x\\)&amp;\\#')
    expect(result.summary).toContain('fix\\_\\[x\\]')
    expect(result.summary).not.toContain('a_b[1](x)')
  })

  it('warns by default when nothing matches, and says what was searched', async () => {
    const server = await start([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }])

    const result = await runAction({
      inputs: { operation: 'list', name: 'nope-*' },
      emulator: server,
    })

    expect(result.exitCode).toBe(0)
    expect(result.outputs.count).toBe('0')
    expect(result.outputs.artifacts).toBe('[]')
    expect(result.artifactsFile).toBe('[]')
    expect(result.warnings.join('\n')).toMatch(/No artifact found.*octo-org\/octo-repo.*'nope-\*'/)
  })

  it('fails when asked to, and stays quiet when asked to ignore', async () => {
    const server = await start([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }])

    const failed = await runAction({
      inputs: { operation: 'list', name: 'nope', 'if-no-artifact-found': 'fail' },
      emulator: server,
    })
    const ignored = await runAction({
      inputs: { operation: 'list', name: 'nope', 'if-no-artifact-found': 'ignore' },
      emulator: server,
    })

    expect(failed.exitCode).toBe(1)
    expect(failed.errors.join('\n')).toContain('No artifact found')
    expect(ignored.exitCode).toBe(0)
    expect(ignored.warnings).toEqual([])
  })

  it('works against GitHub Enterprise Server under /api/v3', async () => {
    const server = await start([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }], {
      apiPathPrefix: '/api/v3',
    })
    expect(server.apiUrl).toMatch(/\/api\/v3$/)

    const result = await runAction({ inputs: { operation: 'list' }, emulator: server })

    expect(result.exitCode).toBe(0)
    expect(result.outputs.count).toBe('1')
    expect(server.requests[0].path).toMatch(/^\/api\/v3\/repos\//)
  })

  it('retries a failing page and still lists everything', async () => {
    const runs: SeedRun[] = [
      {
        workflow: 'build.yml',
        artifacts: Array.from({ length: 150 }, (_, i) => ({ name: `n${i}` })),
      },
    ]
    const server = await start(runs)
    server.addFault({ path: /\/actions\/artifacts$/, status: 502, times: 1 })

    const result = await runAction({ inputs: { operation: 'list' }, emulator: server })

    expect(result.exitCode).toBe(0)
    expect(listedIds(result.outputs)).toEqual(serverIds(server))
    expect(server.requests.filter((r) => r.status === 502)).toHaveLength(1)
  })

  it('waits out 403 and 429 answers that say when to come back', async () => {
    const server = await start([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }])
    server.addFault({ path: /\/actions\/artifacts$/, status: 429, retryAfter: 1 })
    server.addFault({ path: /\/actions\/artifacts$/, status: 403, retryAfter: 1 })

    const result = await runAction({ inputs: { operation: 'list' }, emulator: server })

    expect(result.exitCode).toBe(0)
    expect(result.outputs.count).toBe('1')
    expect(server.requests.map((r) => r.status)).toEqual([429, 403, 200])
    expect(result.warnings.join('\n')).toMatch(/HTTP 429 .*waiting 1 s/)
  })

  it('gives up after a bounded number of retries', async () => {
    const server = await start([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }])
    server.addFault({ path: /\/actions\/artifacts$/, status: 403, retryAfter: 0, times: 10 })

    const result = await runAction({ inputs: { operation: 'list' }, emulator: server })

    expect(result.exitCode).toBe(1)
    expect(server.requests).toHaveLength(4)
    expect(result.errors.join('\n')).toMatch(/HTTP 403/)
  })

  it('names the input to check when the API does not know a workflow', async () => {
    const server = await start([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }])

    const result = await runAction({
      inputs: { operation: 'list', workflow: 'nope.yml' },
      emulator: server,
    })

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/workflow 'nope.yml'.*HTTP 404.*Check `workflow`/)
  })

  it('explains a refused token, naming the input', async () => {
    const server = await start([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }])

    const result = await runAction({
      inputs: { operation: 'list', 'github-token': 'ghs_refusedtoken' },
      emulator: server,
    })

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/HTTP 401.*github-token/)
    const mentions = result.stdout.split('\n').filter((line) => line.includes('ghs_refusedtoken'))
    expect(mentions).toEqual(['::add-mask::ghs_refusedtoken'])
  })
})

describe('bad input', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['unknown operation', { operation: 'purge' }, /operation.*purge/],
    ['bad repository', { operation: 'list', repository: 'not a repo' }, /repository.*not a repo/],
    ['bad run-id', { operation: 'list', 'run-id': '12abc' }, /run-id.*12abc/],
    ['bad duration', { operation: 'list', 'older-than': '14 days' }, /older-than.*14 days/],
    ['bad size', { operation: 'list', 'min-size': 'huge' }, /min-size.*huge/],
    ['bad regex', { operation: 'list', name: '/(unclosed/' }, /name.*\(unclosed/],
    ['bad boolean', { operation: 'list', 'dry-run': 'yes' }, /dry-run.*yes/],
    ['keep-latest for download', { operation: 'download', 'keep-latest': '2' }, /keep-latest/],
    ['delete without narrowing', { operation: 'delete' }, /name: '\*'/],
  ]

  it.each(cases)('%s fails naming the input, before any API call', async (_, inputs, message) => {
    const server = await start([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }])

    const result = await runAction({ inputs, emulator: server })

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(message)
    expect(server.requests).toHaveLength(0)
    expect(server.artifacts()).toHaveLength(1)
  })
})
