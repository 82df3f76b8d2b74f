import { describe, expect, it } from '@jest/globals'
import type { ArtifactClient } from '../../../src/core/api.js'
import { ArtifactExpiredError, RateLimitExhaustedError } from '../../../src/core/errors.js'
import type { Emulator, SeedRun } from '../../support/emulator/index.js'
import {
  emulatorClient,
  emulatorSession,
  recordingReporter,
  useEmulator,
  type RecordingReporter,
} from '../../support/fixtures.js'

const start = useEmulator()

async function clientFor(
  runs: SeedRun[],
): Promise<{ server: Emulator; client: ArtifactClient; reporter: RecordingReporter }> {
  const server = await start(runs)
  const reporter = recordingReporter()
  return { server, client: emulatorClient(server, reporter), reporter }
}

describe('API client', () => {
  it('masks the token and hands back the signed URL without following it', async () => {
    const { server, client, reporter } = await clientFor([
      { workflow: 'build.yml', artifacts: [{ name: 'dist' }] },
    ])
    const [artifact] = await client.listArtifacts({})

    const url = await client.getDownloadUrl(artifact)

    expect(url.startsWith(server.storageUrl)).toBe(true)
    expect(reporter.masked).toEqual([server.token, url])
    expect(server.storageRequests).toHaveLength(0)
  })

  it('turns a 410 from the download endpoint into an error naming the artifact', async () => {
    const { client } = await clientFor([
      { workflow: 'build.yml', artifacts: [{ name: 'old', expired: true }] },
    ])
    const [listed] = await client.listArtifacts({})
    // As if it expired between the listing and the download.
    const artifact = { ...listed, expired: false }

    const error = await client.getDownloadUrl(artifact).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ArtifactExpiredError)
    expect((error as Error).message).toContain(`'old' (id ${artifact.id}) has expired`)
  })

  it('answers "gone" for an artifact already deleted, asking once', async () => {
    const { server, client } = await clientFor([
      { workflow: 'build.yml', artifacts: [{ name: 'dist' }] },
    ])
    const [artifact] = await client.listArtifacts({})

    expect(await client.deleteArtifact(artifact.id)).toBe('deleted')
    expect(await client.deleteArtifact(artifact.id)).toBe('gone')
    expect(server.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2)
  })

  it('re-reads the list in order when artifacts appear while pages are read at once', async () => {
    const runs: SeedRun[] = [
      {
        workflow: 'build.yml',
        artifacts: Array.from({ length: 250 }, (_, i) => ({ name: `n${i}` })),
      },
    ]
    const { server, client } = await clientFor(runs)
    let added = false
    server.onRequest((request) => {
      if (!added && request.query.page === '2') {
        added = true
        server.addRun({ workflow: 'build.yml', artifacts: [{ name: 'new-1' }, { name: 'new-2' }] })
      }
    })

    const listed = await client.listArtifacts({})

    const ids = listed.map((a) => a.id).sort((a, b) => a - b)
    expect(ids).toEqual(
      server
        .artifacts()
        .map((a) => a.id)
        .sort((a, b) => a - b),
    )
  })

  it('stops with RateLimitExhaustedError when the primary limit is used up for long', async () => {
    const { server, client } = await clientFor([
      { workflow: 'build.yml', artifacts: [{ name: 'dist' }] },
    ])
    server.setRateLimits({ primary: { remaining: 0, resetInSeconds: 3600 } })

    const error = await client.listArtifacts({}).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(RateLimitExhaustedError)
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Listing artifacts in ${server.owner}/${server.repo} failed: HTTP 403 .*rate limit is used up until`,
      ),
    )
    expect(server.requests).toHaveLength(1)
  })

  it('explains a forbidden call with the permission it needs', async () => {
    const server = await start([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }], {
      forbidDelete: true,
    })
    const client = emulatorClient(server)
    const [artifact] = await client.listArtifacts({})

    const error = await client.deleteArtifact(artifact.id).catch((e: unknown) => e)

    expect((error as Error).message).toMatch(/HTTP 403 .*`actions: write`/)
    expect(server.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1)
  })

  it.each([
    ['its headers', false],
    ['its body, after the headers', true],
  ])('gives up an answer whose %s stall past the deadline, and retries it', async (_, body) => {
    const { server } = await clientFor([{ workflow: 'build.yml', artifacts: [{ name: 'dist' }] }])
    server.addFault({
      path: /\/actions\/artifacts$/,
      stallMs: Infinity,
      stallAfterHeaders: body,
      times: 2,
    })
    const client = emulatorSession(server, recordingReporter(), {
      requestDeadlineMs: 300,
    }).repository({ owner: server.owner, repo: server.repo })

    const listed = await client.listArtifacts({})

    expect(listed.map((a) => a.name)).toEqual(['dist'])
    expect(server.requests.filter((r) => r.path.endsWith('/actions/artifacts'))).toHaveLength(3)
  })

  it('tells a lasting secondary limit from a missing permission', async () => {
    const { server, client } = await clientFor([
      { workflow: 'build.yml', artifacts: [{ name: 'dist' }] },
    ])
    server.setRateLimits({ secondary: { pointsPerWindow: 1, windowMs: 60_000, blockSeconds: 600 } })
    await client.listArtifacts({})

    const error = await client.listArtifacts({}).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(RateLimitExhaustedError)
    expect((error as RateLimitExhaustedError).limit).toBe('secondary')
    expect((error as Error).message).not.toContain('actions: read')
  })
})
