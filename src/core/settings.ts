/**
 * Every setting, parsed and validated into a Request before the first API call, the same way for
 * every front end: each reads the user's words its own way (action inputs, terminal flags) and
 * hands them over by setting name.
 */
import * as os from 'node:os'
import * as path from 'node:path'
import { errorText, SettingError, type SettingName, type Wording } from './errors.js'
import { parsePatterns } from './patterns.js'
import {
  hasRunFilters,
  searchesForRun,
  type DeleteOptions,
  type DownloadOptions,
  type IfNoArtifactFound,
  type Operation,
  type Query,
  type RepositoryPattern,
  type Request,
  type RunFilters,
} from './request.js'
import { parseDuration, parseSize } from './units.js'

/** The trimmed value the user gave a setting, '' when none was given. */
export type ReadSetting = (setting: SettingName) => string

/** What a front end knows of where it runs, that settings left empty fall back to. */
export interface SettingContext {
  /** Folder a relative `path` is taken from. */
  baseDirectory: string
  /** The run this process belongs to, if any. */
  currentRunId?: number
}

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
// A glob in the name part adds `*`, `?`, `[...]` classes (`!` or `^` negating one) and `{a,b}` sets.
const REPOSITORY_NAME_OR_GLOB = /^[A-Za-z0-9._\-*?[\]!^{},]+$/

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

/** The request the settings describe; throws a SettingError naming the first one that is wrong. */
export function parseRequest(read: ReadSetting, context: SettingContext): Request {
  const operation = readOperation(read)
  const base = {
    repositories: parseRepositories(read('repository'), operation),
    query: readQuery(read),
    ifNoArtifactFound:
      readChoice(read, 'if-no-artifact-found', IF_NO_ARTIFACT_FOUND) ??
      (operation === 'download' ? 'fail' : 'warn'),
  }
  const download = readDownloadOptions(read, context)
  const remove = readDeleteOptions(read)
  checkOptionsFitOperation(operation, { query: base.query, download, remove }, read)
  if (operation === 'download') {
    applyConclusionDefault(base.query, download.currentRunId)
    return { ...base, operation, download }
  }
  if (operation === 'delete') {
    checkDeleteIsNarrowed(base.query, base.repositories)
    return { ...base, operation, delete: remove }
  }
  return { ...base, operation }
}

function readQuery(read: ReadSetting): Query {
  return {
    runId: readInteger(read, 'run-id', 1),
    names: parsePatterns('name', read('name')),
    exclude: parsePatterns('exclude', read('exclude')),
    runFilters: readRunFilters(read),
    olderThanMs: readMeasure(read, 'older-than', parseDuration),
    keepLatest: readInteger(read, 'keep-latest', 0) ?? 0,
    minSize: readMinSize(read),
  }
}

function readDownloadOptions(read: ReadSetting, context: SettingContext): DownloadOptions {
  return {
    path: readPath(read('path'), context.baseDirectory),
    mergeMultiple: readBoolean(read, 'merge-multiple', false),
    extract: readBoolean(read, 'extract', true),
    deleteAfterDownload: readBoolean(read, 'delete-after-download', false),
    allowForks: readBoolean(read, 'allow-forks', false),
    cache: readBoolean(read, 'cache', false),
    currentRunId: context.currentRunId,
  }
}

function readDeleteOptions(read: ReadSetting): DeleteOptions {
  return {
    dryRun: readBoolean(read, 'dry-run', false),
    maxDeletions: readInteger(read, 'max-deletions', 1),
  }
}

function readOperation(read: ReadSetting): Operation {
  const operation = readChoice(read, 'operation', OPERATIONS)
  if (operation === undefined) {
    throw new SettingError('operation', () => `required: one of ${OPERATIONS.join(', ')}`)
  }
  return operation
}

/**
 * One `owner/name` a line; the name may be a glob (`owner/*`, `owner/web-*`). `download` takes
 * exactly one line: it writes one repository's artifacts into one folder.
 */
function parseRepositories(value: string, operation: Operation): RepositoryPattern[] {
  const lines = value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
  if (lines.length === 0) {
    throw new SettingError('repository', () => 'required: set it to owner/name')
  }
  if (operation === 'download' && lines.length > 1) {
    throw new SettingError(
      'repository',
      () => `operation 'download' takes one repository, not ${lines.length} lines`,
    )
  }
  return lines.map(parseRepositoryLine)
}

function parseRepositoryLine(line: string): RepositoryPattern {
  const [owner, name, ...rest] = line.split('/')
  const valid =
    rest.length === 0 &&
    OWNER.test(owner) &&
    name !== undefined &&
    REPOSITORY_NAME_OR_GLOB.test(name) &&
    name !== '.' &&
    name !== '..'
  if (!valid) {
    throw new SettingError(
      'repository',
      () =>
        `'${line}' is not owner/name (owner: letters, digits and single hyphens; ` +
        "name: letters, digits, '-', '_' and '.', or a glob such as owner/* or owner/web-*)",
    )
  }
  const [pattern] = parsePatterns('repository', name)
  return { owner, name: pattern }
}

function readRunFilters(read: ReadSetting): RunFilters {
  return {
    workflow: readMatching(read, 'workflow', WORKFLOW),
    branch: readMatching(read, 'branch', BRANCH),
    event: readMatching(read, 'event', EVENT),
    commit: readMatching(read, 'commit', COMMIT)?.toLowerCase(),
    pullRequest: readInteger(read, 'pull-request', 1),
    conclusion: readChoice(read, 'workflow-conclusion', CONCLUSIONS),
  }
}

/**
 * `download` with run filters (or outside any run) searches back for the newest matching run,
 * and an empty `workflow-conclusion` then means `success`, so a failed or unfinished run is not
 * taken. `run-id` together with run filters is allowed: the filters must then match that run.
 * As that run is named rather than searched for, the `success` default does not apply to it: a
 * `workflow_run`-triggered job can fetch a failed run's artifacts by id.
 */
function applyConclusionDefault(query: Query, currentRunId: number | undefined): void {
  if (searchesForRun(query, currentRunId)) query.runFilters.conclusion ??= 'success'
}

/** What the settings say, for the checks of which operation each setting belongs to. */
interface Given {
  query: Query
  download: DownloadOptions
  remove: DeleteOptions
}

/** A setting that belongs to other operations, set to something other than its default. */
interface Misfit {
  setting: SettingName
  given: (settings: Given) => boolean
}

// `list` accepts everything `delete` does, so that the same settings show what `delete` would
// delete.
const NOT_FOR_DOWNLOAD: Misfit[] = [
  { setting: 'keep-latest', given: ({ query }) => query.keepLatest > 0 },
  { setting: 'dry-run', given: ({ remove }) => remove.dryRun },
  { setting: 'max-deletions', given: ({ remove }) => remove.maxDeletions !== undefined },
]

// Refused rather than ignored: a user who sets them expects an effect they cannot have. `path`
// is not among them: the runner always fills it from action.yml, so it is ignored.
const DOWNLOAD_ONLY: Misfit[] = [
  { setting: 'allow-forks', given: ({ download }) => download.allowForks },
  { setting: 'merge-multiple', given: ({ download }) => download.mergeMultiple },
  { setting: 'extract', given: ({ download }) => !download.extract },
  { setting: 'delete-after-download', given: ({ download }) => download.deleteAfterDownload },
  { setting: 'cache', given: ({ download }) => download.cache },
]

function checkOptionsFitOperation(operation: Operation, given: Given, read: ReadSetting): void {
  const isDownload = operation === 'download'
  const misfits = isDownload ? NOT_FOR_DOWNLOAD : DOWNLOAD_ONLY
  const misfit = misfits.find((candidate) => candidate.given(given))
  if (misfit) {
    const appliesTo = isDownload ? 'list and delete' : 'download'
    throw new SettingError(
      misfit.setting,
      () =>
        `'${read(misfit.setting)}' cannot be used with operation '${operation}': ` +
        `it applies to ${appliesTo} only`,
    )
  }
}

/** Deleting every artifact of the repositories must be asked for explicitly. */
function checkDeleteIsNarrowed(query: Query, repositories: RepositoryPattern[]): void {
  const narrowed =
    query.names.length > 0 ||
    query.runId !== undefined ||
    hasRunFilters(query.runFilters) ||
    query.olderThanMs !== undefined ||
    query.minSize !== undefined ||
    query.keepLatest > 0
  if (narrowed) return
  const list = (word: Wording, settings: SettingName[]): string =>
    settings.map((setting) => word(setting)).join(', ')
  throw new SettingError(
    'name',
    (word) =>
      `operation 'delete' needs ${list(word, ['name', 'run-id'])}, a run filter ` +
      `(${list(word, ['workflow', 'branch', 'event', 'commit', 'pull-request', 'workflow-conclusion'])}), ` +
      `${list(word, ['older-than', 'min-size'])} or ${word('keep-latest')}; ` +
      `to really delete every artifact of ${describePatterns(repositories)}, set ${word('name', "'*'")}`,
  )
}

/** The lines of the `repository` setting, as the user wrote them. */
function describePatterns(patterns: RepositoryPattern[]): string {
  return patterns.map(({ owner, name }) => `${owner}/${name.source}`).join(', ')
}

function readMinSize(read: ReadSetting): number | undefined {
  const minSize = readMeasure(read, 'min-size', parseSize)
  // Zero selects everything: it would only slip past the narrowing guard without narrowing.
  if (minSize === 0) {
    throw new SettingError(
      'min-size',
      (word) => `'${read('min-size')}' is zero: leave ${word('min-size')} empty`,
    )
  }
  return minSize
}

function readMeasure(
  read: ReadSetting,
  setting: SettingName,
  parse: (text: string) => number,
): number | undefined {
  const value = read(setting)
  if (value === '') return undefined
  try {
    return parse(value)
  } catch (error) {
    throw new SettingError(setting, () => errorText(error))
  }
}

function readPath(value: string, baseDirectory: string): string {
  // `~` is expanded as a shell would, since the runner passes the input verbatim.
  const expanded = value === '~' || value.startsWith('~/') ? os.homedir() + value.slice(1) : value
  return path.resolve(baseDirectory, expanded)
}

function readBoolean(read: ReadSetting, setting: SettingName, fallback: boolean): boolean {
  const value = read(setting)
  if (value === '') return fallback
  if (TRUE_WORDS.includes(value)) return true
  if (FALSE_WORDS.includes(value)) return false
  throw new SettingError(setting, () => `'${value}' is not a boolean: use true or false`)
}

function readChoice<T extends string>(
  read: ReadSetting,
  setting: SettingName,
  choices: readonly T[],
): T | undefined {
  const value = read(setting)
  if (value === '') return undefined
  const choice = choices.find((candidate) => candidate === value)
  if (choice === undefined) {
    throw new SettingError(setting, () => `'${value}' is not one of ${choices.join(', ')}`)
  }
  return choice
}

function readMatching(read: ReadSetting, setting: SettingName, format: Format): string | undefined {
  const value = read(setting)
  if (value === '') return undefined
  if (!format.pattern.test(value)) {
    throw new SettingError(setting, () => `'${value}' is not ${format.expected}`)
  }
  return value
}

function readInteger(read: ReadSetting, setting: SettingName, minimum: 0 | 1): number | undefined {
  const value = read(setting)
  if (value === '') return undefined
  const integer = toInteger(value, minimum)
  if (integer === undefined) {
    const kind = minimum === 1 ? 'a positive' : 'a non-negative'
    throw new SettingError(setting, () => `'${value}' is not ${kind} whole number`)
  }
  return integer
}

/** The decimal integer the text spells, digits only, or undefined below `minimum` or unsafe. */
export function toInteger(text: string, minimum: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined
  const integer = Number(text)
  return integer >= minimum && Number.isSafeInteger(integer) ? integer : undefined
}
