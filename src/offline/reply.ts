// Decides what the offline model answers to one chat-completions request (pure: no I/O). The HTTP layer
// (server.ts) turns the plan into JSON or SSE. Order: title requests, tool results (a rule's `then`,
// else StructuredOutput or a done text), rules, the planner's request (a toy plan), StructuredOutput, default.
import { hash32, hashHex, hashWords, prng } from './hash.js'
import { findRule, type OfflineRulesConfig, type RuleReply } from './rules.js'
import { fillSchema } from './schema-fill.js'
import { plannerTask, toyPlanAnswer, toyPlanSteps } from './toy-plan.js'
import { contentText, type ChatMessage } from './chat-message.js'

export { contentText, type ChatMessage } from './chat-message.js'

export type ReplyKind = 'text' | 'json' | 'tools' | 'structured' | 'title' | 'fail'

export interface ChatRequest {
  model?: string
  messages?: ChatMessage[]
  tools?: { type?: string; function?: { name?: string; parameters?: unknown } }[]
  tool_choice?: unknown
  stream?: boolean
}

export interface ToolCallPlan {
  id: string
  name: string
  arguments: string
}

export interface ReplyPlan {
  kind: ReplyKind
  /** HTTP status: 200, or 500/429 when kind is 'fail'. */
  status: number
  text?: string
  toolCalls?: ToolCallPlan[]
  lastUser: string
  tools: string[]
  /** Latency of the matching rule, when it sets one. */
  latencyMs?: number
}

export const STRUCTURED_TOOL = 'StructuredOutput'

/** The text of the last user message. */
export function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return contentText(messages[i].content)
  return ''
}

export interface PlanState {
  /** How many times a request with this failure key was seen before (for deterministic failure injection). */
  seen(key: string): number
}

export function planReply(req: ChatRequest, config: OfflineRulesConfig, state: PlanState): ReplyPlan {
  const messages = Array.isArray(req.messages) ? req.messages : []
  const lastUser = lastUserText(messages)
  const system = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => contentText(m.content)).join('\n')
  const tools = (req.tools ?? []).map((t) => t.function?.name).filter((n): n is string => typeof n === 'string')
  const base = { lastUser, tools }

  if (isTitleRequest(system, messages)) return { ...base, kind: 'title', status: 200, text: titleFor(lastUser) }

  // Failure injection: keyed by the conversation (not by arrival order), so concurrent sessions stay deterministic;
  // the occurrence count makes a retry of the same request roll again.
  if (config.failureRate && config.failureRate > 0) {
    const key = `${lastUser}|${messages.length}`
    const roll = prng(hash32(`${config.seed ?? 0}|${key}|${state.seen(key)}`))
    if (roll() < config.failureRate) return { ...base, kind: 'fail', status: roll() < 0.5 ? 500 : 429 }
  }

  const structured = (req.tools ?? []).find((t) => t.function?.name === STRUCTURED_TOOL)
  const last = messages[messages.length - 1]

  if (last?.role === 'tool') {
    const called = toolNamesSinceUser(messages)
    // A rule's `then`: the follow-up reply for this tool round (1 = after the first tool results).
    const then = findRule(config.rules, lastUser, system)?.then
    const next = Array.isArray(then) ? then[toolRoundsSinceUser(messages) - 1] : toolRoundsSinceUser(messages) === 1 ? then : undefined
    if (next && !called.includes(STRUCTURED_TOOL)) return ruleReplyPlan(base, next, structured, lastUser, messages.length)
    if (structured && !called.includes(STRUCTURED_TOOL)) return structuredPlan(base, structured.function?.parameters, lastUser, messages.length)
    return { ...base, kind: 'text', status: 200, text: `done: ${called.join(', ') || 'tool'} finished for "${clip(lastUser, 60)}"` }
  }

  const rule = findRule(config.rules, lastUser, system)
  if (rule?.fail) return { ...base, kind: 'fail', status: rule.fail }
  const reply = rule?.reply
  if (reply) return { ...ruleReplyPlan(base, reply, structured, lastUser, messages.length), ...(rule.latencyMs !== undefined ? { latencyMs: rule.latencyMs } : {}) }
  // The planner asks for a script: answer with a small valid one (no rule answered it first).
  const task = plannerTask(messages, lastUser)
  if (task !== undefined && !structured) return { ...base, kind: 'text', status: 200, text: toyPlanAnswer(task) }
  const steps = structured ? toyPlanSteps(lastUser) : undefined
  if (steps) return ruleReplyPlan(base, { json: steps }, structured, lastUser, messages.length)
  if (structured) return structuredPlan(base, structured.function?.parameters, lastUser, messages.length)
  return { ...base, kind: 'text', status: 200, text: defaultText(lastUser) }
}

type ToolDef = NonNullable<ChatRequest['tools']>[number]

/** A rule's reply as a plan; a text reply when StructuredOutput is offered fills the schema instead. */
function ruleReplyPlan(base: { lastUser: string; tools: string[] }, reply: RuleReply, structured: ToolDef | undefined, lastUser: string, n: number): ReplyPlan {
  if ('tools' in reply) {
    const toolCalls = reply.tools.map((t, i) => ({ id: callId(lastUser, n, i), name: t.name, arguments: JSON.stringify(t.args ?? {}) }))
    return { ...base, kind: 'tools', status: 200, toolCalls }
  }
  if ('json' in reply) {
    if (structured) return { ...base, kind: 'structured', status: 200, toolCalls: [{ id: callId(lastUser, n, 0), name: STRUCTURED_TOOL, arguments: JSON.stringify(reply.json) }] }
    return { ...base, kind: 'json', status: 200, text: JSON.stringify(reply.json) }
  }
  if (structured) return structuredPlan(base, structured.function?.parameters, lastUser, n)
  return { ...base, kind: 'text', status: 200, text: reply.text }
}

/** Assistant turns with tool calls since the last user message. */
function toolRoundsSinceUser(messages: ChatMessage[]): number {
  let n = 0
  for (let i = messages.length - 1; i >= 0 && messages[i].role !== 'user'; i--) if (messages[i].role === 'assistant' && messages[i].tool_calls?.length) n++
  return n
}

function structuredPlan(base: { lastUser: string; tools: string[] }, schema: unknown, prompt: string, n: number): ReplyPlan {
  const value = fillSchema(schema ?? { type: 'object' }, { prompt })
  return { ...base, kind: 'structured', status: 200, toolCalls: [{ id: callId(prompt, n, 0), name: STRUCTURED_TOOL, arguments: JSON.stringify(value) }] }
}

export function isTitleRequest(system: string, messages: ChatMessage[]): boolean {
  if (/title generator|generate a title/i.test(system)) return true
  return messages.some((m) => m.role === 'user' && /^\s*generate a title for this conversation/i.test(contentText(m.content)))
}

/** A short title: the first words of the prompt, else hash words. */
export function titleFor(prompt: string): string {
  const words = prompt.replace(/[^\p{L}\p{N}\s-]/gu, ' ').split(/\s+/).filter(Boolean).slice(0, 6)
  const title = words.length ? words.join(' ') : hashWords(prompt, 3).join(' ')
  return title.charAt(0).toUpperCase() + title.slice(1)
}

/** The reply when no rule matches: same prompt, same text. */
export function defaultText(prompt: string): string {
  return `Offline model reply ${hashHex(prompt)}: ${hashWords(prompt, 4).join(' ')}. You said: "${clip(prompt, 80)}".`
}

function toolNamesSinceUser(messages: ChatMessage[]): string[] {
  const names: string[] = []
  for (let i = messages.length - 1; i >= 0 && messages[i].role !== 'user'; i--) {
    for (const c of messages[i].tool_calls ?? []) if (c.function?.name) names.unshift(c.function.name)
  }
  return [...new Set(names)]
}

function callId(prompt: string, n: number, i: number): string {
  return `call_${hashHex(`${prompt}|${n}|${i}`, 12)}_${i}`
}

function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim()
  return one.length > max ? `${one.slice(0, max - 1)}…` : one
}
