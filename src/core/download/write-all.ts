import type { FileHandle } from 'node:fs/promises'

/** Writes all of `chunk` at `position`: a write may take less than it is given. */
export async function writeAll(file: FileHandle, chunk: Buffer, position: number): Promise<void> {
  for (let written = 0; written < chunk.length;) {
    const { bytesWritten } = await file.write(
      chunk,
      written,
      chunk.length - written,
      position + written,
    )
    written += bytesWritten
  }
}
