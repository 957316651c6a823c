import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'docs/screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', Buffer: 'readonly', URL: 'readonly' },
      // Every file is linted with the types of the tsconfig.json nearest to it: packages/*/src (with
      // their tests), packages/web, test, test/web, bench (its JavaScript, through allowJs).
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts', 'packages/web/vite.config.ts'], defaultProject: 'tsconfig.base.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // An async function without await is how a synchronous implementation of an async port (the
      // SQLite store, the in-process bus, test doubles) turns a throw into a rejected promise.
      '@typescript-eslint/require-await': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    // vitest types its asymmetric matchers (expect.any, expect.stringContaining, ...) as any, so
    // every toMatchObject({ id: expect.any(String) }) is an "unsafe assignment". The other no-unsafe
    // rules stay on in tests.
    files: ['**/*.test.ts', '**/*.test.tsx'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    // The bench's JavaScript is type-checked by tsc through JSDoc (bench/tsconfig.json) and linted
    // with those types here, promise rules included. The no-unsafe rules are off for it: in plain
    // JavaScript every JSON.parse of a child's message is `any`, and a JSDoc cast on each would
    // only restate what the receiving code already reads.
    files: ['bench/**/*.js'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // JavaScript outside the bench belongs to no TypeScript project: linted without type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ignores: ['bench/**'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['packages/web/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat['recommended-latest'],
    rules: { ...reactHooks.configs.flat['recommended-latest'].rules, 'react-hooks/exhaustive-deps': 'error' },
  },
);
