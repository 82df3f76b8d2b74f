import { setFlagsFromString } from 'node:v8'
import { run } from './main.js'

// A long listing keeps every artifact it reads, so most young objects survive their first
// collections, and V8 then doubles the young generation again and again, up to 128 MiB held for
// the rest of the step (most of the peak RSS of a 100,000-artifact listing). The runner starts
// `node` itself, so no command-line flag can cap it; this flag, read each time V8 would grow the
// young generation, keeps it at its starting size instead. Survivors are promoted sooner, which
// costs a little collection time and no memory.
setFlagsFromString('--semi-space-growth-factor=1')

await run()
