// One attempt of an agent on one OpenCode server: resolve its model and agent type, create its session, prompt it
// once, watch its events meanwhile (session-watch.ts), and turn the answer into the agent's result: the final
// assistant text, or `info.structured` for schema agents (format json_schema; every attempt gets its own session
// because of upstream bug #26929). Every failure is an AgentFailedError that says whether a retry may help and whether
// the server could not be reached; failures of the infrastructure carry their cause (infra-failure.ts).
import type { AgentActivity, AgentCall, ExecResult } from '../machines/types.js'
import { AGENT_SYSTEM_INSTRUCTION, agentSessionRules, agentToolSwitches } from './agent-session.js'
import { AgentTargetError, type AgentTarget } from './agent-target.js'
import { AgentFailedError, describeSdkError, isTransientStatus, truncate } from './agent-errors.js'
import { markInfra, modelCause, opencodeCause } from './infra-failure.js'
import type { PermissionBook } from './permission-book.js'
import type { PoolMember } from './server-pool.js'
import type { SessionStopper } from './session-stop.js'
import { watchSession } from './session-watch.js'

export interface AttemptContext {
  member: PoolMember
  directory: string
  parentId?: string
  readOnly?: boolean
  stallMs: number
  permissions: PermissionBook
  stopper: SessionStopper
  signal: AbortSignal
  emit(a: AgentActivity): void
}

/** How long to wait for session.idle after the prompt's answer (its last tool-part events may come after it). */
const IDLE_GRACE_MS = 1500

/** The server gave no HTTP answer at all (connection refused or reset): transient, and maybe a dead server. */
function unreachable(detail: string): AgentFailedError {
  return markInfra(new AgentFailedError(`Could not reach OpenCode (${detail}).`, true, true), opencodeCause(undefined, detail))
}

/** An HTTP answer that is an error (or none: see unreachable). */
function httpFailure(what: string, error: unknown, status: number | undefined): AgentFailedError {
  if (!status) return unreachable(describeSdkError(error))
  return markInfra(new AgentFailedError(`${what} (${describeSdkError(error, status)}).`, isTransientStatus(status)), opencodeCause(status, describeSdkError(error)))
}

async function resolveTarget(c: AttemptContext, call: AgentCall): Promise<AgentTarget> {
  // A wrong model or agent type fails here, at once and without retries, so no empty session is left behind.
  const target = await c.member.targets.resolve(call.opts).catch((e: Error) => {
    if (e instanceof AgentTargetError) throw new AgentFailedError(e.message)
    throw new AgentFailedError(e.message, true, true)
  })
  if (target.note) c.emit({ type: 'note', message: target.note })
  return target
}

async function createSession(c: AttemptContext, call: AgentCall): Promise<string> {
  const created = await c.member.client.session
    .create({ directory: c.directory, parentID: c.parentId, title: truncate(`ocdw: ${call.opts.label ?? call.prompt}`, 80), permission: agentSessionRules(c.readOnly) } as never)
    .catch((err: Error) => ({ error: err, data: undefined, response: undefined }))
  if (created.error || !created.data) throw httpFailure('OpenCode could not create a session', created.error, created.response?.status)
  return (created.data as { id: string }).id
}

/** The agent's result from the prompt's answer: the structured output of a schema agent, else its final text. */
function resultOf(data: { info: any; parts: any[] }, schema: unknown, refusal: string | undefined): unknown {
  const { info, parts } = data
  if (info?.error) {
    const err = info.error
    const retryable = err.name === 'APIError' && (err.data?.isRetryable || isTransientStatus(err.data?.statusCode))
    const what = err.name === 'StructuredOutputError' ? 'did not produce output matching the schema' : 'failed'
    throw markInfra(new AgentFailedError(`The agent ${what}: ${describeSdkError(err)}.`, retryable), modelCause(err))
  }
  if (refusal !== undefined) throw new AgentFailedError(`The agent was refused the permission it asked for (${refusal}), so it could not finish; restart it and answer once or always.`)
  if (!schema) return parts.filter((p) => p.type === 'text' && !p.synthetic && !p.ignored).map((p) => p.text).join('\n').trim()
  if (info.structured === undefined) throw new AgentFailedError('The agent finished without the structured output its schema asked for.')
  return info.structured
}

export async function attemptAgent(c: AttemptContext, call: AgentCall): Promise<ExecResult> {
  const target = await resolveTarget(c, call)
  const hub = c.member.events()
  await hub.ready
  const sessionId = await createSession(c, call)
  c.emit({ type: 'session', sessionId })
  const { client } = c.member
  const watch = watchSession({ hub, client, directory: c.directory, sessionId, permissions: c.permissions, emit: c.emit, stallMs: c.stallMs })
  const onAbort = () => c.stopper.stop(client, hub, sessionId, c.directory, watch.toolRunning)
  c.signal.addEventListener('abort', onAbort, { once: true })
  try {
    const schema = call.opts.schema
    const res = await client.session.prompt(
      {
        sessionID: sessionId,
        directory: c.directory,
        parts: [{ type: 'text', text: call.prompt }],
        model: target.model,
        agent: target.agent,
        variant: call.opts.effort,
        system: AGENT_SYSTEM_INSTRUCTION,
        tools: agentToolSwitches(),
        ...(schema ? { format: { type: 'json_schema', schema, retryCount: 2 } } : {}),
      } as never,
      { signal: c.signal } as never,
    )
    if (c.signal.aborted) throw new AgentFailedError('The agent was stopped.')
    if (res.error || !res.data) {
      const status = res.response?.status
      // The prompt never ran: drop its session so a failed (or retried) agent leaves no empty session behind.
      if (status) void client.session.delete({ sessionID: sessionId, directory: c.directory } as never).catch(() => undefined)
      throw httpFailure('OpenCode answered the prompt with an error', res.error, status)
    }
    await Promise.race([watch.idle, new Promise((r) => setTimeout(r, IDLE_GRACE_MS).unref())])
    const data = res.data as { info: any; parts: any[] }
    const result = resultOf(data, schema, c.permissions.takeRefusal(sessionId))
    return { result, ...watch.usage(data.info), sessionId }
  } catch (err) {
    if (c.signal.aborted) throw new AgentFailedError('The agent was stopped.')
    if (err instanceof AgentFailedError) throw err
    // fetch failures (connection refused/reset) are transient: the server may be restarting, or gone.
    throw unreachable((err as Error).message)
  } finally {
    watch.close()
    c.signal.removeEventListener('abort', onAbort)
  }
}
