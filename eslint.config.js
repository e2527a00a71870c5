// Flat ESLint config shared by every package (run as `eslint src test` in each).
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/coverage/**', '**/node_modules/**', 'docs/**', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // Enums hide numeric ISA tables behind generated objects; use `as const` tables.
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use `as const` objects instead of enums.' },
      ],
      'no-bitwise': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/test/**/*.ts'],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      'vitest/consistent-test-it': ['error', { fn: 'it', withinDescribe: 'it' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Type tests (expectTypeOf) and property tests (fc.assert) are assertions too.
      'vitest/expect-expect': [
        'error',
        {
          assertFunctionNames: [
            'expect',
            'expect*',
            'expectTypeOf',
            'assert*',
            'fc.assert',
            '*.assert*',
          ],
        },
      ],
      // Table-driven and exhaustive tests branch on the expected outcome of each case.
      'vitest/no-conditional-expect': 'off',
    },
  },
);
