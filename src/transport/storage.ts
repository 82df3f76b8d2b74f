import type { IncomingMessage } from 'node:http'
import { HttpClient } from '@actions/http-client'
import type { StorageGet, StorageRequest } from '../core/api.js'

/**
 * Storage requests through the toolkit's HTTP client, which honours the proxy settings
 * (`https_proxy`, `no_proxy`) on a runner and in a terminal alike. No Authorization header: the
 * URL's signature is the credential.
 */
export function runnerStorage(userAgent = 'manage-artifacts'): StorageGet {
  return async (
    url: string,
    { idleTimeoutMs, headers }: StorageRequest,
  ): Promise<IncomingMessage> => {
    const http = new HttpClient(userAgent, undefined, { socketTimeout: idleTimeoutMs })
    return (await http.get(url, headers)).message
  }
}
