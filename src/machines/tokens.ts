// Token counts: the one home for adding them up and for what "spent" means. Every layer that counts tokens (the
// workflow machine's budget, the run view, the phase actor, the executor summing a session's messages, the reports)
// uses these, so a count cannot drift between two surfaces.
import type { Tokens } from './types.js'

/** No tokens (frozen: callers that accumulate start from `addTokens(ZERO_TOKENS, ...)` or `zeroTokens()`). */
export const ZERO_TOKENS: Tokens = Object.freeze({ input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 })

/** A fresh, mutable zero. */
export function zeroTokens(): Tokens {
  return { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }
}

/** a + b, field by field (a new object). */
export function addTokens(a: Tokens, b: Tokens): Tokens {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
  }
}

/** The sum of many counts (e.g. every assistant message of one OpenCode session). */
export function sumTokens(all: Iterable<Tokens>): Tokens {
  let sum = zeroTokens()
  for (const t of all) sum = addTokens(sum, t)
  return sum
}

/** What the surfaces print as "tokens": input + output + reasoning (cache reads/writes are not new work). */
export function totalTokens(t: Pick<Tokens, 'input' | 'output' | 'reasoning'>): number {
  return t.input + t.output + t.reasoning
}

/** The `tokens` totals of the `--json` summary and run.json: the three kinds and their `totalTokens`. */
export function tokenTotals(t: Pick<Tokens, 'input' | 'output' | 'reasoning'>): { input: number; output: number; reasoning: number; total: number } {
  return { input: t.input, output: t.output, reasoning: t.reasoning, total: totalTokens(t) }
}

/** What the token budget counts: output tokens, reasoning included (as Anthropic bills it and Claude Code counts its
 *  budget). The workflow machine keeps the one tally of this (`context.spent`); the script's `budget()` reads it. */
export function budgetSpent(t: Pick<Tokens, 'output' | 'reasoning'>): number {
  return t.output + t.reasoning
}
