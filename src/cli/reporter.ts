import { createInterface } from 'node:readline'
import type { WriteStream } from 'node:tty'
import pc from 'picocolors'
import type { Colors } from 'picocolors/types.js'
import type { Artifact } from '../core/artifact.js'
import type { Leftovers } from '../core/download/leftovers.js'
import type { Progress, Reporter } from '../core/reporter.js'
import { formatBytes } from '../core/units.js'
import { flagWording } from './failures.js'
import { ProgressDisplay } from './progress.js'

/** Artifacts named one by one before the confirmation question; the rest are counted. */
const NAMED_BEFORE_ASKING = 10

/** The process's standard streams, as the terminal front end uses them. */
export interface Terminal {
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
}

/**
 * Colours for a stream that is a terminal wanting them: Node's `hasColors()` reads `NO_COLOR`,
 * `NODE_DISABLE_COLORS`, `FORCE_COLOR` and `TERM=dumb`. A pipe or a file gets plain text.
 */
export function coloursFor(stream: NodeJS.WriteStream): Colors {
  return pc.createColors(stream.isTTY === true && (stream as WriteStream).hasColors())
}

/** How deleting is confirmed: not at all (`--yes`, or nothing to confirm), or by asking. */
export interface ConfirmationPolicy {
  ask: boolean
  /** Named in the question: what the artifacts are deleted from. */
  repository: string
  /** The lines may name several repositories: each artifact is named with its own. */
  severalRepositories: boolean
}

/**
 * The core's messages on standard error (standard output carries only the result): warnings
 * and errors marked and coloured on a terminal, progress as a bar when standard error is a
 * terminal and not at all otherwise, secrets replaced wherever they would appear.
 */
export class TerminalReporter implements Reporter {
  readonly word = flagWording
  readonly colours: Colors
  private readonly secrets = new Set<string>()
  /** Messages already shown, so the outcome's notes do not repeat them. */
  private readonly shown = new Set<string>()
  private readonly display: ProgressDisplay | undefined
  /** Where downloads under way make their temporary files, for an interrupted command to remove. */
  readonly leftovers: Leftovers[] = []

  constructor(
    private readonly terminal: Terminal,
    private readonly confirmation: ConfirmationPolicy,
  ) {
    this.colours = coloursFor(terminal.stderr)
    this.display = terminal.stderr.isTTY
      ? new ProgressDisplay(terminal.stderr, this.colours)
      : undefined
  }

  info(message: string): void {
    this.shown.add(message)
    this.write(this.colours.dim(message))
  }

  warning(message: string): void {
    this.shown.add(message)
    this.write(`${this.colours.yellow(this.colours.bold('warning:'))} ${message}`)
  }

  /**
   * One of the outcome's closing notes. Some were already shown as they happened (why deleting
   * stopped, an archived repository skipped): the action's job summary repeats them for a reader
   * who never saw its log, but a terminal user just did.
   */
  note(message: string): void {
    if (!this.shown.has(message)) this.info(message)
  }

  error(message: string): void {
    this.write(`${this.colours.red(this.colours.bold('error:'))} ${message}`)
  }

  // Debug lines (one per artifact deleted, digests not checked) would drown the terminal.
  debug(): void {}

  mask(secret: string): void {
    if (secret !== '') this.secrets.add(secret)
  }

  progress(progress: Progress): void {
    this.display?.update(progress)
  }

  temporaryFiles(leftovers: Leftovers): void {
    this.leftovers.push(leftovers)
  }

  /** Ends any progress bar, leaving its final state on screen. */
  finish(): void {
    this.display?.stop()
  }

  async approveDeletion(
    artifacts: readonly Artifact[],
    repositoryOf: (artifact: Artifact) => string,
  ): Promise<boolean> {
    if (!this.confirmation.ask) return true
    this.finish()
    const bytes = artifacts.reduce((sum, artifact) => sum + artifact.size_in_bytes, 0)
    const count = `${artifacts.length} artifact${artifacts.length === 1 ? '' : 's'}`
    const lines = artifacts.slice(0, NAMED_BEFORE_ASKING).map((a) => {
      const where = this.confirmation.severalRepositories ? `${repositoryOf(a)}: ` : ''
      return `  ${where}${a.name} (id ${a.id}, ${formatBytes(a.size_in_bytes)}, ${a.created_at})`
    })
    if (artifacts.length > NAMED_BEFORE_ASKING) {
      lines.push(`  …and ${artifacts.length - NAMED_BEFORE_ASKING} more (--dry-run lists them all)`)
    }
    this.write(
      `${this.colours.bold(`About to delete ${count}, ${formatBytes(bytes)}`)}, of ${this.confirmation.repository}:`,
    )
    for (const line of lines) this.write(line)
    const answer = await this.ask(`Delete ${count}? [y/N] `)
    return ['y', 'yes'].includes(answer.trim().toLowerCase())
  }

  /** One line read from the terminal; '' when it is closed (Ctrl-D) before a line comes. */
  private ask(question: string): Promise<string> {
    const prompt = createInterface({ input: this.terminal.stdin, output: this.terminal.stderr })
    return new Promise((resolve) => {
      prompt.once('close', () => {
        // Closed with no line typed: end the question's line before what follows.
        this.terminal.stderr.write('\n')
        resolve('')
      })
      // Ctrl-C at the question is a no.
      prompt.once('SIGINT', () => prompt.close())
      prompt.question(question, (answer) => {
        prompt.removeAllListeners('close')
        prompt.close()
        resolve(answer)
      })
    })
  }

  private write(line: string): void {
    const text = [...this.secrets].reduce((shown, secret) => shown.split(secret).join('***'), line)
    if (this.display) this.display.write(`${text}\n`)
    else this.terminal.stderr.write(`${text}\n`)
  }
}
