/**
 * `delete` of 2,000 artifacts spread over the 100 repositories of an organisation, through the
 * bundled action (`repository: big-org/*`) against the emulator enforcing GitHub's secondary
 * limit (900 points in any minute, a read costing 1 and a DELETE 5) at 100 ms API latency.
 * The baseline is the limit itself: 180 deletions a minute, one request per artifact. Prints
 * figures; asserts nothing. Takes about twelve minutes.
 */
import { runAction } from '../test/support/action.js'
import { startEmulator, type SeedRepository } from '../test/support/emulator/index.js'
import { DELETES_PER_MINUTE_ALLOWED, peakPoints, SECONDARY } from './secondary-points.js'

const OWNER = 'big-org'
const REPOSITORIES = 100
const PER_REPOSITORY = 20
const ARTIFACTS = REPOSITORIES * PER_REPOSITORY
const LATENCY_MS = 100

function seed(): SeedRepository[] {
  return Array.from({ length: REPOSITORIES }, (_, repository) => ({
    owner: OWNER,
    name: `service-${repository}`,
    runs: [
      {
        workflow: 'nightly.yml',
        artifacts: Array.from({ length: PER_REPOSITORY }, (_, i) => ({
          name: `report-${i}`,
          files: { 'a.txt': 'a' },
          sizeInBytes: 1000 + (((repository * PER_REPOSITORY + i) * 7919) % 100_000),
        })),
      },
    ],
  }))
}

const emulator = await startEmulator({
  seed: { runs: [], repositories: seed() },
  latencyMs: LATENCY_MS,
  rateLimits: { secondary: SECONDARY },
})
try {
  const started = performance.now()
  const result = await runAction({
    emulator,
    inputs: { operation: 'delete', repository: `${OWNER}/*`, name: 'report-*' },
  })
  const stepMs = performance.now() - started
  const deletes = emulator.requests.filter((r) => r.method === 'DELETE')
  const deleted = deletes.filter((r) => r.status === 204).length
  const limited = emulator.requests.filter((r) => r.status === 403 || r.status === 429).length
  const phaseMs = deletes.length > 1 ? deletes[deletes.length - 1].time - deletes[0].time : 0
  const perMinutePhase = phaseMs > 0 ? ((deletes.length - 1) / phaseMs) * 60_000 : 0
  const perMinuteStep = (deleted / stepMs) * 60_000
  const share = (rate: number) => `${((rate / DELETES_PER_MINUTE_ALLOWED) * 100).toFixed(1)}%`
  const touched = deletes.map((r) => /\/repos\/[^/]+\/([^/]+)\//.exec(r.path)?.[1])
  const left = Array.from({ length: REPOSITORIES }, (_, i) =>
    emulator.artifactsOf(`${OWNER}/service-${i}`),
  ).flat().length

  console.log(
    `delete ${ARTIFACTS} artifacts over ${REPOSITORIES} repositories, secondary limit ${SECONDARY.pointsPerWindow} points a minute, ${LATENCY_MS} ms latency`,
  )
  console.log(`  exit code ${result.exitCode}, step ${(stepMs / 1000).toFixed(1)} s`)
  console.log(
    `  deleted ${deleted} of ${ARTIFACTS} from ${new Set(touched).size} repositories; ${left} left on the server`,
  )
  console.log(`  secondary-limit (or other 403/429) answers received: ${limited} (target 0)`)
  console.log(
    `  peak points in any ${SECONDARY.windowMs / 1000} s window, as the server counted them: ` +
      `${peakPoints(emulator)} of ${SECONDARY.pointsPerWindow}`,
  )
  console.log(
    `  deletions a minute: ${perMinutePhase.toFixed(1)} from first to last DELETE ` +
      `(${share(perMinutePhase)} of the ${DELETES_PER_MINUTE_ALLOWED}/min ceiling), ` +
      `${perMinuteStep.toFixed(1)} over the whole step (${share(perMinuteStep)})`,
  )
  console.log(
    `  API requests per deleted artifact, listing included: ${(emulator.requests.length / deleted).toFixed(3)} ` +
      `(${emulator.requests.length} requests; target <= 1.05)`,
  )
  if (result.warnings.length) console.log(`  warnings: ${result.warnings.join(' | ')}`)
  if (result.errors.length) console.log(`  errors: ${result.errors.join(' | ')}`)
} finally {
  await emulator.close()
}
