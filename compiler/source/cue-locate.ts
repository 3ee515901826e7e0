// Positions in CUE files from field paths, found in the text (CUE gives no positions for values
// that later stages complain about, and none for some of its own messages).
import type { PathSegment, Position, Span } from '../diagnostics/diagnostic.ts';
import type { CueFile } from '../host.ts';

/**
 * Best effort for messages CUE prints without a position (e.g. `x: incomplete value int`): the
 * position of the path's last field label, found by looking for its labels in order in the text.
 */
export function locateField(
  files: readonly CueFile[],
  path: readonly PathSegment[],
): { file: string; pos: Position } | undefined {
  const labels = path.filter((s): s is string => typeof s === 'string');
  if (labels.length === 0) return undefined;
  for (const f of files) {
    let from = 0;
    let hit = -1;
    for (const l of labels) {
      const q = `(?:${escapeRe(l)}|${escapeRe(JSON.stringify(l))})`;
      const re = new RegExp(String.raw`(^|[\s{,])${q}\??\s*:`, 'gm');
      re.lastIndex = from;
      const m = re.exec(f.text);
      if (!m) {
        hit = -1;
        break;
      }
      hit = m.index + m[1]!.length;
      from = hit + 1;
    }
    if (hit >= 0) {
      const before = f.text.slice(0, hit).split('\n');
      return { file: f.path, pos: { line: before.length, column: before[before.length - 1]!.length + 1 } };
    }
  }
  return undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The span of the field at `path` in one CUE file: the longest prefix of the path that can be
 * found; the value after the colon unless `key` is set.
 */
export function locateCueSpan(text: string, path: readonly PathSegment[], key: boolean): Span | undefined {
  for (let n = path.length; n > 0; n--) {
    const hit = locateField([{ path: '', text }], path.slice(0, n));
    if (!hit) continue;
    let pos: Position = hit.pos;
    if (!key || n < path.length) {
      const line = text.split('\n')[pos.line - 1] ?? '';
      const m = /^[^:]*:\s*/.exec(line.slice(pos.column - 1));
      if (m && pos.column - 1 + m[0].length < line.length)
        pos = { line: pos.line, column: pos.column + m[0].length };
    }
    return { start: pos, end: pos };
  }
  return undefined;
}
