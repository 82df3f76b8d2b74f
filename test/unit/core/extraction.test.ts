import { execFileSync } from 'node:child_process'
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  symlink,
  writeFile,
} from 'node:fs/promises'
import path from 'node:path'
import { beforeEach, describe, expect, it } from '@jest/globals'
import type { Clock } from '../../../src/core/clock.js'
import { extractZip, fileNameRules, renameRetrying } from '../../../src/core/download/extraction.js'
import { FakeClock } from '../../support/fake-clock.js'
import { buildZip, type ZipEntry } from '../../support/zip.js'
import { tree, useScratchFolder } from '../../support/fixtures.js'

const SUBJECT = "artifact 'dist' (id 7)"
/** Names Linux holds but a case-insensitive host cannot: those tests run where they mean something. */
const caseSensitiveHost = process.platform === 'linux'
const notOnWindows = process.platform === 'win32' ? it.skip : it

const scratch = useScratchFolder('extraction-')
let destination: string

beforeEach(() => {
  destination = path.join(scratch.path, 'out', 'dist')
})

async function zipFile(entries: ZipEntry[] | Buffer): Promise<string> {
  const file = path.join(scratch.path, `archive-${Math.random().toString(16).slice(2)}.zip`)
  await writeFile(file, Buffer.isBuffer(entries) ? entries : buildZip(entries))
  return file
}

/** What is in the folder holding the destination, apart from the archives themselves. */
async function besideDestination(): Promise<string[]> {
  return (await readdir(path.dirname(destination)).catch(() => [])).sort()
}

describe('extractZip', () => {
  it('writes nested folders, empty folders, stored and deflated files', async () => {
    const archive = await zipFile([
      { name: 'top.txt', data: 'top', method: 'store' },
      { name: 'a/b/c/deep.txt', data: 'deep '.repeat(1000), method: 'deflate' },
      { name: 'empty/', directory: true },
      { name: 'a/b/sibling.bin', data: Buffer.from([0, 1, 2, 255]), method: 'store' },
    ])

    const files = await extractZip(archive, destination, SUBJECT)

    expect(await tree(destination)).toEqual({
      'top.txt': 'top',
      'a/': '',
      'a/b/': '',
      'a/b/c/': '',
      'a/b/c/deep.txt': 'deep '.repeat(1000),
      'a/b/sibling.bin': Buffer.from([0, 1, 2, 255]).toString('utf8'),
      'empty/': '',
    })
    expect(files.sort()).toEqual(['a/b/c/deep.txt', 'a/b/sibling.bin', 'top.txt'])
    expect(await besideDestination()).toEqual(['dist'])
  })

  it('writes every entry of an archive of many files, small and large', async () => {
    // Over a megabyte in all, so that reads cross the reader's cache blocks.
    const entries: ZipEntry[] = Array.from({ length: 600 }, (_, i) => ({
      name: `dir-${i % 7}/file-${i}.txt`,
      data: `${i} `.repeat(i * 3),
      method: i % 2 === 0 ? 'store' : 'deflate',
    }))
    entries.push({ name: 'large.bin', data: Buffer.alloc(600_000, 1), method: 'store' })
    const archive = await zipFile(entries)

    const files = await extractZip(archive, destination, SUBJECT)

    expect(files).toHaveLength(601)
    for (const entry of entries) {
      const written = await readFile(path.join(destination, entry.name))
      expect(written.equals(Buffer.from(entry.data ?? ''))).toBe(true)
    }
  })

  it('extracts several large entries written at once', async () => {
    // Eight stored entries of 400 KB read at the same time once left the extraction waiting.
    const entries = Array.from({ length: 8 }, (_, index) => ({
      name: `large-${index}.bin`,
      data: Buffer.alloc(400_000, index),
      method: 'store' as const,
    }))
    const archive = await zipFile(buildZip(entries))

    const files = await extractZip(archive, destination, SUBJECT)

    expect(files.sort()).toEqual(entries.map((entry) => entry.name))
    const sizes = await Promise.all(
      entries.map(async (entry) => (await readFile(path.join(destination, entry.name))).length),
    )
    expect(sizes).toEqual(entries.map(() => 400_000))
  })

  it('lets the later of two entries of the same name win', async () => {
    const archive = await zipFile([
      { name: 'twice.txt', data: 'first '.repeat(50_000) },
      { name: 'twice.txt', data: 'second' },
    ])

    const files = await extractZip(archive, destination, SUBJECT)

    expect(await tree(destination)).toEqual({ 'twice.txt': 'second' })
    expect(files).toEqual(['twice.txt'])
  })

  it('reads backslash separators as folders', async () => {
    const archive = await zipFile([{ name: 'docs\\guide\\index.md', data: '# guide' }])

    await extractZip(archive, destination, SUBJECT)

    expect(await tree(destination)).toEqual({
      'docs/': '',
      'docs/guide/': '',
      'docs/guide/index.md': '# guide',
    })
  })

  // Windows has no executable bit: a file there is run by its extension.
  notOnWindows('keeps the executable bit of Unix entries', async () => {
    const archive = await zipFile([
      { name: 'run.sh', data: '#!/bin/sh\n', mode: 0o100755 },
      { name: 'data.txt', data: 'x', mode: 0o100644 },
    ])

    await extractZip(archive, destination, SUBJECT)

    expect((await lstat(path.join(destination, 'run.sh'))).mode & 0o100).toBe(0o100)
    expect((await lstat(path.join(destination, 'data.txt'))).mode & 0o111).toBe(0)
  })

  it.each([
    ['a parent segment', '../evil.txt', "contains a '..' segment"],
    ['a parent segment deeper down', 'ok/../../evil.txt', "contains a '..' segment"],
    [
      'a parent segment written with backslashes',
      'ok\\..\\..\\evil.txt',
      "contains a '..' segment",
    ],
    ['an absolute path', '/absolute/evil.txt', 'is an absolute path'],
    ['a Windows absolute path', 'C:\\evil.txt', 'starts with a drive letter'],
    ['a drive-relative path', 'C:evil.txt', 'starts with a drive letter'],
    ['a UNC path', '\\\\server\\share\\evil.txt', 'is an absolute path'],
  ])('refuses %s and writes nothing', async (_kind, name, why) => {
    const archive = await zipFile([
      { name: 'fine.txt', data: 'fine' },
      { name, data: 'evil' },
    ])

    const extraction = extractZip(archive, destination, SUBJECT)

    await expect(extraction).rejects.toThrow(
      `Refusing to extract ${SUBJECT}: its entry '${name}' ${why}`,
    )
    expect(await besideDestination()).toEqual([])
    expect((await readdir(scratch.path)).filter((f) => !f.endsWith('.zip'))).toEqual(['out'])
  })

  it('refuses a symbolic link entry and writes nothing', async () => {
    const archive = await zipFile([
      { name: 'fine.txt', data: 'fine' },
      { name: 'link', symlinkTarget: '/etc' },
      { name: 'link/passwd', data: 'evil' },
    ])

    await expect(extractZip(archive, destination, SUBJECT)).rejects.toThrow(
      `Refusing to extract ${SUBJECT}: its entry 'link' is a symbolic link`,
    )
    expect(await besideDestination()).toEqual([])
  })

  it('leaves an existing destination untouched when the archive is corrupt', async () => {
    await mkdir(destination, { recursive: true })
    await writeFile(path.join(destination, 'kept.txt'), 'before')
    const whole = buildZip([
      { name: 'first.txt', data: 'first' },
      { name: 'second.txt', data: 'second' },
    ])
    // Cut inside the central directory: the archive no longer reads.
    const archive = await zipFile(whole.subarray(0, whole.length - 30))

    await expect(extractZip(archive, destination, SUBJECT)).rejects.toThrow(
      `Extracting ${SUBJECT}: not a readable zip archive`,
    )
    expect(await tree(destination)).toEqual({ 'kept.txt': 'before' })
    expect(await besideDestination()).toEqual(['dist'])
  })

  it.each([
    ['a small', 'second'],
    ['a large', 'second'.repeat(200_000)],
  ])(
    'refuses %s entry whose data does not match its checksum, writing nothing',
    async (_, data) => {
      const whole = buildZip([
        { name: 'first.txt', data: 'first', method: 'store' },
        { name: 'second.txt', data, method: 'store' },
      ])
      const damaged = Buffer.from(whole)
      // The last bytes of the data: a large entry is copied in parts, and the check covers them all.
      const at = damaged.indexOf(data, damaged.indexOf('second.txt') + 'second.txt'.length)
      damaged.write('SECOND', at + data.length - 'second'.length)
      const archive = await zipFile(damaged)

      await expect(extractZip(archive, destination, SUBJECT)).rejects.toThrow(
        `entry 'second.txt' is corrupt (CRC mismatch)`,
      )
      expect(await besideDestination()).toEqual([])
    },
  )

  it.each([
    ['a small deflated entry declaring fewer bytes', 'x'.repeat(4_000), -1, 'holds 4000 bytes'],
    ['a small deflated entry declaring more bytes', 'x'.repeat(4_000), +1, 'holds 4000 bytes'],
    ['a small deflated entry declaring far fewer bytes', 'x'.repeat(4_000), -100, 'holds more'],
    ['a large deflated entry declaring fewer bytes', 'x'.repeat(200_000), -1, 'too many bytes'],
  ])('refuses %s than it holds, writing nothing', async (_kind, data, change, reason) => {
    const whole = Buffer.from(buildZip([{ name: 'liar.txt', data, method: 'deflate' }]))
    // The size in the central directory, which is what extraction goes by.
    const central = whole.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    whole.writeUInt32LE(data.length + change, central + 24)
    const archive = await zipFile(whole)

    await expect(extractZip(archive, destination, SUBJECT)).rejects.toThrow(reason)
    expect(await besideDestination()).toEqual([])
  })

  it('refuses a large stored entry whose declared size is not the size stored, writing nothing', async () => {
    const data = 'x'.repeat(200_000)
    const whole = Buffer.from(buildZip([{ name: 'liar.txt', data, method: 'store' }]))
    const central = whole.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    whole.writeUInt32LE(data.length - 1, central + 24)
    const archive = await zipFile(whole)

    await expect(extractZip(archive, destination, SUBJECT)).rejects.toThrow(
      'size mismatch for stored file',
    )
    expect(await besideDestination()).toEqual([])
  })

  it('merges into an existing destination, replacing files the archive holds', async () => {
    await mkdir(path.join(destination, 'sub'), { recursive: true })
    await writeFile(path.join(destination, 'kept.txt'), 'mine')
    await writeFile(path.join(destination, 'sub', 'replaced.txt'), 'old')
    const archive = await zipFile([
      { name: 'sub/replaced.txt', data: 'new' },
      { name: 'sub/added.txt', data: 'added' },
      { name: 'other/file.txt', data: 'other' },
    ])

    await extractZip(archive, destination, SUBJECT)

    expect(await tree(destination)).toEqual({
      'kept.txt': 'mine',
      'sub/': '',
      'sub/replaced.txt': 'new',
      'sub/added.txt': 'added',
      'other/': '',
      'other/file.txt': 'other',
    })
    expect(await besideDestination()).toEqual(['dist'])
  })

  it('never writes through a symbolic link already in the destination', async () => {
    const outside = path.join(scratch.path, 'outside')
    await mkdir(outside)
    await mkdir(destination, { recursive: true })
    await symlink(outside, path.join(destination, 'config'))
    const archive = await zipFile([
      { name: 'a.txt', data: 'a' },
      { name: 'config/settings.json', data: '{"evil":true}' },
    ])

    await expect(extractZip(archive, destination, SUBJECT)).rejects.toThrow(/in the way/)
    expect(await readdir(outside)).toEqual([])
    expect(await tree(destination)).toEqual({ config: '(link)' })
    expect(await besideDestination()).toEqual(['dist'])
  })

  it('changes nothing when a folder stands where the archive has a file', async () => {
    await mkdir(path.join(destination, 'report'), { recursive: true })
    const archive = await zipFile([
      { name: 'a.txt', data: 'a' },
      { name: 'report', data: 'a file now' },
    ])

    await expect(extractZip(archive, destination, SUBJECT)).rejects.toThrow(
      `Extracting ${SUBJECT}: cannot write '${path.join(destination, 'report')}'`,
    )
    expect(await tree(destination)).toEqual({ 'report/': '' })
  })
})

/**
 * Small files of an archive of this many entries are written by a thread of their own, in the
 * order of the archive, beside the large entries this thread streams.
 */
const MANY = 1_500

/** `count` small files, stored and deflated, some empty, in a few folders. */
function fillers(count: number): ZipEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `filler-${i % 9}/file-${i}.txt`,
    data: `${i} `.repeat(i % 50),
    method: i % 2 === 0 ? 'store' : 'deflate',
  }))
}

/** `entries` placed among `MANY` fillers, each at the index given. */
function among(placed: [number, ZipEntry][]): ZipEntry[] {
  const entries = fillers(MANY)
  for (const [index, entry] of [...placed].reverse()) entries.splice(index, 0, entry)
  return entries
}

describe('extractZip of thousands of entries', () => {
  it('writes every file, the later of two entries of one name winning, small or large', async () => {
    const large = (fill: string) => fill.repeat(100_000)
    const entries = among([
      [300, { name: 'large-then-small.txt', data: large('a') }],
      [301, { name: 'large-then-small.txt', data: 'small' }],
      [399, { name: 'small-then-large.txt', data: 'small' }],
      [400, { name: 'small-then-large.txt', data: large('b') }],
      [500, { name: 'twice.txt', data: 'first' }],
      [1_200, { name: 'twice.txt', data: 'second' }],
      [1_300, { name: 'tool/run.sh', data: '#!/bin/sh\n', mode: 0o100755 }],
    ])
    const archive = await zipFile(entries)

    const files = await extractZip(archive, destination, SUBJECT)

    const last = new Map(entries.map((entry) => [entry.name, String(entry.data)]))
    expect(files.sort()).toEqual([...last.keys()].sort())
    expect(await tree(destination)).toEqual({
      ...Object.fromEntries([...last].map(([name, data]) => [name, data])),
      ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`filler-${i}/`, ''])),
      'tool/': '',
    })
    expect(await readFile(path.join(destination, 'small-then-large.txt'), 'utf8')).toBe(large('b'))
    if (process.platform !== 'win32') {
      expect((await lstat(path.join(destination, 'tool', 'run.sh'))).mode & 0o100).toBe(0o100)
    }
  })

  it('lets the later of two names differing in case win, where case is ignored', async () => {
    const archive = await zipFile(
      among([
        [5, { name: 'Docs/Guide.md', data: 'first' }],
        [1_000, { name: 'DOCS/guide.md', data: 'second' }],
      ]),
    )

    await extractZip(archive, destination, SUBJECT, { rules: fileNameRules('win32') })

    expect(await tree(path.join(destination, 'Docs'))).toEqual({ 'guide.md': 'second' })
  })

  it('refuses an entry whose data does not match its checksum, writing nothing', async () => {
    const whole = buildZip(among([[700, { name: 'damaged.txt', data: 'intact', method: 'store' }]]))
    const damaged = Buffer.from(whole)
    damaged.write('DAMAGE', damaged.indexOf('intact'))
    const archive = await zipFile(damaged)

    await expect(extractZip(archive, destination, SUBJECT)).rejects.toThrow(
      `entry 'damaged.txt' is corrupt (CRC mismatch)`,
    )
    expect(await besideDestination()).toEqual([])
  })

  it('stops at a file that cannot be written, leaving the destination as it was', async () => {
    await mkdir(destination, { recursive: true })
    await writeFile(path.join(destination, 'kept.txt'), 'before')
    // A folder stands where the later entry would write a file.
    const archive = await zipFile(
      among([
        [100, { name: 'taken/', directory: true }],
        [900, { name: 'taken', data: 'a file' }],
      ]),
    )

    await expect(extractZip(archive, destination, SUBJECT)).rejects.toThrow(
      `Extracting ${SUBJECT} failed: EISDIR`,
    )
    expect(await tree(destination)).toEqual({ 'kept.txt': 'before' })
    expect(await besideDestination()).toEqual(['dist'])
  })
})

describe('extractZip on Windows', () => {
  const windows = { rules: fileNameRules('win32') }

  it.each([
    ['CON', "uses the reserved device name 'CON'"],
    ['docs/con.txt', "uses the reserved device name 'con'"],
    ['Nul.tar.gz', "uses the reserved device name 'Nul'"],
    ['logs/COM1', "uses the reserved device name 'COM1'"],
    ['lpt9.log', "uses the reserved device name 'lpt9'"],
    ['aux/inner.txt', "uses the reserved device name 'aux'"],
    ['COM¹', "uses the reserved device name 'COM¹'"],
    ['lpt³.txt', "uses the reserved device name 'lpt³'"],
    ['conin$', "uses the reserved device name 'conin$'"],
    ['CONOUT$.log', "uses the reserved device name 'CONOUT$'"],
    ['CON .txt', "uses the reserved device name 'CON'"],
    ['notes.txt:hidden', 'contains the character ":"'],
    ['what?.txt', 'contains the character "?"'],
    ['a<b>.txt', 'contains the character "<"'],
    ['pipe|name', 'contains the character "|"'],
    ['"quoted"', 'contains the character "\\""'],
    ['star*', 'contains the character "*"'],
    ['tab\tname', 'contains the character "\\t"'],
    ['trailing.', "has 'trailing.', ending in a dot or a space"],
    ['trailing ', "has 'trailing ', ending in a dot or a space"],
    ['folder./file.txt', "has 'folder.', ending in a dot or a space"],
  ])('refuses %j, naming the entry and the artifact, writing nothing', async (name, why) => {
    const archive = await zipFile([
      { name: 'fine.txt', data: 'fine' },
      { name, data: 'x' },
    ])

    await expect(extractZip(archive, destination, SUBJECT, windows)).rejects.toThrow(
      `Refusing to extract ${SUBJECT}: its entry '${name}' ${why} (not a valid file name on Windows)`,
    )
    expect(await besideDestination()).toEqual([])
  })

  it('writes names that only resemble reserved ones', async () => {
    const names = [
      'CONSOLE.txt',
      'COM10',
      'lpt0.log',
      'COM⁴',
      'aux-file',
      'prn_x',
      'con x.txt',
      'CONIN',
      '.hidden',
      'a.b.c',
    ]
    const archive = await zipFile(names.map((name) => ({ name, data: name })))

    const files = await extractZip(archive, destination, SUBJECT, windows)

    expect(files.sort()).toEqual([...names].sort())
  })

  notOnWindows('writes the same names on Linux and macOS, where they are legal', async () => {
    const names = ['CON', 'nul.txt', 'notes.txt:hidden', 'what?', 'trailing.', 'trailing ']
    const archive = await zipFile(names.map((name) => ({ name, data: name })))

    for (const platform of ['linux', 'darwin'] as const) {
      const into = path.join(destination, platform)
      await extractZip(archive, into, SUBJECT, { rules: fileNameRules(platform) })
      expect(await tree(into)).toEqual(Object.fromEntries(names.map((name) => [name, name])))
    }
  })
})

describe('extractZip where case is ignored', () => {
  it.each(['win32', 'darwin'] as const)(
    'on %s, lets the later of two names differing in case win, in its spelling, and warns',
    async (platform) => {
      const warnings: string[] = []
      const archive = await zipFile([
        { name: 'Docs/Guide.md', data: 'first '.repeat(50_000) },
        { name: 'docs/extra.md', data: 'extra' },
        { name: 'DOCS/guide.md', data: 'second' },
        { name: 'docs/', directory: true },
      ])

      const files = await extractZip(archive, destination, SUBJECT, {
        rules: fileNameRules(platform),
        warn: (message) => warnings.push(message),
      })

      expect(await tree(destination)).toEqual({
        'Docs/': '',
        'Docs/guide.md': 'second',
        'Docs/extra.md': 'extra',
      })
      expect(files.sort()).toEqual(['Docs/extra.md', 'Docs/guide.md'])
      expect(warnings).toEqual([
        `Artifact 'dist' (id 7) holds names that differ only in case, one file on this ` +
          `runner's file system; the later entry of each was kept: 'Docs/guide.md' replaced 'Docs/Guide.md'`,
      ])
    },
  )

  it('merges into a folder spelt otherwise, replacing a file spelt otherwise', async () => {
    await mkdir(path.join(destination, 'Sub'), { recursive: true })
    await writeFile(path.join(destination, 'README.TXT'), 'mine')
    await writeFile(path.join(destination, 'Sub', 'old.txt'), 'old')
    const archive = await zipFile([
      { name: 'readme.txt', data: 'new' },
      { name: 'sub/new.txt', data: 'added' },
    ])

    await extractZip(archive, destination, SUBJECT, { rules: fileNameRules('win32') })

    expect(await tree(destination)).toEqual({
      'readme.txt': 'new',
      'Sub/': '',
      'Sub/old.txt': 'old',
      'Sub/new.txt': 'added',
    })
  })

  ;(caseSensitiveHost ? it : it.skip)('keeps both names on Linux, where case counts', async () => {
    const warnings: string[] = []
    const archive = await zipFile([
      { name: 'A.txt', data: 'upper' },
      { name: 'a.txt', data: 'lower' },
    ])

    await extractZip(archive, destination, SUBJECT, {
      rules: fileNameRules('linux'),
      warn: (message) => warnings.push(message),
    })

    expect(await tree(destination)).toEqual({ 'A.txt': 'upper', 'a.txt': 'lower' })
    expect(warnings).toEqual([])
  })
})

describe('renameRetrying', () => {
  const refused = (code: string) => Object.assign(new Error(`${code}: refused`), { code })

  it('retries a rename refused while another program holds the file, then makes it', async () => {
    const from = path.join(scratch.path, 'from.txt')
    const to = path.join(scratch.path, 'to.txt')
    await writeFile(from, 'moved')
    const codes = ['EBUSY', 'EPERM', 'EACCES']
    const clock = new FakeClock()
    const attempts: number[] = []
    const flaky = async (source: string, target: string) => {
      attempts.push(clock.now())
      const code = codes.shift()
      if (code) throw refused(code)
      await rename(source, target)
    }

    await clock.run(renameRetrying(from, to, clock, flaky))

    expect(await readFile(to, 'utf8')).toBe('moved')
    expect(attempts).toEqual([0, 100, 300, 700])
  })

  it('gives up after a few seconds with the last error', async () => {
    const clock = new FakeClock()
    let attempts = 0
    const held = async () => {
      attempts++
      throw refused('EPERM')
    }

    await expect(clock.run(renameRetrying('a', 'b', clock, held))).rejects.toThrow('EPERM')
    expect(attempts).toBe(6)
    expect(clock.now()).toBe(3_100)
  })

  it('throws any other error at once', async () => {
    let attempts = 0
    const missing = async () => {
      attempts++
      throw refused('ENOENT')
    }

    await expect(renameRetrying('a', 'b', new FakeClock(), missing)).rejects.toThrow('ENOENT')
    expect(attempts).toBe(1)
  })
})

/**
 * Makes `folder` refuse new entries, as a program holding it would: immutable for root, who
 * ignores permissions (EPERM), read-only for anyone else (EACCES). Returns how to let go, or
 * undefined where neither can be done (Windows, or a file system without the immutable flag).
 */
async function holdFolder(folder: string): Promise<(() => Promise<void>) | undefined> {
  if (process.platform === 'win32') return undefined
  if (process.getuid?.() !== 0) {
    await chmod(folder, 0o555)
    return () => chmod(folder, 0o755)
  }
  try {
    execFileSync('chattr', ['+i', folder], { stdio: 'ignore' })
  } catch {
    return undefined
  }
  return async () => void execFileSync('chattr', ['-i', folder])
}

describe('extractZip into a folder another program holds', () => {
  /** A clock that counts the pauses before retries and lets go of the folder at the first. */
  function lettingGoAtFirstRetry(letGo: () => Promise<void>): Clock & { pauses: number } {
    return {
      pauses: 0,
      now: () => 0,
      async sleep() {
        if (this.pauses++ === 0) await letGo()
      },
    }
  }

  async function heldDestination(): Promise<(() => Promise<void>) | undefined> {
    await mkdir(destination, { recursive: true })
    await writeFile(path.join(destination, 'kept.txt'), 'before')
    const letGo = await holdFolder(destination)
    // Without a way to hold a folder the move cannot be refused: said, not silently passed.
    if (!letGo) console.warn('skipped: no way to hold a folder on this platform')
    return letGo
  }

  it('retries moving the files in until the folder is let go', async () => {
    const letGo = await heldDestination()
    if (!letGo) return
    const clock = lettingGoAtFirstRetry(letGo)
    const archive = await zipFile([{ name: 'report.txt', data: 'new' }])

    try {
      await extractZip(archive, destination, SUBJECT, { clock })
    } finally {
      await letGo()
    }

    expect(clock.pauses).toBe(1)
    expect(await tree(destination)).toEqual({ 'kept.txt': 'before', 'report.txt': 'new' })
    expect(await besideDestination()).toEqual(['dist'])
  })

  it('gives up after its retries, naming the artifact, leaving the destination as it was', async () => {
    const letGo = await heldDestination()
    if (!letGo) return
    const clock = { pauses: 0, now: () => 0, sleep: async () => void clock.pauses++ }
    const archive = await zipFile([{ name: 'report.txt', data: 'new' }])

    let failure: unknown
    try {
      await extractZip(archive, destination, SUBJECT, { clock }).catch((error: unknown) => {
        failure = error
      })
    } finally {
      await letGo()
    }

    expect(String(failure)).toContain(`Extracting ${SUBJECT}: `)
    expect(String(failure)).toMatch(/(EPERM|EACCES): .*rename .*report\.txt/)
    expect(clock.pauses).toBe(5)
    expect(await tree(destination)).toEqual({ 'kept.txt': 'before' })
    expect(await besideDestination()).toEqual(['dist'])
  })
})
