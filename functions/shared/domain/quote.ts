// How declared values appear in config messages: short, on one line, and never throwing, whatever the value is.

/** Longest quoted value in a message; a 1 MB id or host is cut, with its length said. */
const MAX_SHOWN = 80;
/** Nesting shown before `…`: a value nested 100,000 levels deep must not overflow the stack. */
const MAX_DEPTH = 3;

/** A value as a message shows it: strings in quotes, the rest as JSON (bounded in depth and length). */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${cut(value)}'`;
  return cut(render(value, MAX_DEPTH));
}

/** A declared name inside quotes in a message (a monitor id, a group): cut when absurdly long. */
export function cut(text: string): string {
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN)}… (${text.length} characters)`;
}

function render(value: unknown, depth: number): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `${value} (not a finite number)`;
  if (typeof value === 'string') return JSON.stringify(value.length > MAX_SHOWN ? cut(value) : value);
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value !== 'object') return typeof value;
  if (depth === 0) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) {
    const items = value.slice(0, 8).map((v) => render(v, depth - 1));
    return `[${items.join(',')}${value.length > 8 ? ',…' : ''}]`;
  }
  const keys = Object.keys(value);
  const items = keys.slice(0, 8).map((k) => `${JSON.stringify(cut(k))}:${render((value as Record<string, unknown>)[k], depth - 1)}`);
  return `{${items.join(',')}${keys.length > 8 ? ',…' : ''}}`;
}

/** `'a', 'b', 'c'` */
export function list(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

/** ` (did you mean 'x'?)` for a close match, else ''. */
export function suggest(value: string, candidates: readonly string[]): string {
  if (value.length > 64) return '';
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(value.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
