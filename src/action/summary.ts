import type { ArtifactRecord } from '../core/artifact.js'
import type { Outcome } from '../core/outcome.js'
import { bytesOf, largestNames, repositoryTotals } from '../core/storage-report.js'
import { formatBytes } from '../core/units.js'

/**
 * GitHub refuses a job summary larger than 1 MiB. Rows are added while the whole summary stays
 * under this many bytes, with room kept for the line saying how many were left out.
 */
const SUMMARY_BYTE_BUDGET = 1024 * 1024 - 4096
/**
 * The notes, and the storage report's rows of repositories, each take at most this share of the
 * budget: an owner with tens of thousands of repositories still leaves room for the artifacts.
 */
const SECTION_BYTE_BUDGET = SUMMARY_BYTE_BUDGET / 4
/** Tables longer than this are folded into a details block. */
const FOLD_AFTER_ROWS = 20
/** Names shown in the storage report's table of the names holding the most bytes. */
const TOP_NAMES = 10

const HEADINGS: Record<Outcome['operation'], string> = {
  list: 'Artifacts listed',
  download: 'Artifacts downloaded',
  delete: 'Artifacts deleted',
}

/** One column of the table: its heading, alignment, when it is shown, and its raw cell text. */
interface Column {
  heading: string
  align: '---' | '---:'
  shown?: (outcome: Outcome) => boolean
  /** Plain text: every cell is escaped when the row is written. */
  cell: (artifact: ArtifactRecord) => string
}

const COLUMNS: Column[] = [
  { heading: 'Repository', align: '---', cell: (a) => a.repository },
  { heading: 'Name', align: '---', cell: (a) => a.name },
  { heading: 'Size', align: '---:', cell: (a) => formatBytes(a.size_in_bytes) },
  { heading: 'Created', align: '---', cell: (a) => a.created_at ?? '' },
  { heading: 'Expires', align: '---', cell: (a) => a.expires_at ?? '' },
  { heading: 'Run', align: '---:', cell: (a) => (a.run_id === null ? '' : String(a.run_id)) },
  { heading: 'Branch', align: '---', cell: (a) => a.head_branch ?? '' },
  { heading: 'Expired', align: '---', cell: (a) => (a.expired ? 'yes' : 'no') },
  {
    heading: 'Saved to',
    align: '---',
    shown: (outcome) => outcome.operation === 'download',
    cell: (a) => a.path ?? '',
  },
]

/**
 * The job summary in Markdown: what was acted on and its totals, anything left undone, then a
 * storage report (the size held in each repository and by the largest names across them all)
 * and every artifact that fits.
 */
export function buildSummary(outcome: Outcome): string {
  const lines = [`## ${heading(outcome)}`, '', totalsLine(outcome), '']
  const notes = fitting(
    outcome.notes.map((note) => `> ${escapeMarkdown(note)}\n`),
    SECTION_BYTE_BUDGET,
  )
  lines.push(...notes)
  if (notes.length < outcome.notes.length) {
    lines.push(`> …and ${outcome.notes.length - notes.length} more notes.`, '')
  }
  // A download takes one run's artifacts: where storage goes is no question it answers.
  if (outcome.artifacts.length > 0 && outcome.operation !== 'download') {
    lines.push(...storageReport(outcome.artifacts), '')
  }
  const head = lines.join('\n')
  if (outcome.artifacts.length === 0) return head + '\n'
  return `${head}\n${foldIfLong(table(outcome, Buffer.byteLength(head)), outcome.artifacts.length)}\n`
}

/** One row per repository, as many as fit their share of the budget, and ten names. */
function storageReport(artifacts: ArtifactRecord[]): string[] {
  const repositories = repositoryTotals(artifacts)
  const names = largestNames(artifacts, TOP_NAMES)
  const repositoryRows = fitting(
    repositories.map((total) =>
      tableRow([total.repository, String(total.count), formatBytes(total.total_bytes)]),
    ),
    SECTION_BYTE_BUDGET,
  )
  const hiddenRepositories = repositories.length - repositoryRows.length
  const repositoryTable = [
    '| Repository | Artifacts | Size |',
    '|---|---:|---:|',
    ...repositoryRows,
  ]
  if (hiddenRepositories > 0) {
    repositoryTable.push(
      '',
      `…and ${hiddenRepositories} more, left out to keep the summary under GitHub's 1 MiB limit.`,
    )
  }
  const nameRows = names.largest.map((total) =>
    tableRow([
      total.name,
      String(total.count),
      String(total.repositories),
      formatBytes(total.total_bytes),
    ]),
  )
  const shown = names.nameCount > TOP_NAMES ? ` (${TOP_NAMES} of ${names.nameCount})` : ''
  return [
    '### Storage by repository',
    '',
    foldIfLong(repositoryTable.join('\n'), repositories.length, 'repositories'),
    '',
    `### Names holding the most storage${shown}`,
    '',
    '| Name | Artifacts | Repositories | Size |',
    '|---|---:|---:|---:|',
    ...nameRows,
  ]
}

/** A table row of plain-text cells, each escaped. */
function tableRow(cells: string[]): string {
  return `| ${cells.map(escapeMarkdown).join(' | ')} |`
}

function heading(outcome: Outcome): string {
  if (outcome.operation === 'delete' && outcome.dryRun) {
    return 'Artifacts that would be deleted (dry run)'
  }
  return HEADINGS[outcome.operation]
}

function totalsLine(outcome: Outcome): string {
  const count = outcome.artifacts.length
  const bytes = bytesOf(outcome.artifacts)
  const parts = [`**${count}** artifact${count === 1 ? '' : 's'}, **${formatBytes(bytes)}**`]
  if (outcome.runId !== undefined) parts.push(`from run ${outcome.runId}`)
  if (outcome.downloadPath !== undefined) parts.push(`into ${escapeMarkdown(outcome.downloadPath)}`)
  if (outcome.kept > 0) parts.push(`${outcome.kept} kept by \`keep-latest\``)
  if (outcome.remaining !== undefined) parts.push(`${outcome.remaining} remaining`)
  return parts.join(' · ')
}

/** The table, with as many rows as fit the byte budget after `usedBytes` of summary. */
function table(outcome: Outcome, usedBytes: number): string {
  const columns = COLUMNS.filter((column) => column.shown?.(outcome) ?? true)
  const lines = [
    `| ${columns.map((c) => c.heading).join(' | ')} |`,
    `|${columns.map((c) => c.align).join('|')}|`,
  ]
  const rows = fitting(
    artifactRows(outcome.artifacts, columns),
    SUMMARY_BYTE_BUDGET - usedBytes - Buffer.byteLength(lines.join('\n')),
  )
  lines.push(...rows)
  const hidden = outcome.artifacts.length - rows.length
  if (hidden > 0) {
    lines.push(
      '',
      `…and ${hidden} more, left out to keep the summary under GitHub's 1 MiB limit (all of them are in the \`artifacts-file\` output).`,
    )
  }
  return lines.join('\n')
}

function* artifactRows(artifacts: ArtifactRecord[], columns: Column[]): Iterable<string> {
  for (const artifact of artifacts) yield tableRow(columns.map((c) => c.cell(artifact)))
}

/**
 * The first lines that fit in `budget` bytes, a newline each. Read lazily: a table of 100,000
 * artifacts is never made whole.
 */
function fitting(lines: Iterable<string>, budget: number): string[] {
  const fitted: string[] = []
  let bytes = 0
  for (const line of lines) {
    bytes += Buffer.byteLength(line) + 1
    if (bytes > budget) break
    fitted.push(line)
  }
  return fitted
}

function foldIfLong(markdown: string, rowCount: number, what = 'artifacts'): string {
  if (rowCount <= FOLD_AFTER_ROWS) return markdown
  return `<details><summary>${rowCount} ${what}</summary>\n\n${markdown}\n\n</details>`
}

/**
 * Artifact names, branches and paths are user-controlled: neutralise HTML and the Markdown
 * characters that could break a table cell or inject links and formatting.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/\r?\n|\r/g, ' ')
}
