import { afterEach, describe, expect, it } from '@jest/globals'
import {
  fetchApi,
  repoPath,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type SeedRun,
} from '../support/emulator/index.js'
import { loadDescription, responseValidators } from '../support/openapi.js'

interface RunJson {
  id: number
  head_sha: string
  head_repository: { id: number; full_name: string } | null
  head_repository_id: number | null
  pull_requests: { number: number }[]
}
interface RunList {
  total_count: number
  workflow_runs: RunJson[]
}
interface PullRequestJson {
  number: number
  state: string
  head: { ref: string; sha: string; repo: { id: number; full_name: string; fork: boolean } | null }
  base: { ref: string; sha: string; repo: { id: number; fork: boolean } }
}

const FORK_SHA = 'f'.repeat(40)
const PULL_REQUEST_PATH = '/repos/{owner}/{repo}/pulls/{pull_number}'
const ARTIFACT_PATH = '/repos/{owner}/{repo}/actions/artifacts/{artifact_id}'
const ARTIFACTS_PATH = '/repos/{owner}/{repo}/actions/artifacts'
const GHES_DESCRIPTION = 'ghes-3.19.json'

let emulator: Emulator | undefined

afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

async function start(runs: SeedRun[], options: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  emulator = await startEmulator({ seed: { runs }, ...options })
  return emulator
}

async function get<T>(target: Emulator, path: string): Promise<T> {
  const response = await fetchApi(target, `${repoPath(target)}${path}`)
  expect(response.status).toBe(200)
  return (await response.json()) as T
}

const pullRequestRuns: SeedRun[] = [
  { id: 1, workflow: 'build.yml', branch: 'old', pullRequests: [5] },
  { id: 2, workflow: 'build.yml', branch: 'feature', event: 'pull_request', pullRequests: [5] },
  {
    id: 3,
    workflow: 'build.yml',
    branch: 'patch-1',
    event: 'pull_request',
    sha: FORK_SHA,
    fromFork: true,
    pullRequests: [6],
  },
  {
    id: 4,
    workflow: 'build.yml',
    branch: 'patch-2',
    event: 'pull_request',
    sha: 'e'.repeat(40),
    forkDeleted: true,
    pullRequests: [8],
  },
]

describe('runs of fork pull requests', () => {
  it('list no pull requests, while runs in the repository itself do', async () => {
    const target = await start(pullRequestRuns)

    const listed = await get<RunList>(target, '/actions/runs')
    const fork = await get<RunJson>(target, '/actions/runs/3')

    expect(listed.workflow_runs.map((run) => [run.id, run.pull_requests.length])).toEqual([
      [4, 0],
      [3, 0],
      [2, 1],
      [1, 1],
    ])
    expect(fork.pull_requests).toEqual([])
  })
})

describe('GET /repos/{owner}/{repo}/pulls/{pull_number}', () => {
  it("has the newest naming run's branch and commit as its head", async () => {
    const target = await start(pullRequestRuns)
    const run = await get<RunJson>(target, '/actions/runs/2')

    const pull = await get<PullRequestJson>(target, '/pulls/5')

    expect(pull).toMatchObject({ number: 5, state: 'open' })
    expect(pull.head).toMatchObject({ ref: 'feature', sha: run.head_sha })
    expect(pull.head.repo).toMatchObject({ id: target.repositoryId, fork: false })
    expect(pull.base).toMatchObject({ ref: 'main', repo: { id: target.repositoryId } })
    expect(pull.base.sha).not.toBe(pull.head.sha)
  })

  it("finds a fork run's pull request: its head is the fork's commit", async () => {
    const target = await start(pullRequestRuns)
    const run = await get<RunJson>(target, '/actions/runs/3')

    const pull = await get<PullRequestJson>(target, '/pulls/6')

    expect(pull.head).toMatchObject({ ref: 'patch-1', sha: FORK_SHA })
    expect(pull.head.repo).toMatchObject({
      id: run.head_repository?.id,
      full_name: run.head_repository?.full_name,
      fork: true,
    })
    expect(pull.base.repo).toMatchObject({ id: target.repositoryId, fork: false })
  })

  it('answers a deleted fork as null, in the head of the pull request and of its run', async () => {
    const target = await start(pullRequestRuns)

    const run = await get<RunJson>(target, '/actions/runs/4')
    const pull = await get<PullRequestJson>(target, '/pulls/8')

    expect(run).toMatchObject({ head_repository: null, head_repository_id: null })
    expect(pull.head).toMatchObject({ ref: 'patch-2', sha: 'e'.repeat(40), repo: null })
  })

  it('answers 404 for a number no run names', async () => {
    const target = await start(pullRequestRuns)

    const response = await fetchApi(target, `${repoPath(target)}/pulls/7`)

    expect(response.status).toBe(404)
  })

  // Not #8: the description has no null `head.repo`, which GitHub answers for a deleted fork all
  // the same (github/rest-api-description#424, yanyongyu/githubkit#200).
  it.each([5, 6])('validates against the OpenAPI pull-request schema (#%i)', async (number) => {
    const target = await start(pullRequestRuns)
    const validate = responseValidators([PULL_REQUEST_PATH])[PULL_REQUEST_PATH]

    validate(await get(target, `/pulls/${number}`))

    expect(validate.errors ?? []).toEqual([])
  })
})

describe("artifactShape: 'ghes'", () => {
  const artifactRuns: SeedRun[] = [
    {
      workflow: 'build.yml',
      artifacts: [
        { id: 1, name: 'dist' },
        { id: 2, name: 'logs' },
      ],
    },
  ]

  it('carries only the fields GitHub Enterprise Server documents, in both listings and gets', async () => {
    const target = await start(artifactRuns, { artifactShape: 'ghes' })
    // The fields of the GHES reference's examples: the artifact schema's required ones.
    const documented = loadDescription(GHES_DESCRIPTION).components.schemas.artifact.required

    const listed = await get<{ artifacts: object[] }>(target, '/actions/artifacts')
    const single = await get<object>(target, '/actions/artifacts/1')
    const ofRun = await get<{ artifacts: object[] }>(
      target,
      `/actions/runs/${target.runs()[0].id}/artifacts`,
    )

    for (const artifact of [...listed.artifacts, single, ...ofRun.artifacts]) {
      expect(Object.keys(artifact).sort()).toEqual([...(documented ?? [])].sort())
    }
    expect(Object.keys(single)).not.toContain('workflow_run')
    expect(Object.keys(single)).not.toContain('digest')
  })

  it('keeps the api.github.com shape by default', async () => {
    const target = await start(artifactRuns)

    const single = await get<object>(target, '/actions/artifacts/1')

    expect(Object.keys(single)).toEqual(expect.arrayContaining(['workflow_run', 'digest']))
  })

  it.each([
    [ARTIFACTS_PATH, '/actions/artifacts'],
    [ARTIFACT_PATH, '/actions/artifacts/2'],
  ])(`validates against the ${GHES_DESCRIPTION} description (%s)`, async (operation, path) => {
    const target = await start(artifactRuns, { artifactShape: 'ghes' })
    const validate = responseValidators([operation], GHES_DESCRIPTION)[operation]

    validate(await get(target, path))

    expect(validate.errors ?? []).toEqual([])
  })
})

describe('workflow runs listing parameters', () => {
  const datedRuns: SeedRun[] = [
    { id: 1, workflow: 'build.yml', createdAt: '2024-04-30T23:59:59Z' },
    { id: 2, workflow: 'build.yml', createdAt: '2024-05-01T00:00:00Z' },
    { id: 3, workflow: 'build.yml', createdAt: '2024-05-01T12:30:00Z' },
    { id: 4, workflow: 'test.yml', createdAt: '2024-05-02T08:00:00Z', pullRequests: [9] },
  ]

  async function runIds(target: Emulator, query: string): Promise<number[]> {
    const body = await get<RunList>(target, `/actions/runs?${query}`)
    return body.workflow_runs.map((run) => run.id)
  }

  it.each([
    ['2024-05-01', [3, 2]],
    ['>2024-05-01', [4]],
    ['>=2024-05-01', [4, 3, 2]],
    ['<2024-05-01', [1]],
    ['<=2024-05-01', [3, 2, 1]],
    ['2024-04-30..2024-05-01', [3, 2, 1]],
    ['2024-05-01..*', [4, 3, 2]],
    ['*..2024-04-30', [1]],
    ['>=2024-05-01T12:30:00Z', [4, 3]],
    ['2024-05-01T00:00:00Z..2024-05-01T12:29:59Z', [2]],
  ])('filters on created=%s as GitHub search dates do', async (created, expected) => {
    const target = await start(datedRuns)

    expect(await runIds(target, `created=${encodeURIComponent(created)}`)).toEqual(expected)
  })

  it('filters on check_suite_id and actor', async () => {
    const target = await start(datedRuns)
    const run = await get<{ check_suite_id: number }>(target, '/actions/runs/3')

    expect(await runIds(target, `check_suite_id=${run.check_suite_id}`)).toEqual([3])
    expect(await runIds(target, 'actor=octocat')).toEqual([4, 3, 2, 1])
    expect(await runIds(target, 'actor=someone-else')).toEqual([])
  })

  it('empties pull_requests with exclude_pull_requests=true, in listings and gets', async () => {
    const target = await start(datedRuns)

    const listed = await get<RunList>(target, '/actions/runs?exclude_pull_requests=true')
    const single = await get<RunJson>(target, '/actions/runs/4?exclude_pull_requests=true')
    const kept = await get<RunJson>(target, '/actions/runs/4?exclude_pull_requests=false')

    expect(listed.workflow_runs.flatMap((run) => run.pull_requests)).toEqual([])
    expect(single.pull_requests).toEqual([])
    expect(kept.pull_requests.map((pull) => pull.number)).toEqual([9])
  })

  describe('stops a search at 1,000 results', () => {
    const manyRuns: SeedRun[] = Array.from({ length: 1010 }, () => ({ workflow: 'build.yml' }))

    it.each(['branch=main', 'event=push', 'status=success', 'actor=octocat'])(
      'with %s: total_count and the last page end at 1,000',
      async (search) => {
        const target = await start(manyRuns)

        const tenth = await fetchApi(
          target,
          `${repoPath(target)}/actions/runs?${search}&per_page=100&page=10`,
        )
        const eleventh = await get<RunList>(target, `/actions/runs?${search}&per_page=100&page=11`)
        const body = (await tenth.json()) as RunList

        expect(body.total_count).toBe(1000)
        expect(body.workflow_runs).toHaveLength(100)
        expect(tenth.headers.get('link')).not.toContain('rel="next"')
        expect(eleventh.workflow_runs).toEqual([])
      },
    )

    it('lists every run when no search parameter is given', async () => {
      const target = await start(manyRuns)

      const body = await get<RunList>(target, '/actions/runs?per_page=100&page=11')

      expect(body.total_count).toBe(1010)
      expect(body.workflow_runs).toHaveLength(10)
    })
  })
})

describe('stallMs fault', () => {
  const oneRun: SeedRun[] = [{ workflow: 'build.yml', artifacts: [{ id: 1, name: 'dist' }] }]

  it('holds the answer until the client gives up, then answers the next request', async () => {
    const target = await start(oneRun)
    target.addFault({ path: /\/actions\/artifacts$/, stallMs: Infinity })
    const path = `${repoPath(target)}/actions/artifacts`

    const stalled = fetchApi(target, path, { signal: AbortSignal.timeout(200) })

    await expect(stalled).rejects.toMatchObject({ name: 'TimeoutError' })
    expect((await fetchApi(target, path)).status).toBe(200)
    expect(target.requests.map((request) => request.status)).toEqual([0, 200])
  })

  it('answers normally once the stall is over', async () => {
    const target = await start(oneRun)
    target.addFault({ path: /\/actions\/artifacts$/, stallMs: 300 })
    const started = Date.now()

    const response = await fetchApi(target, `${repoPath(target)}/actions/artifacts`)

    expect(response.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
  })

  it('answers the fault status after the stall when one is given', async () => {
    const target = await start(oneRun)
    target.addFault({ path: /\/actions\/artifacts$/, stallMs: 50, status: 502 })

    const response = await fetchApi(target, `${repoPath(target)}/actions/artifacts`)

    expect(response.status).toBe(502)
  })

  it('with stallAfterHeaders sends the headers at once and holds the body', async () => {
    const target = await start(oneRun)
    target.addFault({ path: /\/actions\/artifacts$/, stallMs: 400, stallAfterHeaders: true })
    const started = Date.now()

    const response = await fetchApi(target, `${repoPath(target)}/actions/artifacts`)
    const headersAfter = Date.now() - started
    const body = (await response.json()) as { total_count: number }
    const bodyAfter = Date.now() - started

    expect(response.status).toBe(200)
    expect(headersAfter).toBeLessThan(300)
    expect(bodyAfter).toBeGreaterThanOrEqual(390)
    expect(body.total_count).toBe(1)
  })

  it('with stallAfterHeaders lets a body deadline expire', async () => {
    const target = await start(oneRun)
    target.addFault({ path: /\/actions\/artifacts$/, stallMs: Infinity, stallAfterHeaders: true })
    const response = await fetchApi(target, `${repoPath(target)}/actions/artifacts`, {
      signal: AbortSignal.timeout(300),
    })

    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toMatchObject({ name: 'TimeoutError' })
  })
})

describe('refusals', () => {
  const threeArtifacts: SeedRun[] = [
    { workflow: 'build.yml', artifacts: [1, 2, 3].map((id) => ({ id, name: `a${id}` })) },
  ]

  it('keeps refusing a secondary limit with blockSeconds, sending the time left', async () => {
    const target = await start(threeArtifacts, {
      // A window long enough that a busy machine still sends the first two requests within it.
      rateLimits: { secondary: { pointsPerWindow: 1, windowMs: 1000, blockSeconds: 3600 } },
    })
    const path = `${repoPath(target)}/actions/artifacts`

    const allowed = await fetchApi(target, path)
    const refused = await fetchApi(target, path)
    // The window has room again, but the block outlasts it.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const stillRefused = await fetchApi(target, path)

    expect([allowed.status, refused.status, stillRefused.status]).toEqual([200, 403, 403])
    expect(refused.headers.get('retry-after')).toBe('3600')
    const left = Number(stillRefused.headers.get('retry-after'))
    expect(left).toBeGreaterThan(3500)
    expect(left).toBeLessThanOrEqual(3600)
    expect(((await stillRefused.json()) as { message: string }).message).toMatch(
      /secondary rate limit/,
    )
  })

  it("answers a delete without actions: write as GitHub's 'Resource not accessible by integration'", async () => {
    const target = await start(threeArtifacts, { forbidDelete: true })

    const response = await fetchApi(target, `${repoPath(target)}/actions/artifacts/1`, {
      method: 'DELETE',
    })

    expect(response.status).toBe(403)
    expect(await response.json()).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/actions/artifacts#delete-an-artifact',
      status: '403',
    })
    expect(response.headers.get('x-accepted-github-permissions')).toBe('actions=write')
  })
})
