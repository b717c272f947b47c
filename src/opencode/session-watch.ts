// What one agent's session tells ocdw through the server's event stream while its prompt runs: tool calls (shown
// live), permission requests, questions (rejected: nobody can answer inside a workflow), OpenCode's own retries of an
// overloaded provider (`throttled`, which the governor backs off on), the tokens of every assistant message, when the
// session went idle, and whether it went quiet for too long (stalled).
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import type { AgentActivity, Tokens } from '../machines/types.js'
import { sumTokens, zeroTokens } from '../machines/tokens.js'
import type { EventHub } from './events.js'
import type { PermissionBook } from './permission-book.js'
import { truncate } from './agent-errors.js'

/** The tokens of one assistant message (OpenCode's `info.tokens`). */
export function tokensOf(info: { tokens?: { input?: number; output?: number; reasoning?: number; cache?: { read?: number; write?: number } } } | undefined): Tokens {
  const t = info?.tokens
  if (!t) return zeroTokens()
  return { input: t.input ?? 0, output: t.output ?? 0, reasoning: t.reasoning ?? 0, cacheRead: t.cache?.read ?? 0, cacheWrite: t.cache?.write ?? 0 }
}

/** Sums a session's assistant messages. */
export function sumUsage(messages: Iterable<{ tokens: Tokens; cost: number }>): { tokens: Tokens; cost: number } {
  const all = [...messages]
  return { tokens: sumTokens(all.map((m) => m.tokens)), cost: all.reduce((c, m) => c + m.cost, 0) }
}

export interface SessionWatch {
  /** Resolves once the session went idle (the prompt's answer can overtake its last events). */
  idle: Promise<void>
  /** Tool calls of the session now running: a STOP is only safe to pass to OpenCode while one runs (session-stop.ts). */
  toolRunning: ReadonlySet<string>
  /** Records the final assistant message (from the prompt's answer) and returns the session's usage. */
  usage(final?: { id: string; tokens?: unknown; cost?: number }): { tokens: Tokens; cost: number }
  close(): void
}

export interface WatchOptions {
  hub: EventHub
  client: OpencodeClient
  directory: string
  sessionId: string
  permissions: PermissionBook
  emit(a: AgentActivity): void
  /** No event for this long reports the session as stalled. */
  stallMs: number
}

/** The session went idle (its turn ended, or it was aborted). */
export const isIdle = (ev: { type: string; properties: any }) => ev.type === 'session.idle' || (ev.type === 'session.status' && ev.properties.status?.type === 'idle')
/** A tool call of the session is waiting to run or running. */
export const isToolActive = (part: any): boolean => part?.type === 'tool' && (part.state?.status === 'running' || part.state?.status === 'pending')

export function watchSession(o: WatchOptions): SessionWatch {
  const messages = new Map<string, { tokens: Tokens; cost: number }>()
  const toolRunning = new Set<string>()
  let markIdle!: () => void
  const idle = new Promise<void>((r) => (markIdle = r))
  let lastEventAt = Date.now()
  let stalledReported = false
  const off = o.hub.on(o.sessionId, (ev) => {
    lastEventAt = Date.now()
    stalledReported = false
    const p = ev.properties
    if (isIdle(ev)) markIdle()
    if (ev.type === 'session.status' && p.status?.type === 'retry') o.emit({ type: 'throttled', message: String(p.status.message ?? '') })
    if (ev.type === 'message.updated' && p.info?.role === 'assistant') messages.set(p.info.id, { tokens: tokensOf(p.info), cost: p.info.cost ?? 0 })
    else if (ev.type === 'message.part.updated' && p.part?.type === 'tool') onTool(p.part)
    else if (ev.type === 'permission.asked') {
      o.permissions.asked(p.id, o.client, o.sessionId, `${p.permission}${p.patterns?.length ? ` ${p.patterns.join(', ')}` : ''}`)
      o.emit({ type: 'permission', requestId: p.id, permission: p.permission, patterns: p.patterns ?? [] })
    } else if (ev.type === 'permission.replied' && p.reply === 'reject' && o.permissions.has(p.requestID)) {
      // Refused in OpenCode's own prompt (the TUI shows agents' requests too): the agent did not get to do its job.
      o.permissions.rejected(p.requestID)
    } else if (ev.type === 'question.asked') {
      void o.client.question.reject({ requestID: p.id, directory: o.directory }).catch(() => undefined)
    }
  })
  function onTool(part: any): void {
    const id = part.callID ?? part.id
    if (isToolActive(part)) toolRunning.add(id)
    else toolRunning.delete(id)
    const s = part.state
    o.emit({ type: 'tool', call: { id, tool: part.tool, status: s?.status ?? 'pending', title: s?.title, input: s?.input ? truncate(JSON.stringify(s.input)) : undefined, at: Date.now() } })
  }
  const stallTimer = setInterval(() => {
    const since = Date.now() - lastEventAt
    if (since >= o.stallMs && !stalledReported) {
      stalledReported = true
      o.emit({ type: 'stalled', sinceMs: since })
    }
  }, Math.min(o.stallMs, 5000))
  stallTimer.unref()
  return {
    idle,
    toolRunning,
    usage(final) {
      if (final) messages.set(final.id, { tokens: tokensOf(final as never), cost: final.cost ?? 0 })
      return sumUsage(messages.values())
    },
    close() {
      off()
      clearInterval(stallTimer)
    },
  }
}
