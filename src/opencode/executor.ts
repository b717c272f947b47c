// Agents on OpenCode (docs/ARCHITECTURE.md §2, §7): each agent() is a child session prompted once. The result is the final
// assistant text, or `info.structured` for schema agents (format json_schema; every attempt gets its own session
// because of upstream bug #26929). Tokens and cost are summed over every assistant message of the session, from the
// message events (a tool-using agent has several). Transient failures (HTTP 5xx/429, connection reset, retryable
// provider errors) are retried with backoff in a fresh session; STOP aborts the session; a session that sends no
// event for `stallMs` is reported as stalled.
import { randomBytes } from 'node:crypto'
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import type { AgentActivity, AgentCall, AgentExecutor, ExecResult, GateResult, Tokens } from '../machines/types.js'
import { sumTokens, zeroTokens } from '../machines/tokens.js'
import { createEventHub, type EventHub } from './events.js'
import { gateAction, refusedGate } from './gate-permission.js'
import { AGENT_SYSTEM_INSTRUCTION, agentSessionRules, agentToolSwitches } from './agent-session.js'
import { createWorktree } from './worktree.js'
import { AgentTargetError, createAgentTargets } from './agent-target.js'
import { finalFailure, markInfra, modelCause, opencodeCause } from './infra-failure.js'

export interface OpencodeExecutorOptions {
  client: OpencodeClient
  directory: string
  /** The calling session when run from the plugin: agents become its children. */
  parentSessionId?: string
  /** 'provider/model' used when an agent() gives none. */
  defaultModel?: string
  retries?: number
  backoffMs?: number
  /** No event from an agent's session for this long marks it stalled (default: OCDW_STALL_MS, else 120 s). */
  stallMs?: number
  /** Deny edits and shell for the agents (a read-only workflow). */
  readOnly?: boolean
}

export class AgentFailedError extends Error {
  constructor(
    message: string,
    readonly transient = false,
  ) {
    super(message)
  }
}


export function parseModel(model: string | undefined): { providerID: string; modelID: string } | undefined {
  if (!model) return undefined
  const slash = model.indexOf('/')
  if (slash <= 0) throw new AgentFailedError(`The model "${model}" is not in provider/model form (e.g. anthropic/claude-sonnet-4-5); fix the agent's model option.`)
  return { providerID: model.slice(0, slash), modelID: model.slice(slash + 1) }
}

function tokensOf(info: any): Tokens {
  const t = info?.tokens
  if (!t) return zeroTokens()
  return { input: t.input ?? 0, output: t.output ?? 0, reasoning: t.reasoning ?? 0, cacheRead: t.cache?.read ?? 0, cacheWrite: t.cache?.write ?? 0 }
}

function truncate(text: string, max = 400): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text
}

function isTransientStatus(status: number | undefined): boolean {
  return status === 429 || (status !== undefined && status >= 500)
}

function describeSdkError(error: unknown, status?: number): string {
  const e = error as any
  const msg = e?.data?.message ?? e?.message ?? e?.name ?? (typeof e === 'string' ? e : JSON.stringify(e))
  return status ? `HTTP ${status}: ${msg}` : String(msg)
}

/** OCDW_STALL_MS: the stall time in ms (a positive number), so a user or a test can tune it without a flag. */
export function stallMsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.OCDW_STALL_MS
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`ocdw: warning: OCDW_STALL_MS=${raw} is not a positive number of milliseconds; using the default of 120000.\n`)
    return undefined
  }
  return n
}

export function createOpencodeExecutor(o: OpencodeExecutorOptions): AgentExecutor & { close(): void; drainStops(timeoutMs: number): Promise<number>; useParentSession(id: () => Promise<string | undefined>): void } {
  const { client, directory } = o
  /** The run's parent session, when the CLI makes one per run (run-parent-session.ts); else o.parentSessionId. */
  let parentSession: (() => Promise<string | undefined>) | undefined
  const parentId = async () => (parentSession ? ((await parentSession()) ?? o.parentSessionId) : o.parentSessionId)
  const retries = o.retries ?? 3
  const backoffMs = o.backoffMs ?? 500
  const stallMs = o.stallMs ?? stallMsFromEnv() ?? 120_000
  let hub: EventHub | undefined
  const events = () => (hub ??= createEventHub(client, directory))
  /** Claude model aliases and agent types, resolved against this server before a session exists (issue 16). */
  const targets = createAgentTargets({ client, directory, defaultModel: o.defaultModel })
  /** Which session raised a permission request, so a reply reaches the right place. */
  const permissionSessions = new Map<string, string>()
  /** Sessions whose permission request was rejected, with what was asked: the agent did not do its job. */
  const refused = new Map<string, string>()
  const permissionNames = new Map<string, string>()
  /** Stops waiting for a safe moment to reach OpenCode (see stopSession): a process that ends must wait for them, or
   *  a server it does not own (--server) keeps running the session's next tool (issue 13.8). */
  const pendingStops = new Set<Promise<void>>()

  /**
   * Stops an agent's session on OpenCode. opencode 1.18.33 breaks every later prompt of the server ("All fibers
   * interrupted without error", HTTP 500) when `session.abort` lands while the model request is in flight, but
   * handles it cleanly while a tool runs. So the abort is sent at once when a tool runs, else at the session's next
   * tool call; a session that simply finishes its model turn goes idle without one. The fetch of the prompt is
   * aborted either way, so the agent itself stops at once.
   */
  function stopSession(hubNow: EventHub, sessionId: string, dir: string, toolRunning: ReadonlySet<string>): void {
    const aborting = () => client.session.abort({ sessionID: sessionId, directory: dir }).then(() => undefined, () => undefined)
    const track = (p: Promise<void>) => {
      pendingStops.add(p)
      void p.finally(() => pendingStops.delete(p))
    }
    if (toolRunning.size > 0) return track(aborting())
    let done!: () => void
    track(new Promise<void>((r) => (done = r)))
    const giveUp = setTimeout(() => (off(), done()), 30 * 60_000)
    giveUp.unref()
    const off = hubNow.on(sessionId, (ev) => {
      const p = ev.properties
      const toolStarts = ev.type === 'message.part.updated' && p.part?.type === 'tool' && (p.part.state?.status === 'running' || p.part.state?.status === 'pending')
      const idle = ev.type === 'session.idle' || (ev.type === 'session.status' && p.status?.type === 'idle')
      if (toolStarts) void aborting().then(done)
      else if (idle) done()
      if (toolStarts || idle) {
        clearTimeout(giveUp)
        off()
      }
    })
  }

  async function attempt(call: AgentCall, signal: AbortSignal, emit: (a: AgentActivity) => void, directory: string): Promise<ExecResult> {
    // A wrong model or agent type fails here, at once and without retries, so no empty session is left behind.
    const target = await targets.resolve(call.opts).catch((e: Error) => {
      throw new AgentFailedError(e.message, !(e instanceof AgentTargetError))
    })
    if (target.note) emit({ type: 'note', message: target.note })
    const hubNow = events()
    await hubNow.ready
    const created = await client.session.create({
      directory,
      parentID: await parentId(),
      title: truncate(`ocdw: ${call.opts.label ?? call.prompt}`, 80),
      permission: agentSessionRules(o.readOnly),
    } as never)
    if (created.error || !created.data) {
      const status = created.response?.status
      throw markInfra(new AgentFailedError(`OpenCode could not create a session (${describeSdkError(created.error, status)}).`, isTransientStatus(status) || !status), opencodeCause(status, describeSdkError(created.error)))
    }
    const sessionId = (created.data as any).id as string
    emit({ type: 'session', sessionId })

    const messages = new Map<string, { tokens: Tokens; cost: number }>()
    /** Tool calls of this session now running: a STOP is only safe to pass to OpenCode while one runs (see stopSession). */
    const toolRunning = new Set<string>()
    // The prompt's HTTP answer can overtake the last events of its session (the final tool-part updates): once it
    // returns, wait for session.idle (bounded) so the agent's record holds every tool call.
    let markIdle!: () => void
    const idle = new Promise<void>((r) => (markIdle = r))
    let lastEventAt = Date.now()
    let stalledReported = false
    const off = hubNow.on(sessionId, (ev) => {
      lastEventAt = Date.now()
      stalledReported = false
      const p = ev.properties
      if (ev.type === 'session.idle' || (ev.type === 'session.status' && p.status?.type === 'idle')) markIdle()
      // OpenCode retrying a provider error itself (a 429, an overload): the governor backs off on it.
      if (ev.type === 'session.status' && p.status?.type === 'retry') emit({ type: 'throttled', message: String(p.status.message ?? '') })
      if (ev.type === 'message.updated' && p.info?.role === 'assistant') {
        messages.set(p.info.id, { tokens: tokensOf(p.info), cost: p.info.cost ?? 0 })
      } else if (ev.type === 'message.part.updated' && p.part?.type === 'tool') {
        const part = p.part
        if (part.state?.status === 'running' || part.state?.status === 'pending') toolRunning.add(part.callID ?? part.id)
        else toolRunning.delete(part.callID ?? part.id)
        emit({
          type: 'tool',
          call: {
            id: part.callID ?? part.id,
            tool: part.tool,
            status: part.state?.status ?? 'pending',
            title: part.state?.title,
            input: part.state?.input ? truncate(JSON.stringify(part.state.input)) : undefined,
            at: Date.now(),
          },
        })
      } else if (ev.type === 'permission.asked') {
        permissionSessions.set(p.id, sessionId)
        permissionNames.set(p.id, `${p.permission}${p.patterns?.length ? ` ${p.patterns.join(', ')}` : ''}`)
        emit({ type: 'permission', requestId: p.id, permission: p.permission, patterns: p.patterns ?? [] })
      } else if (ev.type === 'permission.replied' && p.reply === 'reject' && permissionSessions.has(p.requestID)) {
        // Refused in OpenCode's own prompt (the TUI shows agents' requests too): the agent did not get to do its job.
        refused.set(sessionId, permissionNames.get(p.requestID) ?? 'a permission')
      } else if (ev.type === 'question.asked') {
        // Nobody can answer a question inside a workflow: reject it so the agent goes on instead of hanging.
        void client.question.reject({ requestID: p.id, directory }).catch(() => undefined)
      }
    })
    const stallTimer = setInterval(() => {
      const since = Date.now() - lastEventAt
      if (since >= stallMs && !stalledReported) {
        stalledReported = true
        emit({ type: 'stalled', sinceMs: since })
      }
    }, Math.min(stallMs, 5000))
    stallTimer.unref()

    const onAbort = () => stopSession(hubNow, sessionId, directory, toolRunning)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const schema = call.opts.schema
      const res = await client.session.prompt(
        {
          sessionID: sessionId,
          directory,
          parts: [{ type: 'text', text: call.prompt }],
          model: target.model,
          agent: target.agent,
          variant: call.opts.effort,
          system: AGENT_SYSTEM_INSTRUCTION,
          tools: agentToolSwitches(),
          ...(schema ? { format: { type: 'json_schema', schema, retryCount: 2 } } : {}),
        } as never,
        { signal } as never,
      )
      if (signal.aborted) throw new AgentFailedError('The agent was stopped.')
      if (res.error || !res.data) {
        const status = res.response?.status
        // The prompt never ran: drop its session so a failed (or retried) agent leaves no empty session behind.
        if (status) void client.session.delete({ sessionID: sessionId, directory } as never).catch(() => undefined)
        // No HTTP status at all means the request never got an answer (connection refused or reset): transient.
        throw markInfra(
          new AgentFailedError(
            status ? `OpenCode answered the prompt with an error (${describeSdkError(res.error, status)}).` : `Could not reach OpenCode (${describeSdkError(res.error)}).`,
            isTransientStatus(status) || !status,
          ),
          opencodeCause(status, describeSdkError(res.error)),
        )
      }
      await Promise.race([idle, new Promise((r) => setTimeout(r, 1500).unref())])
      const { info, parts } = res.data as any
      if (info?.error) {
        const err = info.error
        const retryable = err.name === 'APIError' && (err.data?.isRetryable || isTransientStatus(err.data?.statusCode))
        const what = err.name === 'StructuredOutputError' ? 'did not produce output matching the schema' : 'failed'
        throw markInfra(new AgentFailedError(`The agent ${what}: ${describeSdkError(err)}.`, retryable), modelCause(err))
      }
      const refusal = refused.get(sessionId)
      if (refusal !== undefined) {
        refused.delete(sessionId)
        throw new AgentFailedError(`The agent was refused the permission it asked for (${refusal}), so it could not finish; restart it and answer once or always.`)
      }
      messages.set(info.id, { tokens: tokensOf(info), cost: info.cost ?? 0 })
      const tokens = sumTokens([...messages.values()].map((m) => m.tokens))
      let cost = 0
      for (const m of messages.values()) cost += m.cost
      let result: unknown
      if (schema) {
        if (info.structured === undefined) throw new AgentFailedError('The agent finished without the structured output its schema asked for.')
        result = info.structured
      } else {
        result = (parts as any[])
          .filter((p) => p.type === 'text' && !p.synthetic && !p.ignored)
          .map((p) => p.text)
          .join('\n')
          .trim()
      }
      return { result, tokens, cost, sessionId }
    } catch (err) {
      if (signal.aborted) throw new AgentFailedError('The agent was stopped.')
      if (err instanceof AgentFailedError) throw err
      // fetch failures (connection refused/reset) are transient: the server may be restarting.
      throw markInfra(new AgentFailedError(`Could not reach OpenCode (${(err as Error).message}).`, true), opencodeCause(undefined, (err as Error).message))
    } finally {
      off()
      clearInterval(stallTimer)
      signal.removeEventListener('abort', onAbort)
    }
  }

  async function runAttempts(call: AgentCall, signal: AbortSignal, emit: (a: AgentActivity) => void, dir: string): Promise<ExecResult> {
      const timeout = call.opts.timeoutMs ? AbortSignal.timeout(call.opts.timeoutMs) : undefined
      const combined = timeout ? AbortSignal.any([signal, timeout]) : signal
      for (let n = 0; ; n++) {
        try {
          return await attempt(call, combined, emit, dir)
        } catch (err) {
          if (timeout?.aborted && !signal.aborted) throw new AgentFailedError(`The agent did not finish within its timeoutMs of ${call.opts.timeoutMs} ms.`)
          const e = err as AgentFailedError
          if (signal.aborted) throw err
          if (!e.transient || n >= retries) throw finalFailure(err, n + 1)
          emit({ type: 'retry', attempt: n + 2, error: e.message })
          const delay = backoffMs * 2 ** n * (0.75 + ((n * 7919) % 50) / 100)
          await new Promise((r) => setTimeout(r, delay))
        }
      }
  }

  return {
    async run(call, { signal, emit }) {
      if (call.opts.isolation !== 'worktree') return runAttempts(call, signal, emit, directory)
      const tree = await createWorktree(directory, call.key)
      let branch: string | undefined
      try {
        return await runAttempts(call, signal, emit, tree.path)
      } finally {
        branch = await tree.finish(`ocdw agent ${call.opts.label ?? call.key}`)
        if (branch) emit({ type: 'tool', call: { id: `worktree-${call.key}`, tool: 'worktree', status: 'completed', title: `changes kept on branch ${branch}`, at: Date.now() } })
      }
    },

    async replyPermission(requestId, reply) {
      const res = await client.permission.reply({ requestID: requestId, reply, directory } as never)
      if ((res as any).error) throw new Error(`OpenCode refused the permission reply (${describeSdkError((res as any).error)}).`)
      const session = permissionSessions.get(requestId)
      if (reply === 'reject' && session) refused.set(session, permissionNames.get(requestId) ?? 'a permission')
      permissionSessions.delete(requestId)
      permissionNames.delete(requestId)
    },

    async shell(command, opts): Promise<GateResult> {
      // session.shell ignores OpenCode's permission rules: apply the `bash` rules here first (gate-permission.ts).
      const permitted = await gateAction(client, directory, command)
      // "ask": the user answers through the run's permission surfaces (gate-ask.ts); reject fails the gate.
      const reply = permitted.action === 'ask' && opts?.ask ? await opts.ask(command) : undefined
      if (reply === 'reject') return refusedGate(command, 'reject')
      if (permitted.action !== 'allow' && !reply) return refusedGate(command, permitted.action, permitted.why)
      return runGate(client, directory, command, opts?.timeoutMs, await parentId())
    },

    useParentSession(id) {
      parentSession = id
    },

    /** Waits (at most timeoutMs) until every stopped session was aborted or went idle; returns how many were left. */
    async drainStops(timeoutMs: number): Promise<number> {
      if (pendingStops.size === 0) return 0
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all([...pendingStops]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))])
      clearTimeout(timer)
      return pendingStops.size
    },

    close() {
      hub?.close()
    },
  }
}

/**
 * gate(): runs a command through the OpenCode server's shell (session.shell). OpenCode 1.18 reports no exit code for
 * it and pastes the command into `bash -c 'eval "..."'` (every `$` would expand early), so the command travels
 * base64-encoded to a fresh `sh`, which prints the exit code after a unique marker.
 */
async function runGate(client: OpencodeClient, directory: string, command: string, timeoutMs = 600_000, parentID?: string): Promise<GateResult> {
  const created = await client.session.create({ directory, parentID, title: truncate(`ocdw gate: ${command}`, 80) } as never)
  if (!created.data) return { ok: false, exitCode: -1, output: `OpenCode could not create a session for the gate (${describeSdkError(created.error)}).` }
  const sessionID = (created.data as any).id
  const marker = `__ocdw_gate_exit_${randomBytes(6).toString('hex')}__`
  const script = `( ${command}\n)\necho "${marker}$?"\n`
  const wrapped = `printf %s ${Buffer.from(script).toString('base64')} | base64 -d | sh`
  const res = await client.session.shell({ sessionID, directory, command: wrapped, agent: 'build' } as never, { signal: AbortSignal.timeout(timeoutMs) } as never)
  if (res.error || !res.data) return { ok: false, exitCode: -1, output: `OpenCode could not run the gate command (${describeSdkError(res.error)}).` }
  const parts = ((res.data as any).parts ?? []) as any[]
  const state = parts.find((p) => p.type === 'tool')?.state ?? {}
  const raw = String(state.output ?? state.metadata?.output ?? state.error ?? '')
  const found = new RegExp(`\\n?${marker}(\\d+)\\s*$`).exec(raw)
  const output = found ? raw.slice(0, found.index) : raw
  const exitCode = found ? Number(found[1]) : 1
  return { ok: exitCode === 0, exitCode, output: output.length > 20_000 ? output.slice(-20_000) : output }
}
