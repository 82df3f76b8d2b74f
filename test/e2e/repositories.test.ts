import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import type { ArtifactRecord } from '../../src/core/artifact.js'
import { runAction } from '../support/action.js'
import type { Emulator, SeedArtifact, SeedRepository, SeedRun } from '../support/emulator/index.js'
import { daysAgo, useEmulator, useScratchFolder } from '../support/fixtures.js'

const start = useEmulator()
const workspace = useScratchFolder('repositories-')

/** One run per artifact, so each artifact's age is its own. */
function runsOf(artifacts: (SeedArtifact & { ageDays?: number })[]): SeedRun[] {
  return artifacts.map(({ ageDays = 1, ...artifact }) => ({
    workflow: 'build.yml',
    createdAt: daysAgo(ageDays),
    artifacts: [{ ...artifact, createdAt: daysAgo(ageDays) }],
  }))
}

/** Several repositories: of the organisation octo-org (one private, one archived) and of the user mona. */
const REPOSITORIES: SeedRepository[] = [
  {
    owner: 'octo-org',
    name: 'web-app',
    runs: runsOf([
      { name: 'dist', sizeInBytes: 5000 },
      { name: 'logs', sizeInBytes: 100 },
    ]),
  },
  {
    owner: 'octo-org',
    name: 'web-site',
    private: true,
    runs: runsOf([{ name: 'dist', sizeInBytes: 3000 }]),
  },
  {
    owner: 'octo-org',
    name: 'api',
    runs: runsOf([
      { name: 'coverage', sizeInBytes: 700 },
      { name: 'dist', sizeInBytes: 200 },
    ]),
  },
  {
    owner: 'octo-org',
    name: 'legacy',
    archived: true,
    runs: runsOf([{ name: 'dist', sizeInBytes: 9000 }]),
  },
  { owner: 'mona', name: 'dotfiles', runs: runsOf([{ name: 'rc', sizeInBytes: 50 }]) },
]

async function startOrganisation(runs: SeedRun[] = []): Promise<Emulator> {
  return start(runs, { seed: { runs, repositories: REPOSITORIES, users: ['mona'] } })
}

function records(outputs: Record<string, string>): ArtifactRecord[] {
  return JSON.parse(outputs.artifacts) as ArtifactRecord[]
}

function deleteRequests(server: Emulator): string[] {
  return server.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)
}

/** The repository and name of every artifact left on the server in these repositories. */
function left(server: Emulator, ...repositories: string[]): string[] {
  return repositories.flatMap((repository) =>
    server.artifactsOf(repository).map((artifact) => `${repository} ${artifact.name}`),
  )
}

describe('several repositories', () => {
  it('lists every repository of an organisation and of a user, naming the repository of each artifact', async () => {
    const server = await startOrganisation()

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'list', repository: 'octo-org/*\nmona/*' },
    })

    expect(result.exitCode).toBe(0)
    const listed = records(result.outputs).map((a) => `${a.repository} ${a.name}`)
    expect(listed.sort()).toEqual(
      [
        'mona/dotfiles rc',
        'octo-org/api coverage',
        'octo-org/api dist',
        'octo-org/legacy dist',
        'octo-org/web-app dist',
        'octo-org/web-app logs',
        'octo-org/web-site dist',
      ].sort(),
    )
    expect(JSON.parse(result.outputs.repositories)).toEqual([
      { repository: 'octo-org/legacy', count: 1, total_bytes: 9000 },
      { repository: 'octo-org/web-app', count: 2, total_bytes: 5100 },
      { repository: 'octo-org/web-site', count: 1, total_bytes: 3000 },
      { repository: 'octo-org/api', count: 2, total_bytes: 900 },
      { repository: 'mona/dotfiles', count: 1, total_bytes: 50 },
    ])
    const listings = server.requests.filter((r) => /^\/(orgs|users)\//.test(r.path))
    expect(listings.map((r) => [r.path, r.status])).toEqual(
      expect.arrayContaining([
        ['/orgs/octo-org/repos', 200],
        ['/orgs/mona/repos', 404],
        ['/users/mona/repos', 200],
      ]),
    )
    expect(listings).toHaveLength(3)
  })

  it('writes a storage report: each repository and the names holding the most bytes, largest first', async () => {
    const server = await startOrganisation()

    const { summary } = await runAction({
      emulator: server,
      inputs: { operation: 'list', repository: 'octo-org/*' },
    })

    const rows = summary.split('\n').filter((line) => /^\| [a-z]/.test(line))
    expect(rows.slice(0, 4)).toEqual([
      '| octo-org/legacy | 1 | 8.79 KB |',
      '| octo-org/web-app | 2 | 4.98 KB |',
      '| octo-org/web-site | 1 | 2.93 KB |',
      '| octo-org/api | 2 | 900 B |',
    ])
    expect(rows.slice(4, 7)).toEqual([
      '| dist | 4 | 4 | 16.8 KB |',
      '| coverage | 1 | 1 | 700 B |',
      '| logs | 1 | 1 | 100 B |',
    ])
  })

  it('leaves a repository with no selected artifact out of the repositories output and the storage report', async () => {
    const server = await startOrganisation()

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'list', repository: 'octo-org/*', name: 'logs\ncoverage' },
    })

    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.outputs.repositories)).toEqual([
      { repository: 'octo-org/api', count: 1, total_bytes: 700 },
      { repository: 'octo-org/web-app', count: 1, total_bytes: 100 },
    ])
    const report = result.summary.split('### Names holding the most storage')[0]
    expect(report).toContain('| octo-org/api | 1 | 700 B |')
    expect(report).not.toContain('octo-org/legacy')
    expect(report).not.toContain('octo-org/web-site')
  })

  it('matches a glob in the name part like the name patterns, reading every page of the owner', async () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      owner: 'big',
      name: i % 2 ? `svc-${i}` : `lib-${i}`,
      runs: runsOf([{ name: 'dist', sizeInBytes: 10 }]),
    }))
    const server = await start([], { seed: { runs: [], repositories: many } })

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'list', repository: 'big/svc-*' },
    })

    expect(result.exitCode).toBe(0)
    const repositories = new Set(records(result.outputs).map((a) => a.repository))
    expect(repositories.size).toBe(60)
    expect([...repositories].every((name) => name.startsWith('big/svc-'))).toBe(true)
    const pages = server.requests.filter((r) => r.path === '/orgs/big/repos')
    expect(pages.map((r) => [r.query.per_page, r.query.page])).toEqual([
      ['100', '1'],
      ['100', '2'],
    ])
    const listed = server.requests.filter((r) => r.path.endsWith('/actions/artifacts'))
    expect(listed).toHaveLength(60)
  })

  it('takes several lines, each repository once, and says when a glob matches nothing', async () => {
    const server = await startOrganisation()

    const result = await runAction({
      emulator: server,
      inputs: {
        operation: 'list',
        repository: 'octo-org/api\nocto-org/API\nmona/dotfiles\nocto-org/nothing-*',
      },
    })

    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.outputs.repositories)).toEqual([
      { repository: 'octo-org/api', count: 2, total_bytes: 900 },
      { repository: 'mona/dotfiles', count: 1, total_bytes: 50 },
    ])
    expect(result.warnings.join('\n')).toContain("'octo-org/nothing-*' matches none of the")
  })

  it('deletes across repositories largest first under one max-deletions, keeping the newest per repository and name', async () => {
    const server = await startOrganisation()

    const result = await runAction({
      emulator: server,
      inputs: {
        operation: 'delete',
        repository: 'octo-org/*',
        name: 'dist\ncoverage',
        'max-deletions': '2',
      },
    })

    expect(result.exitCode).toBe(0)
    // legacy's dist (9000 bytes) is the largest but archived: web-app's and web-site's go first.
    const deletedIds = records(result.outputs).map((a) => `${a.repository} ${a.size_in_bytes}`)
    expect(deletedIds).toEqual(['octo-org/web-app 5000', 'octo-org/web-site 3000'])
    expect(deleteRequests(server)).toHaveLength(2)
    expect(deleteRequests(server)[0]).toMatch(/^\/repos\/octo-org\/web-app\//)
    expect(result.outputs.remaining).toBe('2')
    // What the step acted on: the artifacts it deleted.
    expect(JSON.parse(result.outputs.repositories)).toEqual([
      { repository: 'octo-org/web-app', count: 1, total_bytes: 5000 },
      { repository: 'octo-org/web-site', count: 1, total_bytes: 3000 },
    ])
    expect(left(server, 'octo-org/api', 'octo-org/legacy').sort()).toEqual([
      'octo-org/api coverage',
      'octo-org/api dist',
      'octo-org/legacy dist',
    ])
    expect(result.stdout).toContain(
      'Skipped 1 selected artifact(s) of octo-org/legacy: the repository is archived, so it is read-only.',
    )
    expect(result.summary).toContain('octo-org/legacy: the repository is archived')
  })

  it('stops every repository on the one primary budget, the largest gone first, and the next run carries on', async () => {
    // Sizes interleave: each repository holds some of the largest artifacts and some of the smallest.
    const repositories = ['one', 'two', 'three'].map((name, r) => ({
      owner: 'octo-org',
      name,
      runs: runsOf(
        Array.from({ length: 10 }, (_, i) => ({
          name: `log-${i}`,
          sizeInBytes: 100 + i * 30 + r * 10,
        })),
      ),
    }))
    const server = await start([], { seed: { runs: [], repositories } })
    server.setRateLimits({ primary: { limit: 1000, remaining: 30 } })
    const names = repositories.map((repository) => `octo-org/${repository.name}`)
    const sizesLeft = () =>
      names.flatMap((name) => server.artifactsOf(name).map((a) => a.sizeInBytes))
    const largestFirst = (sizes: number[]) => [...sizes].sort((a, b) => b - a)
    const all = largestFirst(sizesLeft())
    const inputs = { operation: 'delete', repository: 'octo-org/*', name: 'log-*' }

    const first = await runAction({ emulator: server, inputs })

    expect(first.exitCode).toBe(0)
    const deleted = records(first.outputs).map((a) => a.size_in_bytes)
    expect(deleted.length).toBeGreaterThan(0)
    expect(deleted.length).toBeLessThan(30)
    expect(largestFirst(deleted)).toEqual(all.slice(0, deleted.length))
    expect(new Set(records(first.outputs).map((a) => a.repository))).toEqual(new Set(names))
    expect(first.outputs.remaining).toBe(String(30 - deleted.length))
    expect(largestFirst(sizesLeft())).toEqual(all.slice(deleted.length))
    expect(server.requests.filter((r) => r.status === 403)).toEqual([])
    expect(first.warnings.join('\n')).toMatch(/rate limit[^]*next run/)

    server.setRateLimits({ primary: { limit: 1000, remaining: 1000 } })
    const second = await runAction({ emulator: server, inputs })

    expect(second.exitCode).toBe(0)
    expect(largestFirst(records(second.outputs).map((a) => a.size_in_bytes))).toEqual(
      all.slice(deleted.length),
    )
    expect(second.outputs.remaining).toBe('0')
    expect(sizesLeft()).toEqual([])
  })

  it('paces the DELETEs of every repository as one, under the one secondary limit of the token', async () => {
    // A pacing per repository would send five bursts at once: 25 DELETEs, 125 points. One pacing
    // lets 6 go at once and then one every ~355 ms: about 60 points in any 2 s.
    const repositories = Array.from({ length: 5 }, (_, r) => ({
      owner: 'octo-org',
      name: `service-${r}`,
      runs: runsOf(
        Array.from({ length: 5 }, (_, i) => ({ name: `log-${i}`, sizeInBytes: 100 + i * 10 + r })),
      ),
    }))
    const server = await start([], { seed: { runs: [], repositories } })
    server.setRateLimits({ secondary: { pointsPerWindow: 100, windowMs: 2000 } })

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'delete', repository: 'octo-org/*', name: 'log-*' },
    })

    expect(result.exitCode).toBe(0)
    expect(result.outputs.count).toBe('25')
    expect(server.requests.filter((r) => r.status === 403 || r.status === 429)).toEqual([])
    const deletedFrom = deleteRequests(server).map((path) => path.split('/')[3])
    // Largest first across repositories: each repository's largest goes before any one's second.
    expect(new Set(deletedFrom.slice(0, 5)).size).toBe(5)
    expect(repositories.flatMap((r) => server.artifactsOf(`octo-org/${r.name}`))).toEqual([])
  })

  it('keeps the newest of each name in each repository, not across them', async () => {
    const series = (count: number) =>
      runsOf(Array.from({ length: count }, (_, i) => ({ name: 'dist', ageDays: i + 1 })))
    const repositories = [
      { owner: 'octo-org', name: 'one', runs: series(3) },
      { owner: 'octo-org', name: 'two', runs: series(3) },
    ]
    const server = await start([], { seed: { runs: [], repositories } })
    const newestTwo = (repository: string) =>
      server
        .artifactsOf(repository)
        .slice(0, 2)
        .map((a) => a.id)
    const kept = { one: newestTwo('octo-org/one'), two: newestTwo('octo-org/two') }

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'delete', repository: 'octo-org/one\nocto-org/two', 'keep-latest': '2' },
    })

    expect(result.exitCode).toBe(0)
    expect(
      records(result.outputs)
        .map((a) => a.repository)
        .sort(),
    ).toEqual(['octo-org/one', 'octo-org/two'])
    expect(server.artifactsOf('octo-org/one').map((a) => a.id)).toEqual(kept.one)
    expect(server.artifactsOf('octo-org/two').map((a) => a.id)).toEqual(kept.two)
  })

  it('never sends a DELETE to an archived repository named on its own line', async () => {
    const server = await startOrganisation()

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'delete', repository: 'octo-org/legacy', name: '*' },
    })

    expect(result.exitCode).toBe(0)
    expect(deleteRequests(server)).toEqual([])
    expect(left(server, 'octo-org/legacy')).toEqual(['octo-org/legacy dist'])
    expect(result.outputs.remaining).toBe('0')
    expect(result.outputs.count).toBe('0')
    expect(server.requests.map((r) => r.path)).toContain('/repos/octo-org/legacy')
  })

  it('downloads from an archived repository but sends it no DELETE, saying the artifacts stay', async () => {
    const server = await startOrganisation()
    const [run] = server.runsOf('octo-org/legacy')

    const result = await runAction({
      emulator: server,
      inputs: {
        operation: 'download',
        repository: 'octo-org/legacy',
        'run-id': String(run.id),
        'delete-after-download': 'true',
      },
      workspace: workspace.path,
    })

    expect(result.exitCode).toBe(0)
    expect(records(result.outputs)).toMatchObject([{ repository: 'octo-org/legacy', name: 'dist' }])
    expect(existsSync(path.join(workspace.path, 'dist', 'README.txt'))).toBe(true)
    expect(deleteRequests(server)).toEqual([])
    expect(left(server, 'octo-org/legacy')).toEqual(['octo-org/legacy dist'])
    const note =
      'The artifacts downloaded stay in octo-org/legacy despite delete-after-download: the repository is archived, so it is read-only.'
    expect(result.warnings).toContain(note)
    expect(result.summary).toContain(note)
  })

  it('refuses a download whose glob resolves to several repositories before any artifact request', async () => {
    const server = await startOrganisation()

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'download', repository: 'octo-org/web-*', 'run-id': '1' },
    })

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /Input 'repository': operation 'download' takes one repository; the lines given resolve to 2: octo-org\/web-(app|site), octo-org\/web-(app|site)/,
    )
    expect(server.requests.map((r) => r.path)).toEqual(['/orgs/octo-org/repos'])
  })

  it('refuses a download of several lines before any request', async () => {
    const server = await startOrganisation()

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'download', repository: 'octo-org/api\nmona/dotfiles', 'run-id': '1' },
    })

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toContain("Input 'repository'")
    expect(server.requests).toEqual([])
  })

  it('downloads from the one repository a glob resolves to', async () => {
    const server = await startOrganisation()
    const [run] = server.runsOf('mona/dotfiles')

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'download', repository: 'mona/dot*', 'run-id': String(run.id) },
    })

    expect(result.exitCode).toBe(0)
    expect(records(result.outputs)).toMatchObject([{ repository: 'mona/dotfiles', name: 'rc' }])
  })
})
