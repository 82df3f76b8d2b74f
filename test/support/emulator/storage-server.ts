import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FaultList } from './faults.js'
import { logEntry, requestUrl, sleep, type Handler } from './http.js'
import type { UrlSigner } from './signed-urls.js'
import type { Repositories } from './repositories.js'
import type { StoredArtifact } from './state.js'
import type { Fault, LoggedRequest } from './types.js'

export interface StorageDependencies {
  repositories: Repositories
  signer: UrlSigner
  faults: FaultList
  settings: { storageLatencyMs: number }
  log: LoggedRequest[]
}

/** Inclusive byte positions of the part of the body to send. */
interface ByteRange {
  start: number
  end: number
}

/** An Azure-style refusal: XML body, error code also in x-ms-error-code. */
interface StorageError {
  status: number
  code: string
  message: string
  headers?: Record<string, string>
  detail?: string
}

interface BlobAnswer {
  status: 200 | 206
  artifact: StoredArtifact
  /** Present for a 206. */
  range?: ByteRange
}

const AUTHENTICATION_FAILED =
  'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.'

/**
 * The blob store the download endpoint redirects to: it trusts only the URL's signature (never
 * an Authorization header, which it records so tests can see a token leak) and streams bodies.
 */
export function createStorageHandler(deps: StorageDependencies): Handler {
  return async (request, response) => {
    const url = requestUrl(request)
    const entry = logEntry(request, url)
    deps.log.push(entry)
    await sleep(deps.settings.storageLatencyMs)
    const fault = deps.faults.take('storage', entry.method, url.pathname)
    if (fault?.reset === 'connection') {
      request.socket.destroy()
      return
    }
    const outcome =
      fault?.status !== undefined ? faultError(fault) : resolveBlob(deps, request, url)
    entry.status = outcome.status
    if ('code' in outcome) {
      sendError(response, outcome)
      return
    }
    await sendBlob(response, outcome, entry.method === 'HEAD', fault?.truncate)
  }
}

function faultError(fault: Fault): StorageError {
  const status = fault.status ?? 500
  return {
    status,
    code: status === 503 ? 'ServerBusy' : 'InternalError',
    message: 'Emulated fault.',
    headers: fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) },
  }
}

function resolveBlob(
  deps: StorageDependencies,
  request: IncomingMessage,
  url: URL,
): StorageError | BlobAnswer {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return {
      status: 405,
      code: 'UnsupportedHttpVerb',
      message: "The resource doesn't support specified Http Verb.",
    }
  }
  const signature = deps.signer.check(url)
  if (!signature.valid) {
    return {
      status: 403,
      code: 'AuthenticationFailed',
      message: AUTHENTICATION_FAILED,
      detail: signature.reason,
    }
  }
  const artifact = deps.repositories.artifact(signature.artifactId)
  if (!artifact) {
    return { status: 404, code: 'BlobNotFound', message: 'The specified blob does not exist.' }
  }
  const range = requestedRange(request.headers.range, artifact.body.size)
  if (range === 'unsatisfiable') {
    return {
      status: 416,
      code: 'InvalidRange',
      message: 'The range specified is invalid for the current size of the resource.',
      headers: { 'content-range': `bytes */${artifact.body.size}` },
    }
  }
  return range ? { status: 206, artifact, range } : { status: 200, artifact }
}

/** With `truncate`, sends only that many bytes of the body after announcing its full length. */
async function sendBlob(
  response: ServerResponse,
  { status, artifact, range }: BlobAnswer,
  headOnly: boolean,
  truncate: number | undefined,
): Promise<void> {
  const size = artifact.body.size
  const part = range ?? { start: 0, end: size - 1 }
  response.writeHead(status, {
    ...blobHeaders(artifact),
    'content-length': String(part.end - part.start + 1),
    ...(range ? { 'content-range': `bytes ${part.start}-${part.end}/${size}` } : {}),
  })
  if (headOnly || size === 0) {
    response.end()
  } else if (truncate !== undefined) {
    const end = Math.min(part.end, part.start + truncate - 1)
    await sendTruncated(response, bodyPart(artifact, { start: part.start, end }))
  } else {
    await pipeline(Readable.from(bodyPart(artifact, part)), response)
  }
}

function blobHeaders(artifact: StoredArtifact): Record<string, string> {
  const { contentType, fileName } = artifact.body
  return {
    'content-type': contentType,
    'content-disposition': contentDisposition(fileName),
    'accept-ranges': 'bytes',
    etag: `"0x8DC${artifact.id.toString(16).toUpperCase()}"`,
    'last-modified': new Date(artifact.createdAt).toUTCString(),
    'x-ms-blob-type': 'BlockBlob',
    'x-ms-request-id': randomUUID(),
    'x-ms-version': '2023-11-03',
  }
}

/** `attachment; filename="x"`, with an RFC 5987 form added when the name is not plain ASCII. */
function contentDisposition(fileName: string): string {
  if (/^[\x20-\x7e]*$/.test(fileName) && !/["\\]/.test(fileName)) {
    return `attachment; filename="${fileName}"`
  }
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(fileName)}`
}

/** A single `bytes=` range, as blob storage honours; undefined for the whole body. */
function requestedRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '')
  if (!match || (match[1] === '' && match[2] === '')) return undefined
  const [first, last] = [match[1], match[2]]
  const range =
    first === ''
      ? { start: Math.max(0, size - Number(last)), end: size - 1 }
      : { start: Number(first), end: last === '' ? size - 1 : Math.min(Number(last), size - 1) }
  return range.start > range.end || range.start >= size ? 'unsatisfiable' : range
}

/** The bytes of `range`, read from the artifact's body as it streams (never buffered whole). */
async function* bodyPart(artifact: StoredArtifact, range: ByteRange): AsyncGenerator<Buffer> {
  let position = 0
  for await (const data of artifact.body.open()) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer)
    const from = Math.max(range.start - position, 0)
    const to = Math.min(chunk.length, range.end + 1 - position)
    if (to > from) yield chunk.subarray(from, to)
    position += chunk.length
    if (position > range.end) return
  }
}

/** Sends what `part` yields, then closes the connection short of the announced length. */
async function sendTruncated(
  response: ServerResponse,
  part: AsyncGenerator<Buffer>,
): Promise<void> {
  for await (const chunk of part) {
    if (!response.write(chunk))
      await Promise.race([once(response, 'drain'), once(response, 'close')])
    if (response.destroyed) return
  }
  // A graceful close after the data: the client receives every byte sent, then an early end.
  response.socket?.end()
}

function sendError(response: ServerResponse, error: StorageError): void {
  const requestId = randomUUID()
  const body =
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<Error><Code>${error.code}</Code>` +
    `<Message>${error.message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message>` +
    (error.detail ? `<AuthenticationErrorDetail>${error.detail}</AuthenticationErrorDetail>` : '') +
    '</Error>'
  response.writeHead(error.status, {
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(body)),
    'x-ms-error-code': error.code,
    'x-ms-request-id': requestId,
    ...error.headers,
  })
  response.end(body)
}
