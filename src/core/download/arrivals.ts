import { missedRanges, Placements, type Place } from './placement.js'

/** A byte range of the object and how much of it, from its start, has arrived. */
export interface Part {
  start: number
  /** Inclusive; undefined while the object's size is unknown (its end is the object's end). */
  end: number | undefined
  received: number
  /** Where its bytes go other than the file: the places known when it first wrote. */
  places?: readonly Place[]
}

/** What the storage host's first accepted answer told of the object. */
export interface ObjectFacts {
  /** Undefined when the answer named no length. */
  size: number | undefined
  contentType: string
}

interface Waiter {
  ready: () => boolean
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Which bytes of a download have arrived so far, for a reader that works on them while they
 * arrive (extraction overlapping the transfer): a read waits until its range is written, and
 * fails when the transfer does. The reader may name places for ranges it wants written into
 * files of its own.
 */
export class Arrivals {
  private parts: readonly Part[] = []
  private facts: ObjectFacts | undefined
  private failure: { error: unknown } | undefined
  private readonly waiters = new Set<Waiter>()
  /** How many bytes from the start the transfer has hashed, reading back the last of them. */
  private hashedBytes = 0
  private answered!: (facts: ObjectFacts) => void
  private refused!: (error: unknown) => void
  private ended!: () => void
  /**
   * Where the reader wants bytes written other than the file (large stored entries); none when
   * the file must hold every byte (it is kept in a cache).
   */
  readonly placements: Placements | undefined
  /** Resolves once the transfer neither writes nor reads any more, whether it failed or not. */
  readonly settled = new Promise<void>((resolve) => (this.ended = resolve))
  /** Resolves on the first accepted answer; rejects when the transfer fails before one. */
  readonly answer = new Promise<ObjectFacts>((resolve, reject) => {
    this.answered = resolve
    this.refused = reject
  })

  constructor({ wholeFile = false }: { wholeFile?: boolean } = {}) {
    this.placements = wholeFile ? undefined : new Placements()
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
    this.wake()
  }

  /** Called by the transfer as its hash advances over the first `bytes` bytes. */
  hashed(bytes: number): void {
    this.hashedBytes = bytes
    this.wake()
  }

  /** Called by the transfer when it failed: every wait rejects with its error. */
  fail(error: unknown): void {
    this.failure ??= { error }
    this.refused(error)
    for (const waiter of this.waiters) waiter.reject(error)
    this.waiters.clear()
  }

  /** Called by the transfer once it is over. */
  end(): void {
    this.ended()
  }

  /** The ranges of `place` written to the file rather than to the place, once all have arrived. */
  missedRanges(place: Place): [number, number][] {
    return missedRanges(place, this.parts)
  }

  /** Resolves once bytes [start, end) have arrived (in the file, or in their place). */
  waitFor(start: number, end: number): Promise<void> {
    return this.waitUntil(() => this.holds(start, end))
  }

  /**
   * Resolves once the transfer has hashed the bytes before `end`: it reads none of them back
   * again, so their place may change from then on.
   */
  waitForHash(end: number): Promise<void> {
    return this.waitUntil(() => this.hashedBytes >= end)
  }

  /** Resolves the waits that are now ready. */
  private wake(): void {
    for (const waiter of this.waiters) {
      if (waiter.ready()) {
        this.waiters.delete(waiter)
        waiter.resolve()
      }
    }
  }

  private waitUntil(ready: () => boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error)
    if (ready()) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.add({ ready, resolve, reject }))
  }

  /** Whether bytes [start, end) have arrived. */
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
