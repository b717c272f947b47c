// Permission requests agents raised, across every server of the run: which server and session asked, what, and which
// sessions were refused (the agent did not get to do its job). A reply goes to the server that asked.
import type { OpencodeClient } from '@opencode-ai/sdk/v2'

interface Asked {
  client: OpencodeClient
  sessionId: string
  name: string
}

export interface PermissionBook {
  asked(requestId: string, client: OpencodeClient, sessionId: string, name: string): void
  /** The request was answered with a rejection (here or in OpenCode's own prompt). */
  rejected(requestId: string): void
  /** Forgets an answered request; returns who asked, if known. */
  answered(requestId: string): Asked | undefined
  /** The refusal recorded for a session (and forgets it): what it asked for. */
  takeRefusal(sessionId: string): string | undefined
  has(requestId: string): boolean
  clientFor(requestId: string): OpencodeClient | undefined
}

export function createPermissionBook(): PermissionBook {
  const requests = new Map<string, Asked>()
  const refused = new Map<string, string>()
  return {
    asked(requestId, client, sessionId, name) {
      requests.set(requestId, { client, sessionId, name })
    },
    rejected(requestId) {
      const r = requests.get(requestId)
      if (r) refused.set(r.sessionId, r.name)
    },
    answered(requestId) {
      const r = requests.get(requestId)
      requests.delete(requestId)
      return r
    },
    takeRefusal(sessionId) {
      const why = refused.get(sessionId)
      refused.delete(sessionId)
      return why
    },
    has: (requestId) => requests.has(requestId),
    clientFor: (requestId) => requests.get(requestId)?.client,
  }
}
