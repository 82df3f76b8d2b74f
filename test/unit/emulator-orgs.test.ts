import { afterEach, describe, expect, it } from '@jest/globals'
import {
  fetchApi,
  repoPath,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type SeedRepository,
} from '../support/emulator/index.js'
import { responseValidators } from '../support/openapi.js'

interface ArtifactJson {
  id: number
  workflow_run: { id: number; repository_id: number }
}
interface RepositoryJson {
  id: number
  name: string
  full_name: string
  private: boolean
  archived: boolean
  owner: { login: string; id: number; type: string }
}

const GATE = 'gatekeeper'
const GATE_TOKEN = 'ghs_gatekeepertoken'
const OTHER = 'other'
const OTHER_TOKEN = 'ghp_othertoken'

let emulator: Emulator | undefined

afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

function withArtifacts(workflow: string, ...names: string[]) {
  return [{ workflow, artifacts: names.map((name) => ({ name })) }]
}

/** The default octo-org/octo-repo, two more of octo-org and one of the user mona. */
const REPOSITORIES: SeedRepository[] = [
  { owner: 'octo-org', name: 'tools', runs: withArtifacts('tools.yml', 'cli', 'docs') },
  { owner: 'octo-org', name: 'vault', private: true, runs: withArtifacts('v.yml', 'secrets') },
  { owner: 'mona', name: 'dotfiles', archived: true, runs: withArtifacts('d.yml', 'rc') },
]

async function start(options: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  emulator = await startEmulator({
    seed: { runs: withArtifacts('build.yml', 'dist'), repositories: REPOSITORIES, users: ['mona'] },
    ...options,
  })
  return emulator
}

async function json<T>(target: Emulator, path: string, token?: string): Promise<T> {
  const response = await get(target, path, token)
  expect(response.status).toBe(200)
  return (await response.json()) as T
}

function get(target: Emulator, path: string, token?: string): Promise<Response> {
  return fetchApi(target, path, token ? { headers: { authorization: `token ${token}` } } : {})
}

function remove(target: Emulator, path: string, token?: string): Promise<Response> {
  const headers = token ? { authorization: `token ${token}` } : undefined
  return fetchApi(target, path, { method: 'DELETE', headers })
}

async function listedNames(target: Emulator, path: string, token?: string): Promise<string[]> {
  return (await json<RepositoryJson[]>(target, path, token)).map((r) => r.full_name)
}

describe('several repositories', () => {
  it('gives each repository its own id, runs and artifacts, with ids unique across them', async () => {
    const target = await start()

    const tools = await json<{ artifacts: ArtifactJson[] }>(
      target,
      '/repos/octo-org/tools/actions/artifacts',
    )
    const own = target.artifacts()
    const all = [
      ...own,
      ...target.artifactsOf('octo-org/tools'),
      ...target.artifactsOf('mona/dotfiles'),
    ]

    expect(tools.artifacts.map((a) => a.id)).toEqual(
      target.artifactsOf('octo-org/tools').map((a) => a.id),
    )
    expect(tools.artifacts[0].workflow_run.repository_id).toBe(
      target.repositoryIdOf('octo-org/tools'),
    )
    expect(target.repositoryIdOf('octo-org/tools')).not.toBe(target.repositoryId)
    expect(new Set(all.map((a) => a.id)).size).toBe(all.length)
    expect(
      new Set([...target.runs(), ...target.runsOf('octo-org/tools')].map((r) => r.id)).size,
    ).toBe(2)
    expect(own.map((a) => a.name)).toEqual(['dist'])
  })

  it("answers 404 for another repository's artifact, run or workflow", async () => {
    const target = await start()
    const [artifact] = target.artifactsOf('octo-org/tools')
    const [run] = target.runsOf('octo-org/tools')
    const paths = [
      `/actions/artifacts/${artifact.id}`,
      `/actions/runs/${run.id}`,
      `/actions/workflows/${run.workflowId}`,
    ]

    const own = await Promise.all(paths.map((path) => get(target, `/repos/octo-org/tools${path}`)))
    const other = await Promise.all(paths.map((path) => get(target, `${repoPath(target)}${path}`)))

    expect(own.map((response) => response.status)).toEqual([200, 200, 200])
    expect(other.map((response) => response.status)).toEqual([404, 404, 404])
  })

  it('reads owner and repository names case-insensitively, in paths and accessors', async () => {
    const target = await start()

    const body = await json<{ total_count: number }>(
      target,
      '/repos/OCTO-ORG/Tools/actions/artifacts',
    )

    expect(body.total_count).toBe(2)
    expect(target.artifactsOf('Octo-Org/TOOLS')).toHaveLength(2)
  })

  it('deletes, downloads and adds runs in one repository without touching the others', async () => {
    const target = await start()
    const [cli] = target.artifactsOf('octo-org/tools').filter((a) => a.name === 'cli')
    target.addRunTo('octo-org/tools', { workflow: 'tools.yml', artifacts: [{ name: 'late' }] })

    const bytes = target.artifactBytes(cli.id)
    const redirect = await get(target, `/repos/octo-org/tools/actions/artifacts/${cli.id}/zip`)
    const blob = await fetch(redirect.headers.get('location') ?? '')
    const deletion = await remove(target, `/repos/octo-org/tools/actions/artifacts/${cli.id}`)

    expect(Buffer.from(await blob.arrayBuffer())).toEqual(bytes)
    expect(deletion.status).toBe(204)
    expect(target.artifactsOf('octo-org/tools').map((a) => a.name)).toEqual(['late', 'docs'])
    expect(target.artifacts().map((a) => a.name)).toEqual(['dist'])
  })

  it('refuses two repositories seeding the same artifact id', async () => {
    const repositories = [
      { owner: 'a', name: 'b', runs: [{ workflow: 'w.yml', artifacts: [{ id: 7, name: 'x' }] }] },
    ]

    await expect(
      startEmulator({
        seed: { runs: [{ workflow: 'w.yml', artifacts: [{ id: 7, name: 'y' }] }], repositories },
      }),
    ).rejects.toThrow('artifact id 7')
  })
})

describe('GET /repos/{owner}/{repo}', () => {
  it('describes the repository with its owner, visibility and archived state', async () => {
    const target = await start()

    const dotfiles = await json<RepositoryJson>(target, '/repos/mona/DOTFILES')
    const vault = await json<RepositoryJson>(target, '/repos/octo-org/vault')

    expect(dotfiles).toMatchObject({
      id: target.repositoryIdOf('mona/dotfiles'),
      full_name: 'mona/dotfiles',
      archived: true,
      private: false,
      owner: { login: 'mona', type: 'User' },
    })
    expect(vault).toMatchObject({ private: true, archived: false, owner: { type: 'Organization' } })
  })

  it("agrees with the runs' own description of their repository", async () => {
    const repositories = [
      { owner: 'mona', name: 'secret', private: true, runs: [{ workflow: 'w.yml' }] },
    ]
    const target = await start({ seed: { runs: [], repositories, users: ['mona'] } })

    const repository = await json<RepositoryJson>(target, '/repos/mona/secret')
    const runs = await json<{ workflow_runs: { repository: RepositoryJson }[] }>(
      target,
      '/repos/mona/secret/actions/runs',
    )

    expect(runs.workflow_runs[0].repository).toMatchObject({
      id: repository.id,
      private: true,
      owner: { login: 'mona', id: repository.owner.id, type: 'User' },
    })
  })

  it('answers 404 for a repository nobody seeded', async () => {
    const target = await start()

    expect((await get(target, '/repos/octo-org/missing')).status).toBe(404)
  })
})

describe('owner listings', () => {
  it('lists an organisation newest first, private ones included, one owner id for all', async () => {
    const target = await start()

    const listed = await json<RepositoryJson[]>(target, '/orgs/Octo-Org/repos')

    expect(listed.map((r) => r.full_name)).toEqual([
      'octo-org/vault',
      'octo-org/tools',
      'octo-org/octo-repo',
    ])
    expect(new Set(listed.map((r) => r.owner.id)).size).toBe(1)
  })

  it('narrows an organisation listing by type, and sorts by full_name when asked', async () => {
    const target = await start()

    expect(await listedNames(target, '/orgs/octo-org/repos?type=private')).toEqual([
      'octo-org/vault',
    ])
    expect(await listedNames(target, '/orgs/octo-org/repos?type=forks')).toEqual([])
    expect(await listedNames(target, '/orgs/octo-org/repos?sort=full_name')).toEqual([
      'octo-org/octo-repo',
      'octo-org/tools',
      'octo-org/vault',
    ])
    expect(await listedNames(target, '/orgs/octo-org/repos?sort=created&direction=asc')).toEqual([
      'octo-org/octo-repo',
      'octo-org/tools',
      'octo-org/vault',
    ])
  })

  it('answers under an Enterprise Server path prefix, pointing its URLs there', async () => {
    const target = await start({ apiPathPrefix: '/api/v3' })

    const listed = await json<{ url: string }[]>(target, '/orgs/octo-org/repos?per_page=1')

    expect(listed[0].url).toBe(`${target.apiUrl}/repos/octo-org/vault`)
    expect(target.requests[0].path).toBe('/api/v3/orgs/octo-org/repos')
  })

  it('answers 404 to /orgs for a user and for an unknown login', async () => {
    const target = await start()

    expect((await get(target, '/orgs/mona/repos')).status).toBe(404)
    expect((await get(target, '/orgs/nobody/repos')).status).toBe(404)
    expect((await get(target, '/users/nobody/repos')).status).toBe(404)
  })

  it('lists only public repositories under /users, for an organisation too, by name', async () => {
    const target = await start()

    expect(await listedNames(target, '/users/mona/repos')).toEqual(['mona/dotfiles'])
    expect(await listedNames(target, '/users/octo-org/repos')).toEqual([
      'octo-org/octo-repo',
      'octo-org/tools',
    ])
    expect(await listedNames(target, '/users/mona/repos?type=member')).toEqual([])
  })

  it('pages 30 by default and at most 100, with Link headers like the other listings', async () => {
    const many = Array.from({ length: 130 }, (_, i) => ({ owner: 'big', name: `r${i}` }))
    const target = await start({ seed: { runs: [], repositories: many } })

    const first = await get(target, '/orgs/big/repos')
    const capped = await get(target, '/orgs/big/repos?per_page=500&page=2')

    expect(((await first.json()) as unknown[]).length).toBe(30)
    expect(first.headers.get('link')).toContain('page=5>; rel="last"')
    expect(((await capped.json()) as RepositoryJson[]).map((r) => r.name)).toEqual(
      Array.from({ length: 30 }, (_, i) => `r${29 - i}`),
    )
    expect(capped.headers.get('link')).toContain('per_page=500&page=1>; rel="prev"')
  })
})

describe('archived repositories', () => {
  it('refuses to delete an artifact with 403 read-only, and keeps answering reads', async () => {
    const target = await start()
    const [rc] = target.artifactsOf('mona/dotfiles')

    const deletion = await remove(target, `/repos/mona/dotfiles/actions/artifacts/${rc.id}`)
    const read = await get(target, `/repos/mona/dotfiles/actions/artifacts/${rc.id}`)

    expect(deletion.status).toBe(403)
    expect(await deletion.json()).toMatchObject({
      message: 'Repository was archived so is read-only.',
    })
    expect(read.status).toBe(200)
    expect(target.artifactsOf('mona/dotfiles')).toHaveLength(1)
  })
})

describe('tokens', () => {
  const tokens = [
    {
      token: GATE_TOKEN,
      label: GATE,
      repositories: ['octo-org/octo-repo'],
      rateLimits: { primary: { limit: 1000 } },
    },
    {
      token: OTHER_TOKEN,
      label: OTHER,
      rateLimits: { secondary: { pointsPerWindow: 6, windowMs: 60_000 } },
    },
  ]

  it('counts each token against its own primary limit', async () => {
    const target = await start({ tokens })

    await get(target, repoPath(target))
    const gate = await get(target, repoPath(target), GATE_TOKEN)
    const again = await get(target, repoPath(target))
    const elsewhere = await get(target, '/repos/mona/dotfiles')

    expect(gate.headers.get('x-ratelimit-limit')).toBe('1000')
    expect(gate.headers.get('x-ratelimit-remaining')).toBe('999')
    expect(again.headers.get('x-ratelimit-remaining')).toBe('4998')
    // One budget for the token, whichever repository it reads.
    expect(elsewhere.headers.get('x-ratelimit-remaining')).toBe('4997')
  })

  it('shares one secondary window across every repository a token touches, not across tokens', async () => {
    const target = await start({ tokens })
    const [docs] = target.artifactsOf('octo-org/tools')

    const first = await remove(
      target,
      `/repos/octo-org/tools/actions/artifacts/${docs.id}`,
      OTHER_TOKEN,
    )
    const second = await get(target, repoPath(target), OTHER_TOKEN)
    const third = await get(target, '/repos/mona/dotfiles', OTHER_TOKEN)
    const byDefault = await get(target, '/repos/mona/dotfiles')

    expect([first.status, second.status, third.status, byDefault.status]).toEqual([
      204, 200, 403, 200,
    ])
    expect(third.headers.get('retry-after')).not.toBeNull()
  })

  it('hides private repositories it was not granted, lets it read public ones but not write', async () => {
    const target = await start({ tokens })
    const [cli] = target.artifactsOf('octo-org/tools')

    const vault = await get(target, '/repos/octo-org/vault/actions/artifacts', GATE_TOKEN)
    const tools = await get(target, '/repos/octo-org/tools/actions/artifacts', GATE_TOKEN)
    const deletion = await remove(
      target,
      `/repos/octo-org/tools/actions/artifacts/${cli.id}`,
      GATE_TOKEN,
    )
    const listed = await listedNames(target, '/orgs/octo-org/repos', GATE_TOKEN)

    expect(vault.status).toBe(404)
    expect(tools.status).toBe(200)
    expect(deletion.status).toBe(403)
    expect(await deletion.json()).toMatchObject({
      message: 'Resource not accessible by integration',
    })
    expect(deletion.headers.get('x-accepted-github-permissions')).toBe('actions=write')
    expect(listed).toEqual(['octo-org/tools', 'octo-org/octo-repo'])
  })

  it('logs which token made each request by label, and none for an unknown token', async () => {
    const target = await start({ tokens })

    await get(target, repoPath(target), GATE_TOKEN)
    await get(target, repoPath(target))
    await get(target, repoPath(target), 'ghp_unknown')

    expect(target.requests.map((r) => [r.token, r.status])).toEqual([
      [GATE, 200],
      ['default', 200],
      [undefined, 401],
    ])
  })

  it('sets the limits of the token named, leaving the default token alone', async () => {
    const target = await start({ tokens })

    target.setRateLimits({ primary: { remaining: 0 } }, GATE)

    expect((await get(target, repoPath(target), GATE_TOKEN)).status).toBe(403)
    expect((await get(target, repoPath(target))).status).toBe(200)
  })
})

describe('answers where GitHub differs, in a repository beside the default one', () => {
  const PULL_REQUEST_PATH = '/repos/{owner}/{repo}/pulls/{pull_number}'
  const runsWithPullRequests: SeedRepository[] = [
    {
      owner: 'mona',
      name: 'dotfiles',
      archived: true,
      runs: [
        {
          workflow: 'd.yml',
          branch: 'feature',
          createdAt: '2024-05-01T10:00:00Z',
          pullRequests: [8],
          artifacts: [{ name: 'rc' }],
        },
        { workflow: 'd.yml', branch: 'main', createdAt: '2024-05-03T10:00:00Z' },
      ],
    },
  ]

  async function startWith(options: Partial<EmulatorOptions> = {}): Promise<Emulator> {
    return start({
      seed: { runs: [], repositories: runsWithPullRequests, users: ['mona'] },
      ...options,
    })
  }

  it("answers GET pulls from that repository's runs, describing it as GET /repos does", async () => {
    const target = await startWith()
    const validate = responseValidators([PULL_REQUEST_PATH])[PULL_REQUEST_PATH]

    const pull = await json<{
      head: { ref: string }
      base: { repo: RepositoryJson }
    }>(target, '/repos/mona/dotfiles/pulls/8')
    const repository = await json<RepositoryJson>(target, '/repos/mona/dotfiles')
    const elsewhere = await get(target, `${repoPath(target)}/pulls/8`)

    validate(pull)
    expect(validate.errors ?? []).toEqual([])
    expect(pull.head.ref).toBe('feature')
    expect(pull.base.repo).toMatchObject({
      id: target.repositoryIdOf('mona/dotfiles'),
      full_name: 'mona/dotfiles',
      archived: true,
      owner: repository.owner,
    })
    expect(elsewhere.status).toBe(404)
  })

  it('filters its runs by created date and exclude_pull_requests', async () => {
    const target = await startWith()
    const path = '/repos/mona/dotfiles/actions/runs'

    const created = await json<{ workflow_runs: { head_branch: string }[] }>(
      target,
      `${path}?created=${encodeURIComponent('<2024-05-02')}`,
    )
    const excluded = await json<{ workflow_runs: { pull_requests: unknown[] }[] }>(
      target,
      `${path}?exclude_pull_requests=true`,
    )

    expect(created.workflow_runs.map((run) => run.head_branch)).toEqual(['feature'])
    expect(excluded.workflow_runs.map((run) => run.pull_requests)).toEqual([[], []])
  })

  it("answers its artifacts in the GHES shape when artifactShape is 'ghes'", async () => {
    const target = await startWith({ artifactShape: 'ghes' })

    const listed = await json<{ artifacts: Record<string, unknown>[] }>(
      target,
      '/repos/mona/dotfiles/actions/artifacts',
    )

    expect(listed.artifacts).toHaveLength(1)
    expect(listed.artifacts[0]).not.toHaveProperty('workflow_run')
    expect(listed.artifacts[0]).not.toHaveProperty('digest')
  })

  it('stalls its answers, sending the limits of the token that asked', async () => {
    const target = await startWith({
      tokens: [{ token: OTHER_TOKEN, label: OTHER, rateLimits: { primary: { limit: 300 } } }],
    })
    target.addFault({ path: /^\/repos\/mona\/dotfiles\/actions\/runs$/, stallMs: 200 })
    const started = Date.now()

    const response = await get(target, '/repos/mona/dotfiles/actions/runs', OTHER_TOKEN)

    expect(response.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect(response.headers.get('x-ratelimit-limit')).toBe('300')
  })

  it('blocks a token for blockSeconds on its own secondary limit, not the default token', async () => {
    const secondary = { pointsPerWindow: 1, windowMs: 60_000, blockSeconds: 600 }
    const target = await startWith({
      tokens: [{ token: OTHER_TOKEN, label: OTHER, rateLimits: { secondary } }],
    })
    const path = '/repos/mona/dotfiles/actions/artifacts'

    const allowed = await get(target, path, OTHER_TOKEN)
    const refused = await get(target, path, OTHER_TOKEN)
    const byDefault = await get(target, path)

    expect([allowed.status, refused.status, byDefault.status]).toEqual([200, 403, 200])
    expect(refused.headers.get('retry-after')).toBe('600')
  })
})

describe('many repositories', () => {
  function repositories(owner: string, count: number, artifactsEach: number): SeedRepository[] {
    const names = Array.from({ length: artifactsEach }, (_, i) => `a${i}`)
    return Array.from({ length: count }, (_, i) => ({
      owner,
      name: `r${i}`,
      runs: withArtifacts('build.yml', ...names),
    }))
  }

  async function artifactCounts(target: Emulator, owner: string): Promise<number[]> {
    const counts: number[] = []
    for (let page = 1; ; page++) {
      const listed = await listedNames(target, `/orgs/${owner}/repos?per_page=100&page=${page}`)
      if (listed.length === 0) return counts
      for (const name of listed) {
        const path = `/repos/${name}/actions/artifacts?per_page=100`
        counts.push((await json<{ artifacts: unknown[] }>(target, path)).artifacts.length)
      }
    }
  }

  // Seeding and listing these took about 0.7 s each when written; a cost growing with the
  // square of the artifacts would make them minutes.
  it('seeds 200 x 50 and 100 x 20 artifacts and lists them all', async () => {
    const seeded = [...repositories('big', 200, 50), ...repositories('small', 100, 20)]
    const target = await start({ seed: { runs: [], repositories: seeded } })

    const big = await artifactCounts(target, 'big')
    const small = await artifactCounts(target, 'small')

    expect(big).toEqual(Array(200).fill(50))
    expect(small).toEqual(Array(100).fill(20))
  }, 20_000)
})
