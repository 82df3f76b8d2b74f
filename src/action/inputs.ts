import { SettingError, type SettingName } from '../core/errors.js'
import type { Request } from '../core/request.js'
import { parseRequest, toInteger } from '../core/settings.js'

/** What the action works with: the request, and the token to make it with. */
export interface ActionSettings {
  request: Request
  token: string
  apiUrl: string
}

/** The trimmed value of an input, '' when it is not set (what `core.getInput` returns). */
export type GetInput = (name: string) => string

const GITHUB_API_URL = 'https://api.github.com'

/**
 * Every input, parsed into a request before the first API call, with the runner's environment
 * filling what inputs leave empty: the repository, the workspace a relative `path` starts from,
 * and the run this step belongs to.
 */
export function readActionSettings(getInput: GetInput, env: NodeJS.ProcessEnv): ActionSettings {
  const read = (setting: SettingName): string => {
    const value = getInput(setting)
    return setting === 'repository' ? value || env.GITHUB_REPOSITORY || '' : value
  }
  const request = parseRequest(read, {
    baseDirectory: env.GITHUB_WORKSPACE || process.cwd(),
    currentRunId: toInteger(env.GITHUB_RUN_ID ?? '', 1),
  })
  return {
    request,
    token: readToken(getInput),
    apiUrl: env.GITHUB_API_URL || GITHUB_API_URL,
  }
}

function readToken(getInput: GetInput): string {
  const token = getInput('github-token')
  if (token === '') {
    throw new SettingError(
      'github-token',
      (word) =>
        `required: set ${word('github-token')}, or give the job a token (the default is \${{ github.token }})`,
    )
  }
  return token
}
