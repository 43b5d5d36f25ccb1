import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Boundaries the build enforces (see the layout in README.md).
const kysely = { name: 'kysely', message: 'kysely is imported only under src/store: go through a repository.' };
const dockerode = { name: 'dockerode', message: 'dockerode is imported only under src/runtime/docker and src/runtime/swarm: go through the runtime port.' };
const outerLayers = {
  group: ['**/api', '**/api/**', '**/cli', '**/cli/**', '**/monitor', '**/monitor/**', '**/scheduler', '**/scheduler/**', '**/reconciler', '**/reconciler/**', '**/main.js'],
  message: 'core never imports an outer layer (api, cli, monitor, scheduler, reconciler): pass what it needs in.',
};
const upperLayers = {
  group: ['**/core', '**/core/**', ...outerLayers.group],
  message: 'the store imports only common and config: the types it returns live in the store (records) or common.',
};
const unsafeDb = {
  group: ['**/store/unsafe-db', '**/store/unsafe-db.js'],
  message: 'the raw store handle is for tests only: add a repository method.',
};
const restrict = (paths, patterns = []) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/vendor/**', 'images/**', 'data/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read config in src/config only; pass values in.' }],
    },
  },
  { files: ['src/**/*.ts'], ignores: ['src/store/**', 'src/runtime/docker/**', 'src/runtime/swarm/**', 'src/**/*.test.ts'], rules: restrict([kysely, dockerode], [unsafeDb]) },
  { files: ['src/**/*.test.ts'], ignores: ['src/store/**', 'src/runtime/docker/**', 'src/runtime/swarm/**'], rules: restrict([kysely, dockerode]) },
  { files: ['src/store/**/*.ts'], ignores: ['src/store/**/*.test.ts'], rules: restrict([dockerode], [upperLayers]) },
  { files: ['src/store/**/*.test.ts'], rules: restrict([dockerode]) },
  { files: ['src/runtime/docker/**/*.ts', 'src/runtime/swarm/**/*.ts'], rules: restrict([kysely]) },
  { files: ['src/core/**/*.ts'], ignores: ['src/**/*.test.ts'], rules: restrict([kysely, dockerode], [outerLayers, unsafeDb]) },
  { files: ['src/core/**/*.test.ts'], rules: restrict([kysely, dockerode], [outerLayers]) },
  { files: ['src/config/**', 'test/**', 'bench/**', 'src/cli/**', 'vitest.config.ts', 'eslint.config.js'], rules: { 'no-restricted-properties': 'off' } },
);
