import { describe, expect, it } from '@jest/globals'
import { apiUrl, repositoryOfRemote } from '../../../src/cli/environment.js'

describe('apiUrl', () => {
  it('takes --api-url, else GITHUB_API_URL, else the GH_HOST server, else github.com', () => {
    const env = { GITHUB_API_URL: 'https://api.example.test', GH_HOST: 'ghe.example.test' }

    expect(apiUrl('http://127.0.0.1:8080', env)).toBe('http://127.0.0.1:8080')
    expect(apiUrl(undefined, env)).toBe('https://api.example.test')
    expect(apiUrl(undefined, { GH_HOST: 'ghe.example.test' })).toBe(
      'https://ghe.example.test/api/v3',
    )
    expect(apiUrl(undefined, {})).toBe('https://api.github.com')
  })

  it.each([
    ['github.com', 'https://api.github.com'],
    ['GitHub.com', 'https://api.github.com'],
    ['api.github.com', 'https://api.github.com'],
    ['octocorp.ghe.com', 'https://api.octocorp.ghe.com'],
    ['api.octocorp.ghe.com', 'https://api.octocorp.ghe.com'],
    ['ghe.example.test', 'https://ghe.example.test/api/v3'],
    ['github.com.example.test', 'https://github.com.example.test/api/v3'],
  ])('takes GH_HOST %s as gh does: %s', (host, url) => {
    expect(apiUrl(undefined, { GH_HOST: host })).toBe(url)
  })

  it('refuses an --api-url that is not an http(s) URL, naming the flag', () => {
    expect(() => apiUrl('ghe.example.test', {})).toThrow('--api-url: ')
    expect(() => apiUrl('ftp://ghe.example.test', {})).toThrow('is not an http(s) URL')
  })
})

describe('repositoryOfRemote', () => {
  it.each([
    'https://github.com/octo-org/octo-repo.git',
    'https://github.com/octo-org/octo-repo',
    'https://user:secret@github.com/octo-org/octo-repo.git',
    'https://ghe.example.test/octo-org/octo-repo/',
    'git@github.com:octo-org/octo-repo.git',
    'github.com:octo-org/octo-repo',
    'ssh://git@github.com/octo-org/octo-repo.git',
    'ssh://git@ghe.example.test:2222/octo-org/octo-repo.git',
  ])('reads owner/name from %s', (remote) => {
    expect(repositoryOfRemote(remote)).toBe('octo-org/octo-repo')
  })

  it('leaves a path of another shape for the repository check to refuse', () => {
    expect(repositoryOfRemote('https://gitlab.example.test/group/sub/project.git')).toBe(
      'group/sub/project',
    )
    expect(repositoryOfRemote('/srv/git/project.git')).toBeUndefined()
  })
})
