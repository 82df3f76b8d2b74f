import { describe, expect, it } from '@jest/globals'
import type { ArtifactClient, ArtifactQuery, WorkflowRun } from '../../../src/core/api.js'
import type { Artifact } from '../../../src/core/artifact.js'
import type { DownloadOptions, Query } from '../../../src/core/request.js'
import { selectForDownload } from '../../../src/core/select/selection.js'
import { matchingRuns, resolveCriteria, type RunScan } from '../../../src/core/select/runs.js'
import type { SeedRun } from '../../support/emulator/index.js'
import { emulatorClient, recordingReporter, useEmulator } from '../../support/fixtures.js'

const start = useEmulator()

const DOWNLOAD: DownloadOptions = {
  path: '.',
  mergeMultiple: false,
  extract: true,
  deleteAfterDownload: false,
  allowForks: false,
  cache: false,
}

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

describe('the run a download search settles on', () => {
  it('looks the run up when its artifacts leave out the commit filtered on', async () => {
    const server = await start([
      { workflow: 'build.yml', sha: 'a'.repeat(40), artifacts: [{ name: 'dist' }] },
      { workflow: 'build.yml', sha: 'b'.repeat(40), artifacts: [{ name: 'dist' }] },
    ])
    const full = emulatorClient(server)
    const client: ArtifactClient = Object.assign(Object.create(full) as ArtifactClient, {
      async *artifactPages(query: ArtifactQuery): AsyncIterable<Artifact[]> {
        for await (const page of full.artifactPages(query)) {
          yield page.map((a) => ({
            ...a,
            workflow_run: { ...a.workflow_run, head_sha: undefined },
          }))
        }
      },
    })
    const query: Query = { names: [], exclude: [], runFilters: { commit: 'aaaa' }, keepLatest: 0 }

    const selection = await selectForDownload(query, DOWNLOAD, client, recordingReporter())

    const onCommitA = server.runs().find((run) => run.sha === 'a'.repeat(40))
    expect(selection.runId).toBe(onCommitA?.id)
    expect(selection.selected.map((a) => a.name)).toEqual(['dist'])
  })
})

describe('the fork check of a download', () => {
  it('refuses an artifact whose run does not say where its commit came from', async () => {
    const server = await start([
      { id: 8_300, workflow: 'build.yml', fromFork: true, artifacts: [{ name: 'dist' }] },
    ])
    const full = emulatorClient(server)
    // The artifact names its run and repository but not the run's head repository.
    const client: ArtifactClient = Object.assign(Object.create(full) as ArtifactClient, {
      async listArtifacts(query: ArtifactQuery): Promise<Artifact[]> {
        return (await full.listArtifacts(query)).map((a) => ({
          ...a,
          workflow_run: { ...a.workflow_run, head_repository_id: undefined },
        }))
      },
    })
    const query: Query = { names: [], exclude: [], runFilters: {}, keepLatest: 0, runId: 8_300 }
    const reporter = recordingReporter()

    const refused = selectForDownload(query, DOWNLOAD, client, reporter)

    await expect(refused).rejects.toThrow(
      /Cannot tell whether artifact 'dist' \(id \d+\) was made by a run triggered from a fork.*allow-forks: true/,
    )
    const accepted = await selectForDownload(
      query,
      { ...DOWNLOAD, allowForks: true },
      client,
      reporter,
    )
    expect(accepted.selected.map((a) => a.name)).toEqual(['dist'])
  })
})
