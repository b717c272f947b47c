// How a run reaches OpenCode: the servers the user runs (--server, repeatable; OPENCODE_SERVER_URL; or `servers` in
// the user's ocdw.json: opencode/server-list.ts), each with the password the user set in the environment; the bundled
// offline model (--offline: an isolated `opencode serve` whose provider is the offline model); or else `opencode serve`
// spawned in the project directory with the user's own config. Every server ocdw starts gets a fresh random password,
// and every request sends it. Whatever this starts, stop() ends. Two or more servers make a pool (server-pool.ts).
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import type { GateResult } from '../machines/types.js'
import { startOfflineTestbed } from '../offline/testbed.js'
import { createOpencodeExecutor, type OpencodeExecutor } from '../opencode/executor.js'
import { startOpencodeServer, type ServerAuth } from '../opencode/server.js'
import { checkServerAnswers } from '../opencode/server-check.js'
import { authedClient, loadServerList, type ServerSpec, userServerAuth } from '../opencode/server-list.js'
import { recordStartMs, startingLine } from './startup-time.js'


export interface OpencodeConnection {
  /** The first server (the planner's, and the only one unless this is a pool). */
  url: string
  client: OpencodeClient
  /** Every server of the run, the first one first (the preflight checks each). */
  servers: { url: string; client: OpencodeClient }[]
  executor: OpencodeExecutor
  /** Default model for agents and the planner ('provider/model'), when known. */
  model?: string
  /** What the user is told about where agents run. */
  label: string
  /** Whether ocdw started this server (so it may stop it), or attached to the user's. */
  spawned: boolean
  /** What run.json records so `ocdw resume` connects the same way (the servers the user runs; never a password). */
  recorded: { server?: string; servers?: ServerSpec[] }
  stop(): Promise<void>
  /** Ends what this started without waiting (the CLI's exit; the server's watchdog finishes the shutdown). */
  release(): void
}

export interface ConnectOptions {
  projectDir: string
  /** Servers the user runs (--server, or the run's recorded pool on resume). */
  servers?: ServerSpec[]
  offline?: boolean
  model?: string
  parentSessionId?: string
  readOnly?: boolean
  /** Without --server: the environment variable that holds the password of OPENCODE_SERVER_URL's server. */
  serverPasswordEnv?: string
  /** Told what is happening while a server starts (the CLI prints it), and of problems in the server list. */
  onProgress?: (line: string) => void
}

/** The servers the user runs, in order of precedence: --server, OPENCODE_SERVER_URL, the user's ocdw.json. */
function userServers(o: ConnectOptions): ServerSpec[] {
  if (o.servers?.length) return o.servers
  if (o.offline) return []
  const envUrl = process.env.OPENCODE_SERVER_URL
  if (envUrl) return [{ url: envUrl, passwordEnv: o.serverPasswordEnv }]
  const listed = loadServerList(o.projectDir)
  for (const problem of listed.problems) o.onProgress?.(`ocdw: warning: ${problem}\n`)
  return listed.servers.map((s) => ({ ...s, passwordEnv: s.passwordEnv ?? o.serverPasswordEnv }))
}

export async function connectOpencode(o: ConnectOptions): Promise<OpencodeConnection> {
  const specs = userServers(o)
  if (specs.length) return connectUserServers(o, specs)
  const t0 = performance.now()
  if (o.offline) {
    o.onProgress?.(startingLine('OpenCode with the offline model'))
    const bed = await startOfflineTestbed({ projectDir: o.projectDir })
    recordStartMs(performance.now() - t0)
    const servers = [{ url: bed.url, client: bed.client, auth: bed.auth }]
    return finishConnection(o, servers, { model: o.model ?? bed.model, label: `offline model (OpenCode ${bed.url})`, spawned: true, recorded: {}, stop: () => bed.stop(), release: () => bed.release() })
  }
  o.onProgress?.(startingLine('OpenCode'))
  const server = await startOpencodeServer({ cwd: o.projectDir })
  recordStartMs(performance.now() - t0)
  const servers = [{ url: server.url, client: authedClient(server.url, o.projectDir, server.auth), auth: server.auth }]
  return finishConnection(o, servers, { model: o.model, label: `OpenCode ${server.url} (spawned)`, spawned: true, recorded: {}, stop: () => server.stop(), release: () => server.release() })
}

/** Servers the user runs: each must answer and take its password before the run starts (a sentence names the one
 *  that does not). */
async function connectUserServers(o: ConnectOptions, specs: ServerSpec[]): Promise<OpencodeConnection> {
  const auths = specs.map((s) => userServerAuth(s.passwordEnv))
  const checks = await Promise.allSettled(specs.map((s, i) => checkServerAnswers(s, auths[i], specs.length > 1)))
  const failed = checks.find((c): c is PromiseRejectedResult => c.status === 'rejected')
  if (failed) throw failed.reason
  const servers = specs.map((s, i) => ({ url: s.url, client: authedClient(s.url, o.projectDir, auths[i]), auth: auths[i] }))
  const label = specs.length === 1 ? `OpenCode server ${specs[0]!.url}` : `${specs.length} OpenCode servers (${specs.map((s) => s.url).join(', ')})`
  // A pool, or a server whose password comes from a named variable, is recorded in full (names, never passwords).
  const recorded = { server: specs[0]!.url, ...(specs.length > 1 || specs.some((s) => s.passwordEnv) ? { servers: specs } : {}) }
  return finishConnection(o, servers, { model: o.model, label, spawned: false, recorded, stop: async () => {}, release: () => {} })
}

interface Started {
  model?: string
  label: string
  spawned: boolean
  recorded: OpencodeConnection['recorded']
  stop(): Promise<void>
  release(): void
}

function finishConnection(o: ConnectOptions, servers: { url: string; client: OpencodeClient; auth?: ServerAuth }[], s: Started): OpencodeConnection {
  const executor = createOpencodeExecutor({ servers, directory: o.projectDir, defaultModel: s.model, parentSessionId: o.parentSessionId, readOnly: o.readOnly })
  const stop = async () => {
    // A server ocdw does not own outlives this process: its stopped sessions are aborted before we leave (a server
    // ocdw started ends with them anyway).
    if (!s.spawned) await drainStopsSaying(executor)
    executor.close()
    await s.stop()
  }
  const release = () => {
    executor.close()
    s.release()
  }
  const first = servers[0]!
  return { url: first.url, client: first.client, servers: servers.map(({ url, client }) => ({ url, client })), executor, model: s.model, label: s.label, spawned: s.spawned, recorded: s.recorded, stop, release }
}

/** Up to a minute for stopped sessions to reach a point where OpenCode can abort them safely, saying so once. */
async function drainStopsSaying(executor: { drainStops(timeoutMs: number): Promise<number> }): Promise<void> {
  if ((await executor.drainStops(500)) === 0) return
  process.stderr.write('ocdw: waiting for the stopped agents\' sessions to stop on the OpenCode server (at their next tool call or the end of their model turn)…\n')
  const left = await executor.drainStops(60_000)
  if (left > 0) process.stderr.write(`ocdw: warning: ${left} stopped agent session(s) may still be running on the OpenCode server; stop them there.\n`)
}

export type { GateResult }
