import type { Emulator } from './types.js'

/**
 * `fetch` of an API path (relative to apiUrl, e.g. '/repos/o/r/actions/artifacts') with the
 * emulator's token, without following redirects, so tests see the API's own answer.
 */
export function fetchApi(
  emulator: Emulator,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers)
  if (!headers.has('authorization')) headers.set('authorization', `token ${emulator.token}`)
  return fetch(`${emulator.apiUrl}${path}`, { redirect: 'manual', ...init, headers })
}

/** The repository's path under apiUrl: '/repos/{owner}/{repo}'. */
export function repoPath(emulator: Emulator): string {
  return `/repos/${emulator.owner}/${emulator.repo}`
}
