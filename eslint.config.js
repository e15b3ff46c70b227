import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'deploy/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      // Nest injects classes by their constructor parameter types (decorator metadata, which tsc and
      // vitest's transformer emit): told so, consistent-type-imports leaves those imports as values.
      parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true },
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
  {
    // One Kafka layer: the client and its types stay inside libs/kafka (README, ADR 0004).
    ignores: ['libs/kafka/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@platformatic/kafka',
              message: 'Use libs/kafka (#kafka): it applies the KAFKA_* connection, TLS and SASL settings.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
