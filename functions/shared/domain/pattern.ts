// User regular expressions (`expect: { regex, flags }`) on RE2's linear-time engine (re2js, pure JavaScript).
// A target chooses what it sends and a user chooses the pattern; with a backtracking engine the two together can hold the
// probe's one thread for seconds (`(a+)+$` against 30 a's and '!': 14 s). RE2 matches in time linear in the reply, and
// refuses what it cannot match that way (lookaround, backreferences), so validation here rejects those at synth time.
// Not re-exported from the domain's index: the probe loads this module (and re2js) only when a monitor has a regex.
import { RE2JS } from 're2js';

/** Flags with a meaning: i (case-insensitive), m (^ and $ at line ends), s (. matches newline). */
const FLAG_NAMES = 'ims';
/** JavaScript flags accepted and ignored: a probe looks for the first match anywhere (g, y), RE2 is Unicode-aware (u). */
const IGNORED_FLAGS = 'gyu';

/** A compiled user pattern: `test` searches the whole text (unanchored, like `RegExp.prototype.test`). */
export interface UserPattern {
  test(text: string): boolean;
}

/** What is wrong with `flags`, or undefined. */
export function flagsProblem(flags: string): string | undefined {
  const bits = flagBits(flags);
  return typeof bits === 'string' ? bits : undefined;
}

/** The reason RE2 cannot compile `source` (with `flags`, which must have no problem), or undefined when it can. */
export function patternProblem(source: string, flags: string | undefined): string | undefined {
  const bits = flagBits(flags ?? '');
  if (typeof bits === 'string') return bits;
  try {
    RE2JS.compile(source, bits);
    return undefined;
  } catch (error) {
    // re2js says e.g. "error parsing regexp: invalid or unsupported Perl syntax: `(?=`".
    return (error instanceof Error ? error.message : String(error)).replace(/^error parsing regexp: /, '');
  }
}

/** Compiles a pattern validation accepted; throws (with RE2's reason) for one it did not. */
export function compilePattern(source: string, flags: string | undefined): UserPattern {
  const bits = flagBits(flags ?? '');
  if (typeof bits === 'string') throw new Error(bits);
  const compiled = RE2JS.compile(source, bits);
  // test() runs RE2's DFA without capture groups: 64 KB in well under a millisecond, whatever the pattern.
  return { test: (text) => compiled.test(text) };
}

function flagBits(flags: string): number | string {
  let bits = 0;
  const seen = new Set<string>();
  for (const flag of flags) {
    if (seen.has(flag)) return `'${flag}' is given twice`;
    seen.add(flag);
    // Looked up here, not in a module-level table: a top-level read of RE2JS would keep re2js in every bundle that imports
    // the schema (the aggregator's and sweeper's), which otherwise drop it with the schema.
    if (FLAG_NAMES.includes(flag)) bits |= flag === 'i' ? RE2JS.CASE_INSENSITIVE : flag === 'm' ? RE2JS.MULTILINE : RE2JS.DOTALL;
    else if (!IGNORED_FLAGS.includes(flag)) return `'${flag}' is not a flag RE2 knows`;
  }
  return bits;
}
