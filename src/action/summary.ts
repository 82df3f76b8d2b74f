import type { ArtifactRecord } from '../core/artifact.js'
import type { Outcome } from '../core/outcome.js'
import { formatBytes } from '../core/units.js'

/** Rows shown in the job summary; past this the table says how many more there are. */
const MAX_ROWS = 1000
/** Tables longer than this are folded into a details block. */
const FOLD_AFTER_ROWS = 20

const HEADINGS: Record<Outcome['operation'], string> = {
  list: 'Artifacts listed',
  download: 'Artifacts downloaded',
  delete: 'Artifacts deleted',
}

/** The job summary in Markdown: what was acted on, the totals, and anything left undone. */
export function buildSummary(outcome: Outcome): string {
  const lines = [`## ${heading(outcome)}`, '', totalsLine(outcome), '']
  for (const note of outcome.notes) lines.push(`> ${escapeMarkdown(note)}`, '')
  if (outcome.artifacts.length > 0) lines.push(foldIfLong(table(outcome), outcome.artifacts.length))
  return lines.join('\n') + '\n'
}

function heading(outcome: Outcome): string {
  if (outcome.operation === 'delete' && outcome.dryRun) {
    return 'Artifacts that would be deleted (dry run)'
  }
  return HEADINGS[outcome.operation]
}

function totalsLine(outcome: Outcome): string {
  const count = outcome.artifacts.length
  const bytes = outcome.artifacts.reduce((sum, a) => sum + a.size_in_bytes, 0)
  const parts = [`**${count}** artifact${count === 1 ? '' : 's'}, **${formatBytes(bytes)}**`]
  if (outcome.runId !== undefined) parts.push(`from run ${outcome.runId}`)
  if (outcome.downloadPath !== undefined) parts.push(`into \`${outcome.downloadPath}\``)
  if (outcome.kept > 0) parts.push(`${outcome.kept} kept by \`keep-latest\``)
  if (outcome.remaining !== undefined) parts.push(`${outcome.remaining} remaining`)
  return parts.join(' · ')
}

function table(outcome: Outcome): string {
  const withPath = outcome.operation === 'download'
  const rows = outcome.artifacts.slice(0, MAX_ROWS).map((artifact) => row(artifact, withPath))
  const headings = ['Name', 'Size', 'Created', 'Expires', 'Run', 'Branch', 'Expired']
  const alignments = ['---', '---:', '---', '---', '---:', '---', '---']
  if (withPath) {
    headings.push('Saved to')
    alignments.push('---')
  }
  const lines = [`| ${headings.join(' | ')} |`, `|${alignments.join('|')}|`, ...rows]
  const hidden = outcome.artifacts.length - rows.length
  if (hidden > 0)
    lines.push('', `…and ${hidden} more (all of them are in the \`artifacts\` output).`)
  return lines.join('\n')
}

function row(artifact: ArtifactRecord, withPath: boolean): string {
  const cells = [
    escapeMarkdown(artifact.name),
    formatBytes(artifact.size_in_bytes),
    artifact.created_at ?? '',
    artifact.expires_at ?? '',
    artifact.run_id === null ? '' : String(artifact.run_id),
    escapeMarkdown(artifact.head_branch ?? ''),
    artifact.expired ? 'yes' : 'no',
  ]
  if (withPath) cells.push(`\`${artifact.path ?? ''}\``)
  return `| ${cells.join(' | ')} |`
}

function foldIfLong(markdown: string, rowCount: number): string {
  if (rowCount <= FOLD_AFTER_ROWS) return markdown
  return `<details><summary>${rowCount} artifacts</summary>\n\n${markdown}\n\n</details>`
}

/**
 * Artifact and branch names are user-controlled: neutralise HTML and the Markdown characters that
 * could break a table cell or inject links and formatting.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ')
}
