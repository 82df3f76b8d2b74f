import { afterEach, describe, expect, it } from '@jest/globals'
import {
  fetchApi,
  repoPath,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
} from '../support/emulator/index.js'

let emulator: Emulator | undefined

afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

async function start(options: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  emulator = await startEmulator({
    seed: {
      runs: [{ workflow: 'build.yml', artifacts: [1, 2, 3].map((id) => ({ id, name: `a${id}` })) }],
    },
    ...options,
  })
  return emulator
}

function artifactPath(target: Emulator, id?: number): string {
  return `${repoPath(target)}/actions/artifacts${id === undefined ? '' : `/${id}`}`
}

describe('faults', () => {
  it('answers the fault status the given number of times, then normally', async () => {
    const target = await start()
    target.addFault({ path: /\/actions\/artifacts$/, status: 502, times: 2 })

    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await fetchApi(target, artifactPath(target))).status)

    expect(statuses).toEqual([502, 502, 200])
    expect(target.requests.map((r) => r.status)).toEqual([502, 502, 200])
  })

  it('only hits the method given, and sends retry-after when asked', async () => {
    const target = await start()
    target.addFault({ method: 'DELETE', path: /\/artifacts\/\d+$/, status: 429, retryAfter: 3 })

    const read = await fetchApi(target, artifactPath(target, 1))
    const deletion = await fetchApi(target, artifactPath(target, 1), { method: 'DELETE' })

    expect(read.status).toBe(200)
    expect(deletion.status).toBe(429)
    expect(deletion.headers.get('retry-after')).toBe('3')
    expect(target.artifacts().map((a) => a.id)).toContain(1)
  })

  it('resets the connection instead of answering', async () => {
    const target = await start()
    target.addFault({ path: /\/actions\/artifacts$/, reset: 'connection' })

    await expect(fetchApi(target, artifactPath(target))).rejects.toThrow()
    expect((await fetchApi(target, artifactPath(target))).status).toBe(200)
  })

  it('truncates a storage body after the given bytes, announcing the full length', async () => {
    const target = await start()
    target.addFault({ target: 'storage', path: /./, truncate: 10 })
    const redirect = await fetchApi(target, `${artifactPath(target, 1)}/zip`)

    const response = await fetch(redirect.headers.get('location') ?? '')

    expect(response.headers.get('content-length')).toBe(String(target.artifactBytes(1)?.length))
    await expect(response.arrayBuffer()).rejects.toThrow()
  })

  it('answers a storage fault status, then serves the blob', async () => {
    const target = await start()
    target.addFault({ target: 'storage', path: /\/artifacts\/1$/, status: 503 })
    const location =
      (await fetchApi(target, `${artifactPath(target, 1)}/zip`)).headers.get('location') ?? ''

    const failed = await fetch(location)
    const served = await fetch(location)

    expect(failed.status).toBe(503)
    expect(served.status).toBe(200)
    expect(target.requests.at(-1)?.status).toBe(302)
  })
})

describe('rate limits', () => {
  it('counts the primary limit down and then refuses as GitHub does', async () => {
    const before = Math.floor(Date.now() / 1000)
    const target = await start({
      rateLimits: { primary: { limit: 10, remaining: 2, resetInSeconds: 600 } },
    })

    const answers = []
    for (let i = 0; i < 3; i++) answers.push(await fetchApi(target, artifactPath(target)))

    expect(answers.map((r) => r.status)).toEqual([200, 200, 403])
    expect(answers.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['1', '0', '0'])
    expect(answers[1].headers.get('x-ratelimit-used')).toBe('10')
    expect(((await answers[2].json()) as { message: string }).message).toMatch(
      /^API rate limit exceeded for /,
    )
    const reset = Number(answers[2].headers.get('x-ratelimit-reset'))
    expect(reset).toBeGreaterThanOrEqual(before + 600)
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 600)
  })

  it('charges DELETE 5 points and GET 1 against the secondary budget', async () => {
    const target = await start({
      rateLimits: { secondary: { pointsPerWindow: 11, windowMs: 60_000 } },
    })

    const first = await fetchApi(target, artifactPath(target, 1), { method: 'DELETE' })
    const second = await fetchApi(target, artifactPath(target, 2), { method: 'DELETE' })
    const third = await fetchApi(target, artifactPath(target, 3), { method: 'DELETE' })
    const read = await fetchApi(target, artifactPath(target))
    const refusedRead = await fetchApi(target, artifactPath(target))

    expect([first.status, second.status, third.status, read.status]).toEqual([204, 204, 403, 200])
    expect(refusedRead.status).toBe(403)
    expect(((await third.json()) as { message: string }).message).toBe(
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
    )
    const retryAfter = Number(third.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(target.artifacts().map((a) => a.id)).toEqual([3])
  })

  it('lifts a secondary limit through setRateLimits', async () => {
    const target = await start({
      rateLimits: { secondary: { pointsPerWindow: 1, windowMs: 60_000 } },
    })
    await fetchApi(target, artifactPath(target))
    const refused = await fetchApi(target, artifactPath(target))

    target.setRateLimits({ secondary: undefined })
    const allowed = await fetchApi(target, artifactPath(target))

    expect([refused.status, allowed.status]).toEqual([403, 200])
  })

  it('refuses deletion for a token without actions: write', async () => {
    const target = await start({ forbidDelete: true })

    const response = await fetchApi(target, artifactPath(target, 1), { method: 'DELETE' })

    expect(response.status).toBe(403)
    expect(((await response.json()) as { message: string }).message).toBe(
      'Resource not accessible by integration',
    )
    expect(response.headers.get('x-ratelimit-remaining')).toBe('4999')
    expect(target.artifacts()).toHaveLength(3)
  })

  it('does not count storage requests against the API limit', async () => {
    const target = await start({ rateLimits: { primary: { remaining: 1 } } })
    const location =
      (await fetchApi(target, `${artifactPath(target, 1)}/zip`)).headers.get('location') ?? ''

    const blob = await fetch(location)
    await blob.arrayBuffer()

    expect(blob.status).toBe(200)
    expect((await fetchApi(target, artifactPath(target))).status).toBe(403)
  })
})
