#!/usr/bin/env node
import { keepMemoryLow } from '../runtime/memory.js'
import { runCli } from './main.js'

keepMemoryLow()

// A reader that stops early (`manage-artifacts list | head`) closes the pipe: that ends the
// output quietly rather than in a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exit(process.exitCode ?? 0)
  })
}

process.exitCode = await runCli(process.argv.slice(2), process, process.env, process.cwd())
