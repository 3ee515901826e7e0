// The example repositories every example-driven test runs over.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLES = ['quickstart', 'protocol-conversion', 'media-plane'] as const;
export const exampleDir = (name: string) => join(repoRoot, 'examples', name);
