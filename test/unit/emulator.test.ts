import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  fetchApi,
  repoPath,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type SeedArtifact,
} from '../support/emulator/index.js'

interface ArtifactJson {
  id: number
  name: string
  size_in_bytes: number
  archive_download_url: string
  expired: boolean
  created_at: string
  digest: string | null
  workflow_run: {
    id: number
    repository_id: number
    head_repository_id: number
    head_branch: string
  }
}
interface ArtifactList {
  total_count: number
  artifacts: ArtifactJson[]
}

let emulator: Emulator | undefined

afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

async function start(options: EmulatorOptions): Promise<Emulator> {
  emulator = await startEmulator(options)
  return emulator
}

function numbered(count: number, prefix = 'artifact'): SeedArtifact[] {
  return Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i}` }))
}

async function listArtifacts(
  target: Emulator,
  query: string,
): Promise<{ response: Response; body: ArtifactList }> {
  const response = await fetchApi(target, `${repoPath(target)}/actions/artifacts${query}`)
  return { response, body: (await response.json()) as ArtifactList }
}

/** Follows the 302 by hand, as a careful client does: no token to the storage host. */
async function download(target: Emulator, id: number): Promise<Response> {
  const redirect = await fetchApi(target, `${repoPath(target)}/actions/artifacts/${id}/zip`)
  expect(redirect.status).toBe(302)
  return fetch(redirect.headers.get('location') ?? '')
}

describe('artifact listing', () => {
  it('pages 250 artifacts as 100/100/50, newest first, with GitHub-style Link headers', async () => {
    const target = await start({
      seed: { runs: [{ workflow: 'build.yml', artifacts: numbered(250) }] },
    })
    const base = `${target.apiUrl}${repoPath(target)}/actions/artifacts`

    const pages = []
    for (const page of [1, 2, 3])
      pages.push(await listArtifacts(target, `?per_page=100&page=${page}`))

    expect(pages.map(({ body }) => body.artifacts.length)).toEqual([100, 100, 50])
    expect(pages.map(({ body }) => body.total_count)).toEqual([250, 250, 250])
    expect(pages[0].response.headers.get('link')).toBe(
      `<${base}?per_page=100&page=2>; rel="next", <${base}?per_page=100&page=3>; rel="last"`,
    )
    expect(pages[1].response.headers.get('link')).toBe(
      `<${base}?per_page=100&page=1>; rel="prev", <${base}?per_page=100&page=3>; rel="next", ` +
        `<${base}?per_page=100&page=3>; rel="last", <${base}?per_page=100&page=1>; rel="first"`,
    )
    expect(pages[2].response.headers.get('link')).toBe(
      `<${base}?per_page=100&page=2>; rel="prev", <${base}?per_page=100&page=1>; rel="first"`,
    )
    const listed = pages.flatMap(({ body }) => body.artifacts.map((a) => a.id))
    expect(listed).toEqual(target.artifacts().map((a) => a.id))
    // Same creation time: ties go to the higher id first.
    expect(listed).toEqual([...listed].sort((a, b) => b - a))
  })

  it('defaults to 30 a page, caps per_page at 100 and keeps other query parameters in links', async () => {
    const target = await start({
      seed: { runs: [{ workflow: 'build.yml', artifacts: numbered(250) }] },
    })

    const byDefault = await listArtifacts(target, '')
    const capped = await listArtifacts(target, '?per_page=500')
    const named = await listArtifacts(target, '?name=artifact-7&per_page=1')

    expect(byDefault.body.artifacts).toHaveLength(30)
    expect(capped.body.artifacts).toHaveLength(100)
    expect(capped.response.headers.get('link')).toContain('?per_page=500&page=3>; rel="last"')
    expect(named.response.headers.get('link')).toBeNull()
    expect(named.body.artifacts.map((a) => a.name)).toEqual(['artifact-7'])
  })

  it('orders by creation time before id', async () => {
    const target = await start({
      seed: {
        runs: [
          {
            workflow: 'build.yml',
            artifacts: [
              { id: 1, name: 'newest', createdAt: '2024-05-03T00:00:00Z' },
              { id: 2, name: 'oldest', createdAt: '2024-05-01T00:00:00Z' },
              { id: 3, name: 'middle', createdAt: '2024-05-02T00:00:00Z' },
            ],
          },
        ],
      },
    })

    const { body } = await listArtifacts(target, '')

    expect(body.artifacts.map((a) => a.name)).toEqual(['newest', 'middle', 'oldest'])
  })

  it('filters by exact name, in the repository and in one run', async () => {
    const target = await start({
      seed: {
        runs: [
          { id: 11, workflow: 'build.yml', artifacts: [{ name: 'dist' }, { name: 'dist-docs' }] },
          { id: 12, workflow: 'build.yml', artifacts: [{ name: 'dist' }, { name: 'logs' }] },
        ],
      },
    })

    const repoWide = await listArtifacts(target, '?name=dist')
    const runOnly = await fetchApi(target, `${repoPath(target)}/actions/runs/12/artifacts`)
    const runNamed = await fetchApi(
      target,
      `${repoPath(target)}/actions/runs/11/artifacts?name=dist`,
    )
    const runBody = (await runOnly.json()) as ArtifactList
    const runNamedBody = (await runNamed.json()) as ArtifactList

    expect(repoWide.body.total_count).toBe(2)
    expect(repoWide.body.artifacts.map((a) => [a.name, a.workflow_run.id])).toEqual([
      ['dist', 12],
      ['dist', 11],
    ])
    expect(runBody.artifacts.map((a) => a.name).sort()).toEqual(['dist', 'logs'])
    expect(runNamedBody.artifacts.map((a) => [a.name, a.workflow_run.id])).toEqual([['dist', 11]])
  })

  it('lists artifacts added while a client pages through, as the newest', async () => {
    const target = await start({
      seed: { runs: [{ workflow: 'build.yml', artifacts: numbered(3, 'old') }] },
    })
    target.onRequest((request) => {
      if (request.query.page === '2')
        target.addRun({ workflow: 'build.yml', artifacts: numbered(1, 'new') })
    })

    const first = await listArtifacts(target, '?per_page=2&page=1')
    const second = await listArtifacts(target, '?per_page=2&page=2')

    expect(first.body.artifacts.map((a) => a.name)).toEqual(['old-2', 'old-1'])
    // The new artifact pushed everything down by one: old-1 shows up again.
    expect(second.body.artifacts.map((a) => a.name)).toEqual(['old-1', 'old-0'])
    expect(target.artifacts()[0].name).toBe('new-0')
  })
})

describe('artifact objects and deletion', () => {
  it('gets one artifact with its run, size and digest', async () => {
    const target = await start({
      seed: {
        runs: [
          { id: 42, workflow: 'build.yml', branch: 'dev', artifacts: [{ id: 7, name: 'dist' }] },
        ],
      },
    })

    const response = await fetchApi(target, `${repoPath(target)}/actions/artifacts/7`)
    const artifact = (await response.json()) as ArtifactJson
    const bytes = target.artifactBytes(7) ?? Buffer.alloc(0)

    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(artifact).toMatchObject({
      id: 7,
      name: 'dist',
      expired: false,
      size_in_bytes: bytes.length,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      archive_download_url: `${target.apiUrl}${repoPath(target)}/actions/artifacts/7/zip`,
      workflow_run: { id: 42, head_branch: 'dev', repository_id: target.repositoryId },
    })
    expect(bytes.length).toBeGreaterThan(0)
  })

  it('deletes at once: the artifact then answers 404 and the listing shifts', async () => {
    const target = await start({
      seed: { runs: [{ workflow: 'build.yml', artifacts: numbered(4) }] },
    })
    const [newest, second, third] = target.artifacts().map((a) => a.id)

    const before = await listArtifacts(target, '?per_page=2&page=2')
    const deleted = await fetchApi(target, `${repoPath(target)}/actions/artifacts/${newest}`, {
      method: 'DELETE',
    })
    const again = await fetchApi(target, `${repoPath(target)}/actions/artifacts/${newest}`, {
      method: 'DELETE',
    })
    const gone = await fetchApi(target, `${repoPath(target)}/actions/artifacts/${newest}`)
    const after = await listArtifacts(target, '?per_page=2&page=1')

    expect(before.body.artifacts[0].id).toBe(third)
    expect(deleted.status).toBe(204)
    expect(again.status).toBe(404)
    expect(gone.status).toBe(404)
    expect(await gone.json()).toMatchObject({ message: 'Not Found' })
    expect(after.body.artifacts.map((a) => a.id)).toEqual([second, third])
    expect(target.artifacts().map((a) => a.id)).not.toContain(newest)
  })
})

describe('downloads', () => {
  it('redirects to signed storage that serves the exact bytes, without the token', async () => {
    const target = await start({
      seed: {
        runs: [
          {
            workflow: 'build.yml',
            artifacts: [{ id: 5, name: 'dist', files: { 'a.txt': 'hello' } }],
          },
        ],
      },
    })

    const response = await download(target, 5)
    const bytes = Buffer.from(await response.arrayBuffer())

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/zip')
    expect(bytes.equals(target.artifactBytes(5) ?? Buffer.alloc(0))).toBe(true)
    expect(target.storageRequests).toHaveLength(1)
    expect(target.storageRequests[0].headers.authorization).toBeUndefined()
    expect(target.storageRequests[0].status).toBe(200)
  })

  it('records an Authorization header that a client wrongly sends to storage', async () => {
    const target = await start({
      seed: { runs: [{ workflow: 'build.yml', artifacts: [{ id: 5, name: 'dist' }] }] },
    })
    const redirect = await fetchApi(target, `${repoPath(target)}/actions/artifacts/5/zip`)

    await fetch(redirect.headers.get('location') ?? '', {
      headers: { authorization: `token ${target.token}` },
    })

    expect(target.storageRequests[0].headers.authorization).toBe(`token ${target.token}`)
  })

  it('refuses an expired or tampered signature', async () => {
    const target = await start({
      signedUrlTtlMs: 0,
      seed: { runs: [{ workflow: 'build.yml', artifacts: [{ id: 5, name: 'dist' }] }] },
    })
    const redirect = await fetchApi(target, `${repoPath(target)}/actions/artifacts/5/zip`)
    const location = new URL(redirect.headers.get('location') ?? '')

    const expired = await fetch(location)
    location.searchParams.set('se', new Date(Date.now() + 3_600_000).toISOString())
    const tampered = await fetch(location)

    expect(expired.status).toBe(403)
    expect(await expired.text()).toContain('<Code>AuthenticationFailed</Code>')
    expect(tampered.status).toBe(403)
    expect(await tampered.text()).toContain('Signature did not match')
  })

  it('serves byte ranges, as blob storage does for resumed downloads', async () => {
    const target = await start({
      seed: { runs: [{ workflow: 'build.yml', artifacts: [{ id: 5, name: 'dist' }] }] },
    })
    const bytes = target.artifactBytes(5) ?? Buffer.alloc(0)
    const location =
      (await fetchApi(target, `${repoPath(target)}/actions/artifacts/5/zip`)).headers.get(
        'location',
      ) ?? ''

    const tail = await fetch(location, { headers: { range: 'bytes=10-' } })
    const outside = await fetch(location, { headers: { range: `bytes=${bytes.length}-` } })

    expect(tail.status).toBe(206)
    expect(tail.headers.get('content-range')).toBe(`bytes 10-${bytes.length - 1}/${bytes.length}`)
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(10))).toBe(true)
    expect(outside.status).toBe(416)
  })

  it('answers 410 for an expired artifact and 404 for an unknown one', async () => {
    const target = await start({
      seed: {
        runs: [{ workflow: 'build.yml', artifacts: [{ id: 5, name: 'old', expired: true }] }],
      },
    })

    const expired = await fetchApi(target, `${repoPath(target)}/actions/artifacts/5/zip`)
    const unknown = await fetchApi(target, `${repoPath(target)}/actions/artifacts/6/zip`)

    expect(expired.status).toBe(410)
    expect(await expired.json()).toMatchObject({ message: 'Artifact has expired' })
    expect(unknown.status).toBe(404)
  })

  it('serves an unzipped upload with its own content type and file name', async () => {
    const data = Buffer.from('{"ok":true}')
    const target = await start({
      seed: {
        runs: [
          {
            workflow: 'build.yml',
            artifacts: [
              {
                id: 5,
                name: 'report',
                rawFile: { fileName: 'report.json', data, contentType: 'application/json' },
              },
            ],
          },
        ],
      },
    })

    const response = await download(target, 5)

    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="report.json"')
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true)
  })

  it('streams a content body of the announced size, with no digest', async () => {
    const size = 3 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 7)
    const target = await start({
      seed: {
        runs: [
          {
            workflow: 'build.yml',
            artifacts: [
              {
                id: 5,
                name: 'huge',
                content: {
                  size,
                  stream: () =>
                    Readable.from(
                      (function* () {
                        for (let sent = 0; sent < size; sent += chunk.length) yield chunk
                      })(),
                    ),
                },
              },
            ],
          },
        ],
      },
    })

    const meta = (await (
      await fetchApi(target, `${repoPath(target)}/actions/artifacts/5`)
    ).json()) as ArtifactJson
    const response = await download(target, 5)
    const body = Buffer.from(await response.arrayBuffer())

    expect(meta.size_in_bytes).toBe(size)
    expect(meta.digest).toBeNull()
    expect(response.headers.get('content-length')).toBe(String(size))
    expect(body.length).toBe(size)
    expect(target.artifactBytes(5)).toBeUndefined()
  })
})

describe('authentication, routing and logs', () => {
  it('answers 401 without the token and accepts both token and Bearer schemes', async () => {
    const target = await start({ seed: { runs: [] } })
    const url = `${target.apiUrl}${repoPath(target)}/actions/artifacts`

    const missing = await fetch(url)
    const wrong = await fetch(url, { headers: { authorization: 'token nope' } })
    const bearer = await fetch(url, { headers: { authorization: `Bearer ${target.token}` } })

    expect(missing.status).toBe(401)
    expect(await missing.json()).toMatchObject({ message: 'Bad credentials' })
    expect(wrong.status).toBe(401)
    expect(bearer.status).toBe(200)
    expect(target.requests.map((r) => [r.status, r.headers.authorization])).toEqual([
      [401, undefined],
      [401, 'token nope'],
      [200, `Bearer ${target.token}`],
    ])
  })

  it('answers 404 Not Found for another repository or an unknown route', async () => {
    const target = await start({ seed: { runs: [] } })

    const otherRepo = await fetchApi(target, '/repos/someone/else/actions/artifacts')
    const unknownRoute = await fetchApi(target, `${repoPath(target)}/actions/secrets`)
    const caseInsensitive = await fetchApi(
      target,
      `/repos/${target.owner.toUpperCase()}/${target.repo.toUpperCase()}/actions/artifacts`,
    )

    expect(otherRepo.status).toBe(404)
    expect(await otherRepo.json()).toMatchObject({ message: 'Not Found' })
    expect(unknownRoute.status).toBe(404)
    expect(caseInsensitive.status).toBe(200)
  })

  it('serves under an Enterprise Server path prefix', async () => {
    const target = await start({
      apiPathPrefix: '/api/v3',
      seed: { runs: [{ workflow: 'build.yml', artifacts: [{ id: 5, name: 'dist' }] }] },
    })
    const origin = new URL(target.apiUrl).origin

    const listed = await listArtifacts(target, '')
    const withoutPrefix = await fetch(`${origin}${repoPath(target)}/actions/artifacts`, {
      headers: { authorization: `token ${target.token}` },
    })
    const fetched = await download(target, 5)

    expect(target.apiUrl).toBe(`${origin}/api/v3`)
    expect(listed.body.artifacts[0].archive_download_url).toBe(
      `${origin}/api/v3${repoPath(target)}/actions/artifacts/5/zip`,
    )
    expect(withoutPrefix.status).toBe(404)
    expect(fetched.status).toBe(200)
    expect(target.requests[0].path).toBe(`/api/v3${repoPath(target)}/actions/artifacts`)
  })

  it('sends the rate-limit and request-id headers on every answer', async () => {
    const target = await start({ seed: { runs: [] } })

    const ok = await fetchApi(target, `${repoPath(target)}/actions/artifacts`)
    const missing = await fetchApi(target, `${repoPath(target)}/actions/artifacts/1`)

    for (const response of [ok, missing]) {
      expect(response.headers.get('x-ratelimit-limit')).toBe('5000')
      expect(response.headers.get('x-ratelimit-resource')).toBe('core')
      expect(response.headers.get('x-github-request-id')).toMatch(/^[0-9A-F:]+$/)
    }
    expect(ok.headers.get('x-ratelimit-remaining')).toBe('4999')
    expect(missing.headers.get('x-ratelimit-used')).toBe('2')
  })
})
