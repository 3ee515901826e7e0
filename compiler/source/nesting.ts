// Where a document first nests deeper than a limit, found from the text alone: used when a parser
// gives up (js-yaml stops at depth 100, others overflow the stack) without saying where.
export function firstTooDeep(text: string, maxDepth: number): number {
  // flow collections: count brackets outside quotes
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote && text[i - 1] !== '\\') quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > maxDepth) return i;
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '\n') {
      if (depth === 0) break;
    }
  }
  // block collections: a stack of indentation levels
  const stack: number[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (line.trim() !== '' && !line.trimStart().startsWith('#')) {
      while (stack.length && stack[stack.length - 1]! >= indent) stack.pop();
      stack.push(indent);
      if (stack.length > maxDepth) return offset + indent;
    }
    offset += line.length + 1;
  }
  return 0;
}

/** The opening bracket or quote left unclosed before `offset` (parsers report where they gave up). */
export function unclosedOpener(text: string, offset: number): number | undefined {
  const stack: number[] = [];
  let quote: { ch: string; at: number } | undefined;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote.ch && (quote.ch === "'" || text[i - 1] !== '\\')) quote = undefined;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    // a quote only opens a scalar at the start of one
    if ((c === '"' || c === "'") && (i === 0 || /[\s:,[{-]/.test(text[i - 1]!))) quote = { ch: c, at: i };
    else if (c === '[' || c === '{') stack.push(i);
    else if (c === ']' || c === '}') stack.pop();
  }
  return quote?.at ?? stack[stack.length - 1];
}
