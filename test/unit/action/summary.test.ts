import { describe, expect, it } from '@jest/globals'
import type { ArtifactRecord } from '../../../src/core/artifact.js'
import type { Outcome } from '../../../src/core/outcome.js'
import { buildSummary, escapeMarkdown } from '../../../src/action/summary.js'

function record(id: number, name = `artifact-${id}`): ArtifactRecord {
  return {
    repository: 'octo-org/octo-repo',
    id,
    name,
    size_in_bytes: 1536,
    created_at: '2026-11-01T00:00:00Z',
    expires_at: '2027-01-30T00:00:00Z',
    expired: false,
    digest: null,
    run_id: 77,
    head_branch: 'main',
    head_sha: 'a'.repeat(40),
  }
}

function outcome(overrides: Partial<Outcome>): Outcome {
  return {
    operation: 'list',
    artifacts: [],
    dryRun: false,
    kept: 0,
    notes: [],
    failures: [],
    ...overrides,
  }
}

describe('job summary', () => {
  it('shows a row per artifact with a readable size and the totals', () => {
    const summary = buildSummary(outcome({ artifacts: [record(1), record(2)] }))

    expect(summary).toContain('## Artifacts listed')
    expect(summary).toContain('**2** artifacts, **3.00 KB**')
    expect(summary).toContain(
      '| octo-org/octo-repo | artifact-1 | 1.50 KB | 2026-11-01T00:00:00Z | 2027-01-30T00:00:00Z | 77 | main | no |',
    )
    expect(summary).not.toContain('<details>')
  })

  it('reports the storage each repository and the largest names hold, largest first', () => {
    const sized = (repository: string, name: string, size: number): ArtifactRecord => ({
      ...record(size, name),
      repository,
      size_in_bytes: size,
    })
    const artifacts = [
      sized('octo-org/web', 'dist', 1024),
      sized('octo-org/api', 'dist', 3072),
      sized('octo-org/api', 'coverage', 512),
      sized('mona/tiny', 'logs', 100),
    ]

    const summary = buildSummary(outcome({ artifacts }))

    const report = summary.slice(summary.indexOf('### Storage by repository'))
    const rows = report.split('\n').filter((line) => /^\| [a-z]/.test(line))
    expect(rows.slice(0, 3)).toEqual([
      '| octo-org/api | 2 | 3.50 KB |',
      '| octo-org/web | 1 | 1.00 KB |',
      '| mona/tiny | 1 | 100 B |',
    ])
    expect(rows.slice(3, 6)).toEqual([
      '| dist | 2 | 2 | 4.00 KB |',
      '| coverage | 1 | 1 | 512 B |',
      '| logs | 1 | 1 | 100 B |',
    ])
  })

  it('counts each repository once for a name, however its artifacts are interleaved', () => {
    const held = (repository: string, id: number): ArtifactRecord => ({
      ...record(id, 'dist'),
      repository,
    })
    const artifacts = [
      held('octo-org/web', 1),
      held('octo-org/api', 2),
      held('octo-org/web', 3),
      held('octo-org/api', 4),
      held('mona/tiny', 5),
    ]

    const summary = buildSummary(outcome({ artifacts }))

    expect(summary).toContain('| dist | 5 | 3 | 7.50 KB |')
  })

  it('shows the ten names holding the most storage, ties by name, out of how many', () => {
    const sizes = [300, 100, 1200, 100, 700, 50, 900, 100, 400, 20, 800, 600]
    const artifacts = sizes.map((size, index) => ({
      ...record(index + 1, `name-${String.fromCharCode(108 - index)}`),
      size_in_bytes: size,
    }))

    const summary = buildSummary(outcome({ artifacts }))

    const report = summary.slice(summary.indexOf('### Names holding the most storage'))
    expect(report.split('\n')[0]).toBe('### Names holding the most storage (10 of 12)')
    const names = report
      .split('\n')
      .filter((line) => line.startsWith('| name-'))
      .map((line) => line.split(' | ')[0].slice(2))
    expect(names).toEqual([
      'name-j',
      'name-f',
      'name-b',
      'name-h',
      'name-a',
      'name-d',
      'name-l',
      'name-e',
      'name-i',
      'name-k',
    ])
  })

  it('says where each downloaded artifact was saved', () => {
    const summary = buildSummary(
      outcome({
        operation: 'download',
        artifacts: [{ ...record(1), path: '/home/runner/out/artifact-1' }],
        runId: 77,
        downloadPath: '/home/runner/out',
      }),
    )

    expect(summary).toContain('## Artifacts downloaded')
    expect(summary).toContain('from run 77 · into /home/runner/out')
    expect(summary).toContain('| Saved to |')
    expect(summary).toContain('| no | /home/runner/out/artifact-1 |')
  })

  it('says "dry run" for a delete that deleted nothing', () => {
    const summary = buildSummary(
      outcome({ operation: 'delete', dryRun: true, artifacts: [record(1)], remaining: 0 }),
    )

    expect(summary).toContain('dry run')
  })

  it('folds long tables and budgets rows by bytes under the 1 MiB summary limit', () => {
    // Names of multi-byte characters: counting characters would overshoot the byte limit.
    const artifacts = Array.from({ length: 20_000 }, (_, i) => record(i, `n${'é'.repeat(200)}${i}`))

    const summary = buildSummary(outcome({ operation: 'delete', artifacts, remaining: 5 }))

    expect(summary).toContain('<details><summary>20000 artifacts</summary>')
    const rows = summary.split('\n').filter((line) => line.startsWith('| octo-org/octo-repo | né'))
    expect(rows.length).toBeGreaterThan(1000)
    expect(summary).toContain(`and ${20_000 - rows.length} more`)
    expect(summary).toContain('5 remaining')
    expect(Buffer.byteLength(summary)).toBeLessThan(1024 * 1024)
    // The budget is used, not a fixed row count: one more row would not have fitted.
    expect(Buffer.byteLength(summary) + Buffer.byteLength(rows[0]) + 1).toBeGreaterThan(
      1024 * 1024 - 4096,
    )
  })

  it('keeps the storage report and the notes of tens of thousands of repositories in budget', () => {
    const artifacts = Array.from({ length: 30_000 }, (_, i) => ({
      ...record(i),
      repository: `octo-org/repository-with-a-long-name-${i}`,
    }))
    const notes = Array.from(
      { length: 30_000 },
      (_, i) =>
        `Skipped 1 selected artifact(s) of octo-org/archived-${i}: the repository is archived.`,
    )

    const summary = buildSummary(outcome({ operation: 'delete', artifacts, notes }))

    expect(Buffer.byteLength(summary)).toBeLessThan(1024 * 1024)
    const repositoryRows = summary
      .split('\n')
      .filter((line) => /^\| octo-org\/\S+ \| 1 \|/.test(line))
    expect(repositoryRows.length).toBeGreaterThan(1000)
    expect(summary).toContain(`…and ${30_000 - repositoryRows.length} more, left out`)
    const noteLines = summary.split('\n').filter((line) => line.startsWith('> Skipped'))
    expect(noteLines.length).toBeGreaterThan(1000)
    expect(summary).toContain(`> …and ${30_000 - noteLines.length} more notes.`)
    // The artifacts keep room of their own.
    const artifactRows = summary.split('\n').filter((line) => / \| artifact-\d+ \| /.test(line))
    expect(artifactRows.length).toBeGreaterThan(1000)
    expect(summary).toContain(`…and ${30_000 - artifactRows.length} more, left out`)
  })

  it('neutralises HTML and Markdown in user-controlled names', () => {
    expect(escapeMarkdown('<img src=x onerror=alert(1)>')).toBe(
      '&lt;img src=x onerror=alert\\(1\\)&gt;',
    )
    expect(escapeMarkdown('a|b')).toBe('a\\|b')
    expect(escapeMarkdown('[link](http://x)')).toBe('\\[link\\]\\(http://x\\)')
  })
})
