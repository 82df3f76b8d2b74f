import { createHash } from 'node:crypto'
import type { StoredArtifact, StoredRun, StoredWorkflow } from './state.js'

/** Where the JSON answers point: the repository and the API's absolute base URL. */
export interface RepoContext {
  apiUrl: string
  owner: string
  repo: string
  repositoryId: number
  /** The owner's account; default an organisation with an id derived from the repository's. */
  ownerAccount?: { id: number; type: string }
  /** Default false. */
  private?: boolean
  /** Default false. */
  archived?: boolean
}

export const WEB_URL = 'https://github.com'
export const FORK_OWNER = 'octo-fork'
export const ACTOR = { login: 'octocat', id: 583231 }

/** The head repository of runs from forks: any id but the repository's own. */
export function forkRepositoryId(context: RepoContext): number {
  return context.repositoryId + 1
}

export function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString('base64')
}

export function repoApiUrl(context: RepoContext): string {
  return `${context.apiUrl}/repos/${context.owner}/${context.repo}`
}

export function artifactJson(context: RepoContext, artifact: StoredArtifact, run: StoredRun) {
  return {
    ...enterpriseServerArtifactJson(context, artifact),
    digest: artifact.digest,
    workflow_run: {
      id: run.id,
      repository_id: context.repositoryId,
      head_repository_id: headRepositoryId(context, run),
      head_branch: run.branch,
      head_sha: run.sha,
    },
  }
}

/**
 * The artifact as GitHub Enterprise Server documents it: without `digest` and `workflow_run`
 * (the GHES REST reference's examples; the ghes-3.x descriptions in @octokit/openapi have no
 * `digest` either).
 */
export function enterpriseServerArtifactJson(context: RepoContext, artifact: StoredArtifact) {
  const url = `${repoApiUrl(context)}/actions/artifacts/${artifact.id}`
  return {
    id: artifact.id,
    node_id: nodeId('Artifact', artifact.id),
    name: artifact.name,
    size_in_bytes: artifact.sizeInBytes,
    url,
    archive_download_url: `${url}/zip`,
    expired: artifact.expired,
    created_at: artifact.createdAt,
    expires_at: artifact.expiresAt,
    updated_at: artifact.createdAt,
  }
}

export function workflowJson(context: RepoContext, workflow: StoredWorkflow) {
  const path = workflowPath(workflow.file)
  const htmlRepo = `${WEB_URL}/${context.owner}/${context.repo}`
  return {
    id: workflow.id,
    node_id: nodeId('Workflow', workflow.id),
    name: workflowName(workflow.file),
    path,
    state: 'active',
    created_at: workflow.createdAt,
    updated_at: workflow.createdAt,
    url: `${repoApiUrl(context)}/actions/workflows/${workflow.id}`,
    html_url: `${htmlRepo}/blob/main/${path}`,
    badge_url: `${htmlRepo}/workflows/${encodeURIComponent(workflow.file)}/badge.svg`,
  }
}

export function workflowRunJson(context: RepoContext, run: StoredRun) {
  const url = `${repoApiUrl(context)}/actions/runs/${run.id}`
  const name = workflowName(run.workflow)
  const repository = repositoryJson(context, context.owner, context.repositoryId)
  return {
    id: run.id,
    name,
    node_id: nodeId('WorkflowRun', run.id),
    check_suite_id: checkSuiteId(run),
    check_suite_node_id: nodeId('CheckSuite', checkSuiteId(run)),
    head_branch: run.branch,
    head_sha: run.sha,
    path: workflowPath(run.workflow),
    display_title: `${name} #${run.runNumber}`,
    run_number: run.runNumber,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    url,
    html_url: `${WEB_URL}/${context.owner}/${context.repo}/actions/runs/${run.id}`,
    // GitHub leaves pull_requests empty for runs whose head repository is a fork (github/docs
    // #22501, actions/runner #3444): such runs are found through the pull request's head SHA.
    pull_requests: run.fromFork
      ? []
      : run.pullRequests.map((number) => pullRequestMinimalJson(context, run, number)),
    created_at: run.createdAt,
    updated_at: run.createdAt,
    actor: userJson(context, ACTOR.login, ACTOR.id),
    triggering_actor: userJson(context, ACTOR.login, ACTOR.id),
    run_attempt: 1,
    referenced_workflows: [],
    run_started_at: run.createdAt,
    jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`,
    check_suite_url: `${repoApiUrl(context)}/check-suites/${checkSuiteId(run)}`,
    artifacts_url: `${url}/artifacts`,
    cancel_url: `${url}/cancel`,
    rerun_url: `${url}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${repoApiUrl(context)}/actions/workflows/${run.workflowId}`,
    head_commit: {
      id: run.sha,
      tree_id: run.sha.split('').reverse().join(''),
      message: `Commit for run ${run.id}`,
      timestamp: run.createdAt,
      author: { name: 'Mona Lisa', email: 'mona@example.com' },
      committer: { name: 'Mona Lisa', email: 'mona@example.com' },
    },
    repository,
    head_repository: headRepositoryJson(context, run),
    head_repository_id: headRepositoryId(context, run),
  }
}

export function checkSuiteId(run: StoredRun): number {
  return run.id + 1
}

/** The repository the run's commit comes from: a fork's for fork runs. */
export function headRepositoryJson(context: RepoContext, run: StoredRun) {
  if (run.forkDeleted) return null
  return run.fromFork
    ? repositoryJson(context, FORK_OWNER, forkRepositoryId(context))
    : repositoryJson(context, context.owner, context.repositoryId)
}

function headRepositoryId(context: RepoContext, run: StoredRun): number | null {
  if (run.forkDeleted) return null
  return run.fromFork ? forkRepositoryId(context) : context.repositoryId
}

/** A `pull-request-minimal` of a run in the repository itself (fork runs list none). */
function pullRequestMinimalJson(context: RepoContext, run: StoredRun, number: number) {
  const repo = { id: context.repositoryId, url: repoApiUrl(context), name: context.repo }
  return {
    id: pullRequestId(number),
    number,
    url: `${repoApiUrl(context)}/pulls/${number}`,
    head: { ref: run.branch, sha: run.sha, repo },
    base: { ref: 'main', sha: baseSha(number), repo },
  }
}

export function pullRequestId(number: number): number {
  return 1_000_000 + number
}

/** The commit the pull request's base branch pointed at: any SHA but its head's. */
export function baseSha(number: number): string {
  return createHash('sha1').update(`base of pull request ${number}`).digest('hex')
}

/** A `minimal-repository`: every field the schema requires, with plausible values. */
export function repositoryJson(context: RepoContext, owner: string, id: number) {
  const fullName = `${owner}/${context.repo}`
  const url = `${context.apiUrl}/repos/${fullName}`
  const templated = (path: string) => `${url}/${path}`
  const own = owner === context.owner
  const account = own ? context.ownerAccount : undefined
  return {
    id,
    node_id: nodeId('Repository', id),
    name: context.repo,
    full_name: fullName,
    owner: userJson(context, owner, account?.id ?? id + 100_000, account?.type ?? 'Organization'),
    private: own && (context.private ?? false),
    html_url: `${WEB_URL}/${fullName}`,
    description: null,
    fork: owner !== context.owner,
    url,
    archive_url: templated('{archive_format}{/ref}'),
    assignees_url: templated('assignees{/user}'),
    blobs_url: templated('git/blobs{/sha}'),
    branches_url: templated('branches{/branch}'),
    collaborators_url: templated('collaborators{/collaborator}'),
    comments_url: templated('comments{/number}'),
    commits_url: templated('commits{/sha}'),
    compare_url: templated('compare/{base}...{head}'),
    contents_url: templated('contents/{+path}'),
    contributors_url: templated('contributors'),
    deployments_url: templated('deployments'),
    downloads_url: templated('downloads'),
    events_url: templated('events'),
    forks_url: templated('forks'),
    git_commits_url: templated('git/commits{/sha}'),
    git_refs_url: templated('git/refs{/sha}'),
    git_tags_url: templated('git/tags{/sha}'),
    hooks_url: templated('hooks'),
    issue_comment_url: templated('issues/comments{/number}'),
    issue_events_url: templated('issues/events{/number}'),
    issues_url: templated('issues{/number}'),
    keys_url: templated('keys{/key_id}'),
    labels_url: templated('labels{/name}'),
    languages_url: templated('languages'),
    merges_url: templated('merges'),
    milestones_url: templated('milestones{/number}'),
    notifications_url: templated('notifications{?since,all,participating}'),
    pulls_url: templated('pulls{/number}'),
    releases_url: templated('releases{/id}'),
    stargazers_url: templated('stargazers'),
    statuses_url: templated('statuses/{sha}'),
    subscribers_url: templated('subscribers'),
    subscription_url: templated('subscription'),
    tags_url: templated('tags'),
    teams_url: templated('teams'),
    trees_url: templated('git/trees{/sha}'),
  }
}

/** A `simple-user`. */
export function userJson(context: RepoContext, login: string, id: number, type = 'User') {
  const url = `${context.apiUrl}/users/${login}`
  return {
    login,
    id,
    node_id: nodeId(type, id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${WEB_URL}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    site_admin: false,
  }
}

/** GitHub shows the workflow's `name:`; the file name without extension stands in for it. */
function workflowName(file: string): string {
  return file.replace(/\.ya?ml$/, '')
}

function workflowPath(file: string): string {
  return `.github/workflows/${file}`
}
