import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  fetchApi,
  repoPath,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type Fault,
  type SeedArtifact,
} from '../support/emulator/index.js'

const KiB = 1024
const MiB = 1024 * KiB

/** Bodies of the blobs seeded below, by artifact id. */
const BLOB = randomBytes(200 * KiB)
const LARGE_BLOB = randomBytes(2 * MiB)
/**
 * Artifact ids: a stored file, the same bytes streamed by a ranged and by a whole-body factory,
 * and a larger stored file.
 */
const STORED = 1
const RANGED_STREAM = 2
const WHOLE_STREAM = 3
const LARGE = 4

let emulator: Emulator | undefined
/** Inclusive ranges the ranged factory was opened with. */
let rangedOpens: [number, number][] = []

afterEach(async () => {
  await emulator?.close()
  emulator = undefined
  rangedOpens = []
})

/** Whole-body chunks of an odd size, so that skipping to a part crosses chunk boundaries. */
function* oddChunks(data: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += 7_000)
    yield data.subarray(offset, offset + 7_000)
}

function seededArtifacts(): SeedArtifact[] {
  return [
    {
      id: STORED,
      name: 'stored',
      rawFile: { fileName: 'stored.bin', data: BLOB },
    },
    {
      id: RANGED_STREAM,
      name: 'ranged',
      content: {
        size: BLOB.length,
        stream: (start, end) => {
          rangedOpens.push([start, end])
          return Readable.from(oddChunks(BLOB.subarray(start, end + 1)))
        },
      },
    },
    {
      id: WHOLE_STREAM,
      name: 'whole',
      content: {
        size: BLOB.length,
        stream: () => Readable.from(oddChunks(BLOB)),
      },
    },
    {
      id: LARGE,
      name: 'large',
      rawFile: { fileName: 'large.bin', data: LARGE_BLOB },
    },
  ]
}

async function start(options: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  emulator = await startEmulator({
    seed: { runs: [{ workflow: 'build.yml', artifacts: seededArtifacts() }] },
    ...options,
  })
  return emulator
}

/** A started emulator, the stored blob's signed URL, and `faults` waiting on its storage. */
async function storedBlob(
  ...faults: Omit<Fault, 'target' | 'path'>[]
): Promise<{ target: Emulator; url: string }> {
  const target = await start()
  const url = await blobUrl(target, STORED)
  for (const fault of faults) target.addFault({ target: 'storage', path: /./, ...fault })
  return { target, url }
}

/** The signed storage URL the download endpoint redirects to. */
async function blobUrl(target: Emulator, id: number): Promise<string> {
  const redirect = await fetchApi(target, `${repoPath(target)}/actions/artifacts/${id}/zip`)
  expect(redirect.status).toBe(302)
  return redirect.headers.get('location') ?? ''
}

function fetchRange(url: string, range: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { range, ...init.headers } })
}

async function bodyOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer())
}

/**
 * How the storage host ends the connection of a GET on `url` (sent over a raw socket, since
 * fetch reports a FIN and a reset alike): 'fin', or the socket error code; `bytes` counts all
 * received, headers included.
 */
function connectionEnding(url: string): Promise<{ ending: string; bytes: number }> {
  const { hostname, port, pathname, search } = new URL(url)
  return new Promise((resolve) => {
    let bytes = 0
    const socket = connect(Number(port), hostname, () =>
      socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`),
    )
    socket.on('data', (data: Buffer) => (bytes += data.length))
    socket.on('end', () => resolve({ ending: 'fin', bytes }))
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ ending: error.code ?? '', bytes }),
    )
  })
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000
}

describe('storage ranges', () => {
  it('answers a range with 206, Content-Range, Accept-Ranges and the artifact ETag', async () => {
    const { target, url } = await storedBlob()

    const middle = await fetchRange(url, 'bytes=100-1099')
    const rest = await fetchRange(url, 'bytes=150000-')
    const other = await fetch(await blobUrl(target, LARGE))

    expect(middle.status).toBe(206)
    expect(middle.headers.get('content-range')).toBe(`bytes 100-1099/${BLOB.length}`)
    expect(middle.headers.get('content-length')).toBe('1000')
    expect(middle.headers.get('accept-ranges')).toBe('bytes')
    expect((await bodyOf(middle)).equals(BLOB.subarray(100, 1100))).toBe(true)
    expect(rest.status).toBe(206)
    expect(rest.headers.get('content-range')).toBe(`bytes 150000-${BLOB.length - 1}/${BLOB.length}`)
    expect((await bodyOf(rest)).equals(BLOB.subarray(150000))).toBe(true)
    expect(middle.headers.get('etag')).toMatch(/^"0x[0-9A-F]+"$/)
    expect(rest.headers.get('etag')).toBe(middle.headers.get('etag'))
    expect(other.headers.get('etag')).not.toBe(middle.headers.get('etag'))
  })

  it('cuts an end past the blob and answers 416 with bytes */size for a start past it', async () => {
    const { url } = await storedBlob()

    const overlong = await fetchRange(url, `bytes=${BLOB.length - 10}-${BLOB.length + 500}`)
    const outside = await fetchRange(url, `bytes=${BLOB.length}-`)

    expect(overlong.status).toBe(206)
    expect(overlong.headers.get('content-range')).toBe(
      `bytes ${BLOB.length - 10}-${BLOB.length - 1}/${BLOB.length}`,
    )
    expect((await bodyOf(overlong)).equals(BLOB.subarray(BLOB.length - 10))).toBe(true)
    expect(outside.status).toBe(416)
    expect(outside.headers.get('content-range')).toBe(`bytes */${BLOB.length}`)
    expect(outside.headers.get('x-ms-error-code')).toBe('InvalidRange')
  })

  it('ignores a suffix range and several ranges, sending the whole blob with 200', async () => {
    const { url } = await storedBlob()

    const answers = [
      await fetchRange(url, 'bytes=-100'),
      await fetchRange(url, 'bytes=0-99,200-299'),
    ]

    for (const answer of answers) {
      expect(answer.status).toBe(200)
      expect(answer.headers.get('content-range')).toBeNull()
      expect((await bodyOf(answer)).equals(BLOB)).toBe(true)
    }
  })

  it('uses x-ms-range over Range', async () => {
    const { url } = await storedBlob()

    const answer = await fetchRange(url, 'bytes=0-9', {
      headers: { 'x-ms-range': 'bytes=20-29' },
    })

    expect(answer.headers.get('content-range')).toBe(`bytes 20-29/${BLOB.length}`)
    expect((await bodyOf(answer)).equals(BLOB.subarray(20, 30))).toBe(true)
  })

  it('honours If-Match with the ETag, quoted or not, or *, and answers 412 otherwise', async () => {
    const { url } = await storedBlob()
    const etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag') ?? ''

    const statuses = []
    for (const ifMatch of [etag, etag.replace(/"/g, ''), '*', '"0x8DC0", ' + etag, '"0x8DC0"'])
      statuses.push(
        (
          await fetchRange(url, 'bytes=0-9', {
            headers: { 'if-match': ifMatch },
          })
        ).status,
      )
    const refused = await fetch(url, { headers: { 'if-match': '"0x8DC0"' } })

    expect(statuses).toEqual([206, 206, 206, 206, 412])
    expect(refused.status).toBe(412)
    expect(refused.headers.get('x-ms-error-code')).toBe('ConditionNotMet')
  })

  it('serves parts of streamed content, opening a ranged stream at the part asked', async () => {
    const target = await start()
    const ranged = await blobUrl(target, RANGED_STREAM)
    const whole = await blobUrl(target, WHOLE_STREAM)

    const fromRanged = await bodyOf(await fetchRange(ranged, 'bytes=12345-67889'))
    const fromWhole = await bodyOf(await fetchRange(whole, 'bytes=12345-67889'))
    const entire = await bodyOf(await fetch(ranged))

    expect(fromRanged.equals(BLOB.subarray(12345, 67890))).toBe(true)
    expect(fromWhole.equals(BLOB.subarray(12345, 67890))).toBe(true)
    expect(entire.equals(BLOB)).toBe(true)
    expect(rangedOpens).toEqual([
      [12345, 67889],
      [0, BLOB.length - 1],
    ])
  })

  it('checks the signed URL expiry on every ranged request', async () => {
    const target = await start({ signedUrlTtlMs: 0 })
    const url = await blobUrl(target, STORED)

    const refused = await fetchRange(url, 'bytes=0-99')

    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('<Code>AuthenticationFailed</Code>')
    expect(target.storageRequests[0]).toMatchObject({
      status: 403,
      bytesSent: 0,
    })
  })
})

describe('storage link', () => {
  // Pacing never sends ahead of the cap; a busy machine only ever makes a transfer slower.
  const EARLY = 0.97

  it('caps a connection at bytesPerSecond', async () => {
    const rate = 2 * MiB
    const target = await start({ storageLink: { bytesPerSecond: rate } })
    const url = await blobUrl(target, LARGE)

    const began = performance.now()
    const body = await bodyOf(await fetchRange(url, `bytes=0-${MiB - 1}`))
    const elapsed = seconds(began)

    expect(body.equals(LARGE_BLOB.subarray(0, MiB))).toBe(true)
    expect(elapsed).toBeGreaterThanOrEqual((MiB / rate) * EARLY)
  })

  it('gives each of several parallel ranged requests the whole cap', async () => {
    const rate = MiB
    const parts = 4
    const partBytes = LARGE_BLOB.length / parts
    const target = await start({ storageLink: { bytesPerSecond: rate } })
    const url = await blobUrl(target, LARGE)

    const began = performance.now()
    const bodies = await Promise.all(
      Array.from({ length: parts }, async (_, i) => {
        const from = i * partBytes
        return bodyOf(await fetchRange(url, `bytes=${from}-${from + partBytes - 1}`))
      }),
    )
    const elapsed = seconds(began)

    expect(Buffer.concat(bodies).equals(LARGE_BLOB.subarray(0, parts * partBytes))).toBe(true)
    // One cap shared by the connections would need `parts` times as long as one part at the cap.
    expect(elapsed).toBeGreaterThanOrEqual((partBytes / rate) * EARLY)
    expect(elapsed).toBeLessThan(((parts * partBytes) / rate) * EARLY)
  })

  it('waits roundTripMs before each answer', async () => {
    const target = await start({ storageLink: { roundTripMs: 300 } })
    const url = await blobUrl(target, STORED)

    const began = performance.now()
    await bodyOf(await fetchRange(url, 'bytes=0-9'))
    const first = seconds(began)
    await bodyOf(await fetchRange(url, 'bytes=10-19'))

    expect(first).toBeGreaterThanOrEqual(0.3)
    expect(seconds(began)).toBeGreaterThanOrEqual(0.6)
  })

  it('applies a new rate to a body already being sent', async () => {
    const target = await start({ storageLink: { bytesPerSecond: 64 * KiB } })
    const response = await fetch(await blobUrl(target, LARGE))
    const reader = response.body!.getReader()
    let received = (await reader.read()).value?.length ?? 0

    const sentWhileSlow = target.storageRequests[0].bytesSent ?? 0
    const lifted = performance.now()
    target.setStorageLink({})
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      received += chunk.value.length

    expect(sentWhileSlow).toBeLessThan(LARGE_BLOB.length / 4)
    expect(received).toBe(LARGE_BLOB.length)
    // At 64 KiB/s the rest would take about 32 s.
    expect(seconds(lifted)).toBeLessThan(10)
  })
})

describe('storage faults', () => {
  it('cuts a body after some bytes or a fraction of a part, announcing the full length', async () => {
    const { target, url } = await storedBlob(
      { cut: { afterBytes: 5000, ending: 'fin' } },
      { cut: { afterFraction: 0.5, ending: 'rst' } },
    )

    const finished = await fetch(url)
    const reset = await fetchRange(url, 'bytes=1000-40999')

    expect(finished.headers.get('content-length')).toBe(String(BLOB.length))
    await expect(finished.arrayBuffer()).rejects.toThrow()
    expect(reset.headers.get('content-length')).toBe('40000')
    await expect(reset.arrayBuffer()).rejects.toThrow()
    expect(target.storageRequests.map((r) => r.bytesSent)).toEqual([5000, 20000])
    expect((await bodyOf(await fetch(url))).equals(BLOB)).toBe(true)
  })

  it('ends a cut with a FIN or a reset, as asked', async () => {
    const { url } = await storedBlob(
      { cut: { afterBytes: 5000, ending: 'fin' } },
      { cut: { afterBytes: 5000, ending: 'rst' } },
    )

    const finished = await connectionEnding(url)
    const reset = await connectionEnding(url)

    expect(finished.ending).toBe('fin')
    expect(finished.bytes).toBeGreaterThan(5000)
    expect(finished.bytes).toBeLessThan(BLOB.length)
    expect(reset.ending).toBe('ECONNRESET')
  })

  it('stalls after some bytes, keeping the connection open', async () => {
    const { url } = await storedBlob({
      cut: { afterBytes: 3000, ending: 'stall' },
    })
    const abort = new AbortController()

    const response = await fetch(url, { signal: abort.signal })
    const reader = response.body!.getReader()
    let received = 0
    while (received < 3000) received += (await reader.read()).value?.length ?? 0
    const next = reader.read()
    const quiet = new Promise((resolve) => setTimeout(() => resolve('quiet'), 300))

    expect(await Promise.race([next, quiet])).toBe('quiet')
    expect(received).toBe(3000)
    abort.abort()
    await expect(next).rejects.toThrow()
  })

  it('ignores a Range header once, answering 200 with the whole blob', async () => {
    const { target, url } = await storedBlob({ ignoreRange: true })

    const ignored = await fetchRange(url, 'bytes=100-199')
    const honoured = await fetchRange(url, 'bytes=100-199')

    expect(ignored.status).toBe(200)
    expect((await bodyOf(ignored)).equals(BLOB)).toBe(true)
    expect(honoured.status).toBe(206)
    expect(target.storageRequests[0].range).toEqual({ start: 100, end: 199 })
  })

  it('answers another part than asked, naming it in Content-Range', async () => {
    const { url } = await storedBlob({ shiftRange: 1000 })

    const wrong = await fetchRange(url, 'bytes=100-199')

    expect(wrong.status).toBe(206)
    expect(wrong.headers.get('content-range')).toBe(`bytes 1100-1199/${BLOB.length}`)
    expect((await bodyOf(wrong)).equals(BLOB.subarray(1100, 1200))).toBe(true)
  })

  it('answers a 5xx for the given number of ranged requests', async () => {
    const { target, url } = await storedBlob({ status: 500, times: 2 })

    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await fetchRange(url, 'bytes=0-9')).status)

    expect(statuses).toEqual([500, 500, 206])
    expect(target.storageRequests.map((r) => r.bytesSent)).toEqual([0, 0, 10])
  })
})

describe('storage counters', () => {
  it('logs each request range and bytes sent, and totals the bytes served', async () => {
    const { target, url } = await storedBlob({
      cut: { afterBytes: 1234, ending: 'fin' },
    })

    await expect(fetchRange(url, 'bytes=0-99999').then(bodyOf)).rejects.toThrow()
    await bodyOf(await fetchRange(url, 'bytes=1234-99999'))
    await bodyOf(await fetchRange(url, 'bytes=100000-'))

    expect(
      target.storageRequests.map(({ range, bytesSent }) => ({
        range,
        bytesSent,
      })),
    ).toEqual([
      { range: { start: 0, end: 99999 }, bytesSent: 1234 },
      { range: { start: 1234, end: 99999 }, bytesSent: 100000 - 1234 },
      {
        range: { start: 100000, end: BLOB.length - 1 },
        bytesSent: BLOB.length - 100000,
      },
    ])
    expect(target.storageBytesServed()).toBe(BLOB.length)
  })
})
