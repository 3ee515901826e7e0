// Lint rules. The layer rules below enforce DESIGN §2: a layer never imports from a layer above it,
// and the compiler does no I/O (files come in through a host object).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const above = {
  schemas: ['compiler', 'offload', 'runtime', 'cli'],
  compiler: ['offload', 'runtime', 'cli'],
  offload: ['runtime', 'cli'],
  runtime: ['cli'],
};
const layerRules = Object.entries(above).map(([layer, banned]) => ({
  files: [`${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: banned.map((b) => ({
          group: [`**/${b}/**`],
          message: `${layer}/ may not import from ${b}/ (DESIGN §2)`,
        })),
        ...(layer === 'compiler'
          ? {
              paths: [
                'fs',
                'node:fs',
                'fs/promises',
                'node:fs/promises',
                'child_process',
                'node:child_process',
                'net',
                'node:net',
                'http',
                'node:http',
              ].map((name) => ({ name, message: 'the compiler does no I/O: use the CompilerHost' })),
            }
          : {}),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', '.cache/**', 'schemas/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  ...layerRules,
);
