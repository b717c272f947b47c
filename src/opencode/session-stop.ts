// Stopping an agent's session on OpenCode. opencode 1.18.33 breaks every later prompt of the server ("All fibers
// interrupted without error", HTTP 500) when `session.abort` lands while the model request is in flight, but handles
// it cleanly while a tool runs. So the abort is sent at once when a tool runs, else at the session's next tool call; a
// session that simply finishes its model turn goes idle without one. The fetch of the prompt is aborted either way,
// so the agent itself stops at once. A process that ends must wait for pending stops (drain), or a server it does not
// own (--server) keeps running the session's next tool (issue 13.8).
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import type { EventHub } from './events.js'
import { isIdle, isToolActive } from './session-watch.js'

export interface SessionStopper {
  stop(client: OpencodeClient, hub: EventHub, sessionId: string, directory: string, toolRunning: ReadonlySet<string>): void
  /** Waits (at most timeoutMs) until every stopped session was aborted or went idle; returns how many were left. */
  drain(timeoutMs: number): Promise<number>
}

/** A stop that found no safe moment within this long is given up (the session ended some other way). */
const GIVE_UP_MS = 30 * 60_000

export function createSessionStopper(): SessionStopper {
  const pending = new Set<Promise<void>>()
  const track = (p: Promise<void>) => {
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }
  return {
    stop(client, hub, sessionId, directory, toolRunning) {
      const aborting = () => client.session.abort({ sessionID: sessionId, directory }).then(() => undefined, () => undefined)
      if (toolRunning.size > 0) return track(aborting())
      let done!: () => void
      track(new Promise<void>((r) => (done = r)))
      const giveUp = setTimeout(() => (off(), done()), GIVE_UP_MS)
      giveUp.unref()
      const off = hub.on(sessionId, (ev) => {
        const toolStarts = ev.type === 'message.part.updated' && isToolActive(ev.properties.part)
        const idle = isIdle(ev)
        if (toolStarts) void aborting().then(done)
        else if (idle) done()
        if (toolStarts || idle) {
          clearTimeout(giveUp)
          off()
        }
      })
    },
    async drain(timeoutMs) {
      if (pending.size === 0) return 0
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all([...pending]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))])
      clearTimeout(timer)
      return pending.size
    },
  }
}
