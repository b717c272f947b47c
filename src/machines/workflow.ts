// The workflow actor: the root of a run. planning -> awaitingApproval -> running (active <-> paused) -> completed |
// failed | stopped | denied. It invokes the script runner, spawns one agent actor per `agent()` call and one phase
// actor per phase title, and owns the concurrency semaphore (FIFO), the agent cap and the token budget.
// Pure: the script runner and the agent executor are actor logic provided by src/actors/runtime.ts
// (`provideWorkflow`). The runtime learns what happens through emitted events (`actor.on(...)`).
import { enqueueActions, fromPromise, setup, type SnapshotFrom } from 'xstate'
import { agentMachine, type AgentFinished } from './agent.js'
import { phaseMachine } from './phase.js'
import type { AgentCall, AgentStatus, ControlCommand, ExecResult, RunStatus, Tokens } from './types.js'

export interface WorkflowInput {
  runId: string
  concurrency: number
  maxAgents: number
  budgetTotal: number | null
  requireApproval: boolean
  meta: { name: string; phases: { title: string; detail?: string }[] }
}

interface Tracked {
  call: AgentCall
  attempt: number
  status: AgentStatus
}

export interface WorkflowContext extends WorkflowInput {
  /** Agents asked for so far (the cap counts these, journal answers included). */
  requested: number
  /** Budget tokens spent by settled agents: output tokens (reasoning included, as Anthropic bills it), as Claude Code
   *  counts its budget. The UI's wider count (input + output + reasoning) lives in the run view. */
  spent: number
  paused: boolean
  /** Keys waiting for a semaphore slot, FIFO. */
  waiting: string[]
  /** Keys holding a slot. */
  running: string[]
  /** Every agent of the run: its call, attempt and status (the actor itself exists only while queued/running). */
  agents: Record<string, Tracked>
  phaseTitles: string[]
  error?: string
  /** The script's returned value, once it has returned. */
  result?: unknown
}

export type WorkflowEvent =
  | { type: 'SCRIPT.READY' }
  | { type: 'APPROVE' }
  | { type: 'DENY'; reason?: string }
  | { type: 'AGENT.REQUEST'; call: AgentCall }
  | { type: 'AGENT.CACHED'; key: string; phase: string; tokens: Tokens; cost: number }
  | { type: 'PHASE'; title: string }
  /** The runtime cannot go on (e.g. the journal cannot be written): the run ends as failed with this message. */
  | { type: 'FAIL'; error: string }
  /** The runtime's concurrency governor moved the semaphore's limit (adaptive concurrency, issue 17.2). */
  | { type: 'CONCURRENCY.SET'; limit: number }
  | AgentFinished
  | ControlCommand

export type WorkflowEmitted =
  | { type: 'agent.queued'; key: string; label: string; phase: string; prompt: string; model?: string }
  | { type: 'agent.started'; key: string; attempt: number }
  | {
      type: 'agent.settled'
      key: string
      status: 'done' | 'failed' | 'stopped' | 'skipped'
      result?: unknown
      error?: string
      reason?: string
      tokens?: Tokens
      cost?: number
      sessionId?: string
      /** The agent's call as the workflow tracks it (a restored agent settles before this process's script asks). */
      call?: AgentCall
      /** Failed because of the infrastructure: journaled, but the script never sees it (the run is interrupted). */
      infrastructure?: boolean
    }
  | { type: 'phase.started'; title: string }
  | { type: 'run.status'; status: RunStatus; error?: string }
  | { type: 'permission.reply'; key: string; requestId: string; reply: 'once' | 'always' | 'reject' }

const spentOf = (t: Tokens) => t.output + t.reasoning
const phaseId = (title: string) => `phase:${title}`

export const workflowMachine = setup({
  types: {} as {
    context: WorkflowContext
    input: WorkflowInput
    events: WorkflowEvent
    emitted: WorkflowEmitted
    output: { result: unknown }
  },
  actors: {
    agent: agentMachine,
    phase: phaseMachine,
    // Placeholder: the runtime provides the sandbox runner. Its output is the script's returned value.
    script: fromPromise<unknown, unknown>(async () => {
      throw new Error('No script runner was provided to the workflow actor.')
    }),
  },
  actions: {
    /** Books a finished agent (slot, status, phase counts, spent tokens) and tells the runtime (`agent.settled`). */
    settleAgent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'AGENT.FINISHED') return
      const tracked = context.agents[event.key]
      if (!tracked || tracked.attempt !== event.attempt) return
      const from = tracked.status
      const slot = context.running.indexOf(event.key)
      if (slot >= 0) context.running.splice(slot, 1)
      if (from === 'queued') {
        const w = context.waiting.indexOf(event.key)
        if (w >= 0) context.waiting.splice(w, 1)
      }
      tracked.status = event.status
      enqueue.stopChild(event.key)
      if (event.status === 'done') {
        const out: ExecResult = event.output
        context.spent += spentOf(out.tokens)
        enqueue.sendTo(phaseId(tracked.call.phase), { type: 'PHASE.AGENT', from, to: 'done', tokens: out.tokens })
        enqueue.emit({ type: 'agent.settled', key: event.key, status: 'done', result: out.result, tokens: out.tokens, cost: out.cost, sessionId: out.sessionId, call: tracked.call })
      } else {
        enqueue.sendTo(phaseId(tracked.call.phase), { type: 'PHASE.AGENT', from, to: event.status })
        enqueue.emit({
          type: 'agent.settled',
          key: event.key,
          status: event.status,
          ...(event.status === 'failed' ? { error: event.error, ...(event.infrastructure ? { infrastructure: true } : {}) } : {}),
          call: tracked.call,
        })
      }
    }),
    /** Starts queued agents while the semaphore has room and the run is not paused. */
    pump: enqueueActions(({ context, enqueue }) => {
      while (!context.paused && context.running.length < context.concurrency && context.waiting.length > 0) {
        const key = context.waiting.shift()!
        const tracked = context.agents[key]
        if (!tracked || tracked.status !== 'queued') continue
        context.running.push(key)
        tracked.status = 'running'
        enqueue.sendTo(phaseId(tracked.call.phase), { type: 'PHASE.AGENT', from: 'queued', to: 'running' })
        // The agent's actor exists only while it holds a slot: XState copies the children map on every spawn and
        // stop, so a child per queued agent made each agent cost O(agents waiting) (bench/scale.mjs).
        enqueue.spawnChild('agent', { id: key, input: { call: tracked.call, attempt: tracked.attempt } })
        enqueue.sendTo(key, { type: 'START' })
        enqueue.emit({ type: 'agent.started', key, attempt: tracked.attempt })
      }
    }),
  },
}).createMachine({
  id: 'workflow',
  context: ({ input }) => ({
    ...input,
    requested: 0,
    spent: 0,
    paused: false,
    waiting: [],
    running: [],
    agents: {},
    phaseTitles: [],
  }),
  initial: 'planning',
  states: {
    planning: {
      on: {
        'SCRIPT.READY': [
          { guard: ({ context }) => context.requireApproval, target: 'awaitingApproval' },
          { target: 'running' },
        ],
        STOP: 'stopped',
      },
    },
    awaitingApproval: {
      entry: enqueueActions(({ enqueue }) => enqueue.emit({ type: 'run.status', status: 'awaitingApproval' })),
      on: { APPROVE: 'running', DENY: 'denied', STOP: 'denied' },
    },
    running: {
      initial: 'active',
      entry: enqueueActions(({ enqueue }) => enqueue.emit({ type: 'run.status', status: 'running' })),
      invoke: {
        src: 'script',
        onDone: { target: 'completed', actions: enqueueActions(({ enqueue, event }) => enqueue.assign({ result: event.output })) },
        onError: {
          target: 'failed',
          actions: enqueueActions(({ enqueue, event }) =>
            enqueue.assign({ error: event.error instanceof Error ? event.error.message : String(event.error) }),
          ),
        },
      },
      states: {
        active: {
          on: {
            PAUSE: {
              target: 'paused',
              actions: enqueueActions(({ context, enqueue }) => {
                context.paused = true
                enqueue.emit({ type: 'run.status', status: 'paused' })
              }),
            },
          },
        },
        paused: {
          on: {
            RESUME: {
              target: 'active',
              actions: [
                enqueueActions(({ context, enqueue }) => {
                  context.paused = false
                  enqueue.emit({ type: 'run.status', status: 'running' })
                }),
                'pump',
              ],
            },
          },
        },
      },
      on: {
        PHASE: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (context.phaseTitles.includes(event.title)) return
            context.phaseTitles.push(event.title)
            enqueue.spawnChild('phase', { id: phaseId(event.title), input: { title: event.title } })
            enqueue.emit({ type: 'phase.started', title: event.title })
          }),
        },
        'AGENT.CACHED': {
          actions: enqueueActions(({ context, event }) => {
            // A restored snapshot already counted the agents it tracks: count only the journal answers it does not.
            if (context.agents[event.key]) return
            context.requested++
            context.spent += spentOf(event.tokens)
          }),
        },
        'AGENT.REQUEST': {
          actions: [
            enqueueActions(({ context, event, enqueue }) => {
              const { call } = event
              const existing = context.agents[call.key]
              if (existing && (existing.status === 'queued' || existing.status === 'running')) {
                // A resumed run's restored agent (the runtime announced it on restore): it finishes on its own and
                // answers this call then.
                return
              }
              // A restored agent that finished (but is not in the journal, which answers first) runs again below.
              let refusal: string | undefined
              if (!existing && context.requested >= context.maxAgents) {
                refusal = `the run's cap of ${context.maxAgents} agents was reached, so agent() throws; raise it with --max-agents`
              } else if (context.budgetTotal !== null && context.spent >= context.budgetTotal) {
                refusal = `the run's token budget of ${context.budgetTotal} output tokens is spent, so agent() throws; raise it with --budget`
              }
              if (refusal) {
                enqueue.emit({ type: 'agent.settled', key: call.key, status: 'skipped', reason: refusal })
                return
              }
              if (!existing) context.requested++
              if (!context.phaseTitles.includes(call.phase)) {
                context.phaseTitles.push(call.phase)
                enqueue.spawnChild('phase', { id: phaseId(call.phase), input: { title: call.phase } })
                enqueue.emit({ type: 'phase.started', title: call.phase })
              }
              const attempt = existing ? existing.attempt + 1 : 1
              context.agents[call.key] = { call, attempt, status: 'queued' }
              context.waiting.push(call.key)
              enqueue.sendTo(phaseId(call.phase), { type: 'PHASE.AGENT', from: existing?.status, to: 'queued' })
              enqueue.emit({ type: 'agent.queued', key: call.key, label: call.opts.label ?? call.key, phase: call.phase, prompt: call.prompt, model: call.opts.model })
            }),
            'pump',
          ],
        },
        'AGENT.FINISHED': [
          {
            // An infrastructure failure ends the run as interrupted: no new agent starts, what finished is kept, and
            // resume continues once the cause is gone. The script never sees this agent's outcome.
            target: '#workflow.interrupted',
            guard: ({ context, event }) =>
              event.status === 'failed' && event.infrastructure === true && context.agents[event.key]?.attempt === event.attempt,
            actions: ['settleAgent', enqueueActions(({ enqueue, event }) => enqueue.assign({ error: interruptedMessage((event as { error: string }).error) }))],
          },
          { actions: ['settleAgent', 'pump'] },
        ],
        'AGENT.RESTARTED': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const tracked = context.agents[event.key]
            if (!tracked) return
            tracked.attempt = event.attempt
            enqueue.emit({ type: 'agent.started', key: event.key, attempt: event.attempt })
          }),
        },
        STOP_AGENT: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const tracked = context.agents[event.key]
            if (tracked?.status === 'running') enqueue.sendTo(event.key, { type: 'STOP' })
            // A queued agent has no actor yet (pump spawns it): it settles as stopped here.
            else if (tracked?.status === 'queued') enqueue.raise({ type: 'AGENT.FINISHED', key: event.key, attempt: tracked.attempt, status: 'stopped' })
          }),
        },
        RESTART_AGENT: {
          // Only a running agent restarts (a new attempt of the same call). A settled agent's result was already
          // given to the script, so running it again would change nothing: the runtime refuses that with a sentence
          // (src/actors/agent-control.ts) and the machine ignores it.
          actions: enqueueActions(({ context, event, enqueue }) => {
            const tracked = context.agents[event.key]
            if (tracked?.status === 'running') enqueue.sendTo(event.key, { type: 'RESTART' })
          }),
        },
        PERMISSION_REPLY: {
          actions: enqueueActions(({ event, enqueue }) =>
            enqueue.emit({ type: 'permission.reply', key: event.key, requestId: event.requestId, reply: event.reply }),
          ),
        },
        'CONCURRENCY.SET': {
          actions: [
            enqueueActions(({ context, event }) => {
              context.concurrency = Math.max(1, Math.floor(event.limit))
            }),
            'pump',
          ],
        },
        STOP: 'stopped',
        FAIL: { target: 'failed', actions: enqueueActions(({ enqueue, event }) => enqueue.assign({ error: event.error })) },
      },
    },
    completed: {
      type: 'final',
      entry: enqueueActions(({ enqueue }) => enqueue.emit({ type: 'run.status', status: 'completed' })),
    },
    failed: {
      type: 'final',
      entry: enqueueActions(({ context, enqueue }) => enqueue.emit({ type: 'run.status', status: 'failed', error: context.error })),
    },
    stopped: {
      type: 'final',
      entry: enqueueActions(({ enqueue }) => enqueue.emit({ type: 'run.status', status: 'stopped' })),
    },
    interrupted: {
      type: 'final',
      entry: enqueueActions(({ context, enqueue }) => enqueue.emit({ type: 'run.status', status: 'interrupted', error: context.error })),
    },
    denied: {
      type: 'final',
      entry: enqueueActions(({ enqueue }) => enqueue.emit({ type: 'run.status', status: 'denied' })),
    },
  },
  output: ({ context }) => ({ result: context.result }),
})

/** The sentence a run interrupted by its infrastructure ends with. */
export function interruptedMessage(cause: string): string {
  return `The run was interrupted because ${cause.replace(/[.\s]+$/, '')}; the agents that finished are kept, and \`ocdw resume\` continues the run once that is fixed.`
}

export type WorkflowSnapshot = SnapshotFrom<typeof workflowMachine>

/** The run status a workflow snapshot stands for. */
export function runStatusOf(snapshot: WorkflowSnapshot): RunStatus {
  const value = snapshot.value as string | { running?: string }
  if (typeof value === 'string') return value as RunStatus
  if (value.running === 'paused') return 'paused'
  return 'running'
}

/**
 * Prepares a persisted snapshot of an interrupted run for restoring: agents the journal holds as completed are marked
 * done and their actors dropped (the snapshot is throttled, so it may still show them running; restoring them as they
 * were would ask the model again). Agents it shows queued or running that the journal does not hold run again.
 */
export function reconcileSnapshot<T>(
  persisted: T,
  completed: ReadonlySet<string>,
  settings?: { concurrency: number; maxAgents: number; budgetTotal: number | null },
): T {
  const snap = structuredClone(persisted) as any
  const ctx = snap?.context as WorkflowContext | undefined
  if (!ctx?.agents) return snap
  // The resume's own flags (--concurrency, --max-agents, --budget) win over what the interrupted process had.
  if (settings) Object.assign(ctx, settings)
  for (const key of completed) {
    const tracked = ctx.agents[key]
    if (!tracked) continue
    tracked.status = 'done'
    if (snap.children) delete snap.children[key]
  }
  ctx.running = ctx.running.filter((k) => !completed.has(k))
  ctx.waiting = ctx.waiting.filter((k) => !completed.has(k))
  // A snapshot of an earlier version has an actor per waiting agent; now pump spawns one when the agent starts.
  for (const key of ctx.waiting) if (snap.children) delete snap.children[key]
  return snap
}

/** The workflow machine with the runtime's I/O: the script runner and the agent executor. */
export function provideWorkflow(impl: {
  script: ReturnType<typeof fromPromise<unknown, unknown>>
  execute: ReturnType<typeof fromPromise<ExecResult, { call: AgentCall; attempt: number }>>
}) {
  return workflowMachine.provide({
    actors: { script: impl.script, agent: agentMachine.provide({ actors: { execute: impl.execute } }) },
  })
}
