// One SSE subscription to an OpenCode server, shared by every agent of a run: hundreds of agents must not open
// hundreds of event streams. Events are routed to listeners by session id. The SDK's SSE client reconnects on its
// own; `ready` resolves once the stream delivered its first event (server.connected), so an agent's first tool call
// is not missed.
import type { OpencodeClient } from '@opencode-ai/sdk/v2'

export type SessionListener = (event: { type: string; properties: any }) => void

export interface EventHub {
  ready: Promise<void>
  on(sessionId: string, listener: SessionListener): () => void
  close(): void
}

export function createEventHub(client: OpencodeClient, directory?: string): EventHub {
  const listeners = new Map<string, Set<SessionListener>>()
  const controller = new AbortController()
  let markReady!: () => void
  const ready = new Promise<void>((r) => (markReady = r))
  // Do not hold a run up for ever when the server does not stream events (an old server, a proxy): tools simply
  // will not show live.
  const fallback = setTimeout(markReady, 3000)
  fallback.unref()

  void (async () => {
    try {
      const sub = await client.event.subscribe({ directory }, { signal: controller.signal, sseMaxRetryAttempts: 1000 } as never)
      for await (const raw of sub.stream as AsyncIterable<any>) {
        markReady()
        const ev = raw && typeof raw === 'object' && 'payload' in raw ? raw.payload : raw
        const props = ev?.properties
        const sessionId: string | undefined = props?.sessionID ?? props?.info?.sessionID ?? props?.part?.sessionID
        if (!sessionId) continue
        const set = listeners.get(sessionId)
        if (set) for (const l of set) l(ev)
      }
    } catch {
      /* closed, or the server went away: agents notice through their own requests */
    }
  })()

  return {
    ready,
    on(sessionId, listener) {
      let set = listeners.get(sessionId)
      if (!set) listeners.set(sessionId, (set = new Set()))
      set.add(listener)
      return () => {
        set!.delete(listener)
        if (!set!.size) listeners.delete(sessionId)
      }
    },
    close() {
      clearTimeout(fallback)
      controller.abort()
    },
  }
}
