import type { Clock } from '../../src/core/clock.js'

interface Timer {
  at: number
  wake: () => void
}

/**
 * Virtual time for code that takes a Clock: `sleep` never waits for real. `run` lets the work go
 * as far as it can, then jumps to the earliest pending timer, until the work settles, so
 * several concurrent sleepers wake in the order a real clock would wake them.
 */
export class FakeClock implements Clock {
  private time: number
  private readonly timers: Timer[] = []

  constructor(start = 0) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.timers.push({ at: this.time + Math.max(0, ms), wake })
    })
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false
    const outcome = work.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    )
    void outcome.then(() => (settled = true))
    for (;;) {
      // A macrotask turn runs every pending microtask: whatever can proceed has proceeded.
      await new Promise((resolve) => setImmediate(resolve))
      if (settled) break
      this.fireEarliest()
    }
    const result = await outcome
    if ('error' in result) throw result.error
    return result.value
  }

  private fireEarliest(): void {
    if (this.timers.length === 0) return
    // Stable: of timers due at the same time, the one set first wakes first.
    let earliest = 0
    for (let i = 1; i < this.timers.length; i++) {
      if (this.timers[i].at < this.timers[earliest].at) earliest = i
    }
    const [timer] = this.timers.splice(earliest, 1)
    this.time = timer.at
    timer.wake()
  }
}
