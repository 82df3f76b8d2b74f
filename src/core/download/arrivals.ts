/** A byte range of the object and how much of it, from its start, is already in the file. */
export interface Part {
  start: number
  /** Inclusive; undefined while the object's size is unknown (its end is the object's end). */
  end: number | undefined
  received: number
}

/** What the storage host's first accepted answer told of the object. */
export interface ObjectFacts {
  /** Undefined when the answer named no length. */
  size: number | undefined
  contentType: string
}

interface Waiter {
  start: number
  end: number
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Which bytes of a download are in its file so far, for a reader that works on the file while
 * it arrives (extraction overlapping the transfer): a read waits until its range is written,
 * and fails when the transfer does.
 */
export class Arrivals {
  private parts: readonly Part[] = []
  private facts: ObjectFacts | undefined
  private failure: { error: unknown } | undefined
  private readonly waiters = new Set<Waiter>()
  private answered!: (facts: ObjectFacts) => void
  private refused!: (error: unknown) => void
  /** Resolves on the first accepted answer; rejects when the transfer fails before one. */
  readonly answer = new Promise<ObjectFacts>((resolve, reject) => {
    this.answered = resolve
    this.refused = reject
  })

  constructor() {
    // Nobody may be waiting for the answer when the transfer fails: that is not an error here.
    this.answer.catch(() => undefined)
  }

  /** Called by the transfer: the object's facts, and the parts it writes. */
  begin(facts: ObjectFacts, parts: readonly Part[]): void {
    this.facts ??= facts
    this.parts = parts
    this.answered(this.facts)
  }

  /** Called by the transfer after each write. */
  written(): void {
    for (const waiter of this.waiters) {
      if (this.holds(waiter.start, waiter.end)) {
        this.waiters.delete(waiter)
        waiter.resolve()
      }
    }
  }

  /** Called by the transfer when it failed: every wait rejects with its error. */
  fail(error: unknown): void {
    this.failure ??= { error }
    this.refused(error)
    for (const waiter of this.waiters) waiter.reject(error)
    this.waiters.clear()
  }

  /** Resolves once bytes [start, end) are in the file. */
  waitFor(start: number, end: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error)
    if (this.holds(start, end)) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.add({ start, end, resolve, reject }))
  }

  /** Whether bytes [start, end) are in the file now. */
  holds(start: number, end: number): boolean {
    const size = this.facts?.size
    if (size === undefined) return false
    for (const part of this.parts) {
      const partEnd = (part.end ?? size - 1) + 1
      if (partEnd <= start || part.start >= end) continue
      if (part.start + part.received < Math.min(end, partEnd)) return false
    }
    return true
  }
}
