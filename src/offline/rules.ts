// The offline model's rules: the file format (OCDW_OFFLINE_RULES / --rules), its validation, and matching a request
// against the rules. Kept apart from the HTTP server so the CLI can validate a rules file before starting anything.
import { readFileSync } from 'node:fs'
import { z } from 'zod'

export type RuleReply = { text: string } | { json: unknown } | { tools: { name: string; args: Record<string, unknown> }[] }

export interface OfflineRule {
  /** Regex (JavaScript syntax, case-sensitive unless you write (?i)-free alternatives) on the last user message text. */
  match: string
  /** Optional regex that must also match the system prompt. */
  matchSystem?: string
  reply?: RuleReply
  /** What to answer after tool results come back (a `tools` reply's follow-up): one reply per tool round, in
   * order (a single reply is round 1); past the last one the default applies. A `json` reply fills StructuredOutput. */
  then?: RuleReply | RuleReply[]
  /** Answer with this HTTP error instead of a reply. */
  fail?: 500 | 429
  /** Latency for requests this rule answers, instead of the config's `latencyMs` (a slow agent among fast ones). */
  latencyMs?: number
}

export interface OfflineRulesConfig {
  rules: OfflineRule[]
  latencyMs?: number
  failureRate?: number
  seed?: number
  /** A provider's rate limit: with more chat requests than this in flight, the extra ones are answered 429 at once. */
  maxInFlight?: number
  /** retry-after-ms sent with those 429s (default 250). */
  rateLimitRetryAfterMs?: number
}

/** Bad rules (unreadable file, bad JSON, bad regex): the CLI exits 2 with the message. */
export class OfflineModelConfigError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'OfflineModelConfigError'
  }
}

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s)
      return true
    } catch {
      return false
    }
  },
  { message: 'is not a valid regular expression' },
)

const replySchema = z.union([
  z.object({ text: z.string() }).strict(),
  z.object({ json: z.unknown() }).strict(),
  z.object({ tools: z.array(z.object({ name: z.string().min(1), args: z.record(z.string(), z.unknown()).default({}) })).min(1) }).strict(),
])

const ruleSchema = z
  .object({
    match: regex,
    matchSystem: regex.optional(),
    reply: replySchema.optional(),
    then: z.union([replySchema, z.array(replySchema)]).optional(),
    fail: z.union([z.literal(500), z.literal(429)]).optional(),
    latencyMs: z.number().min(0).optional(),
  })
  .refine((r) => r.reply !== undefined || r.fail !== undefined, { message: 'a rule needs a "reply" or a "fail"' })

const configSchema = z.object({
  rules: z.array(ruleSchema).default([]),
  latencyMs: z.number().min(0).optional(),
  failureRate: z.number().min(0).max(1).optional(),
  seed: z.number().optional(),
  maxInFlight: z.number().int().min(1).optional(),
  rateLimitRetryAfterMs: z.number().min(0).optional(),
})

/** Validates a rules object (or a bare array of rules); `where` names its origin in the error message. */
export function parseRulesConfig(value: unknown, where = 'the rules'): OfflineRulesConfig {
  const input = Array.isArray(value) ? { rules: value } : value
  const parsed = configSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const at = issue.path.length ? ` at ${issue.path.join('.')}` : ''
    throw new OfflineModelConfigError(
      `The offline model rules in ${where} are invalid${at}: ${issue.message}. Expected { "rules": [{ "match": "regex", "reply": { "text": "..." } }], "latencyMs"?, "failureRate"?, "seed"?, "maxInFlight"? }.`,
    )
  }
  return parsed.data as OfflineRulesConfig
}

/** Reads and validates a rules file; every failure is one sentence naming the file. */
export function loadRulesFile(file: string): OfflineRulesConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new OfflineModelConfigError(
      code === 'ENOENT'
        ? `The offline model rules file ${file} does not exist; check the path given to --rules or OCDW_OFFLINE_RULES.`
        : `The offline model rules file ${file} could not be read (${(err as Error).message}); check its permissions.`,
    )
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new OfflineModelConfigError(`The offline model rules file ${file} is not valid JSON (${(err as Error).message}); fix the file and try again.`)
  }
  return parseRulesConfig(value, file)
}

/** The first rule whose regexes match the last user message (and the system prompt when the rule asks). */
export function findRule(rules: OfflineRule[], lastUser: string, system: string): OfflineRule | undefined {
  return rules.find((r) => new RegExp(r.match).test(lastUser) && (r.matchSystem === undefined || new RegExp(r.matchSystem).test(system)))
}
