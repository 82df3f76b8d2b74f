import { HttpClient } from '@actions/http-client'
import { fetch as undiciFetch } from 'undici'

/**
 * A fetch for the API at `apiUrl` through the runner's proxy (`https_proxy`, `no_proxy`), built
 * from the toolkit HTTP client's proxy agent; undefined when no proxy applies to it, and Node's
 * own fetch goes direct. The agent is undici's, so the fetch is the same undici's.
 */
export function runnerProxyFetch(apiUrl: string): typeof fetch | undefined {
  const dispatcher = new HttpClient('manage-artifacts').getAgentDispatcher(apiUrl)
  if (!dispatcher) return undefined
  const proxied = (
    input: Parameters<typeof undiciFetch>[0],
    init?: Parameters<typeof undiciFetch>[1],
  ) => undiciFetch(input, { ...init, dispatcher })
  return proxied as unknown as typeof fetch
}
