// Preflight: before the first agent, one tiny prompt shows that the chosen model answers. Without it, a provider that
// is down or misconfigured leaves a run at "1 running · 0 tok" for minutes while OpenCode retries; with it, the run
// fails within seconds with a sentence that says what to configure. OCDW_PREFLIGHT=0 skips it. With a pool of servers,
// each one is asked (each has its own config and providers); the first failure names its server.
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import { ServerAuthError } from './server-check.js'

/** What the preflight needs of a connection: its servers and the model the run asked for. */
export interface PreflightTarget {
  url: string
  client: OpencodeClient
  model?: string
  servers?: { url: string; client: OpencodeClient }[]
}

export class PreflightError extends Error {
  readonly exitCode = 1
}

const PROMPT = 'ocdw preflight: reply with the single word ok.'

function fix(model: string | undefined): string {
  return model
    ? `check the "${model.split('/')[0]}" provider (its baseURL and API key) in your OpenCode config, pick another model with --model, or try --offline`
    : 'set a reachable provider and model in your OpenCode config (opencode.json), pick one with --model, or try --offline'
}

function errorText(e: any): string {
  return String(e?.data?.message ?? e?.message ?? e?.name ?? JSON.stringify(e)).slice(0, 300)
}

/** Resolves with the model that answered on the first server ('provider/model'); throws a PreflightError (or a
 *  ServerAuthError) saying what to configure, naming the server when there are several. */
export async function preflight(c: PreflightTarget, directory: string, timeoutMs = 120_000): Promise<string> {
  const servers = c.servers ?? [{ url: c.url, client: c.client }]
  if (servers.length === 1) return preflightOne({ ...servers[0]!, model: c.model }, directory, timeoutMs)
  const checks = await Promise.allSettled(servers.map((s) => preflightOne({ ...s, model: c.model }, directory, timeoutMs)))
  const i = checks.findIndex((r) => r.status === 'rejected')
  if (i >= 0) {
    const err = (checks[i] as PromiseRejectedResult).reason as Error
    const named = err.message.includes(servers[i]!.url) ? err.message : `On the OpenCode server ${servers[i]!.url}: ${err.message}`
    throw Object.assign(err, { message: named })
  }
  return (checks[0] as PromiseFulfilledResult<string>).value
}

async function preflightOne(c: { url: string; client: OpencodeClient; model?: string }, directory: string, timeoutMs: number): Promise<string> {
  // Name the model even when none was chosen: the one the user's OpenCode config makes the default.
  const configured = c.model ? undefined : await c.client.config.get({ directory } as never).then((r) => (r.data as { model?: string } | undefined)?.model, () => undefined)
  const wanted = c.model ?? configured
  const created = await c.client.session.create({ directory, title: 'ocdw preflight' } as never)
  if (!created.data) {
    if (created.response?.status === 401) throw new ServerAuthError(`OpenCode at ${c.url} refused ocdw's credentials (HTTP 401); set OPENCODE_SERVER_PASSWORD to the server's password.`)
    throw new PreflightError(`OpenCode at ${c.url} could not open a session (${errorText(created.error)}); check that the server works with \`opencode run hello\`.`)
  }
  const sessionID = (created.data as { id: string }).id
  const abort = new AbortController()
  let failure: string | undefined
  // OpenCode retries an unreachable provider with backoff, for minutes; its session status says so at once.
  const watch = setInterval(async () => {
    try {
      const status = (await c.client.session.status({ directory } as never)).data as Record<string, { type: string; message?: string }> | undefined
      const mine = status?.[sessionID]
      if (mine?.type === 'retry' && !failure) {
        failure = mine.message ?? 'the provider keeps failing'
        abort.abort()
      }
    } catch {
      /* the prompt itself reports a dead server */
    }
  }, 300)
  const timer = setTimeout(() => {
    failure ??= `no answer within ${Math.round(timeoutMs / 1000)} s`
    abort.abort()
  }, timeoutMs)
  try {
    const slash = c.model?.indexOf('/') ?? -1
    const res = await c.client.session
      .prompt(
        {
          sessionID,
          directory,
          parts: [{ type: 'text', text: PROMPT }],
          ...(c.model && slash > 0 ? { model: { providerID: c.model.slice(0, slash), modelID: c.model.slice(slash + 1) } } : {}),
        } as never,
        { signal: abort.signal } as never,
      )
      .catch((err: Error) => ({ error: err, data: undefined, response: undefined }))
    if (failure) throw new PreflightError(`The model ${wanted ?? "(OpenCode's default)"} cannot answer (${failure}); ${fix(wanted)}.`)
    const data = res.data as { info?: { error?: unknown; providerID?: string; modelID?: string } } | undefined
    if (!data?.info) {
      if (res.response?.status === 401) throw new ServerAuthError(`OpenCode at ${c.url} refused ocdw's credentials (HTTP 401); set OPENCODE_SERVER_PASSWORD to the server's password.`)
      throw new PreflightError(`The model ${wanted ?? "(OpenCode's default)"} could not be asked (${errorText(res.error)}); ${fix(wanted)}.`)
    }
    const used = data.info.providerID && data.info.modelID ? `${data.info.providerID}/${data.info.modelID}` : wanted
    if (data.info.error) throw new PreflightError(`The model ${used ?? "(OpenCode's default)"} failed to answer (${errorText(data.info.error)}); ${fix(used)}.`)
    return used ?? 'the default model'
  } finally {
    clearInterval(watch)
    clearTimeout(timer)
    if (abort.signal.aborted) void c.client.session.abort({ sessionID, directory } as never).catch(() => undefined)
    // The preflight session is noise in the user's session list.
    void c.client.session.delete({ sessionID, directory } as never).catch(() => undefined)
  }
}

/** Whether to run the preflight (OCDW_PREFLIGHT=0 turns it off, e.g. for a model billed per request). */
export function preflightEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OCDW_PREFLIGHT !== '0'
}
