import { describe, it, expect } from '@jest/globals'
import {
  Pacer,
  SecondaryWindow,
  deletePacing,
  type PaceLimits,
} from '../../../src/core/delete/pacing.js'
import { FakeClock } from '../../support/fake-clock.js'

/** GitHub's secondary limit: 900 points a minute, a DELETE costing 5. */
const GITHUB_DELETES_PER_MINUTE = 900 / 5
const MINUTE = 60_000

interface Trace {
  starts: number[]
  maxInFlight: number
  finishedAt: number
}

/** Drains `count` jobs that each take `latencyMs` of virtual time, recording when each started. */
async function drainJobs(
  count: number,
  options: { limits?: PaceLimits; latencyMs?: number; fails?: (item: number) => boolean } = {},
): Promise<Trace> {
  const clock = new FakeClock(1_700_000_000_000)
  const pacer = new Pacer(options.limits ?? deletePacing, clock)
  const trace: Trace = { starts: [], maxInFlight: 0, finishedAt: 0 }
  let next = 0
  let inFlight = 0
  const t0 = clock.now()
  await clock.run(
    pacer.drain(
      () => (next < count ? next++ : undefined),
      async (item) => {
        trace.starts.push(clock.now() - t0)
        inFlight++
        trace.maxInFlight = Math.max(trace.maxInFlight, inFlight)
        try {
          await clock.sleep(options.latencyMs ?? 100)
          if (options.fails?.(item)) throw new Error(`job ${item} failed`)
        } finally {
          inFlight--
        }
      },
    ),
  )
  trace.finishedAt = clock.now() - t0
  return trace
}

/** Most starts in any closed interval [t, t + windowMs] (starts are in order). */
function busiestWindow(starts: number[], windowMs: number): number {
  let most = 0
  let first = 0
  for (let last = 0; last < starts.length; last++) {
    while (starts[last] - starts[first] > windowMs) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}

describe('Pacer with the DELETE limits', () => {
  it('never starts more than 180 DELETEs (900 points) in any 60 s window over 1000 jobs', async () => {
    const { starts } = await drainJobs(1000)

    expect(starts).toHaveLength(1000)
    expect(busiestWindow(starts, MINUTE)).toBeLessThanOrEqual(GITHUB_DELETES_PER_MINUTE)
    // The margin it keeps for jitter: even a 61 s window stays within the minute's budget.
    expect(busiestWindow(starts, MINUTE + 1_000)).toBeLessThanOrEqual(GITHUB_DELETES_PER_MINUTE)
  })

  it('stays within the budget in fixed minute windows too, wherever they are aligned', async () => {
    const { starts } = await drainJobs(600)

    for (const offset of [0, 15_000, 30_000, 45_000]) {
      const perMinute = new Map<number, number>()
      for (const start of starts) {
        const minute = Math.floor((start + offset) / MINUTE)
        perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1)
      }
      expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(GITHUB_DELETES_PER_MINUTE)
    }
  })

  it('achieves at least 90% of 180 DELETEs a minute over 500 and over 1000 jobs', async () => {
    for (const count of [500, 1000]) {
      const { finishedAt } = await drainJobs(count)
      const perMinute = (count / finishedAt) * MINUTE
      expect(perMinute).toBeGreaterThanOrEqual(0.9 * GITHUB_DELETES_PER_MINUTE)
    }
  })

  it('lets a small batch through at once, without pacing', async () => {
    const { starts } = await drainJobs(deletePacing.burst, { latencyMs: 0 })

    expect(starts).toEqual(new Array(deletePacing.burst).fill(0))
  })

  it('never has more jobs in flight than its concurrency, even when jobs are slow', async () => {
    const { maxInFlight, starts } = await drainJobs(50, { latencyMs: 5_000 })

    expect(starts).toHaveLength(50)
    expect(maxInFlight).toBe(deletePacing.concurrency)
  })
})

describe('Pacer', () => {
  const limits: PaceLimits = { startsPerWindow: 20, windowMs: 10_000, burst: 2, concurrency: 4 }

  it('spreads starts evenly after the burst', async () => {
    const { starts } = await drainJobs(8, { limits, latencyMs: 10 })

    const interval = limits.windowMs / (limits.startsPerWindow - limits.burst)
    const expected = [0, 0, 1, 2, 3, 4, 5, 6].map((k) => Math.ceil(k * interval))
    expect(starts).toEqual(expected)
  })

  it('keeps going after a job fails, then rethrows the first failure', async () => {
    const clock = new FakeClock()
    const pacer = new Pacer(limits, clock)
    const started: number[] = []
    let next = 0

    const run = clock.run(
      pacer.drain(
        () => (next < 30 ? next++ : undefined),
        async (item) => {
          started.push(item)
          await clock.sleep(50)
          if (item % 7 === 3) throw new Error(`job ${item} failed`)
        },
      ),
    )

    await expect(run).rejects.toThrow('job 3 failed')
    expect(started).toEqual(Array.from({ length: 30 }, (_, i) => i))
  })

  it('stops asking for items once take() says there are no more, and waits for those started', async () => {
    const clock = new FakeClock()
    const pacer = new Pacer(limits, clock)
    let takes = 0
    const finished: number[] = []

    await clock.run(
      pacer.drain(
        () => (takes++ < 5 ? takes : undefined),
        async (item) => {
          await clock.sleep(2_000)
          finished.push(item)
        },
      ),
    )

    expect(takes).toBe(6)
    expect(finished.sort()).toEqual([1, 2, 3, 4, 5])
  })
})

describe('Pacer.spend', () => {
  it('holds the next starts back by the budget the reads before them used', async () => {
    const clock = new FakeClock(1_700_000_000_000)
    const pacer = new Pacer(deletePacing, clock)
    const t0 = clock.now()
    const starts: number[] = []
    let next = 0

    // 300 reads at once: 300 points, a fifth of a DELETE start each.
    pacer.spend(300 / 5)
    await clock.run(
      pacer.drain(
        () => (next < 200 ? next++ : undefined),
        async () => {
          starts.push(clock.now() - t0)
          await clock.sleep(100)
        },
      ),
    )

    // Reads and DELETEs together: never more than 890 points in the 61 s after the reads, and
    // the DELETEs alone within the limit in any window after that.
    const withTheReads = starts.filter((start) => start <= 61_000).length
    expect(300 + 5 * withTheReads).toBeLessThanOrEqual(890)
    expect(5 * busiestWindow(starts, 61_000)).toBeLessThanOrEqual(890)
    expect(starts[0]).toBeGreaterThan(0)
  })
})

describe('SecondaryWindow', () => {
  it('lets a burst through at once, then holds what would overflow the window until it slides', async () => {
    const clock = new FakeClock(1_700_000_000_000)
    const window = new SecondaryWindow(clock, 10, 60_000)
    const t0 = clock.now()
    const admitted: number[] = []

    await clock.run(
      Promise.all(
        [1, 1, 1, 1, 1, 5, 5].map(async (points, index) => {
          if (index === 6) await clock.sleep(1_000)
          await window.admit(points)
          admitted.push(clock.now() - t0)
        }),
      ),
    )

    expect(admitted).toEqual([0, 0, 0, 0, 0, 0, 60_000])
  })
})
