// How a run reaches OpenCode: a server the user named (--server / OPENCODE_SERVER_URL), the bundled offline model
// (--offline: an isolated `opencode serve` whose provider is the offline model), or else `opencode serve` spawned in
// the project directory with the user's own config. Whatever this starts, stop() ends.
import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2'
import type { AgentExecutor, GateResult } from '../machines/types.js'
import { startOfflineTestbed } from '../offline/testbed.js'
import { createOpencodeExecutor } from '../actors/opencode-executor.js'
import { startOpencodeServer } from '../actors/opencode-server.js'

export interface OpencodeConnection {
  url: string
  client: OpencodeClient
  executor: AgentExecutor
  /** Default model for agents and the planner ('provider/model'), when known. */
  model?: string
  /** What the user is told about where agents run. */
  label: string
  stop(): Promise<void>
}

export interface ConnectOptions {
  projectDir: string
  server?: string
  offline?: boolean
  model?: string
  parentSessionId?: string
  readOnly?: boolean
}

export class ServerUnreachableError extends Error {
  readonly exitCode = 2
}

export async function connectOpencode(o: ConnectOptions): Promise<OpencodeConnection> {
  const serverUrl = o.server ?? (o.offline ? undefined : process.env.OPENCODE_SERVER_URL)
  if (serverUrl) {
    const client = createOpencodeClient({ baseUrl: serverUrl, directory: o.projectDir })
    await checkAnswers(serverUrl)
    return finish(client, serverUrl, o.model, `OpenCode server ${serverUrl}`, async () => {}, true)
  }
  if (o.offline) {
    const bed = await startOfflineTestbed({ projectDir: o.projectDir })
    return finish(bed.client, bed.url, o.model ?? bed.model, `offline model (OpenCode ${bed.url})`, () => bed.stop())
  }
  const server = await startOpencodeServer({ cwd: o.projectDir })
  const client = createOpencodeClient({ baseUrl: server.url, directory: o.projectDir })
  return finish(client, server.url, o.model, `OpenCode ${server.url} (spawned)`, () => server.stop())

  function finish(client: OpencodeClient, url: string, model: string | undefined, label: string, stop: () => Promise<void>, external = false): OpencodeConnection {
    const executor = createOpencodeExecutor({ client, directory: o.projectDir, defaultModel: model, parentSessionId: o.parentSessionId, readOnly: o.readOnly })
    const stopAll = async () => {
      // A server ocdw does not own outlives this process: its stopped sessions are aborted before we leave (a server
      // ocdw started ends with them anyway).
      if (external) await drainStopsSaying(executor)
      executor.close()
      await stop()
    }
    return { url, client, executor, model, label, stop: stopAll }
  }
}

/** Up to a minute for stopped sessions to reach a point where OpenCode can abort them safely, saying so once. */
async function drainStopsSaying(executor: { drainStops(timeoutMs: number): Promise<number> }): Promise<void> {
  if ((await executor.drainStops(500)) === 0) return
  process.stderr.write('ocdw: waiting for the stopped agents\' sessions to stop on the OpenCode server (at their next tool call or the end of their model turn)…\n')
  const left = await executor.drainStops(60_000)
  if (left > 0) process.stderr.write(`ocdw: warning: ${left} stopped agent session(s) may still be running on the OpenCode server; stop them there.\n`)
}

async function checkAnswers(url: string): Promise<void> {
  try {
    const res = await fetch(`${url}/config`, { signal: AbortSignal.timeout(5000) })
    if (res.status >= 500) throw new Error(`HTTP ${res.status}`)
  } catch (err) {
    throw new ServerUnreachableError(
      `The OpenCode server at ${url} did not answer (${(err as Error).message}); start it with \`opencode serve\`, or drop --server to let ocdw start one.`,
    )
  }
}

export type { GateResult }
