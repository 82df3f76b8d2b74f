/**
 * Deleting 500 artifacts through the bundled action (run `npm run bundle` first) against the
 * emulator enforcing GitHub's secondary limit (900 points in any minute, a DELETE costing 5) at
 * 100 ms API latency; then the same with only 300 requests left of the primary limit.
 * Prints figures; asserts nothing. Each case takes about three minutes.
 */
import type { ArtifactRecord } from '../src/core/artifact.js'
import { runAction, type ActionResult } from '../test/support/action.js'
import { startEmulator, type Emulator, type SeedRun } from '../test/support/emulator/index.js'
import { printDeletionPace, SECONDARY } from './secondary-points.js'

const ARTIFACTS = 500
const PER_RUN = 10
const LATENCY_MS = 100

function seed(): SeedRun[] {
  return Array.from({ length: ARTIFACTS / PER_RUN }, (_, run) => ({
    workflow: 'nightly.yml',
    artifacts: Array.from({ length: PER_RUN }, (_, i) => ({
      name: `report-${run}-${i}`,
      files: { 'a.txt': 'a' },
    })),
  }))
}

interface Measured {
  result: ActionResult
  stepMs: number
  emulator: Emulator
}

async function deleteAll(primaryRemaining?: number): Promise<Measured> {
  const emulator = await startEmulator({
    seed: { runs: seed() },
    latencyMs: LATENCY_MS,
    rateLimits: {
      secondary: SECONDARY,
      ...(primaryRemaining === undefined
        ? {}
        : { primary: { limit: 1000, remaining: primaryRemaining, resetInSeconds: 3600 } }),
    },
  })
  const started = performance.now()
  const result = await runAction({ emulator, inputs: { operation: 'delete', name: 'report-*' } })
  return { result, stepMs: performance.now() - started, emulator }
}

function report(label: string, { result, stepMs, emulator }: Measured): void {
  const left = emulator.artifacts().length
  const outputs = JSON.parse(result.outputs.artifacts ?? '[]') as ArtifactRecord[]

  console.log(`\n${label}`)
  console.log(`  exit code ${result.exitCode}, step ${(stepMs / 1000).toFixed(1)} s`)
  const deleted = printDeletionPace(emulator, stepMs, 1.02)
  console.log(`  deleted ${deleted} of ${ARTIFACTS}; ${left} left on the server`)
  console.log(
    `  outputs: count ${result.outputs.count}, remaining ${result.outputs.remaining}; ` +
      `artifacts output names ${outputs.length}`,
  )
  if (result.warnings.length) console.log(`  warnings: ${result.warnings.join(' | ')}`)
  if (result.errors.length) console.log(`  errors: ${result.errors.join(' | ')}`)
}

const full = await deleteAll()
report(
  `delete ${ARTIFACTS} artifacts, secondary limit ${SECONDARY.pointsPerWindow} points a minute, ${LATENCY_MS} ms latency`,
  full,
)
await full.emulator.close()

const PRIMARY_REMAINING = 300
const capped = await deleteAll(PRIMARY_REMAINING)
report(`the same with ${PRIMARY_REMAINING} requests left of the primary limit`, capped)
const left = capped.emulator.artifacts().length
const remaining = Number(capped.result.outputs.remaining)
const clean = capped.result.exitCode === 0 && left > 0 && remaining === left
console.log(
  `  stopped cleanly: ${clean ? 'yes' : 'NO'} (step ${capped.result.exitCode === 0 ? 'green' : 'failed'}, ` +
    `remaining output ${remaining}, ${left} left on the server, ` +
    `${capped.emulator.requests.filter((r) => r.status === 403).length} requests refused)`,
)
await capped.emulator.close()
