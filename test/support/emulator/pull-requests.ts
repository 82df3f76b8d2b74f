import {
  ACTOR,
  baseSha,
  FORK_OWNER,
  forkRepositoryId,
  headRepositoryJson,
  nodeId,
  pullRequestId,
  repoApiUrl,
  repositoryJson,
  userJson,
  WEB_URL,
  type RepoContext,
} from './representations.js'
import type { StoredRun } from './state.js'

/** Any fixed time before the emulated runs. */
const REPOSITORY_CREATED_AT = '2020-01-01T00:00:00Z'

/**
 * A `repository` (the full schema pull requests carry): a `minimal-repository` and more. The
 * repository itself is archived when its context says so; a fork never is.
 */
function fullRepositoryJson(context: RepoContext, minimal: ReturnType<typeof repositoryJson>) {
  return {
    ...minimal,
    clone_url: `${minimal.html_url}.git`,
    git_url: minimal.html_url.replace(/^https:/, 'git:'),
    ssh_url: `git@github.com:${minimal.full_name}.git`,
    svn_url: minimal.html_url,
    mirror_url: null,
    homepage: null,
    language: 'TypeScript',
    default_branch: 'main',
    license: null,
    size: 0,
    forks: 0,
    forks_count: 0,
    open_issues: 1,
    open_issues_count: 1,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    has_downloads: true,
    has_issues: true,
    has_pages: false,
    has_projects: true,
    has_wiki: true,
    archived: !minimal.fork && (context.archived ?? false),
    disabled: false,
    created_at: REPOSITORY_CREATED_AT,
    pushed_at: REPOSITORY_CREATED_AT,
    updated_at: REPOSITORY_CREATED_AT,
  }
}

/** One side of a pull request: a branch at a commit of a repository. */
function branchJson(
  context: RepoContext,
  repository: ReturnType<typeof repositoryJson>,
  ref: string,
  sha: string,
) {
  return {
    label: `${repository.owner.login}:${ref}`,
    ref,
    sha,
    user: repository.owner,
    repo: fullRepositoryJson(context, repository),
  }
}

/**
 * The pull request's head: the run's branch and commit, in the fork for fork runs. Once the fork
 * is deleted GitHub keeps the branch and commit and answers `repo` as null, whatever the OpenAPI
 * description says (github/rest-api-description#424, desktop/desktop#3992).
 */
function headJson(context: RepoContext, run: StoredRun) {
  const repository =
    headRepositoryJson(context, run) ??
    repositoryJson(context, FORK_OWNER, forkRepositoryId(context))
  const head = branchJson(context, repository, run.branch, run.sha)
  return run.forkDeleted ? { ...head, repo: null } : head
}

/**
 * GET /repos/{owner}/{repo}/pulls/{pull_number}: an open pull request whose head is `run`'s
 * branch and commit, in the fork for fork runs. Every field the OpenAPI `pull-request` schema
 * requires is present; clients find fork runs through `head.sha` and `head.repo`, since those
 * runs list no pull requests.
 */
export function pullRequestJson(context: RepoContext, run: StoredRun, number: number) {
  const url = `${repoApiUrl(context)}/pulls/${number}`
  const issueUrl = `${repoApiUrl(context)}/issues/${number}`
  const htmlUrl = `${WEB_URL}/${context.owner}/${context.repo}/pull/${number}`
  const statusesUrl = `${repoApiUrl(context)}/statuses/${run.sha}`
  const link = (href: string) => ({ href })
  const base = repositoryJson(context, context.owner, context.repositoryId)
  return {
    url,
    id: pullRequestId(number),
    node_id: nodeId('PullRequest', pullRequestId(number)),
    html_url: htmlUrl,
    diff_url: `${htmlUrl}.diff`,
    patch_url: `${htmlUrl}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repoApiUrl(context)}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: statusesUrl,
    number,
    state: 'open',
    locked: false,
    title: `Changes from ${run.branch}`,
    user: userJson(context, ACTOR.login, ACTOR.id),
    body: null,
    labels: [],
    milestone: null,
    created_at: run.createdAt,
    updated_at: run.createdAt,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    head: headJson(context, run),
    base: branchJson(context, base, 'main', baseSha(number)),
    _links: {
      self: link(url),
      html: link(htmlUrl),
      issue: link(issueUrl),
      comments: link(`${issueUrl}/comments`),
      review_comments: link(`${url}/comments`),
      review_comment: link(`${repoApiUrl(context)}/pulls/comments{/number}`),
      commits: link(`${url}/commits`),
      statuses: link(statusesUrl),
    },
    author_association: run.fromFork ? 'CONTRIBUTOR' : 'MEMBER',
    auto_merge: null,
    draft: false,
    merged: false,
    mergeable: true,
    mergeable_state: 'clean',
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: run.fromFork,
    commits: 1,
    additions: 1,
    deletions: 0,
    changed_files: 1,
  }
}
