import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { projectRoot } from '../support/action.js'

/** The modules ncc put in the bundle, by the path it names each with (`./node_modules/...`). */
async function bundledModules(): Promise<string[]> {
  const bundle = await readFile(path.join(projectRoot, 'dist', 'index.js'), 'utf8')
  return [...bundle.matchAll(/MODULE: (\.\/node_modules\/\S+)/g)].map(([, module]) => module)
}

/** Where a module's package is installed: its path up to the last package name. */
function packageRoot(module: string): { name: string; root: string } {
  const match = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(module)
  if (!match) throw new Error(`not a package module: ${module}`)
  return { name: match[2], root: match[1] + match[2] }
}

describe('dist/index.js', () => {
  it('carries one copy of each package', async () => {
    const roots = new Map<string, Set<string>>()
    for (const module of await bundledModules()) {
      const { name, root } = packageRoot(module)
      roots.set(name, (roots.get(name) ?? new Set()).add(root))
    }

    const copies = [...roots].filter(([, found]) => found.size > 1)
    expect(copies).toEqual([])
    expect(roots.has('@actions/http-client')).toBe(true)
  })

  it("carries only Bottleneck's light build, the one the Octokit plugins import", async () => {
    const bottleneck = (await bundledModules()).filter((module) => module.includes('/bottleneck/'))

    expect(bottleneck).toEqual(['./node_modules/bottleneck/light.js'])
  })
})
