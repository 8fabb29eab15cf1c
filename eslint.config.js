// ESLint flat config: typescript-eslint's recommended rules, type-aware where it pays off.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Only electron/ may load `electron` (docs/architecture.md: the runner and the renderer never
 * import it; without the Electron binary, loading it under plain Node throws). Type-only imports
 * are fine anywhere. Covers `electron` and its subpaths (`electron/main`, ...), in static
 * imports, re-exports, `import x = require()`, `require()` and dynamic `import()`.
 */
const ELECTRON_ONLY =
  'Only electron/ may import electron at runtime (docs/architecture.md); elsewhere use `import type`.';
const ELECTRON_SPECIFIER = '/^electron(\\u002F|$)/';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '*.html'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.cts', '**/*.mts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.ts', '**/*.cts', '**/*.mts', '**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: ELECTRON_ONLY, allowTypeImports: true }],
          patterns: [{ regex: '^electron/', message: ELECTRON_ONLY, allowTypeImports: true }],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: `CallExpression[callee.name='require'][arguments.0.value=${ELECTRON_SPECIFIER}]`,
          message: ELECTRON_ONLY,
        },
        { selector: `ImportExpression[source.value=${ELECTRON_SPECIFIER}]`, message: ELECTRON_ONLY },
      ],
    },
  },
  {
    // The Electron shell: main process and preload (a sandboxed preload can only `require`).
    files: ['electron/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': 'off',
      'no-restricted-syntax': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly' } },
  },
  {
    // Maintenance scripts run under plain Node (scripts/fault-survey.mjs).
    files: ['scripts/**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
);
