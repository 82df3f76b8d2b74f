import type { FileHandle } from 'node:fs/promises'
import type { Part } from './arrivals.js'

/**
 * Bytes [start, end) of a download that go to the file at `path`, at `start` less, instead of
 * the download's own file: a large stored zip entry's content, written straight into the file it
 * is extracted to. Each byte is then written to disk once rather than twice (into the zip, then
 * out of it), which is most of what extracting an incompressible artifact costs.
 */
export interface Place {
  start: number
  end: number
  path: string
  /** Open for the transfer's writes until all of the place has arrived. */
  file: FileHandle
}

/** Where a run of bytes of the download is: in a place or the download's own file, how many. */
interface Location {
  place: Place | undefined
  position: number
  length: number
}

/**
 * The places known so far, told by the extraction as it reads the zip's central directory and
 * local headers, used by the transfer. A part follows the places known when it first writes (its
 * `places`), and keeps to them while it is resumed: its bytes are each in one file only.
 */
export class Placements {
  private readonly places: Place[] = []

  add(place: Place): void {
    this.places.push(place)
  }

  /** The places overlapping bytes [start, end), in order of their start. */
  within(start: number, end: number): Place[] {
    return this.places
      .filter((place) => place.start < end && start < place.end)
      .sort((a, b) => a.start - b.start)
  }
}

/**
 * Where bytes from `position` on of `part` are, at most `length` of them: in one of the part's
 * places, or else (no place) in the download's own file.
 */
export function locate(part: Part, position: number, length: number): Location {
  let end = position + length
  for (const place of part.places ?? []) {
    if (place.start <= position && position < place.end) {
      return {
        place,
        position: position - place.start,
        length: Math.min(end, place.end) - position,
      }
    }
    if (position < place.start) {
      end = Math.min(end, place.start)
      break
    }
  }
  return { place: undefined, position, length: end - position }
}

/**
 * The ranges of `place` that went to the download's own file, because the parts that carried
 * them had started before the place was known. Once all of the place has arrived, these are
 * the bytes still to be copied into its file.
 */
export function missedRanges(place: Place, parts: readonly Part[]): [number, number][] {
  const missed: [number, number][] = []
  for (const part of parts) {
    const partEnd = part.end === undefined ? place.end : part.end + 1
    const start = Math.max(part.start, place.start)
    const end = Math.min(partEnd, place.end)
    if (start < end && !part.places?.includes(place)) missed.push([start, end])
  }
  return missed.sort((a, b) => a[0] - b[0])
}
