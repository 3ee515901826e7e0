// The parse stage's output: one user object as written (YAML or CUE), not yet validated, with
// where it came from so every later stage can point at it.
import type { PathSegment } from '../diagnostics/diagnostic.ts';

export interface SourceRef {
  readonly file: string;
  /** 0-based YAML document index within the file (0 for CUE) */
  readonly document: number;
  /** path of the object inside the document (empty for a YAML document; the CUE field path for CUE) */
  readonly base: readonly PathSegment[];
  readonly format: 'yaml' | 'cue';
}

export interface RawObject {
  readonly src: SourceRef;
  /** the object as parsed: a plain JSON value (already checked to be a mapping) */
  readonly value: Record<string, unknown>;
}

export { API_VERSION, KINDS, type Kind } from '../../schemas/kinds.ts';
