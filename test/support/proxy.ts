import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { afterEach } from '@jest/globals'

/** A running CONNECT proxy: its URL, and where it was asked to tunnel to. */
export interface TunnelProxy {
  url: string
  tunnels: string[]
}

/**
 * Starts, per test that asks, a CONNECT proxy that records where it was asked to go and tunnels
 * everything to the local `port`; it is closed after each test.
 */
export function useTunnelProxy(): (port: number) => Promise<TunnelProxy> {
  let proxy: Server | undefined
  afterEach(async () => {
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)))
    proxy = undefined
  })
  return async (port) => {
    const tunnels: string[] = []
    const server = createServer()
    proxy = server
    server.on('connect', (request, client, head) => {
      tunnels.push(request.url ?? '')
      const upstream = connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address() as { port: number }
    return { url: `http://127.0.0.1:${address.port}`, tunnels }
  }
}
