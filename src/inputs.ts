/**
 * Every input, parsed and validated into Settings before the first API call. Inputs are read
 * through a plain function (the action passes `core.getInput`) so that this module stays free of
 * `@actions/core`.
 */
import * as os from 'node:os'
import * as path from 'node:path'
import { InputError } from './errors.js'
import { parsePatterns } from './patterns.js'
import {
  hasRunFilters,
  type IfNoArtifactFound,
  type Operation,
  type Repository,
  type RunFilters,
  type Settings,
} from './settings.js'
import { parseDuration, parseSize } from './units.js'

/** The trimmed value of an input, '' when it is not set (what `core.getInput` returns). */
export type GetInput = (name: string) => string

const OPERATIONS: readonly Operation[] = ['list', 'download', 'delete']
const IF_NO_ARTIFACT_FOUND: readonly IfNoArtifactFound[] = ['fail', 'warn', 'ignore']
const CONCLUSIONS = [
  'action_required',
  'cancelled',
  'failure',
  'neutral',
  'success',
  'skipped',
  'stale',
  'timed_out',
  'startup_failure',
] as const

// The YAML 1.2 core schema's booleans, which is what users expect of `true`/`false` in YAML.
const TRUE_WORDS = ['true', 'True', 'TRUE']
const FALSE_WORDS = ['false', 'False', 'FALSE']

// GitHub's rules: owners are letters and digits joined by single hyphens (or by `_` before the
// short code of an Enterprise Managed User); repository names are letters, digits, `-`, `_`, `.`.
const OWNER = /^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*$/
const REPOSITORY_NAME = /^[A-Za-z0-9._-]+$/

/** What a free-text input must look like, and how the error message describes it. */
interface Format {
  pattern: RegExp
  expected: string
}

const WORKFLOW: Format = {
  pattern: /^(?:[1-9]\d*|[^/\\]+\.ya?ml)$/i,
  expected: 'a workflow file name such as build.yml (without its directory) or a numeric id',
}
// Runs report the branch name; `github.ref` (`refs/heads/main`) would never match one.
const BRANCH: Format = {
  pattern: /^(?!refs\/)/,
  expected: 'a branch name such as main, not a ref such as refs/heads/main',
}
const EVENT: Format = {
  pattern: /^[a-z_]+$/,
  expected: 'an event name such as push, pull_request or schedule',
}
const COMMIT: Format = {
  pattern: /^[0-9a-f]{7,40}$/i,
  expected: 'a commit SHA of 7 to 40 hexadecimal digits',
}

/** The settings for this step; throws an InputError naming the first input that is wrong. */
export function readSettings(getInput: GetInput, env: NodeJS.ProcessEnv): Settings {
  const operation = readOperation(getInput)
  const settings: Settings = {
    operation,
    token: readToken(getInput),
    repository: readRepository(getInput('repository') || env.GITHUB_REPOSITORY || ''),
    runId: readInteger(getInput, 'run-id', 1),
    currentRunId: toInteger(env.GITHUB_RUN_ID ?? '', 1),
    names: parsePatterns('name', getInput('name')),
    exclude: parsePatterns('exclude', getInput('exclude')),
    runFilters: readRunFilters(getInput),
    allowForks: readBoolean(getInput, 'allow-forks', false),
    path: readPath(getInput('path'), env),
    mergeMultiple: readBoolean(getInput, 'merge-multiple', false),
    extract: readBoolean(getInput, 'extract', true),
    deleteAfterDownload: readBoolean(getInput, 'delete-after-download', false),
    ifNoArtifactFound:
      readChoice(getInput, 'if-no-artifact-found', IF_NO_ARTIFACT_FOUND) ??
      (operation === 'download' ? 'fail' : 'warn'),
    olderThanMs: readMeasure(getInput, 'older-than', parseDuration),
    keepLatest: readInteger(getInput, 'keep-latest', 0) ?? 0,
    minSize: readMinSize(getInput),
    dryRun: readBoolean(getInput, 'dry-run', false),
    maxDeletions: readInteger(getInput, 'max-deletions', 1),
  }
  applyConclusionDefault(settings)
  checkOptionsFitOperation(settings, getInput)
  checkDeleteIsNarrowed(settings)
  return settings
}

function readOperation(getInput: GetInput): Operation {
  const operation = readChoice(getInput, 'operation', OPERATIONS)
  if (operation === undefined) {
    throw new InputError('operation', `required: one of ${OPERATIONS.join(', ')}`)
  }
  return operation
}

function readToken(getInput: GetInput): string {
  const token = getInput('github-token')
  if (token === '') {
    throw new InputError(
      'github-token',
      'required: set github-token, or give the job a token (the default is ${{ github.token }})',
    )
  }
  return token
}

function readRepository(value: string): Repository {
  if (value === '') {
    throw new InputError(
      'repository',
      'required: set it to owner/name (GITHUB_REPOSITORY is unset)',
    )
  }
  const [owner, repo, ...rest] = value.split('/')
  const valid =
    rest.length === 0 &&
    OWNER.test(owner) &&
    repo !== undefined &&
    REPOSITORY_NAME.test(repo) &&
    repo !== '.' &&
    repo !== '..'
  if (!valid) {
    throw new InputError(
      'repository',
      `'${value}' is not owner/name (owner: letters, digits and single hyphens; ` +
        "name: letters, digits, '-', '_' and '.')",
    )
  }
  return { owner, repo }
}

function readRunFilters(getInput: GetInput): RunFilters {
  return {
    workflow: readMatching(getInput, 'workflow', WORKFLOW),
    branch: readMatching(getInput, 'branch', BRANCH),
    event: readMatching(getInput, 'event', EVENT),
    commit: readMatching(getInput, 'commit', COMMIT)?.toLowerCase(),
    pullRequest: readInteger(getInput, 'pull-request', 1),
    conclusion: readChoice(getInput, 'workflow-conclusion', CONCLUSIONS),
  }
}

/**
 * `download` with run filters searches back for the newest matching run, and an empty
 * `workflow-conclusion` then means `success` (SPEC), so a failed or unfinished run is not taken.
 * `run-id` together with run filters is allowed: the filters must then match that run. As that
 * run is named rather than searched for, the `success` default does not apply to it: a
 * `workflow_run`-triggered job can fetch a failed run's artifacts by id.
 */
function applyConclusionDefault(settings: Settings): void {
  const { operation, runId, runFilters } = settings
  if (operation === 'download' && runId === undefined && hasRunFilters(runFilters)) {
    runFilters.conclusion ??= 'success'
  }
}

/** An input that belongs to other operations, set to something other than its default. */
interface Misfit {
  input: string
  given: (settings: Settings) => boolean
}

// SPEC rule 5. `list` accepts everything `delete` does, so that the same inputs show what
// `delete` would delete.
const NOT_FOR_DOWNLOAD: Misfit[] = [
  { input: 'keep-latest', given: (settings) => settings.keepLatest > 0 },
  { input: 'dry-run', given: (settings) => settings.dryRun },
  { input: 'max-deletions', given: (settings) => settings.maxDeletions !== undefined },
]

// Refused rather than ignored: a user who sets them expects an effect they cannot have. `path`
// is not among them: the runner always fills it from action.yml, so it is ignored.
const DOWNLOAD_ONLY: Misfit[] = [
  { input: 'allow-forks', given: (settings) => settings.allowForks },
  { input: 'merge-multiple', given: (settings) => settings.mergeMultiple },
  { input: 'extract', given: (settings) => !settings.extract },
  { input: 'delete-after-download', given: (settings) => settings.deleteAfterDownload },
]

function checkOptionsFitOperation(settings: Settings, getInput: GetInput): void {
  const isDownload = settings.operation === 'download'
  const misfits = isDownload ? NOT_FOR_DOWNLOAD : DOWNLOAD_ONLY
  const misfit = misfits.find((candidate) => candidate.given(settings))
  if (misfit) {
    const appliesTo = isDownload ? 'list and delete' : 'download'
    throw new InputError(
      misfit.input,
      `'${getInput(misfit.input)}' cannot be used with operation '${settings.operation}': ` +
        `it applies to ${appliesTo} only`,
    )
  }
}

/** SPEC rule 6: deleting every artifact of a repository must be asked for explicitly. */
function checkDeleteIsNarrowed(settings: Settings): void {
  if (settings.operation !== 'delete') return
  const narrowed =
    settings.names.length > 0 ||
    settings.runId !== undefined ||
    hasRunFilters(settings.runFilters) ||
    settings.olderThanMs !== undefined ||
    settings.minSize !== undefined ||
    settings.keepLatest > 0
  if (!narrowed) {
    const { owner, repo } = settings.repository
    throw new InputError(
      'name',
      `operation 'delete' needs name, run-id, a run filter (workflow, branch, event, commit, ` +
        `pull-request, workflow-conclusion), older-than, min-size or keep-latest; ` +
        `to really delete every artifact of ${owner}/${repo}, set name: '*'`,
    )
  }
}

function readMinSize(getInput: GetInput): number | undefined {
  const minSize = readMeasure(getInput, 'min-size', parseSize)
  // Zero selects everything: it would only slip past the rule-6 guard without narrowing.
  if (minSize === 0) {
    throw new InputError('min-size', `'${getInput('min-size')}' is zero: leave min-size empty`)
  }
  return minSize
}

function readMeasure(
  getInput: GetInput,
  input: string,
  parse: (text: string) => number,
): number | undefined {
  const value = getInput(input)
  if (value === '') return undefined
  try {
    return parse(value)
  } catch (error) {
    throw new InputError(input, error instanceof Error ? error.message : String(error))
  }
}

function readPath(value: string, env: NodeJS.ProcessEnv): string {
  // `~` is expanded as a shell would, since the runner passes the input verbatim.
  const expanded = value === '~' || value.startsWith('~/') ? os.homedir() + value.slice(1) : value
  return path.resolve(env.GITHUB_WORKSPACE || process.cwd(), expanded)
}

function readBoolean(getInput: GetInput, input: string, fallback: boolean): boolean {
  const value = getInput(input)
  if (value === '') return fallback
  if (TRUE_WORDS.includes(value)) return true
  if (FALSE_WORDS.includes(value)) return false
  throw new InputError(input, `'${value}' is not a boolean: use true or false`)
}

function readChoice<T extends string>(
  getInput: GetInput,
  input: string,
  choices: readonly T[],
): T | undefined {
  const value = getInput(input)
  if (value === '') return undefined
  const choice = choices.find((candidate) => candidate === value)
  if (choice === undefined) {
    throw new InputError(input, `'${value}' is not one of ${choices.join(', ')}`)
  }
  return choice
}

function readMatching(getInput: GetInput, input: string, format: Format): string | undefined {
  const value = getInput(input)
  if (value === '') return undefined
  if (!format.pattern.test(value))
    throw new InputError(input, `'${value}' is not ${format.expected}`)
  return value
}

function readInteger(getInput: GetInput, input: string, minimum: 0 | 1): number | undefined {
  const value = getInput(input)
  if (value === '') return undefined
  const integer = toInteger(value, minimum)
  if (integer === undefined) {
    const kind = minimum === 1 ? 'a positive' : 'a non-negative'
    throw new InputError(input, `'${value}' is not ${kind} whole number`)
  }
  return integer
}

/** The decimal integer the text spells, digits only, or undefined below `minimum` or unsafe. */
function toInteger(text: string, minimum: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined
  const integer = Number(text)
  return integer >= minimum && Number.isSafeInteger(integer) ? integer : undefined
}
