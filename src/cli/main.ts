import { removeLeftovers } from '../core/download/leftovers.js'
import { errorText, type SettingName } from '../core/errors.js'
import { execute } from '../core/execute.js'
import type { Outcome } from '../core/outcome.js'
import { spansRepositories, type Request } from '../core/request.js'
import { parseRequest } from '../core/settings.js'
import { runnerProxyFetch } from '../transport/proxy.js'
import { runnerStorage } from '../transport/storage.js'
import { GitHubSession } from '../github/session.js'
import { apiUrl, findRepository, findToken, type Found } from './environment.js'
import { describeFailure, FAILED, UsageError } from './failures.js'
import { jsonOutput, tableOutput } from './output.js'
import { parseArguments, type Invocation } from './program.js'
import { coloursFor, TerminalReporter, type Terminal } from './reporter.js'

/** The shell's exit status for a command ended by a signal: 128 + the signal's number. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const
/** How long an interrupted command waits for its downloads to stop before it exits anyway. */
const INTERRUPTED_CLEAN_UP_MS = 5000

/** Removes what downloads left half-done (synchronously: nothing else runs before the exit). */
function removeTemporaryFiles(reporter: TerminalReporter): void {
  try {
    for (const leftovers of reporter.leftovers) removeLeftovers(leftovers)
  } catch (error) {
    reporter.error(`Removing what the download left half-done: ${errorText(error)}`)
  }
}

/** What the command needs before it makes its first API request. */
interface Prepared {
  request: Request
  repository: string
  apiUrl: string
  token: string
  /** Where the repository and the token came from, when no flag gave them. */
  sources: string[]
}

/**
 * The terminal front end: flags into a request (bad usage exits 2 before any API request), the
 * core acts, and the result goes to standard output as a table or JSON; everything else goes to
 * standard error. Returns the exit code.
 */
export async function runCli(
  argv: string[],
  terminal: Terminal,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<number> {
  const errorColours = coloursFor(terminal.stderr)
  const parsed = parseArguments(argv, {
    writeOut: (text) => terminal.stdout.write(text),
    writeErr: (text) => terminal.stderr.write(text),
    error: (text) => errorColours.red(text),
  })
  if ('exitCode' in parsed) return parsed.exitCode
  const { invocation } = parsed
  let prepared: Prepared
  try {
    prepared = await prepare(invocation, terminal, env, cwd)
  } catch (error) {
    const { message, exitCode } = describeFailure(error)
    terminal.stderr.write(`${errorColours.red(errorColours.bold('error:'))} ${message}\n`)
    return exitCode
  }
  return act(prepared, invocation, terminal)
}

async function prepare(
  invocation: Invocation,
  terminal: Terminal,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Prepared> {
  const given = invocation.read('repository')
  const found = given ? undefined : await repositoryFromSurroundings(env, cwd)
  const repository = given || (found?.value ?? '')
  const read = (setting: SettingName): string =>
    setting === 'repository' ? repository : invocation.read(setting)
  // A terminal has no current run: a download with no run given searches for one.
  const request = parseRequest(read, { baseDirectory: cwd })
  const url = apiUrl(invocation.apiUrl, env)
  const notATerminal = !terminal.stdin.isTTY ? 'input' : !terminal.stderr.isTTY ? 'error' : ''
  if (asksBeforeDeleting(request, invocation) && notATerminal) {
    // The question is read from standard input and shown on standard error: a question nobody
    // sees would leave the command waiting for an answer that never comes.
    throw new UsageError(
      `delete asks for confirmation, and standard ${notATerminal} is not a terminal: nothing ` +
        'was deleted. Pass --yes to delete without asking (see what would go with --dry-run first)',
    )
  }
  const token = await findToken(env)
  if (!token) {
    throw new Error(
      'No token: set GITHUB_TOKEN (or GH_TOKEN) to a token that can read the repository ' +
        "(and delete its artifacts, for delete), or log in with 'gh auth login'",
    )
  }
  const sources = [`token from ${token.source}`]
  if (found) sources.unshift(`repository ${repository} from ${found.source}`)
  return { request, repository, apiUrl: url, token: token.value, sources }
}

async function repositoryFromSurroundings(env: NodeJS.ProcessEnv, cwd: string): Promise<Found> {
  const found = await findRepository(env, cwd)
  if (!found) {
    throw new UsageError(
      '--repository: required: give owner/name (neither GITHUB_REPOSITORY nor the origin remote ' +
        'of a git repository in the current folder names one)',
    )
  }
  return found
}

function asksBeforeDeleting(request: Request, invocation: Invocation): boolean {
  return request.operation === 'delete' && !request.delete.dryRun && !invocation.yes
}

async function act(
  prepared: Prepared,
  invocation: Invocation,
  terminal: Terminal,
): Promise<number> {
  const { request } = prepared
  const reporter = new TerminalReporter(terminal, {
    ask: asksBeforeDeleting(request, invocation),
    repository: prepared.repository.split('\n').join(', '),
    severalRepositories: spansRepositories(request.repositories),
  })
  reporter.info(`Using ${prepared.sources.join(', ')}`)
  // Ctrl-C (or a kill) ends the command, but not with the cursor hidden under a progress bar,
  // nor with a half-downloaded file or a staging folder left beside `--path`: downloads under
  // way are stopped and remove what they made, then anything still there is removed. Any other
  // command, a second signal, or a clean-up that takes too long ends at once.
  const interruption = new AbortController()
  const interrupted = (signal: keyof typeof SIGNAL_EXIT_CODES): void => {
    const exit = (): never => {
      removeTemporaryFiles(reporter)
      process.exit(SIGNAL_EXIT_CODES[signal])
    }
    reporter.finish()
    if (interruption.signal.aborted || !running || request.operation !== 'download') return exit()
    interruption.abort(new Error(`Interrupted by ${signal}`))
    void running.catch(() => undefined).finally(exit)
    setTimeout(exit, INTERRUPTED_CLEAN_UP_MS).unref()
  }
  let running: Promise<Outcome> | undefined
  process.on('SIGINT', interrupted)
  process.on('SIGTERM', interrupted)
  try {
    const session = new GitHubSession(
      // Through `https_proxy` (unless `no_proxy` says otherwise), as storage downloads go.
      {
        token: prepared.token,
        apiUrl: prepared.apiUrl,
        fetch: runnerProxyFetch(prepared.apiUrl),
      },
      runnerStorage('manage-artifacts-cli'),
      reporter,
    )
    const work = execute(request, session, reporter, { signal: interruption.signal })
    running = work
    const outcome = await work
    reporter.finish()
    for (const note of outcome.notes) reporter.note(note)
    terminal.stdout.write(
      invocation.json
        ? jsonOutput(outcome)
        : tableOutput(
            outcome,
            coloursFor(terminal.stdout),
            spansRepositories(request.repositories),
          ),
    )
    for (const failure of outcome.failures) reporter.error(failure)
    return outcome.failures.length > 0 ? FAILED : 0
  } catch (error) {
    // An interrupted command's end is the signal handler's: no failure of its own to report.
    if (interruption.signal.aborted) return new Promise<never>(() => undefined)
    reporter.finish()
    const { message, exitCode } = describeFailure(error)
    reporter.error(message)
    return exitCode
  } finally {
    process.removeListener('SIGINT', interrupted)
    process.removeListener('SIGTERM', interrupted)
  }
}
