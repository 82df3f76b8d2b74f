import type { ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { sleep } from './http.js'
import type { StorageLink } from './types.js'

/** Without a cap, large pieces keep the emulator cheap; with one, about 100 writes a second. */
const UNCAPPED_PIECE_BYTES = 64 * 1024
const MIN_PIECE_BYTES = 1024
const MAX_PIECE_BYTES = 16 * 1024
const PIECES_PER_SECOND = 100

/**
 * A token bucket with no burst: each piece waits until the cap has paid for it, measured from
 * when the current rate took effect. Timers that fire late are caught up on the next pieces, so
 * the average rate stays within a few percent even on a busy machine.
 */
class Pacer {
  private rate: number | undefined
  private since = 0
  private paidBytes = 0

  async admit(bytes: number, rate: number | undefined): Promise<void> {
    if (rate !== this.rate) {
      this.rate = rate
      this.since = performance.now()
      this.paidBytes = 0
    }
    if (rate === undefined) return
    this.paidBytes += bytes
    await sleep(this.since + (this.paidBytes / rate) * 1000 - performance.now())
  }
}

function pieceBytes(rate: number | undefined): number {
  if (rate === undefined) return UNCAPPED_PIECE_BYTES
  return Math.min(MAX_PIECE_BYTES, Math.max(MIN_PIECE_BYTES, Math.round(rate / PIECES_PER_SECOND)))
}

/**
 * Writes `chunks` to `response` in small pieces at no more than the link's rate, read before each
 * piece so that a new rate applies at once, waiting whenever the client does not keep up.
 * Stops early (returning false) when the connection closes.
 */
export async function writePaced(
  response: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  link: () => StorageLink,
  onWritten: (bytes: number) => void,
): Promise<boolean> {
  const pacer = new Pacer()
  for await (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length;) {
      const rate = link().bytesPerSecond
      const piece = chunk.subarray(offset, offset + pieceBytes(rate))
      await pacer.admit(piece.length, rate)
      if (response.destroyed) return false
      const flushed = response.write(piece)
      onWritten(piece.length)
      offset += piece.length
      if (!flushed) await drainedOrClosed(response)
    }
  }
  return !response.destroyed
}

/** Resolves on 'drain' or 'close', whichever comes first, leaving no listener behind. */
export function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done)
      response.off('close', done)
      resolve()
    }
    response.on('drain', done)
    response.on('close', done)
  })
}
