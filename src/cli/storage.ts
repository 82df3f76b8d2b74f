import type { IncomingMessage } from 'node:http'
import { HttpClient } from '@actions/http-client'
import type { StorageGet, StorageRequest } from '../core/api.js'

/**
 * Storage requests through the toolkit's HTTP client, which honours `https_proxy` and
 * `no_proxy` in a terminal as on a runner. No Authorization header: the URL's signature is the
 * credential.
 */
export function terminalStorage(): StorageGet {
  const userAgent = 'manage-artifacts-cli'
  return async (
    url: string,
    { idleTimeoutMs, headers }: StorageRequest,
  ): Promise<IncomingMessage> => {
    const http = new HttpClient(userAgent, undefined, { socketTimeout: idleTimeoutMs })
    return (await http.get(url, headers)).message
  }
}
