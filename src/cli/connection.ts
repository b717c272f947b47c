// How a run reaches OpenCode: a server the user named (--server / OPENCODE_SERVER_URL, with the password the user set
// in the environment), the bundled offline model (--offline: an isolated `opencode serve` whose provider is the
// offline model), or else `opencode serve` spawned in the project directory with the user's own config. Every server
// ocdw starts gets a fresh random password, and every request sends it. Whatever this starts, stop() ends.
import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2'
import type { AgentExecutor, GateResult } from '../machines/types.js'
import { startOfflineTestbed } from '../offline/testbed.js'
import { createOpencodeExecutor } from '../opencode/executor.js'
import { basicAuthHeader, startOpencodeServer, type ServerAuth } from '../opencode/server.js'
import { UsageError } from './errors.js'
import { recordStartMs, startingLine } from './startup-time.js'

export interface OpencodeConnection {
  url: string
  client: OpencodeClient
  executor: AgentExecutor
  /** Default model for agents and the planner ('provider/model'), when known. */
  model?: string
  /** What the user is told about where agents run. */
  label: string
  /** Whether ocdw started this server (so it may stop it), or attached to the user's. */
  spawned: boolean
  stop(): Promise<void>
  /** Ends what this started without waiting (the CLI's exit; the server's watchdog finishes the shutdown). */
  release(): void
}

export interface ConnectOptions {
  projectDir: string
  server?: string
  offline?: boolean
  model?: string
  parentSessionId?: string
  readOnly?: boolean
  /** With --server: the name of the environment variable that holds the server's password. */
  serverPasswordEnv?: string
  /** Told what is happening while a server starts (the CLI prints it). */
  onProgress?: (line: string) => void
}

export class ServerUnreachableError extends Error {
  readonly exitCode = 2
}

/** The server refused ocdw's credentials: the run cannot do anything, and says what to set. */
export class ServerAuthError extends Error {
  readonly exitCode = 1
}

/** The credentials for a server the user runs: OPENCODE_SERVER_PASSWORD, or the variable --server-password-env names. */
export function userServerAuth(passwordEnv?: string, env: NodeJS.ProcessEnv = process.env): ServerAuth | undefined {
  let password: string | undefined
  if (passwordEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv)) {
      throw new UsageError(`--server-password-env takes the name of an environment variable (such as MY_OPENCODE_PASSWORD), not "${passwordEnv}".`)
    }
    password = env[passwordEnv]
    if (!password) throw new UsageError(`--server-password-env names ${passwordEnv}, which is not set; export ${passwordEnv}=<the server's password> first.`)
  } else password = env.OPENCODE_SERVER_PASSWORD || undefined
  return password ? { username: env.OPENCODE_SERVER_USERNAME || 'opencode', password } : undefined
}

export function authedClient(url: string, directory: string, auth: ServerAuth | undefined): OpencodeClient {
  return createOpencodeClient({ baseUrl: url, directory, ...(auth ? { headers: { Authorization: basicAuthHeader(auth) } } : {}) })
}

export async function connectOpencode(o: ConnectOptions): Promise<OpencodeConnection> {
  const serverUrl = o.server ?? (o.offline ? undefined : process.env.OPENCODE_SERVER_URL)
  if (serverUrl) {
    const auth = userServerAuth(o.serverPasswordEnv)
    const client = authedClient(serverUrl, o.projectDir, auth)
    await checkAnswers(serverUrl, auth, o.serverPasswordEnv)
    return finish(client, serverUrl, o.model, `OpenCode server ${serverUrl}`, false, async () => {}, () => {})
  }
  const t0 = performance.now()
  if (o.offline) {
    o.onProgress?.(startingLine('OpenCode with the offline model'))
    const bed = await startOfflineTestbed({ projectDir: o.projectDir })
    recordStartMs(performance.now() - t0)
    return finish(bed.client, bed.url, o.model ?? bed.model, `offline model (OpenCode ${bed.url})`, true, () => bed.stop(), () => bed.release())
  }
  o.onProgress?.(startingLine('OpenCode'))
  const server = await startOpencodeServer({ cwd: o.projectDir })
  recordStartMs(performance.now() - t0)
  const client = authedClient(server.url, o.projectDir, server.auth)
  return finish(client, server.url, o.model, `OpenCode ${server.url} (spawned)`, true, () => server.stop(), () => server.release())

  function finish(
    client: OpencodeClient,
    url: string,
    model: string | undefined,
    label: string,
    spawned: boolean,
    stop: () => Promise<void>,
    release: () => void,
  ): OpencodeConnection {
    const executor = createOpencodeExecutor({ client, directory: o.projectDir, defaultModel: model, parentSessionId: o.parentSessionId, readOnly: o.readOnly })
    const stopAll = async () => {
      // A server ocdw does not own outlives this process: its stopped sessions are aborted before we leave (a server
      // ocdw started ends with them anyway).
      if (!spawned) await drainStopsSaying(executor)
      executor.close()
      await stop()
    }
    const releaseAll = () => {
      executor.close()
      release()
    }
    return { url, client, executor, model, label, spawned, stop: stopAll, release: releaseAll }
  }
}

/** Up to a minute for stopped sessions to reach a point where OpenCode can abort them safely, saying so once. */
async function drainStopsSaying(executor: { drainStops(timeoutMs: number): Promise<number> }): Promise<void> {
  if ((await executor.drainStops(500)) === 0) return
  process.stderr.write('ocdw: waiting for the stopped agents\' sessions to stop on the OpenCode server (at their next tool call or the end of their model turn)…\n')
  const left = await executor.drainStops(60_000)
  if (left > 0) process.stderr.write(`ocdw: warning: ${left} stopped agent session(s) may still be running on the OpenCode server; stop them there.\n`)
}

async function checkAnswers(url: string, auth: ServerAuth | undefined, passwordEnv: string | undefined): Promise<void> {
  let res: Response
  try {
    res = await fetch(`${url}/config`, { signal: AbortSignal.timeout(5000), headers: auth ? { Authorization: basicAuthHeader(auth) } : {} })
  } catch (err) {
    throw new ServerUnreachableError(
      `The OpenCode server at ${url} did not answer (${(err as Error).message}); start it with \`opencode serve\`, or drop --server to let ocdw start one.`,
    )
  }
  if (res.status === 401) {
    const where = passwordEnv ? `${passwordEnv} (named by --server-password-env)` : 'OPENCODE_SERVER_PASSWORD'
    throw new ServerAuthError(
      auth
        ? `The OpenCode server at ${url} refused the password in ${where} (HTTP 401); set it to the server's password (and OPENCODE_SERVER_USERNAME if the server's user is not "opencode").`
        : `The OpenCode server at ${url} needs a password (HTTP 401); set OPENCODE_SERVER_PASSWORD to the server's password, or name the variable that holds it with --server-password-env.`,
    )
  }
  if (res.status >= 500) {
    throw new ServerUnreachableError(`The OpenCode server at ${url} answered HTTP ${res.status}; check its log, or drop --server to let ocdw start one.`)
  }
}

export type { GateResult }
