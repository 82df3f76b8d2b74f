import { systemClock, type Clock } from '../clock.js'

/**
 * What the pacer guarantees: never more than `startsPerWindow` job starts in any interval of
 * `windowMs` (a sliding window, so every fixed window of that length is covered too), and never
 * more than `concurrency` jobs in flight.
 */
export interface PaceLimits {
  startsPerWindow: number
  windowMs: number
  /** Starts let through at once before pacing sets in; the rest of the budget is spread evenly. */
  burst: number
  concurrency: number
}

/** GitHub's documented secondary limit for REST endpoints, and what a read and a write cost of it. */
const SECONDARY_POINTS_PER_MINUTE = 900
export const READ_POINTS = 1
export const WRITE_POINTS = 5
/** Points left unused: room for a retry or a request the pacing does not see. */
const RESERVED_POINTS = 10
/** The server counts arrivals, we count starts: network jitter can pull two starts closer. */
const JITTER_MARGIN_MS = 1_000
const SECONDARY_WINDOW_MS = 60_000 + JITTER_MARGIN_MS
const SECONDARY_BUDGET = SECONDARY_POINTS_PER_MINUTE - RESERVED_POINTS

/** What a request costs of the secondary limit: GET and HEAD one point, every write five. */
export function secondaryPoints(method: string): number {
  return method === 'GET' || method === 'HEAD' ? READ_POINTS : WRITE_POINTS
}

/**
 * DELETE pacing: 178 starts in any 61 s, so at most 890 points in any minute the server sees even
 * with a second of jitter. After a burst of 6 (a small clean-up never waits), that is one DELETE
 * every ~355 ms: ~169 a minute, 94% of the 180 the limit allows.
 */
export const deletePacing: PaceLimits = {
  startsPerWindow: SECONDARY_BUDGET / WRITE_POINTS,
  windowMs: SECONDARY_WINDOW_MS,
  burst: 6,
  concurrency: 3,
}

/**
 * Spaces job starts with the generic cell rate algorithm (a token bucket holding `burst` starts,
 * refilled evenly): in any interval of length L at most `burst + L / interval` jobs start, which
 * with `interval = windowMs / (startsPerWindow - burst)` is exactly `startsPerWindow` per window.
 * A token bucket rather than a sliding log of start times, so the rate stays even instead of
 * arriving in window-sized bursts.
 */
export class Pacer {
  private readonly intervalMs: number
  private readonly toleranceMs: number
  /** When the bucket would be empty again if every start so far had used a full interval. */
  private theoreticalArrival = Number.NEGATIVE_INFINITY

  constructor(
    private readonly limits: PaceLimits,
    private readonly clock: Clock = systemClock,
  ) {
    this.intervalMs = limits.windowMs / (limits.startsPerWindow - limits.burst)
    this.toleranceMs = (limits.burst - 1) * this.intervalMs
  }

  /**
   * Runs `job` on the items `take()` hands out, at most `concurrency` at once. `take()` is called
   * only when a job may start at once, so it decides on the latest state (a rate limit read just
   * now); `undefined` ends the run. Resolves when every started job has settled. A job that
   * rejects does not hold up the others; the first rejection is rethrown once all have settled.
   */
  async drain<T>(take: () => T | undefined, job: (item: T) => Promise<void>): Promise<void> {
    const failures: unknown[] = []
    let exhausted = false
    const worker = async (): Promise<void> => {
      while (!exhausted) {
        // The check, take() and the recorded start run without a pause in between: workers
        // waking together cannot all pass the same check.
        const waitMs = this.waitBeforeNextStartMs()
        if (waitMs > 0) {
          await this.clock.sleep(Math.ceil(waitMs))
          continue
        }
        const item = take()
        if (item === undefined) {
          exhausted = true
          return
        }
        this.recordStart()
        try {
          await job(item)
        } catch (error) {
          failures.push(error)
        }
      }
    }
    await Promise.all(Array.from({ length: this.limits.concurrency }, worker))
    if (failures.length > 0) throw failures[0]
  }

  /**
   * Counts work started outside `drain` (the reads that list what to delete), in starts: the
   * starts after it wait until the budget it used is back, so reads and deletions together stay
   * within the window.
   */
  spend(starts: number): void {
    this.theoreticalArrival =
      Math.max(this.theoreticalArrival, this.clock.now()) + starts * this.intervalMs
  }

  private waitBeforeNextStartMs(): number {
    return this.theoreticalArrival - this.toleranceMs - this.clock.now()
  }

  private recordStart(): void {
    this.theoreticalArrival = Math.max(this.theoreticalArrival, this.clock.now()) + this.intervalMs
  }
}

/**
 * Every request of a token within GitHub's secondary limit: at most the budget's points in any
 * window, counted as requests start. Reads may arrive in one burst (listing 200 repositories
 * takes seconds, not the minutes an even pace would); a request that would overflow the window
 * waits for its oldest points to leave it.
 */
export class SecondaryWindow {
  private readonly spent: { at: number; points: number }[] = []
  private total = 0

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly budget: number = SECONDARY_BUDGET,
    private readonly windowMs: number = SECONDARY_WINDOW_MS,
  ) {}

  /** Resolves once `points` more fit in the window, and counts them. */
  async admit(points: number): Promise<void> {
    for (;;) {
      const now = this.clock.now()
      this.forgetBefore(now - this.windowMs)
      const oldest = this.spent[0]
      if (oldest === undefined || this.total + points <= this.budget) {
        this.spent.push({ at: now, points })
        this.total += points
        return
      }
      await this.clock.sleep(oldest.at + this.windowMs - now)
    }
  }

  private forgetBefore(time: number): void {
    while (this.spent.length > 0 && this.spent[0].at <= time) {
      this.total -= this.spent[0].points
      this.spent.shift()
    }
  }
}
