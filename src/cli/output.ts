import type { Colors } from 'picocolors/types.js'
import type { ArtifactRecord } from '../core/artifact.js'
import type { Outcome } from '../core/outcome.js'
import { bytesOf } from '../core/storage-report.js'
import { formatBytes } from '../core/units.js'
import { flagWording } from './failures.js'

/** `--json`: exactly the array the action sets as its `artifacts` output. */
export function jsonOutput(outcome: Outcome): string {
  return `${JSON.stringify(outcome.artifacts, null, 2)}\n`
}

interface Column {
  heading: string
  cell: (artifact: ArtifactRecord) => string
  alignRight?: boolean
}

const COLUMNS: Column[] = [
  { heading: 'NAME', cell: (a) => a.name },
  { heading: 'SIZE', cell: (a) => formatBytes(a.size_in_bytes), alignRight: true },
  { heading: 'CREATED', cell: (a) => shortTime(a.created_at) },
  { heading: 'RUN', cell: (a) => (a.run_id === null ? '' : String(a.run_id)), alignRight: true },
  { heading: 'BRANCH', cell: (a) => a.head_branch ?? '' },
  { heading: 'EXPIRED', cell: (a) => (a.expired ? 'yes' : 'no') },
]

const SAVED_TO: Column = { heading: 'SAVED TO', cell: (a) => a.path ?? '' }
const REPOSITORY: Column = { heading: 'REPOSITORY', cell: (a) => a.repository }

/**
 * The artifacts as a table, one a line, then a totals line; the repository of each is shown
 * when the lines given may name several, even if what was acted on is in one of them.
 */
export function tableOutput(
  outcome: Outcome,
  colours: Colors,
  severalRepositories: boolean,
): string {
  const columns = [
    ...(severalRepositories ? [REPOSITORY] : []),
    ...COLUMNS,
    ...(outcome.operation === 'download' ? [SAVED_TO] : []),
  ]
  const rows = outcome.artifacts.map((artifact) => columns.map((column) => column.cell(artifact)))
  const widths = columns.map((column, index) =>
    Math.max(column.heading.length, ...rows.map((row) => row[index].length)),
  )
  const line = (cells: string[]): string =>
    cells
      .map((cell, index) =>
        columns[index].alignRight ? cell.padStart(widths[index]) : cell.padEnd(widths[index]),
      )
      .join('  ')
      .trimEnd()
  const table = rows.length
    ? [colours.bold(line(columns.map((column) => column.heading))), ...rows.map(line)]
    : []
  return [...table, colours.bold(totalsLine(outcome))].join('\n') + '\n'
}

const DONE: Record<Outcome['operation'], string> = {
  list: 'listed',
  download: 'downloaded',
  delete: 'deleted',
}

function totalsLine(outcome: Outcome): string {
  const count = outcome.artifacts.length
  const done =
    outcome.operation === 'delete' && outcome.dryRun
      ? 'would be deleted (dry run)'
      : DONE[outcome.operation]
  const parts = [
    `${count} artifact${count === 1 ? '' : 's'}, ${formatBytes(bytesOf(outcome.artifacts))}, ${done}`,
  ]
  if (outcome.runId !== undefined) parts.push(`from run ${outcome.runId}`)
  if (outcome.downloadPath !== undefined) parts.push(`into ${outcome.downloadPath}`)
  if (outcome.kept > 0) parts.push(`${outcome.kept} kept by ${flagWording('keep-latest')}`)
  if (outcome.remaining) parts.push(`${outcome.remaining} remaining`)
  return parts.join(' · ')
}

/** `2026-11-25 16:04` (UTC): what a table needs of an ISO time. */
function shortTime(iso: string | null): string {
  if (iso === null) return ''
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso)
  return match ? `${match[1]} ${match[2]}` : iso
}
