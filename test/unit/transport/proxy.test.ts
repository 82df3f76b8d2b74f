import { afterEach, describe, expect, it } from '@jest/globals'
import { runnerProxyFetch } from '../../../src/transport/proxy.js'
import { useEmulator } from '../../support/fixtures.js'
import { useTunnelProxy } from '../../support/proxy.js'

const start = useEmulator()
const saved = { http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy }

const startProxy = useTunnelProxy()

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
})

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
