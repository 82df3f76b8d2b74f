import type { IncomingMessage } from 'node:http'
import { HttpClient } from '@actions/http-client'
import type { StorageGet, StorageRequest } from '../core/api.js'

/**
 * Storage requests through the toolkit's HTTP client, which honours the runner's proxy settings
 * (`https_proxy`, `no_proxy`). No Authorization header: the URL's signature is the credential.
 */
export function runnerStorage(): StorageGet {
  return async (
    url: string,
    { idleTimeoutMs, headers }: StorageRequest,
  ): Promise<IncomingMessage> => {
    const http = new HttpClient('manage-artifacts', undefined, { socketTimeout: idleTimeoutMs })
    return (await http.get(url, headers)).message
  }
}
