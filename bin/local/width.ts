// Display width of terminal text: how many columns a string takes (wide CJK and emoji take two, combining marks and
// escape sequences none), and clipping to a number of columns without cutting a character or an escape in half.

// eslint-disable-next-line no-control-regex
const ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/y;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;
const WIDE = /[\p{Extended_Pictographic}\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;

/** Columns one character (code point) takes. */
function charWidth(char: string): number {
  if (ZERO_WIDTH.test(char)) return 0;
  // Text-style pictographs below U+2190 (©, ®, ‼) are one column in terminals.
  if (char.codePointAt(0)! < 0x2190) return 1;
  return WIDE.test(char) ? 2 : 1;
}

/** Splits text into escape sequences (0 columns) and characters with their widths. */
function* pieces(text: string): Generator<{ text: string; width: number }> {
  let i = 0;
  while (i < text.length) {
    ESCAPE.lastIndex = i;
    const escape = ESCAPE.exec(text);
    if (escape) {
      yield { text: escape[0], width: 0 };
      i += escape[0].length;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i)!);
    yield { text: char, width: charWidth(char) };
    i += char.length;
  }
}

/** Columns the text takes on a terminal. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const piece of pieces(text)) width += piece.width;
  return width;
}

/**
 * The text cut to at most `columns` columns, ending in '…' when cut; escape sequences are kept (so colours still
 * close) and tabs or newlines become spaces (one line stays one line).
 */
export function clip(text: string, columns: number): string {
  const flat = text.replace(/[\t\r\n]/g, ' ');
  if (displayWidth(flat) <= columns) return flat;
  let out = '';
  let used = 0;
  for (const piece of pieces(flat)) {
    if (piece.width === 0) {
      out += piece.text;
      continue;
    }
    if (used + piece.width > columns - 1) continue; // keep walking: later escapes (colour resets) still apply
    out += piece.text;
    used += piece.width;
  }
  return `${out}${columns > 0 ? '…' : ''}`;
}

/** The text padded with spaces to `columns` columns (by display width). */
export function padEnd(text: string, columns: number): string {
  return text + ' '.repeat(Math.max(0, columns - displayWidth(text)));
}
