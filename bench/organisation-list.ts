/**
 * `list` over every repository of an organisation, 200 repositories holding 50 artifacts each, at
 * 50 ms API latency: the bundled action (`repository: big-org/*`) against the baseline of reading
 * them one repository after another (the organisation listing, then each repository's artifact
 * pages, following the Link header as most clients do). Prints figures; asserts nothing.
 */
import { runAction } from '../test/support/action.js'
import { startEmulator, type SeedRepository } from '../test/support/emulator/index.js'

const OWNER = 'big-org'
const REPOSITORIES = 200
const PER_REPOSITORY = 50
const LATENCY_MS = 50

function seed(): SeedRepository[] {
  return Array.from({ length: REPOSITORIES }, (_, repository) => ({
    owner: OWNER,
    name: `service-${repository}`,
    runs: [
      {
        workflow: 'build.yml',
        artifacts: Array.from({ length: PER_REPOSITORY }, (_, i) => ({
          name: `artifact-${i}`,
          files: { 'a.txt': 'a' },
        })),
      },
    ],
  }))
}

/** Every item of a listing, page after page. */
async function readAll<T>(url: string, token: string, items: (body: unknown) => T[]): Promise<T[]> {
  const all: T[] = []
  let next: string | undefined = url
  while (next) {
    const response: Response = await fetch(next, { headers: { authorization: `token ${token}` } })
    all.push(...items(await response.json()))
    next = /<([^>]+)>; rel="next"/.exec(response.headers.get('link') ?? '')?.[1]
  }
  return all
}

async function oneAfterAnother(apiUrl: string, token: string): Promise<number> {
  const repositories = await readAll(
    `${apiUrl}/orgs/${OWNER}/repos?per_page=100`,
    token,
    (body) => body as { full_name: string }[],
  )
  let count = 0
  for (const { full_name } of repositories) {
    const artifacts = await readAll(
      `${apiUrl}/repos/${full_name}/actions/artifacts?per_page=100`,
      token,
      (body) => (body as { artifacts: unknown[] }).artifacts,
    )
    count += artifacts.length
  }
  return count
}

const emulator = await startEmulator({
  seed: { runs: [], repositories: seed() },
  latencyMs: LATENCY_MS,
})
try {
  const baselineStart = performance.now()
  const baselineCount = await oneAfterAnother(emulator.apiUrl, emulator.token)
  const baselineMs = performance.now() - baselineStart
  const baselineRequests = emulator.requests.length

  const actionStart = performance.now()
  const result = await runAction({
    emulator,
    inputs: { operation: 'list', repository: `${OWNER}/*` },
  })
  const actionMs = performance.now() - actionStart
  const actionRequests = emulator.requests.length - baselineRequests
  const limited = emulator.requests.filter((r) => r.status === 403 || r.status === 429).length
  const repositoriesListed = (JSON.parse(result.outputs.repositories ?? '[]') as unknown[]).length

  console.log(
    `list over ${REPOSITORIES} repositories x ${PER_REPOSITORY} artifacts, ${LATENCY_MS} ms API latency`,
  )
  console.log(
    `  baseline, one repository after another: ${baselineCount} artifacts, ${baselineRequests} requests, ${(baselineMs / 1000).toFixed(2)} s`,
  )
  console.log(
    `  manage-artifacts list ${OWNER}/*:        ${result.outputs.count} artifacts in ${repositoriesListed} repositories, ${actionRequests} requests, ${(actionMs / 1000).toFixed(2)} s (whole step, Node start-up included), ${(actionMs / baselineMs).toFixed(2)}x the baseline's time`,
  )
  console.log(`  rate-limit answers (403/429): ${limited}; exit code ${result.exitCode}`)
} finally {
  await emulator.close()
}
