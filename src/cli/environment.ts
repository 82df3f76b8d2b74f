import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { UsageError } from './failures.js'

const run = promisify(execFile)

/** A helper program (`gh`, `git`) that does not answer within this is taken as absent. */
const HELPER_TIMEOUT_MS = 10_000

/** Where a value came from, for the line that tells the user. */
export interface Found {
  value: string
  source: string
}

/**
 * The token: `GITHUB_TOKEN`, else `GH_TOKEN` (the variables `gh` itself reads), else what
 * `gh auth token` prints when `gh` is installed and logged in. Undefined when there is none.
 */
export async function findToken(env: NodeJS.ProcessEnv): Promise<Found | undefined> {
  if (env.GITHUB_TOKEN) return { value: env.GITHUB_TOKEN, source: 'GITHUB_TOKEN' }
  if (env.GH_TOKEN) return { value: env.GH_TOKEN, source: 'GH_TOKEN' }
  const printed = await output('gh', ['auth', 'token'], { env })
  return printed ? { value: printed, source: '`gh auth token`' } : undefined
}

/**
 * The API root: `--api-url`, else `GITHUB_API_URL` (as on a runner), else that of the host `gh`
 * is pointed at by `GH_HOST`, else github.com's.
 */
export function apiUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined) {
    if (!isHttpUrl(flag)) {
      throw new UsageError(`--api-url: '${flag}' is not an http(s) URL such as https://HOST/api/v3`)
    }
    return flag
  }
  if (env.GITHUB_API_URL) return env.GITHUB_API_URL
  if (env.GH_HOST) return apiOfHost(env.GH_HOST)
  return 'https://api.github.com'
}

/**
 * A host's REST API root, found as `gh` finds it, so that a `GH_HOST` set for `gh` works here
 * too: github.com (and its subdomains) and GHE.com tenants (`*.ghe.com`) serve the API from an
 * `api.` host; any other host is a GitHub Enterprise Server, which serves it under `/api/v3`.
 */
function apiOfHost(host: string): string {
  const name = host.toLowerCase()
  if (name === 'github.com' || name.endsWith('.github.com')) return 'https://api.github.com'
  const tenant = /(?:^|\.)([^.]+\.ghe\.com)$/.exec(name)
  return tenant ? `https://api.${tenant[1]}` : `https://${host}/api/v3`
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol)
  } catch {
    return false
  }
}

/**
 * The repository when `--repository` is not given: `GITHUB_REPOSITORY` (as on a runner), else
 * the `origin` remote of the git repository in `cwd`. Undefined when neither says.
 */
export async function findRepository(
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Found | undefined> {
  if (env.GITHUB_REPOSITORY) return { value: env.GITHUB_REPOSITORY, source: 'GITHUB_REPOSITORY' }
  const remote = await output('git', ['remote', 'get-url', 'origin'], { env, cwd })
  const value = remote && repositoryOfRemote(remote)
  // Not the remote's URL: it may carry credentials (https://user:token@host/...).
  return value ? { value, source: 'the git remote origin' } : undefined
}

/**
 * `owner/name` from a remote URL in any of the forms git accepts for GitHub: `https://HOST/o/r.git`,
 * `ssh://git@HOST[:port]/o/r.git` and the scp-like `git@HOST:o/r.git`. What is not of two path
 * segments is returned as it is, for the repository check to refuse with its own message.
 */
export function repositoryOfRemote(remote: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/(.+)$/i.exec(remote)
  const scpLike = /^(?:[^@/]+@)?[^:/]+:(?!\/)(.+)$/.exec(remote)
  const repositoryPath = (withScheme ?? scpLike)?.[1]
  return repositoryPath?.replace(/\/+$/, '').replace(/\.git$/, '')
}

/** What a program prints, trimmed; '' when it is missing, fails or takes too long. */
async function output(
  program: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<string> {
  try {
    const { stdout } = await run(program, args, { ...options, timeout: HELPER_TIMEOUT_MS })
    return stdout.trim()
  } catch {
    return ''
  }
}
