/**
 * Listing 10,000 artifacts at 50 ms API latency: the bundled action against the baseline of
 * reading the same pages one after another by following the Link header, as most clients do.
 * Prints figures; asserts nothing.
 */
import { runAction } from '../test/support/action.js'
import { startEmulator, type SeedRun } from '../test/support/emulator/index.js'

const ARTIFACTS = 10_000
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50)
const PER_RUN = 50

function seed(): SeedRun[] {
  return Array.from({ length: ARTIFACTS / PER_RUN }, (_, run) => ({
    workflow: 'build.yml',
    artifacts: Array.from({ length: PER_RUN }, (_, i) => ({
      name: `artifact-${run}-${i}`,
      files: { 'a.txt': 'a' },
    })),
  }))
}

async function sequentialBaseline(apiUrl: string, token: string, repo: string): Promise<number> {
  let url: string | undefined = `${apiUrl}/repos/${repo}/actions/artifacts?per_page=100`
  let count = 0
  while (url) {
    const response: Response = await fetch(url, { headers: { authorization: `token ${token}` } })
    const body = (await response.json()) as { artifacts: unknown[] }
    count += body.artifacts.length
    url = /<([^>]+)>; rel="next"/.exec(response.headers.get('link') ?? '')?.[1]
  }
  return count
}

const emulator = await startEmulator({ seed: { runs: seed() }, latencyMs: LATENCY_MS })
try {
  const baselineStart = performance.now()
  const baselineCount = await sequentialBaseline(
    emulator.apiUrl,
    emulator.token,
    `${emulator.owner}/${emulator.repo}`,
  )
  const baselineMs = performance.now() - baselineStart
  const baselineRequests = emulator.requests.length

  const actionStart = performance.now()
  const result = await runAction({ emulator, inputs: { operation: 'list' } })
  const actionMs = performance.now() - actionStart
  const actionRequests = emulator.requests.length - baselineRequests

  console.log(`list: ${ARTIFACTS} artifacts, ${LATENCY_MS} ms API latency`)
  console.log(
    `  baseline, sequential pages: ${baselineCount} artifacts, ${baselineRequests} requests, ${(baselineMs / 1000).toFixed(2)} s`,
  )
  console.log(
    `  manage-artifacts list:      ${result.outputs.count} artifacts, ${actionRequests} requests, ${(actionMs / 1000).toFixed(2)} s (whole step, including Node start-up)`,
  )
  console.log(
    `  100 sequential round trips would take at least ${((100 * LATENCY_MS) / 1000).toFixed(1)} s; the action took ${(actionMs / baselineMs).toFixed(2)}x the baseline's time`,
  )
} finally {
  await emulator.close()
}
