import { Worker } from 'node:worker_threads'

/** A file for the writing thread: where, its bytes, its mode, and a file to remove first. */
interface SmallFile {
  target: string
  content: Uint8Array
  mode: number
  /** The same file spelt otherwise (where case is ignored): removed before the write. */
  replaces?: string
}

/** What the writing thread is sent: the files of a batch, their bytes in one buffer. */
interface Batch {
  files: { target: string; length: number; mode: number; replaces?: string }[]
  bytes: ArrayBuffer
}

/** What it answers for each batch, in order. */
type Answer = { written: true } | { failed: { message: string; code?: string } }

/** Batches are sent once they hold this many bytes or files, or when the writes are awaited. */
const BATCH_BYTES = 256 * 1024
const BATCH_FILES = 64
/** Batches sent and not yet written: what a slower disk may hold in memory, a MiB or so. */
const BATCHES_IN_FLIGHT = 4

/**
 * The writing thread: plain JavaScript evaluated as a script of its own, so that it needs no
 * file beside the bundle. It writes each batch's files in order, synchronously (for a few KiB,
 * one call costs less than the three round trips of an asynchronous write), and stops at the
 * first failure.
 */
const WRITER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { rmSync, writeFileSync } = require('node:fs')
let failed = false
parentPort.on('message', ({ files, bytes }) => {
  if (failed) return
  let offset = 0
  try {
    for (const { target, length, mode, replaces } of files) {
      if (replaces) rmSync(replaces, { force: true })
      writeFileSync(target, new Uint8Array(bytes, offset, length), { mode })
      offset += length
    }
    parentPort.postMessage({ written: true })
  } catch (error) {
    failed = true
    parentPort.postMessage({ failed: { message: String(error && error.message), code: error && error.code } })
  }
})
`

/**
 * Small files written in order by a thread of their own, while this one reads, checks and
 * inflates the entries that follow: for an archive of thousands of small files, the file
 * system's part (creating, writing and closing each file) then runs beside the rest instead of
 * after it. Files are sent in batches, their bytes copied into one buffer that is handed over,
 * not copied again. The first failure is thrown by the next `add` or `drain`.
 */
export class ThreadWrites {
  // No options of this process (a module loader it was started with) for a script that needs
  // none; a small young generation, as the script makes little garbage: some 5 MiB less memory.
  private readonly worker = new Worker(WRITER_SOURCE, {
    eval: true,
    execArgv: [],
    resourceLimits: { maxYoungGenerationSizeMb: 2 },
  })
  private batch: SmallFile[] = []
  private batchBytes = 0
  /** One per batch sent and not yet answered, settled in order as answers arrive. */
  private readonly unanswered: { answered: Promise<void>; answer: () => void }[] = []
  private failure: Error | undefined
  private ended = false

  constructor() {
    this.worker.on('message', (answer: Answer) => {
      if ('failed' in answer) this.fail(writeError(answer.failed))
      this.unanswered.shift()?.answer()
    })
    this.worker.on('error', (error) => this.fail(error))
    this.worker.on('exit', () => {
      if (!this.ended) this.fail(new Error('the thread writing the files stopped'))
      for (const { answer } of this.unanswered.splice(0)) answer()
    })
  }

  /** Queues the file behind those added before it; a failure of an earlier one is thrown here. */
  async add(file: SmallFile): Promise<void> {
    this.throwIfFailed()
    this.batch.push(file)
    this.batchBytes += file.content.length
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) await this.send()
  }

  /** Waits until every file added so far is written, throwing the first failure. */
  async drain(): Promise<void> {
    if (this.batch.length > 0) await this.send()
    await this.sent(0)
    this.throwIfFailed()
  }

  /** Waits for the files sent, whatever the outcome, drops those not sent, stops the thread. */
  async close(): Promise<void> {
    this.batch = []
    await this.sent(0)
    this.ended = true
    await this.worker.terminate()
  }

  private async send(): Promise<void> {
    await this.sent(BATCHES_IN_FLIGHT - 1)
    this.throwIfFailed()
    const bytes = new Uint8Array(this.batchBytes)
    let offset = 0
    const files = this.batch.map(({ target, content, mode, replaces }) => {
      bytes.set(content, offset)
      offset += content.length
      return { target, length: content.length, mode, replaces }
    })
    const batch: Batch = { files, bytes: bytes.buffer }
    this.batch = []
    this.batchBytes = 0
    let answer = () => {}
    const answered = new Promise<void>((resolve) => (answer = resolve))
    this.unanswered.push({ answered, answer })
    this.worker.postMessage(batch, [batch.bytes])
  }

  /** Waits until at most `count` batches are still being written. */
  private async sent(count: number): Promise<void> {
    // A failed thread writes nothing more, and answers no batch after the one that failed.
    while (this.unanswered.length > count && !this.failure) await this.unanswered[0].answered
  }

  private fail(error: Error): void {
    this.failure ??= error
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure
  }
}

function writeError({ message, code }: { message: string; code?: string }): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code })
}
