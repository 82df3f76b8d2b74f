import type { Emulator } from '../test/support/emulator/index.js'

/** GitHub's secondary limit for REST endpoints: 900 points in any minute, a DELETE costing 5. */
export const SECONDARY = { pointsPerWindow: 900, windowMs: 60_000 }
export const DELETE_POINTS = 5
export const DELETES_PER_MINUTE_ALLOWED = SECONDARY.pointsPerWindow / DELETE_POINTS

/** The most secondary-limit points the server counted in any window of its length. */
export function peakPoints(emulator: Emulator): number {
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
