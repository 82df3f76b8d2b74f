import { Command, CommanderError, Option } from 'commander'
import type { SettingName } from '../core/errors.js'
import type { Operation } from '../core/request.js'
import type { ReadSetting } from '../core/settings.js'
import { BAD_USAGE } from './failures.js'

/** What the command line asks for, before any value is checked: that is the core's job. */
export interface Invocation {
  operation: Operation
  /** Each setting as its flag gave it: repeated flags one value a line, switches 'true'/'false'. */
  read: ReadSetting
  json: boolean
  yes: boolean
  apiUrl?: string
}

/** The parsed invocation, or the exit code when commander already answered (help, bad usage). */
export type Parsed = { invocation: Invocation } | { exitCode: number }

/** Where commander writes help (standard output) and usage errors (standard error). */
export interface ProgramOutput {
  writeOut(text: string): void
  writeErr(text: string): void
  /** Colours a usage error the way the rest of the errors are. */
  error(text: string): string
}

/** A flag that carries a setting: the setting's name is the flag's name. */
interface SettingFlag {
  setting: SettingName
  /** What follows `--setting` in help: `<id>`, or nothing for a switch. */
  value?: string
  description: string
  repeatable?: boolean
  /** A switch that turns the setting off: `--no-extract`. */
  negates?: boolean
}

const SCOPE: SettingFlag[] = [
  {
    setting: 'repository',
    value: '<owner/name>',
    description:
      'repository to act on: owner/name, or owner/* or owner/web-* for every repository of that owner the token lists; repeat for more (download takes one) (default: GITHUB_REPOSITORY, else the origin remote of the git repository here)',
    repeatable: true,
  },
  { setting: 'run-id', value: '<id>', description: 'only artifacts of this workflow run' },
  {
    setting: 'name',
    value: '<pattern>',
    description:
      'which artifacts: an exact name, a glob (* ? [...]) or /regex/flags; repeat for more',
    repeatable: true,
  },
  {
    setting: 'exclude',
    value: '<pattern>',
    description: 'same syntax: a match is never listed, downloaded or deleted; repeat for more',
    repeatable: true,
  },
]

const RUN_FILTERS: SettingFlag[] = [
  { setting: 'workflow', value: '<file|id>', description: 'workflow file name (build.yml) or id' },
  { setting: 'branch', value: '<branch>', description: 'head branch of the run' },
  { setting: 'event', value: '<event>', description: 'push, pull_request, schedule, ...' },
  { setting: 'commit', value: '<sha>', description: 'head commit, 7 to 40 hex digits' },
  { setting: 'pull-request', value: '<number>', description: 'pull request number' },
  {
    setting: 'workflow-conclusion',
    value: '<conclusion>',
    description: 'success, failure, ... (download: success unless given)',
  },
]

const AGE_AND_SIZE: SettingFlag[] = [
  {
    setting: 'older-than',
    value: '<duration>',
    description: 'only artifacts older than this: 90m, 12h, 14d, 2w, P14D',
  },
  {
    setting: 'min-size',
    value: '<size>',
    description: 'only artifacts at least this large: 500, 10KB, 50MB, 1GB',
  },
]

const KEEP_LATEST: SettingFlag = {
  setting: 'keep-latest',
  value: '<n>',
  description: 'per name, the n newest unexpired artifacts are kept',
}

const IF_NO_ARTIFACT_FOUND: SettingFlag = {
  setting: 'if-no-artifact-found',
  value: '<fail|warn|ignore>',
  description: 'what an empty selection does (default: fail for download, warn otherwise)',
}

const DOWNLOAD: SettingFlag[] = [
  {
    setting: 'path',
    value: '<folder>',
    description: 'destination, relative to the current folder (default: the current folder)',
  },
  {
    setting: 'merge-multiple',
    description: 'extract several artifacts into the path itself, not <path>/<name>/',
  },
  { setting: 'extract', negates: true, description: 'save each artifact as <name>.zip' },
  {
    setting: 'delete-after-download',
    description: 'delete each artifact once it is downloaded and verified',
  },
  {
    setting: 'allow-forks',
    description: 'accept artifacts of fork pull-request runs (untrusted input)',
  },
]

const DELETE: SettingFlag[] = [
  { setting: 'dry-run', description: 'show what would be deleted, and delete nothing' },
  { setting: 'max-deletions', value: '<n>', description: 'stop after this many deletions' },
]

interface CommandSpec {
  operation: Operation
  summary: string
  groups: [heading: string, flags: SettingFlag[]][]
}

const COMMANDS: CommandSpec[] = [
  {
    operation: 'list',
    summary: 'list artifacts: the same flags as delete show exactly what delete would delete',
    groups: [
      ['Which artifacts:', [...SCOPE, IF_NO_ARTIFACT_FOUND]],
      ['Run filters (all must match):', RUN_FILTERS],
      ['Retention rules:', [KEEP_LATEST, ...AGE_AND_SIZE]],
    ],
  },
  {
    operation: 'download',
    summary:
      'download artifacts of one run: the one given by --run-id, else the newest successful run holding what was asked for',
    groups: [
      ['Which artifacts:', [...SCOPE, IF_NO_ARTIFACT_FOUND, ...AGE_AND_SIZE]],
      ['Run filters (all must match):', RUN_FILTERS],
      ['Download:', DOWNLOAD],
    ],
  },
  {
    operation: 'delete',
    summary: 'delete artifacts, after showing them and asking (unless --yes or --dry-run)',
    groups: [
      ['Which artifacts:', [...SCOPE, IF_NO_ARTIFACT_FOUND]],
      ['Run filters (all must match):', RUN_FILTERS],
      ['Retention rules:', [KEEP_LATEST, ...AGE_AND_SIZE]],
      ['Delete:', DELETE],
    ],
  },
]

const EPILOGUE = `
Token: GITHUB_TOKEN, else GH_TOKEN, else \`gh auth token\`.
API: --api-url, else GITHUB_API_URL, else GH_HOST's (https://$GH_HOST/api/v3 for GitHub Enterprise Server), else https://api.github.com.
Exit codes: 0 done, 1 the operation failed, 2 bad usage (nothing was asked of the API).`

/** Reads the command line; help and usage errors are answered here, with their exit code. */
export function parseArguments(argv: string[], output: ProgramOutput): Parsed {
  let invocation: Invocation | undefined
  const program = new Command('manage-artifacts')
    .description('List, download and delete GitHub Actions workflow artifacts.')
    .configureOutput({
      writeOut: (text) => output.writeOut(text),
      writeErr: (text) => output.writeErr(text),
      outputError: (text, write) => write(output.error(text)),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EPILOGUE)
    .exitOverride()
  for (const spec of COMMANDS) {
    const command = program.command(spec.operation).description(spec.summary)
    for (const [heading, flags] of spec.groups) {
      for (const flag of flags) command.addOption(optionFor(flag).helpGroup(heading))
    }
    addCommonOptions(command, spec.operation)
    command.addHelpText('after', EPILOGUE).action((options: Record<string, unknown>) => {
      invocation = toInvocation(spec, options)
    })
  }
  try {
    program.parse(argv, { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) {
      return { exitCode: error.exitCode === 0 ? 0 : BAD_USAGE }
    }
    throw error
  }
  return invocation ? { invocation } : { exitCode: BAD_USAGE }
}

function addCommonOptions(command: Command, operation: Operation): void {
  const heading = 'Output and connection:'
  command.addOption(
    new Option(
      '--json',
      'print exactly a JSON array of the artifacts, as the action outputs it',
    ).helpGroup(heading),
  )
  if (operation === 'delete') {
    command.addOption(new Option('--yes', 'delete without asking').helpGroup(heading))
  }
  command.addOption(new Option('--api-url <url>', 'GitHub API root').helpGroup(heading))
}

function optionFor(flag: SettingFlag): Option {
  const name = `--${flag.negates ? 'no-' : ''}${flag.setting}`
  const option = new Option(flag.value ? `${name} ${flag.value}` : name, flag.description)
  if (flag.repeatable) {
    option.argParser((value: string, previous: string[] | undefined) => [
      ...(previous ?? []),
      value,
    ])
  }
  return option
}

function toInvocation(spec: CommandSpec, options: Record<string, unknown>): Invocation {
  const flags = spec.groups.flatMap(([, group]) => group)
  const values = new Map<SettingName, string>([['operation', spec.operation]])
  for (const flag of flags) {
    const value = options[optionFor(flag).attributeName()]
    values.set(flag.setting, settingValue(flag, value))
  }
  return {
    operation: spec.operation,
    read: (setting) => values.get(setting)?.trim() ?? '',
    json: options.json === true,
    yes: options.yes === true,
    apiUrl: options.apiUrl as string | undefined,
  }
}

/** The flag's value as the setting reads it: the text the action's input would hold. */
function settingValue(flag: SettingFlag, value: unknown): string {
  if (flag.negates) return value === false ? 'false' : ''
  if (value === true) return 'true'
  if (Array.isArray(value)) return value.join('\n')
  return typeof value === 'string' ? value : ''
}
