import { describe, expect, it } from '@jest/globals'
import type { ArtifactRecord } from '../../src/core/artifact.js'
import { runAction } from '../support/action.js'
import { type Emulator, type SeedArtifact, type SeedRun } from '../support/emulator/index.js'
import { useEmulator, daysAgo } from '../support/fixtures.js'

const start = useEmulator()

/** One run per artifact, so each artifact's age is its own. */
function runsOf(artifacts: (SeedArtifact & { ageDays: number })[]): SeedRun[] {
  return artifacts.map(({ ageDays, ...artifact }) => ({
    workflow: 'build.yml',
    createdAt: daysAgo(ageDays),
    artifacts: [{ ...artifact, createdAt: daysAgo(ageDays) }],
  }))
}

/** `count` artifacts of this name, with ids from `firstId`, the first `fromDays` old, each a day older. */
function series(name: string, firstId: number, count: number, fromDays: number) {
  return Array.from({ length: count }, (_, i) => ({ id: firstId + i, name, ageDays: fromDays + i }))
}

const sorted = (ids: number[]): number[] => [...ids].sort((a, b) => a - b)
const serverIds = (server: Emulator): number[] => sorted(server.artifacts().map((a) => a.id))
const outputIds = (outputs: Record<string, string>): number[] =>
  sorted((JSON.parse(outputs.artifacts) as ArtifactRecord[]).map((a) => a.id))

/** Artifact ids of the DELETE requests the server received, in order. */
function deleteRequests(server: Emulator, status?: number): number[] {
  return server.requests
    .filter((r) => r.method === 'DELETE' && (status === undefined || r.status === status))
    .map((r) => Number(/\/actions\/artifacts\/(\d+)$/.exec(r.path)?.[1]))
}

function without(all: number[], removed: number[]): number[] {
  return all.filter((id) => !removed.includes(id))
}

describe('delete', () => {
  it('applies the README retention recipe: keep-latest per name, then older-than and min-size, never excluded ones', async () => {
    const server = await start(
      runsOf([
        // keep-latest 3 protects 101-103; 106 is too small; 104, 105 and 107 go.
        ...series('build', 101, 3, 1),
        { id: 104, name: 'build', ageDays: 15, sizeInBytes: 4096 },
        { id: 105, name: 'build', ageDays: 20, sizeInBytes: 2048 },
        { id: 106, name: 'build', ageDays: 30, sizeInBytes: 500 },
        { id: 107, name: 'build', ageDays: 40, sizeInBytes: 1024 },
        // An expired artifact takes no keep-latest place: 201 is too young, 202-204 are kept,
        // and 205 goes.
        { id: 201, name: 'docs', ageDays: 2, expired: true, sizeInBytes: 4096 },
        ...series('docs', 202, 4, 16).map((a) => ({ ...a, sizeInBytes: 4096 })),
        // Excluded, however old and large.
        ...series('release-1.0', 301, 4, 100).map((a) => ({ ...a, sizeInBytes: 1 << 20 })),
        // Expired and old: 401 goes whatever keep-latest says.
        { id: 401, name: 'coverage', ageDays: 60, expired: true, sizeInBytes: 8192 },
        { id: 402, name: 'fresh', ageDays: 0, sizeInBytes: 1 << 20 },
      ]),
    )
    const before = serverIds(server)

    const result = await runAction({
      emulator: server,
      inputs: {
        operation: 'delete',
        'older-than': '14d',
        'keep-latest': '3',
        exclude: 'release-*',
        'min-size': '1KB',
      },
    })

    expect(result.exitCode).toBe(0)
    const deleted = [104, 105, 107, 205, 401]
    expect(serverIds(server)).toEqual(without(before, deleted))
    expect(sorted(deleteRequests(server))).toEqual(deleted)
    expect(outputIds(result.outputs)).toEqual(deleted)
    expect(result.outputs.count).toBe('5')
    expect(result.outputs.remaining).toBe('0')
  })

  it('deletes oldest first', async () => {
    const server = await start(runsOf(series('log', 1, 5, 10)))

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'delete', name: 'log' },
    })

    expect(result.exitCode).toBe(0)
    // Up to 3 are in flight at once, so arrival order is exact only between those batches.
    const order = deleteRequests(server)
    expect(sorted(order.slice(0, 3))).toEqual([3, 4, 5])
    expect(sorted(order.slice(3))).toEqual([1, 2])
  })

  describe('with artifacts created while the listing is read', () => {
    // Newest first, as GitHub lists: 198 fresh ones, then 3 'nightly' (positions 199-201,
    // across the page 2 / page 3 boundary), then 5 'stale-log'. With keep-latest 1 and
    // older-than 30d, the newest 'nightly' and 'stale-log' are kept and 6 artifacts go.
    const seed = runsOf([
      ...Array.from({ length: 198 }, (_, i) => ({ id: 1000 + i, name: 'fresh', ageDays: i / 50 })),
      ...series('nightly', 2001, 3, 40),
      ...series('stale-log', 3001, 5, 50),
    ])
    const expectedDeletions = [2002, 2003, 3002, 3003, 3004, 3005]
    const inputs = { operation: 'delete', 'older-than': '30d', 'keep-latest': '1' }
    const lateRun: SeedRun = {
      workflow: 'late.yml',
      artifacts: Array.from({ length: 100 }, () => ({ name: 'late', createdAt: daysAgo(0) })),
    }
    const isPage = (path: string, query: Record<string, string>, page: string): boolean =>
      path.endsWith('/actions/artifacts') && query.page === page

    /** Runs the retention rule; exactly the expected ones go, the late ones all stay. */
    async function expectOnlySelectedDeleted(server: Emulator, before: number[]): Promise<void> {
      const result = await runAction({ emulator: server, inputs })

      expect(result.exitCode).toBe(0)
      const requested = deleteRequests(server)
      expect(requested).toHaveLength(expectedDeletions.length)
      expect(sorted(requested)).toEqual(expectedDeletions)
      const late = server.artifacts().filter((a) => a.name === 'late')
      expect(late).toHaveLength(100)
      expect(serverIds(server)).toEqual(
        sorted([...without(before, expectedDeletions), ...late.map((a) => a.id)]),
      )
    }

    it('deletes exactly what the complete listing selected when they appear before a page is read', async () => {
      const server = await start(seed)
      const before = serverIds(server)
      let added = false
      server.onRequest(({ path, query }) => {
        if (!added && (isPage(path, query, '2') || isPage(path, query, '3'))) {
          added = true
          server.addRun(lateRun)
        }
      })

      await expectOnlySelectedDeleted(server, before)
      expect(added).toBe(true)
    })

    it('deletes exactly what the complete listing selected when they appear between two page answers', async () => {
      const server = await start(seed)
      const before = serverIds(server)
      let added = false
      // Page 2's answer is held back until page 3 has been answered, then artifacts are added:
      // the two pages see the listing before and after the addition.
      server.onRequest(async ({ path, query }) => {
        if (!isPage(path, query, '2')) return
        const page3Answered = () =>
          server.requests.some((r) => isPage(r.path, r.query, '3') && r.status !== 0)
        for (let i = 0; i < 100 && !page3Answered(); i++) {
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        if (!added) {
          added = true
          server.addRun(lateRun)
        }
      })

      await expectOnlySelectedDeleted(server, before)
      expect(added).toBe(true)
    })
  })

  it('refuses to delete without a narrowing input, before any request', async () => {
    const server = await start(runsOf(series('log', 1, 3, 30)))

    const result = await runAction({ emulator: server, inputs: { operation: 'delete' } })

    expect(result.exitCode).not.toBe(0)
    expect(result.errors.join('\n')).toContain("name: '*'")
    expect(server.requests).toEqual([])
    expect(serverIds(server)).toEqual([1, 2, 3])
  })

  it('in a dry run deletes nothing and reports what it would delete', async () => {
    const server = await start(runsOf([...series('log', 1, 4, 20), ...series('new', 11, 2, 0)]))

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'delete', 'older-than': '7d', 'dry-run': 'true' },
    })

    expect(result.exitCode).toBe(0)
    expect(deleteRequests(server)).toEqual([])
    expect(serverIds(server)).toEqual([1, 2, 3, 4, 11, 12])
    expect(outputIds(result.outputs)).toEqual([1, 2, 3, 4])
    expect(result.outputs.count).toBe('4')
    expect(result.summary.toLowerCase()).toContain('dry run')
  })

  it('stops at max-deletions, the oldest deleted and the rest counted as remaining', async () => {
    const server = await start(runsOf([...series('log', 1, 8, 10), ...series('new', 21, 2, 0)]))

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'delete', 'older-than': '7d', 'max-deletions': '3' },
    })

    expect(result.exitCode).toBe(0)
    expect(serverIds(server)).toEqual([1, 2, 3, 4, 5, 21, 22])
    expect(outputIds(result.outputs)).toEqual([6, 7, 8])
    expect(result.outputs.count).toBe('3')
    expect(result.outputs.remaining).toBe('5')
    expect(result.summary).toContain('max-deletions')
  })

  it('lists exactly what it deletes, given the same inputs', async () => {
    const server = await start(
      runsOf([
        // Ages 3.5 to 7.5 days: none close to the 5-day line.
        ...series('build-linux', 1, 5, 3.5),
        ...series('build-keep', 11, 3, 30),
        ...series('coverage', 21, 4, 8),
        ...series('other', 31, 3, 40),
      ]),
    )
    const inputs = {
      name: 'build-*\ncoverage',
      exclude: 'build-keep',
      'older-than': '5d',
      'keep-latest': '1',
    }
    const before = serverIds(server)

    const listed = await runAction({ emulator: server, inputs: { ...inputs, operation: 'list' } })
    const deleted = await runAction({
      emulator: server,
      inputs: { ...inputs, operation: 'delete' },
    })

    expect(listed.exitCode).toBe(0)
    expect(deleted.exitCode).toBe(0)
    const listedIds = outputIds(listed.outputs)
    expect(listedIds).toEqual([3, 4, 5, 22, 23, 24])
    expect(outputIds(deleted.outputs)).toEqual(listedIds)
    expect(serverIds(server)).toEqual(without(before, listedIds))
  })
})

describe('delete under rate limits and failures', () => {
  it('stops cleanly when the primary rate limit is nearly used up, step green, the rest remaining', async () => {
    const server = await start(runsOf(series('log', 1, 30, 10)), {
      rateLimits: { primary: { limit: 1000, remaining: 25 } },
    })

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'delete', name: 'log', 'older-than': '1d' },
    })

    expect(result.exitCode).toBe(0)
    const left = serverIds(server)
    expect(left.length).toBeGreaterThan(0)
    expect(left.length).toBeLessThan(30)
    // Oldest first: what is left are the newest (lowest ids in this series).
    expect(left).toEqual(Array.from({ length: left.length }, (_, i) => i + 1))
    expect(result.outputs.remaining).toBe(String(left.length))
    expect(outputIds(result.outputs)).toEqual(
      without(
        Array.from({ length: 30 }, (_, i) => i + 1),
        left,
      ),
    )
    expect(server.requests.every((r) => r.status !== 403)).toBe(true)
    const warning = result.warnings.join('\n')
    expect(warning).toContain('rate limit')
    expect(warning).toContain('next run')
  })

  it('retries a DELETE answered with a 5xx', async () => {
    const server = await start(runsOf(series('log', 1, 4, 10)))
    server.addFault({ method: 'DELETE', path: /\/actions\/artifacts\/\d+$/, status: 502, times: 2 })

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'delete', name: 'log', 'older-than': '1d' },
    })

    expect(result.exitCode).toBe(0)
    expect(serverIds(server)).toEqual([])
    expect(deleteRequests(server, 502)).toHaveLength(2)
    expect(sorted(deleteRequests(server, 204))).toEqual([1, 2, 3, 4])
    expect(result.outputs.count).toBe('4')
  })

  it('fails the step naming the refused artifacts and `actions: write` when the token may not delete', async () => {
    const server = await start(runsOf(series('log', 1, 10, 10)), { forbidDelete: true })

    const result = await runAction({
      emulator: server,
      inputs: { operation: 'delete', name: 'log', 'older-than': '1d' },
    })

    expect(result.exitCode).not.toBe(0)
    expect(serverIds(server)).toHaveLength(10)
    const refused = deleteRequests(server, 403)
    expect(refused.length).toBeGreaterThan(0)
    // Every DELETE would be refused the same way: only those already in flight are sent, once each.
    expect(deleteRequests(server)).toEqual(refused)
    expect(new Set(refused).size).toBe(refused.length)
    expect(refused.length).toBeLessThanOrEqual(3)
    const error = result.errors.join('\n')
    expect(error).toContain('the token (`github-token`) needs `actions: write`')
    for (const id of refused) expect(error).toContain(`(id ${id}`)
    expect(result.outputs.remaining).toBe(String(10 - refused.length))
  })
})
