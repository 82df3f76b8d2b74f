/**
 * A gate that runs the tasks handed to it at most `limit` at a time, starting them in the order
 * they were handed in.
 */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0
  const waiting: (() => void)[] = []
  return async (task) => {
    if (running < limit) running++
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await task()
    } finally {
      // Hand the slot straight to the next task in line, or give it back.
      const next = waiting.shift()
      if (next) next()
      else running--
    }
  }
}

/** Runs `work` on every item with at most `limit` at once, keeping the items' order. */
export function mapConcurrently<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const slot = limiter(limit)
  return Promise.all(items.map((item) => slot(() => work(item))))
}
