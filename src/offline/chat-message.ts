// One message of an OpenAI-style chat request and the text it carries: shared by the reply planner (reply.ts) and
// the toy planner (toy-plan.ts), kept apart so neither imports the other.

export interface ChatMessage {
  role: string
  content?: unknown
  tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[]
  tool_call_id?: string
  name?: string
}

/** The text of a message's content: a string, or the text parts of an array of parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === 'string' ? p : p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .filter(Boolean)
      .join('\n')
  }
  return ''
}
