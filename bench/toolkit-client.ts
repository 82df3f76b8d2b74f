/**
 * The toolkit's own artifact client (`@actions/artifact`, what actions/download-artifact uses),
 * downloading one artifact of another run the way that action does with `github-token` set:
 * through the REST API named by GITHUB_API_URL (read when the toolkit loads, so it must be set
 * for this process), then one stream from the storage URL into its unzip. Run by the
 * benchmarks, in a process of its own:
 *
 *   GITHUB_API_URL=... BENCH_TOKEN=... npx tsx bench/toolkit-client.ts <owner/repo> <run id> <artifact id> <folder>
 */
import { DefaultArtifactClient } from '@actions/artifact'

const [repository, runId, artifactId, folder] = process.argv.slice(2)
const [repositoryOwner, repositoryName] = repository.split('/')
const result = await new DefaultArtifactClient().downloadArtifact(Number(artifactId), {
  path: folder,
  findBy: {
    token: process.env.BENCH_TOKEN ?? '',
    workflowRunId: Number(runId),
    repositoryOwner,
    repositoryName,
  },
})
if (result.digestMismatch) throw new Error('the toolkit client found a digest mismatch')
