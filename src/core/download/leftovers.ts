import { randomBytes } from 'node:crypto'
import { readdirSync, rmSync } from 'node:fs'
import path from 'node:path'

/**
 * Where this process makes temporary files and folders while downloading. A killed process
 * never reaches its own clean-up, so it says this up front, and a later process (the action's
 * post step) removes what is left.
 */
export interface Leftovers {
  /** In the name of every temporary file and folder this process makes, and of nothing else. */
  marker: string
  /** The folders they are made in. */
  folders: string[]
}

/** Random, so that another process's temporary files, or a user's, never carry it. */
export const temporaryMarker = randomBytes(6).toString('hex')

/** The leftovers of a download whose temporary files are these. */
export function leftoversOf(temporaryPaths: string[]): Leftovers {
  const folders = new Set(temporaryPaths.map((file) => path.dirname(path.resolve(file))))
  return { marker: temporaryMarker, folders: [...folders] }
}

/**
 * Removes the temporary files and folders a download left; returns what it removed. Synchronous,
 * so that a process ending on Ctrl-C runs nothing else (no write into a folder being removed)
 * between this and its exit.
 */
export function removeLeftovers({ marker, folders }: Leftovers): string[] {
  const tag = `.partial-${marker}-`
  const removed: string[] = []
  for (const folder of folders) {
    for (const name of namesIn(folder).filter(
      (entry) => entry.startsWith('.') && entry.includes(tag),
    )) {
      const leftover = path.join(folder, name)
      rmSync(leftover, { recursive: true, force: true })
      removed.push(leftover)
    }
  }
  return removed
}

function namesIn(folder: string): string[] {
  try {
    return readdirSync(folder)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}
