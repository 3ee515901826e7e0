// Stage 1, load: raw bytes → checked text files. Rejects what must never reach a parser: files
// that are too large, binary or not UTF-8. Output is sorted by path, so the order in which a host
// lists files never changes the result.
import type { CompileLimits, SourceFile } from '../host.ts';
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import { positionAtByte } from '../source/text-position.ts';

export interface TextFile {
  readonly path: string;
  readonly text: string;
  readonly format: 'yaml' | 'cue';
}

export function formatOf(path: string): 'yaml' | 'cue' | undefined {
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  if (/\.cue$/i.test(path)) return 'cue';
  return undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >> 5 === 0b110 ? 1 : b >> 4 === 0b1110 ? 2 : b >> 3 === 0b11110 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= bytes.length || bytes[i + k]! >> 6 !== 0b10) return i;
    i += need + 1;
  }
  return -1;
}

export function load(files: readonly SourceFile[], limits: CompileLimits, diags: Diagnostics): TextFile[] {
  const out: TextFile[] = [];
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of sorted) {
    const format = formatOf(f.path);
    if (!format) continue;
    const at = { line: 1, column: 1 };
    if (f.bytes.length > limits.maxFileBytes) {
      diags.add({
        code: 'L7C1001',
        file: f.path,
        span: { start: at, end: at },
        message: `file is ${(f.bytes.length / 1048576).toFixed(1)} MiB; the limit is ${(limits.maxFileBytes / 1048576).toFixed(1)} MiB`,
        hint: 'split it into smaller files, or raise the limit with --max-file-size',
      });
      continue;
    }
    const nul = f.bytes.indexOf(0);
    if (nul >= 0) {
      const p = positionAtByte(f.bytes, nul);
      diags.add({
        code: 'L7C1002',
        file: f.path,
        span: { start: p, end: p },
        message: `file contains a NUL byte at offset ${nul}: it looks binary`,
      });
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(f.bytes);
    } catch {
      const bad = Math.max(0, firstInvalidUtf8(f.bytes));
      const p = positionAtByte(f.bytes, bad);
      diags.add({
        code: 'L7C1003',
        file: f.path,
        span: { start: p, end: p },
        message: `invalid UTF-8 byte 0x${f.bytes[bad]?.toString(16).padStart(2, '0')} at offset ${bad}`,
        hint: 'save the file as UTF-8',
      });
      continue;
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') {
      diags.add({ code: 'L7C1004', file: f.path, span: { start: at, end: at }, message: 'file is empty' });
      continue;
    }
    out.push({ path: f.path, text, format });
  }
  return out;
}
