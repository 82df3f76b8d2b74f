import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from '@jest/globals'
import { runnerProxyFetch } from '../../../src/action/proxy.js'
import { useEmulator } from '../../support/fixtures.js'

const start = useEmulator()
const saved = { http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy }
let proxy: Server | undefined

afterEach(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)))
  proxy = undefined
})

/** A CONNECT proxy that records where it was asked to go and tunnels to the local `port`. */
async function startProxy(port: number): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = []
  proxy = createServer()
  proxy.on('connect', (request, client, head) => {
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
  await new Promise<void>((resolve) => proxy?.listen(0, '127.0.0.1', resolve))
  const address = proxy.address() as { port: number }
  return { url: `http://127.0.0.1:${address.port}`, tunnels }
}

describe('runnerProxyFetch', () => {
  it('sends API requests through the proxy the runner sets', async () => {
    const server = await start([{ id: 1, workflow: 'build.yml', artifacts: [{ name: 'dist' }] }])
    const port = new URL(server.apiUrl).port
    const { url, tunnels } = await startProxy(Number(port))
    process.env.http_proxy = url
    delete process.env.no_proxy
    // Loopback addresses always bypass the proxy: the API is given a name the proxy resolves.
    const apiUrl = `http://api.example.test:${port}`

    const proxied = runnerProxyFetch(apiUrl)
    const response = await proxied?.(
      `${apiUrl}/repos/${server.owner}/${server.repo}/actions/artifacts`,
      {
        headers: { authorization: `token ${server.token}` },
      },
    )

    expect(response?.status).toBe(200)
    expect(((await response?.json()) as { total_count: number }).total_count).toBe(1)
    expect(tunnels).toEqual([`api.example.test:${port}`])
  })

  it('leaves requests to Node when no proxy applies', async () => {
    process.env.http_proxy = 'http://proxy.example.test:3128'
    process.env.no_proxy = 'example.com'

    expect(runnerProxyFetch('http://api.example.com')).toBeUndefined()
    expect(runnerProxyFetch('http://api.example.org')).toBeDefined()
  })
})
