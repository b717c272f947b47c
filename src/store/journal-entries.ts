// The journal's lines (journal.jsonl), declared once with zod: the type every writer uses and the check every reader
// applies (a run dir is untrusted: a planted line must not crash resume or `ocdw show`). The entry names are on disk
// in older runs, so they stay: an agent's outcome is journaled as agent.done / agent.failed / agent.stopped (the
// `agent.finished` the workflow emits, ARCHITECTURE §2). Add fields as optional so older lines keep reading.
import { z } from 'zod'
import { TokensSchema } from '../machines/schemas.js'

const at = z.number()

export const JournalEntrySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('run'), status: z.string(), at }),
  z.object({ t: z.literal('agent.started'), key: z.string(), attempt: z.number(), at }),
  z.object({
    t: z.literal('agent.done'),
    key: z.string(),
    phase: z.string(),
    label: z.string(),
    result: z.unknown(),
    tokens: TokensSchema,
    cost: z.number(),
    sessionId: z.string().optional(),
    at,
  }),
  z.object({ t: z.literal('agent.failed'), key: z.string(), error: z.string(), tokens: TokensSchema.optional(), cost: z.number().optional(), at }),
  z.object({ t: z.literal('agent.stopped'), key: z.string(), at }),
  z.object({ t: z.literal('phase'), title: z.string(), at }),
  z.object({ t: z.literal('log'), message: z.string(), level: z.enum(['info', 'warn', 'error']).optional(), at }),
])
export type JournalEntry = z.infer<typeof JournalEntrySchema>

const KNOWN_KINDS = new Set<string>(JournalEntrySchema.options.map((o) => o.shape.t.value))

/**
 * One parsed journal line: the entry, `'unknown'` for a kind this version does not know (a newer ocdw's line: skipped
 * quietly, as before), or throws an Error saying what is wrong with a line of a known kind.
 */
export function journalEntryOf(value: unknown): JournalEntry | 'unknown' {
  const t = (value as { t?: unknown } | null)?.t
  if (!value || typeof value !== 'object' || typeof t !== 'string') throw new Error('not a journal entry')
  if (!KNOWN_KINDS.has(t)) return 'unknown'
  const checked = JournalEntrySchema.safeParse(value)
  if (!checked.success) throw new Error(`${t} entry: ${checked.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`)
  return checked.data
}
