import type { RepoContext } from './representations.js'
import { isoSeconds, RepositoryState, SharedIds, type StoredArtifact } from './state.js'
import type { SeedRepository } from './types.js'

type OwnerType = 'Organization' | 'User'

interface Account {
  login: string
  id: number
  type: OwnerType
}

/** One repository on the emulated server, with its own runs, workflows and artifacts. */
export interface HostedRepository {
  id: number
  owner: Account
  name: string
  fullName: string
  archived: boolean
  private: boolean
  createdAt: string
  state: RepositoryState
  context: RepoContext
}

// Odd steps, so no repository takes the id of another's fork (repository id + 1).
const FIRST_EXTRA_REPOSITORY_ID = 1_500_001
const REPOSITORY_ID_STEP = 2
const FIRST_ACCOUNT_ID = 9001
/** Repositories were created a day apart, in seed order, from this day on. */
const FIRST_CREATED_AT = Date.parse('2020-01-06T10:00:00Z')
const DAY_MS = 24 * 60 * 60 * 1000

/** Owner and repository names are not case sensitive on GitHub. */
function key(name: string): string {
  return name.toLowerCase()
}

/**
 * Every repository and owner, found by name in constant time whatever their number; run,
 * workflow and artifact ids are drawn from one sequence for all of them.
 */
export class Repositories {
  private readonly byFullName = new Map<string, HostedRepository>()
  private readonly byOwner = new Map<string, HostedRepository[]>()
  private readonly accounts = new Map<string, Account>()
  private readonly userLogins: Set<string>
  private readonly ids = new SharedIds()
  private nextId = FIRST_EXTRA_REPOSITORY_ID

  constructor(
    private readonly apiUrl: string,
    users: string[] = [],
  ) {
    this.userLogins = new Set(users.map(key))
  }

  /** Adds a repository, with `id` or the next free one. */
  add(seed: SeedRepository, id?: number): HostedRepository {
    const owner = this.account(seed.owner)
    const fullName = `${owner.login}/${seed.name}`
    if (this.byFullName.has(key(fullName))) throw new Error(`repository ${fullName} seeded twice`)
    const repositoryId = id ?? this.takeId()
    const isPrivate = seed.private ?? false
    const repository: HostedRepository = {
      id: repositoryId,
      owner,
      name: seed.name,
      fullName,
      archived: seed.archived ?? false,
      private: isPrivate,
      createdAt: isoSeconds(FIRST_CREATED_AT + this.byFullName.size * DAY_MS),
      state: new RepositoryState(seed.runs ?? [], this.ids),
      context: {
        apiUrl: this.apiUrl,
        owner: owner.login,
        repo: seed.name,
        repositoryId,
        ownerAccount: owner,
        private: isPrivate,
        archived: seed.archived ?? false,
      },
    }
    this.byFullName.set(key(fullName), repository)
    const owned = this.byOwner.get(key(owner.login)) ?? []
    owned.push(repository)
    this.byOwner.set(key(owner.login), owned)
    return repository
  }

  find(owner: string, name: string): HostedRepository | undefined {
    return this.byFullName.get(key(`${owner}/${name}`))
  }

  /** The repository 'owner/name', for tests that name one; throws for an unknown name. */
  named(fullName: string): HostedRepository {
    const repository = this.byFullName.get(key(fullName))
    if (!repository) throw new Error(`no repository ${fullName} is seeded`)
    return repository
  }

  /** An owner of at least one repository. */
  owner(login: string): Account | undefined {
    return this.accounts.get(key(login))
  }

  /** In the order they were added (oldest first). */
  ownedBy(login: string): HostedRepository[] {
    return this.byOwner.get(key(login)) ?? []
  }

  /** An artifact of any repository, unless deleted: the storage host knows only its id. */
  artifact(id: number): StoredArtifact | undefined {
    return this.ids.artifact(id)
  }

  private account(login: string): Account {
    const known = this.accounts.get(key(login))
    if (known) return known
    const type = this.userLogins.has(key(login)) ? 'User' : 'Organization'
    const account = { login, id: FIRST_ACCOUNT_ID + this.accounts.size, type } as const
    this.accounts.set(key(login), account)
    return account
  }

  private takeId(): number {
    const id = this.nextId
    this.nextId += REPOSITORY_ID_STEP
    return id
  }
}
