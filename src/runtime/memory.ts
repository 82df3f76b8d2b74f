import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** How often a full collection runs while the process works. */
const COLLECTION_INTERVAL_MS = 1000
/** How often the memory held outside V8's heap is looked at (a few microseconds each time). */
const EXTERNAL_CHECK_INTERVAL_MS = 2
/** Growth of that memory since the last look that starts a young-generation collection. */
const EXTERNAL_GROWTH_BYTES = 1024 * 1024

type Collect = (options: { type: 'major' | 'minor'; execution?: 'async' }) => void

/**
 * Keeps the process's memory near what it holds. Both front ends' entries call it first: the
 * runner, like a shell, starts `node` with no flags of ours, so these are set at run time.
 *
 * - A long listing keeps every artifact it reads, so most young objects survive their first
 *   collections, and V8 then doubles the young generation again and again, up to 128 MiB held
 *   for the rest of the process. `--semi-space-growth-factor=1`, read each time V8 would grow
 *   it, keeps it at its starting size; survivors are promoted sooner, at a little collection
 *   time and no memory.
 * - The response bodies of a listing's pages are freed only by a full collection, which V8
 *   starts once some 64 MiB more is held outside its heap: up to 50 MiB of a 100,000-artifact
 *   listing's peak was such garbage. A full collection every second, of a heap of tens of MiB,
 *   returns it for a few milliseconds each.
 * - A download receives its bytes in a fresh 64 KiB buffer per socket read, held outside the
 *   heap by a small young object: at hundreds of MiB a second, tens of MiB of buffers already
 *   written waited for a collection, and V8 ran full collections of its own as they piled up. A
 *   young-generation collection (well under a millisecond) whenever 1 MiB more is held there
 *   frees them as they go: a 1 GiB download peaked some 20 MiB lower, with less time collecting.
 */
export function keepMemoryLow(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString('--expose-gc')
  const collect = runInNewContext('gc') as Collect
  setInterval(() => collect({ type: 'major', execution: 'async' }), COLLECTION_INTERVAL_MS).unref()
  collectYoungAsBuffersGrow(collect)
}

function collectYoungAsBuffersGrow(collect: Collect): void {
  let held = getHeapStatistics().external_memory
  setInterval(() => {
    const now = getHeapStatistics().external_memory
    if (now - held >= EXTERNAL_GROWTH_BYTES) {
      collect({ type: 'minor' })
      held = getHeapStatistics().external_memory
    } else if (now < held) {
      held = now
    }
  }, EXTERNAL_CHECK_INTERVAL_MS).unref()
}
