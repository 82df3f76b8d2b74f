/**
 * The action against the embedded GitHub API emulator: a seeded repository with several
 * workflows, branches, a fork pull request and expired artifacts. Each step runs the bundled
 * dist/index.js exactly as the runner would and prints its outputs and job summary. Then the
 * command line, dist/cli/index.js, cleans up a fresh copy of the repository as a user in a
 * terminal would.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runAction, type ActionResult } from '../test/support/action.js'
import { runCli } from '../test/support/cli.js'
import { startEmulator, type Emulator, type SeedRun } from '../test/support/emulator/index.js'

const DAY = 86_400_000
const at = (daysAgo: number): string => new Date(Date.now() - daysAgo * DAY).toISOString()

function demoRuns(): SeedRun[] {
  const runs: SeedRun[] = []
  for (let day = 40; day >= 1; day -= 3) {
    runs.push({
      workflow: 'build.yml',
      branch: 'main',
      createdAt: at(day),
      conclusion: day === 4 ? 'failure' : 'success',
      artifacts: [
        { name: 'dist', files: { 'app.js': `console.log('build of day -${day}')\n` } },
        { name: 'coverage', files: { 'lcov.info': 'TN:\nSF:src/app.js\nend_of_record\n' } },
      ],
    })
  }
  runs.push(
    {
      workflow: 'build.yml',
      branch: 'feature/login',
      event: 'pull_request',
      pullRequests: [42],
      createdAt: at(2),
      artifacts: [{ name: 'dist', files: { 'app.js': "console.log('login')\n" } }],
    },
    {
      workflow: 'build.yml',
      branch: 'patch-1',
      event: 'pull_request',
      pullRequests: [43],
      fromFork: true,
      createdAt: at(0.5),
      artifacts: [{ name: 'dist', files: { 'app.js': "console.log('from a fork')\n" } }],
    },
    {
      workflow: 'nightly.yml',
      event: 'schedule',
      createdAt: at(95),
      artifacts: [{ name: 'perf-report', expired: true }],
    },
    {
      workflow: 'release.yml',
      event: 'push',
      branch: 'main',
      createdAt: at(60),
      artifacts: [{ name: 'release-1.0', files: { 'NOTES.md': '# 1.0\n' } }],
    },
  )
  return runs
}

function show(title: string, result: ActionResult, outputs: string[]): void {
  console.log(`\n=== ${title} (exit code ${result.exitCode})`)
  for (const line of [...result.warnings.map((w) => `warning: ${w}`), ...result.errors]) {
    console.log(`  ${line}`)
  }
  for (const name of outputs) {
    const value = result.outputs[name] ?? ''
    console.log(`  ${name}: ${value.length > 300 ? `${value.slice(0, 300)}…` : value}`)
  }
  console.log('\n' + result.summary.replace(/^/gm, '  │ '))
}

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(folder, path.join(e.parentPath, e.name)))
}

async function demo(emulator: Emulator, workspace: string): Promise<void> {
  const names = (result: ActionResult): string =>
    (JSON.parse(result.outputs.artifacts || '[]') as { name: string }[])
      .map((a) => a.name)
      .join(', ')

  const listed = await runAction({
    emulator,
    workspace,
    inputs: { operation: 'list', name: 'dist' },
  })
  show("list: every artifact named 'dist'", listed, ['count', 'total-bytes'])

  const download = await runAction({
    emulator,
    workspace,
    inputs: {
      operation: 'download',
      workflow: 'build.yml',
      branch: 'main',
      name: 'dist',
      path: 'out',
    },
  })
  show('download: newest successful build of main, from another run', download, [
    'run-id',
    'download-path',
    'count',
  ])
  const downloaded = download.outputs['download-path']
  if (downloaded) console.log(`  files: ${(await listFiles(downloaded)).join(', ')}`)

  const pullRequest = await runAction({
    emulator,
    workspace,
    inputs: { operation: 'download', event: 'pull_request', name: 'dist', path: 'pr' },
  })
  show('download: newest pull-request build; the fork run is untrusted and skipped', pullRequest, [
    'run-id',
    'count',
  ])

  const retention = {
    operation: 'delete',
    'older-than': '14d',
    'keep-latest': '3',
    exclude: 'release-*',
  }
  const dryRun = await runAction({
    emulator,
    workspace,
    inputs: { ...retention, 'dry-run': 'true' },
  })
  show('delete, dry run: keep the 3 newest of each name, the rest older than 14 days', dryRun, [
    'count',
    'total-bytes',
  ])
  const cleanUp = await runAction({ emulator, workspace, inputs: retention })
  show('delete: the same retention rule for real', cleanUp, ['count', 'remaining'])
  console.log(`  deleted: ${names(cleanUp)}`)
  console.log(`  left on the server: ${emulator.artifacts().length} artifacts`)
}

/**
 * What fills a quota: large end-to-end test recordings uploaded every other day. Their sizes
 * are declared (the listing reports them) rather than served, as nothing here downloads them.
 */
function quotaRuns(): SeedRun[] {
  const runs: SeedRun[] = []
  for (let day = 24; day >= 2; day -= 2) {
    runs.push({
      workflow: 'e2e.yml',
      branch: 'main',
      createdAt: at(day),
      artifacts: [
        { name: 'e2e-videos', sizeInBytes: (60 + day) * 1024 * 1024 },
        { name: 'e2e-logs', sizeInBytes: 2 * 1024 * 1024 },
      ],
    })
  }
  return runs
}

/** The README's jq summary of `list --json`: the names holding the most bytes. */
function biggestNames(json: string): string {
  const totals = new Map<string, { count: number; bytes: number }>()
  for (const { name, size_in_bytes } of JSON.parse(json) as {
    name: string
    size_in_bytes: number
  }[]) {
    const total = totals.get(name) ?? { count: 0, bytes: 0 }
    totals.set(name, { count: total.count + 1, bytes: total.bytes + size_in_bytes })
  }
  return [...totals]
    .sort(([, a], [, b]) => b.bytes - a.bytes)
    .slice(0, 10)
    .map(([name, { count, bytes }]) => `${Math.floor(bytes / 1048576)} MiB  ${count}×  ${name}`)
    .join('\n')
}

/**
 * The quota-emergency recipe of the README, with the bundled command line, standard input not
 * a terminal (so the unconfirmed delete is refused, and `--yes` confirms).
 */
async function terminalDemo(emulator: Emulator, folder: string): Promise<void> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: folder,
    GITHUB_API_URL: emulator.apiUrl,
    GH_TOKEN: emulator.token,
    GITHUB_REPOSITORY: `${emulator.owner}/${emulator.repo}`,
  }
  const rule = ['delete', '--name', 'e2e-*', '--older-than', '7d', '--keep-latest', '2']
  const steps = [
    ['list', '--min-size', '50MB'],
    ['list', '--json'],
    [...rule, '--dry-run'],
    rule,
    [...rule, '--yes'],
    ['download', '--name', 'dist', '--path', 'out'],
    ['list', '--run-id', 'abc'],
  ]
  for (const args of steps) {
    const result = await runCli(args, { env, cwd: folder })
    const quoted = args.map((arg) => (/[*]/.test(arg) ? `'${arg}'` : arg)).join(' ')
    const json = args.includes('--json')
    const shown = json ? `${quoted} | jq ... (the names holding the most bytes)` : quoted
    console.log(`\n=== $ manage-artifacts ${shown}   (exit code ${result.exitCode})`)
    const stdout = json ? biggestNames(result.stdout) : result.stdout
    for (const [text, margin] of [
      [stdout, '│'],
      [result.stderr, '┊'],
    ]) {
      if (text !== '') console.log(text.trimEnd().replace(/^/gm, `  ${margin} `))
    }
  }
  console.log('\n  (│ standard output, ┊ standard error)')
  console.log(`  left on the server: ${emulator.artifacts().length} artifacts`)
}

const emulator = await startEmulator({ seed: { runs: demoRuns() } })
const workspace = await mkdtemp(path.join(tmpdir(), 'demo-workspace-'))
try {
  console.log(`GitHub API emulator at ${emulator.apiUrl} (storage at ${emulator.storageUrl})`)
  console.log(
    `repository ${emulator.owner}/${emulator.repo}: ${emulator.artifacts().length} artifacts`,
  )
  await demo(emulator, workspace)
} finally {
  await emulator.close()
  await rm(workspace, { recursive: true, force: true })
}

const fresh = await startEmulator({ seed: { runs: [...demoRuns(), ...quotaRuns()] } })
const folder = await mkdtemp(path.join(tmpdir(), 'demo-terminal-'))
try {
  console.log(
    `\n\n##### From a terminal: the same repository afresh, with large test recordings: ${fresh.artifacts().length} artifacts`,
  )
  await terminalDemo(fresh, folder)
} finally {
  await fresh.close()
  await rm(folder, { recursive: true, force: true })
}
