import type { HostedRepository } from './repositories.js'
import { repositoryJson, userJson } from './representations.js'

const WEB_URL = 'https://github.com'

/**
 * A `minimal-repository` as the owner listings carry it: the required fields plus the state
 * GitHub also sends (archived, visibility, timestamps, clone URLs).
 */
export function minimalRepositoryJson(repository: HostedRepository) {
  const { context, fullName } = repository
  return {
    ...repositoryJson(context, context.owner, repository.id),
    git_url: `git://github.com/${fullName}.git`,
    ssh_url: `git@github.com:${fullName}.git`,
    clone_url: `${WEB_URL}/${fullName}.git`,
    default_branch: 'main',
    archived: repository.archived,
    disabled: false,
    visibility: repository.private ? 'private' : 'public',
    // Nothing is pushed to an emulated repository after it is created.
    created_at: repository.createdAt,
    updated_at: repository.createdAt,
    pushed_at: repository.createdAt,
  }
}

/** A `full-repository` (GET /repos/{owner}/{repo}), with counts of an idle repository. */
export function fullRepositoryJson(repository: HostedRepository) {
  const { context, owner } = repository
  return {
    ...minimalRepositoryJson(repository),
    svn_url: `${WEB_URL}/${repository.fullName}`,
    mirror_url: null,
    homepage: null,
    language: null,
    license: null,
    size: 0,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    open_issues: 0,
    open_issues_count: 0,
    network_count: 0,
    subscribers_count: 0,
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    ...(owner.type === 'Organization'
      ? { organization: userJson(context, owner.login, owner.id, owner.type) }
      : {}),
  }
}
