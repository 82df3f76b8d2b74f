import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LoggedRequest } from './types.js'

export type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>

/** A server on a free loopback port, answering nothing until `serve` gives it a handler. */
export async function listenOnLoopback(): Promise<{ server: Server; origin: string }> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return { server, origin: `http://127.0.0.1:${port}` }
}

/** Routes requests to `handler`; one that throws answers 500 rather than crash the test run. */
export function serve(server: Server, handler: Handler): void {
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handler(request, response).catch((error: unknown) => answerInternalError(response, error))
  })
}

function answerInternalError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  const message = error instanceof Error ? error.message : String(error)
  response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
  response.end(JSON.stringify({ message: `Emulator error: ${message}` }))
}

/** Ends open sockets too (keep-alive, streams in flight), so test runners can exit. */
export async function stopServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await closed
}

/** The log entry for a request as it arrives; its status is filled in when answered. */
export function logEntry(request: IncomingMessage, url: URL): LoggedRequest {
  return {
    method: request.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...request.headers },
    status: 0,
    time: Date.now(),
  }
}

export function requestUrl(request: IncomingMessage): URL {
  return new URL(request.url ?? '/', 'http://127.0.0.1')
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve()
}

const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Waits `ms` (Infinity: for ever) unless the client closes the connection first.
 * True when the time passed, false when the client gave up.
 */
export function holdUnlessClosed(response: ServerResponse, ms: number): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(true)
  return new Promise((resolve) => {
    // setTimeout fires at once for delays beyond its maximum: a longer hold lasts until close.
    const timer = ms <= MAX_TIMER_MS ? setTimeout(() => finish(true), ms) : undefined
    const onClose = () => finish(false)
    function finish(stayed: boolean) {
      clearTimeout(timer)
      response.off('close', onClose)
      resolve(stayed)
    }
    response.on('close', onClose)
  })
}
