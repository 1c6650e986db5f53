// Lint: the recommended rules of ESLint and typescript-eslint; formatting is Prettier's (npm run format).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated or fetched at build time, and the stand-ins' image contexts.
  { ignores: ['dist/**', 'node_modules/**', 'src/render/compiled-templates.ts', 'generators/app/index.js', '__tests__/engine/images/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      // `_` marks what is deliberately unused (destructuring, callback positions).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // A long function does several things: each gets a function and a name (issue 21's review).
  { files: ['src/**', 'generators/**'], rules: { 'max-lines-per-function': ['error', { max: 60 }] } },
  // Tests walk parsed YAML and JSON of arbitrary shape.
  { files: ['__tests__/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
