import type { Fault } from './types.js'

/** Faults waiting for matching requests; each hits its `times` requests, then is gone. */
export class FaultList {
  private readonly pending: { fault: Fault; left: number }[] = []

  add(fault: Fault): void {
    this.pending.push({ fault, left: fault.times ?? 1 })
  }

  /** The first fault matching the request, counted as used. */
  take(target: 'api' | 'storage', method: string, path: string): Fault | undefined {
    const index = this.pending.findIndex(
      ({ fault }) =>
        (fault.target ?? 'api') === target &&
        (fault.method === undefined || fault.method.toUpperCase() === method) &&
        matchesPath(fault.path, path),
    )
    if (index < 0) return undefined
    const entry = this.pending[index]
    entry.left -= 1
    if (entry.left <= 0) this.pending.splice(index, 1)
    return entry.fault
  }
}

/** A global or sticky RegExp keeps state between tests; matching must not depend on it. */
function matchesPath(pattern: RegExp, path: string): boolean {
  pattern.lastIndex = 0
  return pattern.test(path)
}
