import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const bundle = path.join(projectRoot, 'dist', 'index.js')
/** The post step's bundle, which the runner runs at the end of the job. */
export const postBundle = path.join(projectRoot, 'dist', 'post', 'index.js')

/** The emulator fields the runner's environment is made from. */
export interface ActionTarget {
  apiUrl: string
  token: string
  owner: string
  repo: string
}

export interface RunActionOptions {
  inputs: Record<string, string>
  emulator: ActionTarget
  /** Extra or overriding environment variables (e.g. GITHUB_RUN_ID). */
  env?: Record<string, string>
  /** GITHUB_WORKSPACE and the working directory; when omitted, a temporary one removed after the run. */
  workspace?: string
  /** Node binary; defaults to ACTION_NODE (CI points it at Node 24) or this process's node. */
  node?: string
  /** The bundle to run; default the committed `dist/index.js`. */
  bundle?: string
  /** State the main step saved, which the runner hands to the post step as `STATE_*`. */
  state?: Record<string, string>
  /**
   * Asked again and again while the action runs; once it answers true the process is killed
   * (SIGKILL), as a runner ends a cancelled step that outlives its grace period.
   */
  killWhen?: () => Promise<boolean>
}

export interface ActionResult {
  exitCode: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  /** What the step saved for its post step (`GITHUB_STATE`). */
  state: Record<string, string>
  /** Whether `killWhen` ended it. */
  killed: boolean
  summary: string
  /** What the file named by the `artifacts-file` output held, read before RUNNER_TEMP is removed. */
  artifactsFile?: string
  /** The `::warning::` and `::error::` lines the runner would show as annotations. */
  warnings: string[]
  errors: string[]
}

interface ActionInput {
  default?: string
}

/**
 * Runs the bundled action as the runner does: `INPUT_*` variables with hyphens kept and
 * action.yml's defaults filled in, `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files, and
 * `GITHUB_API_URL` pointing at the emulator.
 */
export async function runAction(options: RunActionOptions): Promise<ActionResult> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'action-run-'))
  const workspace = options.workspace ?? path.join(scratch, 'workspace')
  await mkdir(workspace, { recursive: true })
  const outputFile = path.join(scratch, 'output')
  const summaryFile = path.join(scratch, 'summary')
  const stateFile = path.join(scratch, 'state')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  await writeFile(stateFile, '')
  const { owner, repo, token, apiUrl } = options.emulator
  const expressions: Record<string, string> = {
    '${{ github.token }}': token,
    '${{ github.repository }}': `${owner}/${repo}`,
    '${{ github.workspace }}': workspace,
  }
  const inputs = { ...(await actionDefaults(expressions)), ...options.inputs }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? scratch,
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: `${owner}/${repo}`,
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_STATE: stateFile,
    RUNNER_TEMP: scratch,
    ...Object.fromEntries(
      Object.entries(options.state ?? {}).map(([name, value]) => [`STATE_${name}`, value]),
    ),
    ...Object.fromEntries(
      Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
    ),
    ...options.env,
  }
  try {
    const { exitCode, stdout, stderr, killed } = await spawnNode(
      options.node ?? process.env.ACTION_NODE ?? process.execPath,
      [options.bundle ?? bundle],
      { env, cwd: workspace, killWhen: options.killWhen },
    )
    const outputs = parseOutputFile(await readFile(outputFile, 'utf8'))
    const artifactsFile = outputs['artifacts-file']
    return {
      exitCode,
      stdout,
      stderr,
      killed,
      outputs,
      artifactsFile: artifactsFile ? await readFile(artifactsFile, 'utf8') : undefined,
      state: parseOutputFile(await readFile(stateFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      warnings: commandLines(stdout, 'warning'),
      errors: commandLines(stdout, 'error'),
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

async function actionDefaults(
  expressions: Record<string, string>,
): Promise<Record<string, string>> {
  const manifest = parse(await readFile(path.join(projectRoot, 'action.yml'), 'utf8')) as {
    inputs: Record<string, ActionInput>
  }
  return Object.fromEntries(
    Object.entries(manifest.inputs).map(([name, input]) => {
      const value = input.default ?? ''
      return [name, expressions[value] ?? value]
    }),
  )
}

export interface ProcessResult {
  exitCode: number
  stdout: string
  stderr: string
  /** Whether `killWhen` said so and the process was killed. */
  killed: boolean
}

/**
 * Runs a Node script with its output collected; standard input is a pipe that carries `input`
 * (nothing by default) and is then closed. `killWhen`, polled while it runs, sends `killSignal`
 * once it answers true: SIGKILL as a cancelled job's runner would, SIGINT as Ctrl-C would.
 */
export function spawnNode(
  node: string,
  args: string[],
  options: {
    env: Record<string, string>
    cwd: string
    input?: string
    killWhen?: () => Promise<boolean>
    /** What `killWhen` sends; default SIGKILL. */
    killSignal?: NodeJS.Signals
  },
): Promise<ProcessResult> {
  const { killWhen, killSignal = 'SIGKILL' } = options
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { env: options.env, cwd: options.cwd, stdio: 'pipe' })
    child.stdin.end(options.input ?? '')
    let stdout = ''
    let stderr = ''
    let running = true
    let killed = false
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      running = false
      resolve({ exitCode: code ?? -1, stdout, stderr, killed })
    })
    if (killWhen) {
      void (async () => {
        while (running && !(await killWhen())) {
          await new Promise((wake) => setTimeout(wake, 20))
        }
        if (running) killed = child.kill(killSignal)
      })().catch((error: unknown) => {
        child.kill('SIGKILL')
        reject(error)
      })
    }
  })
}

/** Reads the `name<<DELIMITER` heredoc form that @actions/core writes to GITHUB_OUTPUT and GITHUB_STATE. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (!heredoc) continue
    const [, name, delimiter] = heredoc
    const end = lines.indexOf(delimiter, i + 1)
    outputs[name] = lines.slice(i + 1, end).join('\n')
    i = end
  }
  return outputs
}

function commandLines(stdout: string, command: 'warning' | 'error'): string[] {
  const prefix = new RegExp(`^::${command}[^:]*::`)
  return stdout
    .split('\n')
    .filter((line) => prefix.test(line))
    .map((line) => line.replace(prefix, ''))
}
