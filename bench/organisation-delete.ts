/**
 * `delete` of 2,000 artifacts spread over the 100 repositories of an organisation, through the
 * bundled action (`repository: big-org/*`) against the emulator enforcing GitHub's secondary
 * limit (900 points in any minute, a read costing 1 and a DELETE 5) at 100 ms API latency.
 * The baseline is the limit itself: 180 deletions a minute, one request per artifact. Prints
 * figures; asserts nothing. Takes about twelve minutes.
 */
import { runAction } from '../test/support/action.js'
import { startEmulator, type SeedRepository } from '../test/support/emulator/index.js'
import { printDeletionPace, SECONDARY } from './secondary-points.js'

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
  const left = Array.from({ length: REPOSITORIES }, (_, i) =>
    emulator.artifactsOf(`${OWNER}/service-${i}`),
  ).flat().length
  const touched = new Set(
    emulator.requests.filter((r) => r.method === 'DELETE').map((r) => r.path.split('/')[3]),
  )

  console.log(
    `delete ${ARTIFACTS} artifacts over ${REPOSITORIES} repositories, secondary limit ${SECONDARY.pointsPerWindow} points a minute, ${LATENCY_MS} ms latency`,
  )
  console.log(`  exit code ${result.exitCode}, step ${(stepMs / 1000).toFixed(1)} s`)
  const deleted = printDeletionPace(emulator, stepMs, 1.05)
  console.log(
    `  deleted ${deleted} of ${ARTIFACTS} from ${touched.size} repositories; ${left} left on the server`,
  )
  if (result.warnings.length) console.log(`  warnings: ${result.warnings.join(' | ')}`)
  if (result.errors.length) console.log(`  errors: ${result.errors.join(' | ')}`)
} finally {
  await emulator.close()
}
