import { spawn } from 'node:child_process'
import path from 'node:path'
import { projectRoot, spawnNode, type ProcessResult } from './action.js'

/** The committed CLI bundle, as `package.json` `bin` names it. */
export const cliBundle = path.join(projectRoot, 'dist', 'cli', 'index.js')

export type CliResult = ProcessResult

export interface RunCliOptions {
  /** The whole environment: nothing of the test process's leaks in but what is passed here. */
  env: Record<string, string>
  cwd: string
  /** Written to standard input, which is then closed; default: nothing (closed at once). */
  input?: string
  /** Polled while it runs: once it answers true, the CLI is sent `killSignal`. */
  killWhen?: () => Promise<boolean>
  killSignal?: NodeJS.Signals
}

/** Node binary for the bundle: ACTION_NODE (CI points it at Node 24) or this process's node. */
export function cliNode(): string {
  return process.env.ACTION_NODE ?? process.execPath
}

/** Runs the bundled CLI as a shell would with pipes on every standard stream. */
export function runCli(args: string[], options: RunCliOptions): Promise<CliResult> {
  return spawnNode(cliNode(), [cliBundle, ...args], options)
}

export interface TerminalResult {
  exitCode: number
  /** Everything the terminal showed (standard output and error together), escapes included. */
  screen: string
}

export interface RunInTerminalOptions {
  env: Record<string, string>
  cwd: string
  /** Typed (followed by Enter) once the screen shows this text. */
  answer?: { when: string; type: string }
  /** Standard error goes to this file instead of the terminal. */
  stderrFile?: string
}

/**
 * Runs the bundled CLI in a pseudo-terminal, with util-linux `script`: standard input, output
 * and error are all a terminal, as in an interactive shell.
 */
export function runInTerminal(
  args: string[],
  options: RunInTerminalOptions,
): Promise<TerminalResult> {
  const redirect = options.stderrFile ? ` 2>${shellQuote(options.stderrFile)}` : ''
  const command = [cliNode(), cliBundle, ...args].map(shellQuote).join(' ') + redirect
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let screen = ''
    let answered = false
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString()
      if (options.answer && !answered && screen.includes(options.answer.when)) {
        answered = true
        child.stdin.write(`${options.answer.type}\r`)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ exitCode: code ?? -1, screen }))
  })
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

/** The screen's text without colours and cursor movements, lines split at carriage returns. */
export function plainText(screen: string): string {
  return screen.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\r\n?/g, '\n')
}
