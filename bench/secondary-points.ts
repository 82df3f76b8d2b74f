import type { Emulator } from '../test/support/emulator/index.js'

/** GitHub's secondary limit for REST endpoints: 900 points in any minute, a DELETE costing 5. */
export const SECONDARY = { pointsPerWindow: 900, windowMs: 60_000 }
const DELETE_POINTS = 5
const DELETES_PER_MINUTE_ALLOWED = SECONDARY.pointsPerWindow / DELETE_POINTS

/** The most secondary-limit points the server counted in any window of its length. */
function peakPoints(emulator: Emulator): number {
  const spent = emulator.requests.map((r) => ({
    at: r.time,
    points: r.method === 'GET' || r.method === 'HEAD' ? 1 : DELETE_POINTS,
  }))
  let peak = 0
  let first = 0
  let inWindow = 0
  for (const entry of spent) {
    inWindow += entry.points
    while (entry.at - spent[first].at >= SECONDARY.windowMs) inWindow -= spent[first++].points
    peak = Math.max(peak, inWindow)
  }
  return peak
}

/**
 * Prints how a deletion step used the secondary limit, as the server saw it: limit answers,
 * the busiest window, deletions a minute against the ceiling, and requests per deleted artifact.
 * Returns how many artifacts were deleted.
 */
export function printDeletionPace(
  emulator: Emulator,
  stepMs: number,
  requestsPerArtifactTarget: number,
): number {
  const deletes = emulator.requests.filter((r) => r.method === 'DELETE')
  const deleted = deletes.filter((r) => r.status === 204).length
  const limited = emulator.requests.filter((r) => r.status === 403 || r.status === 429).length
  const phaseMs = deletes.length > 1 ? deletes[deletes.length - 1].time - deletes[0].time : 0
  const perMinutePhase = phaseMs > 0 ? ((deletes.length - 1) / phaseMs) * 60_000 : 0
  const perMinuteStep = (deleted / stepMs) * 60_000
  const share = (rate: number) => `${((rate / DELETES_PER_MINUTE_ALLOWED) * 100).toFixed(1)}%`
  console.log(`  secondary-limit (or other 403/429) answers received: ${limited} (target 0)`)
  console.log(
    `  peak points in any ${SECONDARY.windowMs / 1000} s window, as the server counted them: ` +
      `${peakPoints(emulator)} of ${SECONDARY.pointsPerWindow}`,
  )
  console.log(
    `  deletions a minute: ${perMinutePhase.toFixed(1)} from first to last DELETE ` +
      `(${share(perMinutePhase)} of ${DELETES_PER_MINUTE_ALLOWED}/min), ` +
      `${perMinuteStep.toFixed(1)} over the whole step (${share(perMinuteStep)}) (target >= 90%)`,
  )
  console.log(
    `  API requests per deleted artifact, listing included: ${(emulator.requests.length / deleted).toFixed(4)} ` +
      `(${emulator.requests.length} requests; target <= ${requestsPerArtifactTarget})`,
  )
  return deleted
}
