import { describe, expect, it } from '@jest/globals'
import yauzl from 'yauzl'
import { buildZip } from '../support/emulator/index.js'

interface ReadEntry {
  name: string
  method: number
  mode: number
  data: Buffer
}

/** Every entry as yauzl reads it, names undecoded so hostile ones come through as written. */
function readZip(zip: Buffer): Promise<ReadEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, decodeStrings: false }, (openError, file) => {
      if (openError) return reject(openError)
      const entries: ReadEntry[] = []
      file.on('error', reject)
      file.on('end', () => resolve(entries))
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError)
          const chunks: Buffer[] = []
          stream.on('data', (chunk: Buffer) => chunks.push(chunk))
          stream.on('error', reject)
          stream.on('end', () => {
            entries.push({
              name: (entry.fileName as unknown as Buffer).toString('utf8'),
              method: entry.compressionMethod,
              mode: entry.externalFileAttributes >>> 16,
              data: Buffer.concat(chunks),
            })
            file.readEntry()
          })
        })
      })
      file.readEntry()
    })
  })
}

describe('buildZip', () => {
  it('writes files, directories and symlinks that a zip reader gets back intact', async () => {
    const big = Buffer.from('compressible '.repeat(1000))

    const entries = await readZip(
      buildZip([
        { name: 'dir', directory: true },
        { name: 'dir/big.txt', data: big },
        { name: 'stored.bin', data: Buffer.from([0, 1, 2, 255]), method: 'store' },
        { name: 'link', symlinkTarget: '../outside' },
        { name: 'script.sh', data: '#!/bin/sh\n', mode: 0o100755 },
      ]),
    )

    expect(entries.map((e) => [e.name, e.method, e.mode.toString(8)])).toEqual([
      ['dir/', 0, '40755'],
      ['dir/big.txt', 8, '100644'],
      ['stored.bin', 0, '100644'],
      ['link', 0, '120777'],
      ['script.sh', 8, '100755'],
    ])
    expect(entries[1].data.equals(big)).toBe(true)
    expect([...entries[2].data]).toEqual([0, 1, 2, 255])
    expect(entries[3].data.toString()).toBe('../outside')
  })

  it('keeps hostile names verbatim', async () => {
    const names = ['../evil.txt', '/abs/path.txt', 'C:\\windows.txt', 'ok/../../up.txt']

    const entries = await readZip(buildZip(names.map((name) => ({ name, data: name }))))

    expect(entries.map((e) => e.name)).toEqual(names)
    expect(entries.map((e) => e.data.toString())).toEqual(names)
  })

  it('gives the same bytes for the same entries', () => {
    const entries = [{ name: 'a.txt', data: 'a' }]

    expect(buildZip(entries).equals(buildZip(entries))).toBe(true)
  })
})
