// How `ocdw resume` reaches OpenCode, and what it does for a run that needs no OpenCode at all. A run is resumed the
// way it was connected (run.json records offline, the server URL(s) and model) unless a flag says otherwise: resuming an
// --offline run without --offline must not start the user's default OpenCode and wait on a model it never used. A
// completed run with no failed or stopped agent has nothing left to do: its recorded result is printed without
// starting any server.
import { existsSync, readFileSync } from 'node:fs'
import type { RunSummary } from '../machines/types.js'
import type { RunFile } from '../store/run-file.js'
import { runPaths } from '../store/run-dir.js'
import type { ServerSpec } from '../opencode/server-list.js'

export interface ConnectionChoice {
  servers?: ServerSpec[]
  offline?: boolean
  model?: string
}

/** The servers run.json records: the pool (`servers`, with each one's password variable name), else one `server`. */
function recordedServers(rec: { server?: unknown; servers?: unknown }): ServerSpec[] | undefined {
  if (Array.isArray(rec.servers)) {
    const specs = rec.servers.filter((s): s is ServerSpec => typeof s?.url === 'string' && s.url !== '' && (s.passwordEnv === undefined || typeof s.passwordEnv === 'string'))
    if (specs.length) return specs.map((s) => ({ url: s.url, ...(s.passwordEnv ? { passwordEnv: s.passwordEnv } : {}) }))
  }
  return typeof rec.server === 'string' && rec.server ? [{ url: rec.server }] : undefined
}

/** Flags win; without --server or --offline, the recorded connection (and its model) is used again. */
export function resumeConnection(recorded: RunFile['options'], flags: ConnectionChoice): ConnectionChoice {
  const rec = recorded as { server?: unknown; servers?: unknown; offline?: unknown; model?: unknown }
  const recOffline = rec.offline === true
  const recModel = typeof rec.model === 'string' && rec.model ? rec.model : undefined
  if (flags.servers?.length) return { servers: flags.servers, offline: false, model: flags.model }
  if (flags.offline) return { offline: true, model: flags.model ?? (recOffline ? recModel : undefined) }
  return { servers: recordedServers(rec), offline: recOffline, model: flags.model ?? recModel }
}

/** The summary of a run that already completed, from its files (no server, no model call). */
export function completedSummary(runDir: string, run: RunFile): RunSummary | undefined {
  // A completed run whose agents failed or stopped still has work a resume does again (those agents run anew).
  const a = run.totals.agents
  if (run.status !== 'completed' || a.failed > 0 || a.stopped > 0) return undefined
  const file = runPaths(runDir).result
  if (!existsSync(file)) return undefined
  let result: unknown
  try {
    result = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined // damaged: let the normal resume replay the journal and write it again
  }
  return {
    runId: run.id,
    status: 'completed',
    result,
    agents: { total: a.total, done: a.done, failed: a.failed, stopped: a.stopped, cached: a.done },
    tokens: run.totals.tokens,
    elapsedMs: Math.max(0, (run.endedAt ?? run.startedAt) - run.startedAt),
    runDir,
  }
}
