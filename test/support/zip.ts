import { crc32, deflateRawSync } from 'node:zlib'

export interface ZipEntry {
  /** Written verbatim, so hostile names ('../evil', '/abs', 'C:\\x') can be crafted. */
  name: string
  data?: Buffer | string
  directory?: boolean
  /** Makes the entry a symbolic link pointing here (its data is the target). */
  symlinkTarget?: string
  /** Default: 'deflate' for files, 'store' for directories and symlinks. */
  method?: 'store' | 'deflate'
  /** Unix mode including the file type bits; default from the entry kind. */
  mode?: number
}

const LOCAL_HEADER = 0x04034b50
const CENTRAL_HEADER = 0x02014b50
const END_OF_CENTRAL_DIRECTORY = 0x06054b50
const VERSION_NEEDED = 20
/** "Made by" Unix (3, high byte) so readers take the external attributes as a Unix mode. */
const VERSION_MADE_BY_UNIX = (3 << 8) | VERSION_NEEDED
const FLAG_UTF8_NAME = 0x0800
const METHOD_CODE = { store: 0, deflate: 8 } as const
/** 2024-01-01 00:00:00 in DOS format: fixed, so equal entries give equal archives. */
const DOS_TIME = 0
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1

const FILE_MODE = 0o100644
const DIRECTORY_MODE = 0o040755
const SYMLINK_MODE = 0o120777

interface PreparedEntry {
  name: Buffer
  method: 'store' | 'deflate'
  crc: number
  size: number
  payload: Buffer
  mode: number
  offset: number
}

/** A valid zip archive of the entries, in order, as `upload-artifact` would produce. */
export function buildZip(entries: ZipEntry[]): Buffer {
  const parts: Buffer[] = []
  const prepared: PreparedEntry[] = []
  let offset = 0
  for (const entry of entries) {
    const item = prepareEntry(entry, offset)
    const header = localHeader(item)
    parts.push(header, item.payload)
    prepared.push(item)
    offset += header.length + item.payload.length
  }
  const centralStart = offset
  for (const item of prepared) {
    const header = centralHeader(item)
    parts.push(header)
    offset += header.length
  }
  parts.push(endOfCentralDirectory(prepared.length, offset - centralStart, centralStart))
  return Buffer.concat(parts)
}

function prepareEntry(entry: ZipEntry, offset: number): PreparedEntry {
  const kind = entry.symlinkTarget !== undefined ? 'symlink' : entry.directory ? 'dir' : 'file'
  const content =
    kind === 'symlink'
      ? Buffer.from(entry.symlinkTarget ?? '')
      : kind === 'dir'
        ? Buffer.alloc(0)
        : toBuffer(entry.data ?? '')
  const method = entry.method ?? (kind === 'file' ? 'deflate' : 'store')
  const defaultMode = { symlink: SYMLINK_MODE, dir: DIRECTORY_MODE, file: FILE_MODE }[kind]
  // Readers tell directories by the trailing slash.
  const name = kind === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name
  return {
    name: Buffer.from(name),
    method,
    crc: crc32(content),
    size: content.length,
    payload: method === 'deflate' ? deflateRawSync(content) : content,
    mode: entry.mode ?? defaultMode,
    offset,
  }
}

function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : data
}

function localHeader(item: PreparedEntry): Buffer {
  const header = Buffer.alloc(30)
  header.writeUInt32LE(LOCAL_HEADER, 0)
  header.writeUInt16LE(VERSION_NEEDED, 4)
  writeCommonFields(header, 6, item)
  header.writeUInt16LE(item.name.length, 26)
  header.writeUInt16LE(0, 28) // extra field length
  return Buffer.concat([header, item.name])
}

function centralHeader(item: PreparedEntry): Buffer {
  const header = Buffer.alloc(46)
  header.writeUInt32LE(CENTRAL_HEADER, 0)
  header.writeUInt16LE(VERSION_MADE_BY_UNIX, 4)
  header.writeUInt16LE(VERSION_NEEDED, 6)
  writeCommonFields(header, 8, item)
  header.writeUInt16LE(item.name.length, 28)
  // extra length, comment length, disk number, internal attributes: all 0
  header.writeUInt32LE((item.mode << 16) >>> 0, 38)
  header.writeUInt32LE(item.offset, 42)
  return Buffer.concat([header, item.name])
}

/** Flags, method, time, date, CRC and sizes: laid out alike in both headers. */
function writeCommonFields(header: Buffer, at: number, item: PreparedEntry): void {
  header.writeUInt16LE(FLAG_UTF8_NAME, at)
  header.writeUInt16LE(METHOD_CODE[item.method], at + 2)
  header.writeUInt16LE(DOS_TIME, at + 4)
  header.writeUInt16LE(DOS_DATE, at + 6)
  header.writeUInt32LE(item.crc, at + 8)
  header.writeUInt32LE(item.payload.length, at + 12)
  header.writeUInt32LE(item.size, at + 16)
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const record = Buffer.alloc(22)
  record.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0)
  // disk numbers at 4 and 6: 0
  record.writeUInt16LE(count, 8)
  record.writeUInt16LE(count, 10)
  record.writeUInt32LE(size, 12)
  record.writeUInt32LE(offset, 16)
  return record
}
