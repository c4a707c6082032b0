import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tools/**',
      '.data/**',
      'coverage/**',
      'jest.config.js',
      'jest.cluster.config.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O code from src/.
    // Each workflow file declares the activities it calls; activities/ implements those interfaces, so
    // workflows import nothing from activities/, not even types.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, ...NODE_BUILTINS.map((name) => `node:${name}`)],
          patterns: [
            {
              group: ['../src', '../src/*'],
              message: 'Workflows may not import src/: put what both sides need in common/.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              message:
                'Workflows import nothing from activities/: declare the activities a workflow calls in its file.',
            },
          ],
        },
      ],
    },
  },
  {
    // common/ is the sandbox-safe core that src/, workflows/ and activities/ all import: it imports none of them.
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, ...NODE_BUILTINS.map((name) => `node:${name}`)],
          patterns: [
            {
              group: ['../src/*', '../workflows/*', '../activities/*'],
              message: 'common/ depends on nothing of the product.',
            },
          ],
        },
      ],
    },
  },
  {
    // Activities take the argument types the tools' schemas infer, never workflow code.
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows', '**/workflows/*'],
              message: 'Activities import only types from workflows/.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workflows/**/*.ts', 'common/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // expect.any() and friends are typed `any`; tests may pass them around.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['eslint.config.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
