import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FaultList } from './faults.js'
import { logEntry, requestUrl, sleep, type Handler } from './http.js'
import { drainedOrClosed, writePaced } from './link.js'
import type { UrlSigner } from './signed-urls.js'
import type { Repositories } from './repositories.js'
import type { StoredArtifact } from './state.js'
import type { Fault, LoggedRequest, StorageCut, StorageLink } from './types.js'

export interface StorageDependencies {
  repositories: Repositories
  signer: UrlSigner
  faults: FaultList
  settings: { storageLatencyMs: number; storageLink: StorageLink }
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
  part?: ByteRange
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
    const entry: LoggedRequest = { ...logEntry(request, url), bytesSent: 0 }
    deps.log.push(entry)
    await sleep(deps.settings.storageLatencyMs + (deps.settings.storageLink.roundTripMs ?? 0))
    const fault = deps.faults.take('storage', entry.method, url.pathname)
    if (fault?.reset === 'connection') {
      request.socket.destroy()
      return
    }
    const outcome =
      fault?.status !== undefined ? faultError(fault) : answerBlob(deps, request, url, entry, fault)
    entry.status = outcome.status
    if ('code' in outcome) {
      sendError(response, outcome)
      return
    }
    await sendBlob(response, outcome, {
      headOnly: entry.method === 'HEAD',
      cut: faultCut(fault),
      link: () => deps.settings.storageLink,
      onWritten: (bytes) => (entry.bytesSent = (entry.bytesSent ?? 0) + bytes),
    })
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

function faultCut(fault: Fault | undefined): StorageCut | undefined {
  if (fault?.truncate !== undefined) return { afterBytes: fault.truncate, ending: 'fin' }
  return fault?.cut
}

/** The blob and the part of it to send, or the refusal; logs the range asked for on `entry`. */
function answerBlob(
  deps: StorageDependencies,
  request: IncomingMessage,
  url: URL,
  entry: LoggedRequest,
  fault: Fault | undefined,
): StorageError | BlobAnswer {
  const found = findBlob(deps, request, url)
  if ('code' in found) return found
  const { artifact } = found
  const size = artifact.body.size
  const asked = requestedRange(request, size)
  if (typeof asked === 'object') entry.range = asked
  if (asked === undefined || fault?.ignoreRange) return { status: 200, artifact }
  if (asked === 'unsatisfiable') {
    return {
      status: 416,
      code: 'InvalidRange',
      message: 'The range specified is invalid for the current size of the resource.',
      headers: { 'content-range': `bytes */${size}` },
    }
  }
  const part = fault?.shiftRange ? shifted(asked, fault.shiftRange, size) : asked
  return { status: 206, artifact, part }
}

function findBlob(
  deps: StorageDependencies,
  request: IncomingMessage,
  url: URL,
): StorageError | { artifact: StoredArtifact } {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return {
      status: 405,
      code: 'UnsupportedHttpVerb',
      message: "The resource doesn't support specified Http Verb.",
    }
  }
  // Checked on every request, ranged or not: each part of a parallel download needs a live URL.
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
  if (!etagMatches(request.headers['if-match'], blobEtag(artifact))) {
    // Preconditions come before the range (RFC 9110 section 13.2.2), as the Blob service
    // follows HTTP/1.1 for them ("Specifying conditional headers for Blob service operations").
    return {
      status: 412,
      code: 'ConditionNotMet',
      message: 'The condition specified using HTTP conditional header(s) is not met.',
    }
  }
  return { artifact }
}

/** The same length moved by `shift`, kept inside the blob. */
function shifted(range: ByteRange, shift: number, size: number): ByteRange {
  const start = Math.min(Math.max(range.start + shift, 0), size - 1)
  return { start, end: Math.min(start + range.end - range.start, size - 1) }
}

interface SendOptions {
  headOnly: boolean
  cut: StorageCut | undefined
  link: () => StorageLink
  onWritten: (bytes: number) => void
}

async function sendBlob(
  response: ServerResponse,
  { status, artifact, part }: BlobAnswer,
  { headOnly, cut, link, onWritten }: SendOptions,
): Promise<void> {
  const size = artifact.body.size
  const span = part ?? { start: 0, end: size - 1 }
  const length = span.end - span.start + 1
  response.writeHead(status, {
    ...blobHeaders(artifact),
    'content-length': String(length),
    ...(part ? { 'content-range': `bytes ${part.start}-${part.end}/${size}` } : {}),
  })
  if (headOnly || length === 0) {
    response.end()
    return
  }
  const sending = cut ? Math.min(length, cutLength(cut, length)) : length
  const chunks = bodyPart(artifact, { start: span.start, end: span.start + sending - 1 })
  const stillOpen = sending === 0 || (await writePaced(response, chunks, link, onWritten))
  if (!stillOpen) return
  if (cut) await endCut(response, cut.ending)
  else response.end()
}

function cutLength(cut: StorageCut, length: number): number {
  return 'afterBytes' in cut ? cut.afterBytes : Math.floor(cut.afterFraction * length)
}

/** Ends the connection short of the announced length, as the cut's `ending` says. */
async function endCut(response: ServerResponse, ending: StorageCut['ending']): Promise<void> {
  if (ending === 'stall') return
  if (ending === 'fin') {
    // A graceful close after the data: the client receives every byte sent, then an early end.
    response.socket?.end()
    return
  }
  // Let what was written reach the socket first, so the reset, not a lost write, ends it.
  if (response.writableNeedDrain) await drainedOrClosed(response)
  response.socket?.resetAndDestroy()
}

function blobHeaders(artifact: StoredArtifact): Record<string, string> {
  const { contentType, fileName } = artifact.body
  return {
    'content-type': contentType,
    'content-disposition': contentDisposition(fileName),
    'accept-ranges': 'bytes',
    etag: blobEtag(artifact),
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

/** Azure's ETag form (quoted 0x + hex); one per artifact, since a blob here never changes. */
function blobEtag(artifact: StoredArtifact): string {
  return `"0x8DC${artifact.id.toString(16).toUpperCase()}"`
}

/** If-Match holds when absent, `*`, or listing this ETag (Azure accepts it quoted or not). */
function etagMatches(ifMatch: string | undefined, etag: string): boolean {
  if (ifMatch === undefined) return true
  const unquoted = etag.replace(/"/g, '')
  return ifMatch
    .split(',')
    .map((tag) => tag.trim().replace(/"/g, ''))
    .some((tag) => tag === '*' || tag === unquoted)
}

// The single range blob storage honours; undefined for the whole body. Per Microsoft's
// "Specifying the range header for Blob service operations", x-ms-range wins over Range and
// only `bytes=start-` and `bytes=start-end` are accepted, answered 206 with Content-Range
// while the start lies inside the blob (the end is cut to its last byte), else 416 with
// `Content-Range: bytes */size` (as captured from Azure in floci-io/floci-az#81). A header
// naming several ranges is ignored and the whole blob sent (MicrosoftDocs/feedback#1912,
// tus/tusd#1234). A suffix `bytes=-N` is not a form Azure supports (object_store refuses to
// send one there, apache/arrow-rs#5222), so it is ignored too, as RFC 9110 14.2 allows.
function requestedRange(
  request: IncomingMessage,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const header = request.headers['x-ms-range'] ?? request.headers.range
  const match = /^bytes=(\d+)-(\d*)$/.exec(String(header ?? '').trim())
  if (!match) return undefined
  const start = Number(match[1])
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
  return start > end || start >= size ? 'unsatisfiable' : { start, end }
}

/**
 * The bytes of `range`, read from the artifact's body as it streams (never buffered whole): a
 * body opener declaring parameters starts at `range.start`, any other is skipped through.
 */
async function* bodyPart(artifact: StoredArtifact, range: ByteRange): AsyncGenerator<Buffer> {
  const { open, size } = artifact.body
  const opened = open.length > 0 ? range : { start: 0, end: size - 1 }
  let position = opened.start
  for await (const data of open(opened.start, opened.end)) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer)
    const from = Math.max(range.start - position, 0)
    const to = Math.min(chunk.length, range.end + 1 - position)
    if (to > from) yield chunk.subarray(from, to)
    position += chunk.length
    if (position > range.end) return
  }
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
