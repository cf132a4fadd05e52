import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/build/**', 'test-artifacts/**', 'src-renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src-renderer/**/*'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The pure protocol library must stay free of I/O so it can be tested byte for byte.
    files: ['src-protocol/**/*.ts'],
    ignores: ['src-protocol/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:fs*',
                'node:net',
                'node:dgram',
                'node:http*',
                'node:child_process',
                'fs',
                'net',
                'dgram',
              ],
              message: 'src-protocol is pure: do I/O at the edges.',
            },
          ],
        },
      ],
    },
  },
);
