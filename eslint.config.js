import tseslint from 'typescript-eslint'
import prettier from 'eslint-config-prettier'

// The core and the GitHub session serve every front end: only the front ends (src/action,
// src/cli) and the network they hand in (src/transport) may know about the runner's toolkit or
// read the environment.
const frontEndOnly = {
  files: ['src/core/**', 'src/github/**'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: ['@actions/*'],
            message:
              'Only the front ends (src/action, src/cli, src/transport) use the runner toolkit.',
          },
          {
            group: ['**/action/*', '**/cli/*', '**/transport/*', '**/runtime/*'],
            message: 'The core does not depend on a front end: it is handed what it needs.',
          },
          {
            // Imports within src/github are './x.js', so only the core can match this.
            group: ['**/github/*'],
            message: 'The core reaches GitHub through the ApiSession it is handed.',
          },
        ],
      },
    ],
    'no-restricted-properties': [
      'error',
      {
        object: 'process',
        property: 'env',
        message: 'Only the front ends read the environment; pass what the core needs in.',
      },
    ],
  },
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.node24/', 'bench/.work/'] },
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  frontEndOnly,
)
