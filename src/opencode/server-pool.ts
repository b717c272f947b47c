// The OpenCode servers a run uses (issue 17.3): one, or a pool. Each agent goes to the least-loaded server that
// answers. When an agent cannot reach its server, the pool asks the server directly (a probe); a server that does not
// answer is taken out, its agents move to the others (each agent's own failure moves it, so none is lost and none is
// asked twice by ocdw), and it is probed every few seconds until it answers again, when it rejoins. A pool of one
// never takes its server out: the retry policy and the infrastructure check (infra-failure.ts) decide, as before.
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import { createEventHub, type EventHub } from './events.js'
import { createAgentTargets, type AgentTargets } from './agent-target.js'
import { loadModelMap, type ModelMap } from './model-alias.js'
import { basicAuthHeader, type ServerAuth } from './server.js'

export interface PoolServer {
  /** Where it is (empty for the plugin's in-process client, which is never probed). */
  url: string
  client: OpencodeClient
  auth?: ServerAuth
}

export interface PoolMember {
  readonly url: string
  readonly client: OpencodeClient
  /** Agents (and gates) on it now. */
  inFlight: number
  up: boolean
  /** The server's event stream (one per server, opened on first use, reopened after the server rejoins). */
  events(): EventHub
  /** Model aliases and agent types, resolved against this server. */
  targets: AgentTargets
}

export interface ServerPool {
  readonly members: readonly PoolMember[]
  /** The least-loaded server that answers (when none does, the least-loaded of all: its failure says why); the caller
   *  counts as being on it until give(). */
  take(): PoolMember
  give(member: PoolMember): void
  /** How many servers answer now. */
  live(): number
  /** `member` could not be reached: probes it and, when it does not answer, takes it out (once). Resolves whether the
   *  agent should move: the server is out and another one answers. */
  lost(member: PoolMember, why: string): Promise<boolean>
  /** Called whenever a server goes out or comes back. */
  onChange(listener: () => void): () => void
  /** Lines for the run's log since the last call (servers that went out or came back). */
  takeNotes(): string[]
  close(): void
}

export interface ServerPoolOptions {
  directory: string
  defaultModel?: string
  /** How often a server that is out is asked whether it is back (default 2 s). */
  probeMs?: number
}

/** How long a probe waits for the server's answer. */
const PROBE_TIMEOUT_MS = 3000

/** Whether the server answers an authenticated GET /config (the cheapest request that needs the credentials). */
export async function probeServer(url: string, auth: ServerAuth | undefined): Promise<boolean> {
  try {
    const res = await fetch(`${url}/config`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), headers: auth ? { Authorization: basicAuthHeader(auth) } : {} })
    await res.body?.cancel()
    return res.ok
  } catch {
    return false
  }
}

type Member = PoolMember & { auth?: ServerAuth; hub?: EventHub }

/** One server of the pool. Problems in ocdw.json's model mapping are said once, by the first server's resolver. */
function createMember(s: PoolServer, o: ServerPoolOptions, modelMap: ModelMap): Member {
  const m: Member = {
    url: s.url,
    client: s.client,
    auth: s.auth,
    inFlight: 0,
    up: true,
    hub: undefined,
    events: () => (m.hub ??= createEventHub(s.client, o.directory)),
    targets: createAgentTargets({ client: s.client, directory: o.directory, defaultModel: o.defaultModel, modelMap }),
  }
  return m
}

export function createServerPool(servers: readonly PoolServer[], o: ServerPoolOptions): ServerPool {
  const probeMs = o.probeMs ?? 2000
  const modelMap = loadModelMap(o.directory)
  const listeners = new Set<() => void>()
  const notes: string[] = []
  const timers = new Map<PoolMember, NodeJS.Timeout>()
  const members = servers.map((s, i) => createMember(s, o, i === 0 ? modelMap : { ...modelMap, problems: [] }))
  const live = () => members.filter((m) => m.up).length
  const changed = () => {
    for (const l of listeners) l()
  }

  function takeOut(m: Member, why: string): void {
    m.up = false
    m.hub?.close()
    m.hub = undefined
    const others = live()
    notes.push(
      others > 0
        ? `OpenCode server ${m.url} stopped answering (${why}); its agents run again on the other ${others} server${others === 1 ? '' : 's'}`
        : `OpenCode server ${m.url} stopped answering (${why}); no server of the pool answers now`,
    )
    const timer = setInterval(async () => {
      if (!(await probeServer(m.url, m.auth)) || m.up) return
      clearInterval(timer)
      timers.delete(m)
      m.up = true
      notes.push(`OpenCode server ${m.url} answers again; agents go to it again`)
      changed()
    }, probeMs)
    timer.unref()
    timers.set(m, timer)
    changed()
  }

  return {
    members,
    take() {
      const candidates = live() > 0 ? members.filter((m) => m.up) : members
      let best = candidates[0]!
      for (const m of candidates) if (m.inFlight < best.inFlight) best = m
      best.inFlight++
      return best
    },
    give(member) {
      member.inFlight--
    },
    live,
    async lost(member, why) {
      if (members.length < 2) return false
      const m = members.find((x) => x === member)!
      if (m.up) {
        if (await probeServer(m.url, m.auth)) return false
        if (m.up) takeOut(m, why)
      }
      return live() > 0
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    takeNotes() {
      return notes.splice(0)
    },
    close() {
      for (const t of timers.values()) clearInterval(t)
      timers.clear()
      for (const m of members) m.hub?.close()
    },
  }
}
