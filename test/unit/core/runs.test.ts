import { describe, expect, it } from '@jest/globals'
import type { WorkflowRun } from '../../../src/core/api.js'
import { matchingRuns, resolveCriteria, type RunScan } from '../../../src/core/select/runs.js'
import type { SeedRun } from '../../support/emulator/index.js'
import { emulatorClient, useEmulator } from '../../support/fixtures.js'

const start = useEmulator()

async function collect(runs: AsyncIterable<WorkflowRun>): Promise<WorkflowRun[]> {
  const all: WorkflowRun[] = []
  for await (const run of runs) all.push(run)
  return all
}

describe('matching runs', () => {
  it('reads the listing unfiltered when the filtered one reaches GitHub’s 1,000-run cap', async () => {
    const runs: SeedRun[] = Array.from({ length: 1_050 }, (_, i) => ({
      workflow: 'build.yml',
      branch: i % 50 === 0 ? 'feature' : 'main',
    }))
    const server = await start(runs)
    const client = emulatorClient(server)
    const criteria = await resolveCriteria({ branch: 'main' }, client)

    const found = await collect(matchingRuns(criteria, client))

    const onMain = server.runs().filter((run) => run.branch === 'main')
    expect(onMain.length).toBeGreaterThan(1_000)
    expect(found.map((run) => run.id)).toEqual(onMain.map((run) => run.id))
    const listings = server.requests.filter((r) => r.path.endsWith('/actions/runs'))
    expect(listings[0].query.branch).toBe('main')
    expect(listings.slice(1).every((r) => r.query.branch === undefined)).toBe(true)
  })

  it('keeps to the filtered listing within a limit under the cap, and says how far it read', async () => {
    const runs: SeedRun[] = Array.from({ length: 1_050 }, () => ({ workflow: 'build.yml' }))
    const server = await start(runs)
    const client = emulatorClient(server)
    const criteria = await resolveCriteria({ branch: 'main' }, client)
    const scan: RunScan = { read: 0 }

    const found = await collect(matchingRuns(criteria, client, scan, 100))

    expect(found).toHaveLength(100)
    expect(scan.read).toBe(100)
    expect(scan.oldest).toBe(server.runs()[99].createdAt)
    const listings = server.requests.filter((r) => r.path.endsWith('/actions/runs'))
    expect(listings.map((r) => r.query.branch)).toEqual(['main'])
  })
})
