import { describe, expect, it } from '@jest/globals'
import { limiter, mapConcurrently } from '../../../src/core/concurrency.js'

/** A task that stays running until the test lets it finish. */
interface HeldTask {
  started: boolean
  finish(value?: number): void
  fail(error: Error): void
  run(): Promise<number>
}

function heldTask(): HeldTask {
  let settle: { resolve: (value: number) => void; reject: (error: Error) => void } | undefined
  const task: HeldTask = {
    started: false,
    finish: (value = 0) => settle?.resolve(value),
    fail: (error) => settle?.reject(error),
    run: () =>
      new Promise<number>((resolve, reject) => {
        task.started = true
        settle = { resolve, reject }
      }),
  }
  return task
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('limiter', () => {
  it('runs at most `limit` tasks at once, starting the next as one finishes', async () => {
    const gate = limiter(2)
    const tasks = [heldTask(), heldTask(), heldTask(), heldTask()]
    const results = tasks.map((task) => gate(() => task.run()))
    await tick()
    expect(tasks.map((t) => t.started)).toEqual([true, true, false, false])

    tasks[1].finish(1)
    await tick()
    expect(tasks.map((t) => t.started)).toEqual([true, true, true, false])

    tasks[0].finish(0)
    tasks[2].finish(2)
    await tick()
    tasks[3].finish(3)
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3])
  })

  it('starts waiting tasks in the order they were handed in', async () => {
    const gate = limiter(1)
    const order: number[] = []
    const first = heldTask()
    const running = gate(() => first.run())
    const waiting = [1, 2, 3].map((n) =>
      gate(async () => {
        order.push(n)
      }),
    )
    await tick()
    expect(order).toEqual([])
    first.finish()
    await Promise.all([running, ...waiting])
    expect(order).toEqual([1, 2, 3])
  })

  it('frees the slot of a task that fails, and hands its error to the caller only', async () => {
    const gate = limiter(1)
    const failing = heldTask()
    const failed = gate(() => failing.run())
    const next = gate(async () => 'next')
    failing.fail(new Error('boom'))
    await expect(failed).rejects.toThrow('boom')
    await expect(next).resolves.toBe('next')
  })
})

describe('mapConcurrently', () => {
  it('keeps the items order whatever order the work finishes in', async () => {
    const delays = [30, 0, 10, 20]
    const results = await mapConcurrently(delays, 2, async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms))
      return ms
    })
    expect(results).toEqual(delays)
  })

  it('never has more than `limit` items in work', async () => {
    let inWork = 0
    let most = 0
    await mapConcurrently(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async () => {
        inWork++
        most = Math.max(most, inWork)
        await tick()
        inWork--
      },
    )
    expect(most).toBe(3)
  })
})
