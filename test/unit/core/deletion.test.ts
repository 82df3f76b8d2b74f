import { describe, it, expect } from '@jest/globals'
import type { Artifact } from '../../../src/core/artifact.js'
import type { ApiSession, ArtifactClient, RateLimitState } from '../../../src/core/api.js'
import { deleteArtifacts, describeDeletionFailures } from '../../../src/core/delete/deletion.js'
import { RateLimitExhaustedError } from '../../../src/core/errors.js'
import type { Progress, Reporter } from '../../../src/core/reporter.js'
import type { DeleteOptions } from '../../../src/core/request.js'
import { deletePacing, Pacer } from '../../../src/core/delete/pacing.js'
import { FakeClock } from '../../support/fake-clock.js'

const START = Date.parse('2026-11-20T12:00:00Z')

/** Lower ids are larger, so that largest first goes by increasing id unless a test says otherwise. */
function artifact(id: number, createdAt: string, size = 100 * (1000 - id)): Artifact {
  return {
    id,
    name: `art-${id}`,
    size_in_bytes: size,
    expired: false,
    created_at: createdAt,
    expires_at: null,
    workflow_run: { id: 1000 + id },
  }
}

/** `count` artifacts created a minute apart, newest first as the selection hands them over. */
function artifacts(count: number): Artifact[] {
  return Array.from({ length: count }, (_, i) =>
    artifact(i + 1, new Date(START - (count - i) * 60_000).toISOString()),
  ).reverse()
}

function options(overrides: Partial<DeleteOptions> = {}): DeleteOptions {
  return { dryRun: false, ...overrides }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

type DeleteAnswer = 'deleted' | 'gone' | Error

/** A client that only answers DELETE: anything else (listing while deleting) fails the test. */
class FakeClient implements ArtifactClient {
  readonly repository = { owner: 'octo-org', repo: 'octo-repo' }
  readonly deleteRequests: number[] = []
  limit: RateLimitState | undefined

  constructor(
    private readonly clock: FakeClock,
    private readonly answer: (id: number) => DeleteAnswer = () => 'deleted',
  ) {}

  async deleteArtifact(id: number): Promise<'deleted' | 'gone'> {
    this.deleteRequests.push(id)
    if (this.limit) this.limit = { ...this.limit, remaining: this.limit.remaining - 1 }
    await this.clock.sleep(80)
    const answer = this.answer(id)
    if (answer instanceof Error) throw answer
    return answer
  }

  rateLimit(): RateLimitState | undefined {
    return this.limit
  }

  listArtifacts(): never {
    throw new Error('listed while deleting')
  }
  artifactPages(): never {
    throw new Error('listed while deleting')
  }
  getRun(): never {
    throw new Error('unexpected getRun')
  }
  getPullRequest(): never {
    throw new Error('unexpected getPullRequest')
  }
  runPages(): never {
    throw new Error('listed runs while deleting')
  }
  getWorkflowId(): never {
    throw new Error('unexpected getWorkflowId')
  }
  getDownloadUrl(): never {
    throw new Error('unexpected download')
  }
}

class RecordingReporter implements Reporter {
  readonly lines: { level: 'info' | 'warning' | 'debug'; message: string }[] = []
  readonly progressed: Progress[] = []
  /** What each approval was asked for; `approves` is the answer. */
  readonly approvals: number[][] = []
  approves = true
  info(message: string): void {
    this.lines.push({ level: 'info', message })
  }
  warning(message: string): void {
    this.lines.push({ level: 'warning', message })
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message })
  }
  mask(): void {}
  word(setting: string): string {
    return setting
  }
  progress(progress: Progress): void {
    this.progressed.push(progress)
  }
  approveDeletion(artifacts: readonly Artifact[]): Promise<boolean> {
    this.approvals.push(artifacts.map((a) => a.id))
    return Promise.resolve(this.approves)
  }
  at(level: 'info' | 'warning' | 'debug'): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message)
  }
}

/** A session of the fake client: its rate limit, and the real pacing on the fake clock. */
function fakeSession(client: FakeClient, clock: FakeClock): ApiSession {
  return {
    repository: () => client,
    describeRepository: () => Promise.reject(new Error('unexpected repository look-up')),
    ownerRepositories: () => Promise.reject(new Error('unexpected owner listing')),
    rateLimit: () => client.rateLimit(),
    deletions: new Pacer(deletePacing, clock),
    storage: () => Promise.reject(new Error('unexpected storage request')),
  }
}

async function run(
  selected: Artifact[],
  given: {
    options?: Partial<DeleteOptions>
    answer?: (id: number) => DeleteAnswer
    approves?: boolean
  } = {},
  prepare: (client: FakeClient) => void = () => undefined,
) {
  const clock = new FakeClock(START)
  const client = new FakeClient(clock, given.answer)
  prepare(client)
  const reporter = new RecordingReporter()
  reporter.approves = given.approves ?? true
  const session = fakeSession(client, clock)
  const result = await clock.run(
    deleteArtifacts(selected, options(given.options), {
      session,
      clientOf: () => client,
      reporter,
      clock,
    }),
  )
  return { result, client, reporter }
}

const ids = (list: Artifact[]) => list.map((a) => a.id)

describe('deleteArtifacts', () => {
  it('deletes exactly the selected artifacts, largest first and the oldest of equals, without listing', async () => {
    const selected = [
      artifact(7, '2026-11-02T00:00:00Z', 500),
      artifact(3, '2026-11-01T00:00:00Z', 10),
      artifact(5, '2026-11-01T00:00:00Z', 500),
      artifact(9, '2026-10-30T00:00:00Z', 2000),
    ]

    const { result, client } = await run(selected)

    expect(client.deleteRequests).toEqual([9, 5, 7, 3])
    expect(ids(result.deleted)).toEqual([9, 5, 7, 3])
    expect(result).toMatchObject({ alreadyGone: [], failed: [], remaining: [], dryRun: false })
    expect(result.stoppedBy).toBeUndefined()
  })

  it('in a dry run sends no DELETE and says what a real run would delete', async () => {
    const { result, client } = await run(artifacts(5), { options: { dryRun: true } })

    expect(client.deleteRequests).toEqual([])
    expect(result.dryRun).toBe(true)
    expect(ids(result.deleted)).toEqual([1, 2, 3, 4, 5])
  })

  it('in a dry run with max-deletions names the largest it would delete and the rest as remaining', async () => {
    const { result, client } = await run(artifacts(5), {
      options: { dryRun: true, maxDeletions: 2 },
    })

    expect(client.deleteRequests).toEqual([])
    expect(ids(result.deleted)).toEqual([1, 2])
    expect(ids(result.remaining)).toEqual([3, 4, 5])
    expect(result.stoppedBy).toBe('max-deletions')
  })

  it('asks approval once, for exactly the artifacts it then deletes, and reports each as it settles', async () => {
    const { client, reporter } = await run(artifacts(5), { options: { maxDeletions: 3 } })

    expect(reporter.approvals).toEqual([[1, 2, 3]])
    expect(client.deleteRequests).toEqual([1, 2, 3])
    expect(reporter.progressed[0]).toEqual({ operation: 'delete', done: 0, total: 3 })
    expect(reporter.progressed.at(-1)).toEqual({ operation: 'delete', done: 3, total: 3 })
    expect(reporter.progressed.map((p) => p.done)).toEqual([0, 1, 2, 3])
  })

  it('deletes nothing when the approval is refused, and says so', async () => {
    const clock = new FakeClock(START)
    const client = new FakeClient(clock)
    const reporter = new RecordingReporter()
    reporter.approves = false
    const deletion = deleteArtifacts(artifacts(4), options(), {
      session: fakeSession(client, clock),
      clientOf: () => client,
      reporter,
      clock,
    })

    await expect(clock.run(deletion)).rejects.toThrow(
      'Deletion not confirmed: nothing was deleted (4 artifacts selected)',
    )
    expect(client.deleteRequests).toEqual([])
  })

  it('asks no approval for a dry run', async () => {
    const { reporter } = await run(artifacts(2), { options: { dryRun: true }, approves: false })

    expect(reporter.approvals).toEqual([])
  })

  it('stops at max-deletions, the largest deleted and the rest remaining', async () => {
    const { result, client, reporter } = await run(artifacts(10), {
      options: { maxDeletions: 4 },
    })

    expect(client.deleteRequests).toEqual([1, 2, 3, 4])
    expect(ids(result.deleted)).toEqual([1, 2, 3, 4])
    expect(ids(result.remaining)).toEqual([5, 6, 7, 8, 9, 10])
    expect(result.stoppedBy).toBe('max-deletions')
    expect(result.stopReason).toContain('6 artifacts left')
    expect(reporter.at('warning')).toEqual([])
  })

  it('counts an artifact already gone (404) as deleted, also toward max-deletions', async () => {
    const { result, client } = await run(artifacts(6), {
      options: { maxDeletions: 3 },
      answer: (id) => (id === 2 ? 'gone' : 'deleted'),
    })

    expect(client.deleteRequests).toEqual([1, 2, 3])
    expect(ids(result.deleted)).toEqual([1, 3])
    expect(ids(result.alreadyGone)).toEqual([2])
    expect(result.failed).toEqual([])
    expect(ids(result.remaining)).toEqual([4, 5, 6])
  })

  it('goes on after a failed deletion and names each failure with its HTTP status', async () => {
    const { result, client } = await run(artifacts(8), {
      answer: (id) =>
        id === 3 || id === 6
          ? new HttpError(502, `Deleting artifact ${id}: Bad Gateway`)
          : 'deleted',
    })

    expect(client.deleteRequests).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(ids(result.deleted)).toEqual([1, 2, 4, 5, 7, 8])
    expect(result.failed.map((f) => f.artifact.id)).toEqual([3, 6])
    expect(result.stoppedBy).toBeUndefined()
    const message = describeDeletionFailures(result.failed)
    expect(message).toContain(
      `'art-3' (id 3, run 1003) in octo-org/octo-repo: HTTP 502: Deleting artifact 3: Bad Gateway`,
    )
    expect(message).toContain(`'art-6' (id 6, run 1006)`)
  })

  it('stops cleanly when the primary rate limit is nearly used up', async () => {
    const reset = Math.floor(START / 1000) + 1800
    const { result, client, reporter } = await run(artifacts(60), {}, (client) => {
      client.limit = { limit: 1000, remaining: 35, reset }
    })

    const sent = client.deleteRequests.length
    expect(sent).toBeGreaterThan(20)
    expect(sent).toBeLessThan(35)
    expect(ids(result.deleted)).toEqual(client.deleteRequests)
    expect(ids(result.remaining)).toEqual(Array.from({ length: 60 - sent }, (_, i) => sent + 1 + i))
    expect(result.stoppedBy).toBe('rate-limit')
    const [warning] = reporter.at('warning')
    expect(warning).toContain(new Date(reset * 1000).toISOString())
    expect(warning).toContain(`${60 - sent} artifacts left`)
  })

  it('ignores a nearly used-up rate limit whose reset time has passed', async () => {
    const { result } = await run(artifacts(5), {}, (client) => {
      client.limit = { limit: 1000, remaining: 2, reset: Math.floor(START / 1000) - 10 }
    })

    expect(ids(result.deleted)).toEqual([1, 2, 3, 4, 5])
    expect(result.stoppedBy).toBeUndefined()
  })

  it('stops cleanly when the client reports the rate limit exhausted, keeping that artifact', async () => {
    const resetAt = new Date(START + 3_600_000)
    const { result } = await run(artifacts(20), {
      answer: (id) => (id >= 5 ? new RateLimitExhaustedError(resetAt) : 'deleted'),
    })

    expect(ids(result.deleted)).toEqual([1, 2, 3, 4])
    expect(ids(result.remaining)).toEqual(Array.from({ length: 16 }, (_, i) => 5 + i))
    expect(result.failed).toEqual([])
    expect(result.stoppedBy).toBe('rate-limit')
    expect(result.stopReason).toContain(resetAt.toISOString())
  })

  it('logs progress sparingly and a debug line per artifact', async () => {
    const { reporter } = await run(artifacts(250))

    expect(reporter.at('debug')).toHaveLength(250)
    expect(reporter.at('info')).toEqual([
      'Deleting: 100 of 250 done',
      'Deleting: 200 of 250 done',
      'Deleted 250 of 250 artifacts',
    ])
  })
})
