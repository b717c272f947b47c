// Agents on OpenCode (docs/ARCHITECTURE.md §2, §7): each agent() is a child session prompted once, on the least-loaded
// server of the run's pool (server-pool.ts; usually a pool of one). The parts: one attempt (agent-attempt.ts: session,
// prompt, result), what its session streams meanwhile (session-watch.ts), when to try again (retry-policy.ts: data),
// stopping a session safely (session-stop.ts), gates (gate-shell.ts, gate-permission.ts) and worktrees (worktree.ts).
// This file composes them: the retry loop, moving an agent off a server that stopped answering, and the executor API.
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import type { AgentActivity, AgentCall, AgentExecutor, ExecResult, GateResult } from '../machines/types.js'
import { attemptAgent } from './agent-attempt.js'
import { AgentFailedError, describeSdkError } from './agent-errors.js'
import { gateAction, refusedGate } from './gate-permission.js'
import { runGate } from './gate-shell.js'
import { finalFailure } from './infra-failure.js'
import { createPermissionBook } from './permission-book.js'
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js'
import { createServerPool, type PoolMember, type PoolServer, type ServerPool } from './server-pool.js'
import { createSessionStopper } from './session-stop.js'
import { createWorktree } from './worktree.js'

export { AgentFailedError } from './agent-errors.js'

export interface OpencodeExecutorOptions {
  /** One server (the plugin's client, a single --server)… */
  client?: OpencodeClient
  /** …or the run's pool of servers (the first one also serves the planner and the parent session's fallback). */
  servers?: readonly PoolServer[]
  directory: string
  /** The calling session when run from the plugin: agents become its children. */
  parentSessionId?: string
  /** 'provider/model' used when an agent() gives none. */
  defaultModel?: string
  retry?: Partial<RetryPolicy>
  /** Shorthands for retry.retries and retry.backoffMs (the options of earlier versions). */
  retries?: number
  backoffMs?: number
  /** No event from an agent's session for this long marks it stalled (default: OCDW_STALL_MS, else 120 s). */
  stallMs?: number
  /** Deny edits and shell for the agents (a read-only workflow). */
  readOnly?: boolean
  /** How often a server that stopped answering is asked whether it is back (default 2 s). */
  probeMs?: number
}

/** The parent session of the run on a given server (run-parent-session.ts makes one per server on first use). */
export type ParentSessionOf = (client: OpencodeClient) => Promise<string | undefined>

export interface OpencodeExecutor extends AgentExecutor {
  /** The servers: how many answer, and a listener for changes (the governor scales the run's limit with it). */
  pool: Pick<ServerPool, 'live' | 'onChange'> & { size: number }
  close(): void
  drainStops(timeoutMs: number): Promise<number>
  useParentSession(id: ParentSessionOf): void
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

/** What the retry loop needs: the pool, the policy, and how to make one attempt on a server. */
interface AttemptLoop {
  pool: ServerPool
  policy: RetryPolicy
  attempt(member: PoolMember, call: AgentCall, signal: AbortSignal, emit: (a: AgentActivity) => void, directory: string): Promise<ExecResult>
}

/** Runs `use` on the least-loaded server, counting it there meanwhile. */
async function onServer<T>(pool: ServerPool, use: (m: PoolMember) => Promise<T>): Promise<T> {
  const member = pool.take()
  try {
    return await use(member)
  } finally {
    pool.give(member)
  }
}

const flushNotes = (pool: ServerPool, emit: (a: AgentActivity) => void) => {
  for (const message of pool.takeNotes()) emit({ type: 'note', message })
}

/** An agent's attempts: following the retry policy, and moving to another server when its own stopped answering. */
async function runAttempts(l: AttemptLoop, call: AgentCall, signal: AbortSignal, emit: (a: AgentActivity) => void, directory: string): Promise<ExecResult> {
  const timeout = call.opts.timeoutMs ? AbortSignal.timeout(call.opts.timeoutMs) : undefined
  const combined = timeout ? AbortSignal.any([signal, timeout]) : signal
  for (let n = 0, moves = 0, attemptNo = 1; ; attemptNo++) {
    flushNotes(l.pool, emit)
    let lostServer: PoolMember | undefined
    try {
      return await onServer(l.pool, (member) =>
        l.attempt(member, call, combined, emit, directory).catch((err: AgentFailedError) => {
          if (err.unreachable) lostServer = member
          throw err
        }),
      )
    } catch (err) {
      if (timeout?.aborted && !signal.aborted) throw new AgentFailedError(`The agent did not finish within its timeoutMs of ${call.opts.timeoutMs} ms.`)
      const e = err as AgentFailedError
      if (signal.aborted) throw err
      // Its server is gone and another answers: a new attempt there, without a backoff and without using up a retry
      // (the agent never finished, so it is not run twice).
      if (lostServer && moves < l.pool.members.length && (await l.pool.lost(lostServer, e.message.replace(/^Could not reach OpenCode \((.*)\)\.$/s, '$1')))) {
        moves++
        flushNotes(l.pool, emit)
        emit({ type: 'retry', attempt: attemptNo + 1, error: `${e.message} The agent runs again on another OpenCode server.` })
        continue
      }
      if (!e.transient || n >= l.policy.retries) throw finalFailure(err, n + 1)
      emit({ type: 'retry', attempt: attemptNo + 1, error: e.message })
      await new Promise((r) => setTimeout(r, backoffDelay(l.policy, n)))
      n++
    }
  }
}

export function createOpencodeExecutor(o: OpencodeExecutorOptions): OpencodeExecutor {
  const servers = o.servers ?? (o.client ? [{ url: '', client: o.client }] : [])
  if (!servers.length) throw new Error('createOpencodeExecutor needs a client or at least one server.')
  const pool = createServerPool(servers, { directory: o.directory, defaultModel: o.defaultModel, probeMs: o.probeMs })
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, retries: o.retries ?? DEFAULT_RETRY_POLICY.retries, backoffMs: o.backoffMs ?? DEFAULT_RETRY_POLICY.backoffMs, ...o.retry }
  const stallMs = o.stallMs ?? stallMsFromEnv() ?? 120_000
  const permissions = createPermissionBook()
  const stopper = createSessionStopper()
  let parentSession: ParentSessionOf | undefined
  /** The run's parent session on this server; the plugin's calling session lives on its (only) server. */
  const parentId = async (m: PoolMember) => (parentSession ? ((await parentSession(m.client)) ?? o.parentSessionId) : o.parentSessionId)
  const loop: AttemptLoop = {
    pool,
    policy,
    attempt: async (member, call, signal, emit, directory) =>
      attemptAgent({ member, directory, parentId: await parentId(member), readOnly: o.readOnly, stallMs, permissions, stopper, signal, emit }, call),
  }

  return {
    pool: { live: pool.live, onChange: pool.onChange, size: pool.members.length },

    async run(call, { signal, emit }) {
      if (call.opts.isolation !== 'worktree') return runAttempts(loop, call, signal, emit, o.directory)
      const tree = await createWorktree(o.directory, call.key)
      try {
        return await runAttempts(loop, call, signal, emit, tree.path)
      } finally {
        const branch = await tree.finish(`ocdw agent ${call.opts.label ?? call.key}`)
        if (branch) emit({ type: 'tool', call: { id: `worktree-${call.key}`, tool: 'worktree', status: 'completed', title: `changes kept on branch ${branch}`, at: Date.now() } })
      }
    },

    async replyPermission(requestId, reply) {
      const client = permissions.clientFor(requestId) ?? pool.members[0]!.client
      const res = await client.permission.reply({ requestID: requestId, reply, directory: o.directory } as never)
      if ((res as { error?: unknown }).error) throw new Error(`OpenCode refused the permission reply (${describeSdkError((res as { error?: unknown }).error)}).`)
      if (reply === 'reject') permissions.rejected(requestId)
      permissions.answered(requestId)
    },

    shell(command, opts): Promise<GateResult> {
      return onServer(pool, async (m) => {
        // session.shell ignores OpenCode's permission rules: apply the `bash` rules here first (gate-permission.ts).
        const permitted = await gateAction(m.client, o.directory, command)
        // "ask": the user answers through the run's permission surfaces (gate-ask.ts); reject fails the gate.
        const reply = permitted.action === 'ask' && opts?.ask ? await opts.ask(command) : undefined
        if (reply === 'reject') return refusedGate(command, 'reject')
        if (permitted.action !== 'allow' && !reply) return refusedGate(command, permitted.action, permitted.why)
        return runGate(m.client, o.directory, command, opts?.timeoutMs, await parentId(m))
      })
    },

    useParentSession(id) {
      parentSession = id
    },

    drainStops: (timeoutMs) => stopper.drain(timeoutMs),

    close() {
      pool.close()
    },
  }
}
