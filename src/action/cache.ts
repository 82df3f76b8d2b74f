import { copyFile, link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as toolCache from '@actions/tool-cache'
import type { ArtifactCache, CachedArtifact } from '../core/api.js'

/** The tool cache finds only semantic versions: the digest goes in the tool's name instead. */
const VERSION = '1.0.0'
const DATA = 'artifact'
const FACTS = 'artifact.json'

/**
 * Verified artifacts kept in the runner's tool cache (`RUNNER_TOOL_CACHE`), one entry per
 * digest, which outlives the job on a self-hosted runner: the bytes, and beside them the media
 * type and file name the storage host gave, so an artifact uploaded unzipped lands as before.
 */
export function runnerCache(): ArtifactCache {
  return {
    async find(digest) {
      const folder = toolCache.find(toolName(digest), VERSION)
      if (!folder) return undefined
      const facts = JSON.parse(await readFile(path.join(folder, FACTS), 'utf8')) as Omit<
        CachedArtifact,
        'file'
      >
      return { ...facts, file: path.join(folder, DATA) }
    },
    async keep(digest, { file, contentType, fileName }) {
      const staging = await mkdtemp(path.join(process.env.RUNNER_TEMP ?? tmpdir(), 'artifact-'))
      try {
        // A link where the file system allows, so the bytes are copied once, into the cache.
        await link(file, path.join(staging, DATA)).catch(() =>
          copyFile(file, path.join(staging, DATA)),
        )
        await writeFile(path.join(staging, FACTS), JSON.stringify({ contentType, fileName }))
        await toolCache.cacheDir(staging, toolName(digest), VERSION)
      } finally {
        await rm(staging, { recursive: true, force: true })
      }
    },
  }
}

function toolName(digest: string): string {
  return `manage-artifacts-${digest.replace(':', '-')}`
}
