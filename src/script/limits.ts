// Limits on values crossing between the script sandbox and the host (issue 12.7): how deep a value may nest and how
// long an error or log text may be before it is written anywhere (journal, run.json, terminal).

/** Deepest nesting of arrays/objects a value crossing the sandbox boundary may have. */
export const MAX_DEPTH = 1000
/** Longest error message or log line kept; the rest is cut with a note. */
export const MAX_TEXT = 64 * 1024

/** True when `value` nests arrays/objects deeper than `max` levels. Iterative: a deep value cannot overflow the stack here. */
export function nestsDeeperThan(value: unknown, max = MAX_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (depth > max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
  }
  return false
}

/** `text`, cut to MAX_TEXT characters with a note saying how much was dropped. */
export function capText(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters cut]`
}
