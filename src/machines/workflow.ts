// The workflow actor: the root of a run. starting -> running (active <-> paused) -> completed | failed | stopped |
// interrupted. `starting` waits for SCRIPT.READY (the runtime has its control channel up), so a run is controllable
// before its script asks for anything. It invokes the script runner, spawns one agent actor per `agent()` call and
// one phase actor per phase title, owns the concurrency semaphore (FIFO, scheduler.ts), the agent cap and the one
// token-budget tally (`spent`), and is the only announcer of agents (queued, started, finished, refused): the
// vocabulary is workflow-events.ts, the table ARCHITECTURE §2. Approval is not a state: a run exists only once
// approved (the CLI and the plugin ask before they start one).
// Pure: the script runner and the agent executor are actor logic provided by src/actors/runtime.ts
// (`provideWorkflow`). The runtime learns what happens through emitted events (`actor.on(...)`).
import { enqueueActions, fromPromise, setup, type SnapshotFrom } from 'xstate'
import { agentMachine } from './agent.js'
import { phaseMachine } from './phase.js'
import { enqueueAgent, finishAgent, forgetCompleted, isActive, restartAgent, startWaiting, type AgentBook } from './scheduler.js'
import { budgetSpent, ZERO_TOKENS } from './tokens.js'
import type { AgentCall, ExecResult, RunStatus } from './types.js'
import { queuedOf, type WorkflowEmitted, type WorkflowEvent } from './workflow-events.js'

export type { WorkflowEmitted, WorkflowEvent } from './workflow-events.js'

export interface WorkflowInput {
  runId: string
  concurrency: number
  maxAgents: number
  budgetTotal: number | null
  meta: { name: string; phases: { title: string; detail?: string }[] }
}

export interface WorkflowContext extends WorkflowInput, AgentBook {
  /** Agents asked for so far (the cap counts these, journal answers included). */
  requested: number
  /** The run's one budget tally (tokens.ts `budgetSpent` of every done agent, journal answers included): the cap
   *  refuses agents by it and the script's `budget()` reads it. The UI's wider count lives in the run view. */
  spent: number
  paused: boolean
  phaseTitles: string[]
  error?: string
  /** The script's returned value, once it has returned. */
  result?: unknown
}

const phaseId = (title: string) => `phase:${title}`

/** Why the cap or the budget refuses a call now, if either does. */
function refusalOf(context: WorkflowContext, isNew: boolean): string | undefined {
  if (isNew && context.requested >= context.maxAgents) {
    return `the run's cap of ${context.maxAgents} agents was reached, so agent() throws; raise it with --max-agents`
  }
  if (context.budgetTotal !== null && context.spent >= context.budgetTotal) {
    return `the run's token budget of ${context.budgetTotal} output tokens is spent, so agent() throws; raise it with --budget`
  }
  return undefined
}

/** Whether a live call will be queued (not in flight already, not refused): only then does it open its phase. */
function admits(context: WorkflowContext, call: AgentCall): boolean {
  const existing = context.agents[call.key]
  return !isActive(existing) && refusalOf(context, !existing) === undefined
}

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
    /** Opens the phase of a PHASE, or of an AGENT.REQUEST about to be queued, once: its actor and `phase.started`. */
    openPhase: enqueueActions(({ context, event, enqueue }) => {
      const title = event.type === 'PHASE' ? event.title : event.type === 'AGENT.REQUEST' && admits(context, event.call) ? event.call.phase : undefined
      if (title === undefined || context.phaseTitles.includes(title)) return
      enqueue.assign({ phaseTitles: [...context.phaseTitles, title] })
      enqueue.spawnChild('phase', { id: phaseId(title), input: { title } })
      enqueue.emit({ type: 'phase.started', title })
    }),
    /** Queues a live `agent()` call, or refuses it (cap, budget) with `agent.refused`. */
    requestAgent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'AGENT.REQUEST') return
      const { call } = event
      const existing = context.agents[call.key]
      // A resumed run's restored agent (announced on RESTORED) finishes on its own and answers this call then.
      if (isActive(existing)) return
      // A restored agent that finished (but is not in the journal, which answers first) runs again below.
      const reason = refusalOf(context, !existing)
      if (reason) {
        enqueue.emit({ type: 'agent.refused', key: call.key, reason })
        return
      }
      if (!existing) enqueue.assign({ requested: context.requested + 1 })
      const { from } = enqueueAgent(context, call)
      enqueue.sendTo(phaseId(call.phase), { type: 'PHASE.AGENT', from, to: 'queued' })
      enqueue.emit(queuedOf(call))
    }),
    /** Books an answer from the journal: counted (unless a restored snapshot already holds it) and announced. */
    cachedAgent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'AGENT.CACHED') return
      const { call, result, tokens, cost } = event
      if (!context.agents[call.key]) enqueue.assign({ requested: context.requested + 1, spent: context.spent + budgetSpent(tokens) })
      enqueue.emit(queuedOf(call))
      enqueue.emit({ type: 'agent.finished', key: call.key, status: 'done', call, result, tokens, cost, cached: true })
    }),
    /** Books a finished agent (slot, status, phase counts, spent tokens) and tells the runtime (`agent.finished`). */
    settleAgent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'AGENT.FINISHED') return
      const booked = finishAgent(context, event.key, event.attempt, event.status)
      if (!booked) return
      const { from, tracked } = booked
      enqueue.stopChild(event.key)
      const out: ExecResult | undefined = event.status === 'done' ? event.output : undefined
      if (out) enqueue.assign({ spent: context.spent + budgetSpent(out.tokens) })
      enqueue.sendTo(phaseId(tracked.call.phase), { type: 'PHASE.AGENT', from, to: event.status, tokens: out?.tokens })
      enqueue.emit({
        type: 'agent.finished',
        key: event.key,
        status: event.status,
        call: tracked.call,
        tokens: out?.tokens ?? ZERO_TOKENS,
        cost: out?.cost ?? 0,
        cached: false,
        ...(out ? { result: out.result, sessionId: out.sessionId } : {}),
        ...(event.status === 'failed' ? { error: event.error, ...(event.infrastructure ? { infrastructure: true } : {}) } : {}),
      })
    }),
    /** Starts queued agents while the semaphore has room and the run is not paused. */
    pump: enqueueActions(({ context, enqueue }) => {
      if (context.paused) return
      for (const tracked of startWaiting(context, context.concurrency)) {
        enqueue.sendTo(phaseId(tracked.call.phase), { type: 'PHASE.AGENT', from: 'queued', to: 'running' })
        // The agent's actor exists only while it holds a slot: XState copies the children map on every spawn and
        // stop, so a child per queued agent made each agent cost O(agents waiting) (bench/scale.mjs).
        enqueue.spawnChild('agent', { id: tracked.call.key, input: { call: tracked.call, attempt: tracked.attempt } })
        enqueue.sendTo(tracked.call.key, { type: 'START' })
        enqueue.emit({ type: 'agent.started', key: tracked.call.key, attempt: tracked.attempt })
      }
    }),
    /** The run's final status (with the error that ended it, for failed and interrupted). */
    announceEnd: enqueueActions(({ context, enqueue }, params: { status: 'completed' | 'failed' | 'stopped' | 'interrupted' }) => {
      const withError = params.status === 'failed' || params.status === 'interrupted'
      enqueue.emit({ type: 'run.status', status: params.status, ...(withError ? { error: context.error } : {}) })
    }),
    /** Announces the agents a restored snapshot holds in flight: they run again at once, before the script asks. */
    announceRestored: enqueueActions(({ context, enqueue }) => {
      for (const tracked of Object.values(context.agents)) {
        if (!isActive(tracked)) continue
        enqueue.emit(queuedOf(tracked.call))
        if (tracked.status === 'running') enqueue.emit({ type: 'agent.started', key: tracked.call.key, attempt: tracked.attempt })
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
  initial: 'starting',
  states: {
    starting: {
      on: { 'SCRIPT.READY': 'running', STOP: 'stopped' },
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
              actions: enqueueActions(({ enqueue }) => {
                enqueue.assign({ paused: true })
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
                enqueueActions(({ enqueue }) => {
                  enqueue.assign({ paused: false })
                  enqueue.emit({ type: 'run.status', status: 'running' })
                }),
                'pump',
              ],
            },
          },
        },
      },
      on: {
        PHASE: { actions: 'openPhase' },
        'AGENT.CACHED': { actions: 'cachedAgent' },
        'AGENT.REQUEST': { actions: ['openPhase', 'requestAgent', 'pump'] },
        RESTORED: { actions: 'announceRestored' },
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
            if (restartAgent(context, event.key, event.attempt)) enqueue.emit({ type: 'agent.started', key: event.key, attempt: event.attempt })
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
          // (restartRefusal in src/machines/agent-ref.ts) and the machine ignores it.
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (context.agents[event.key]?.status === 'running') enqueue.sendTo(event.key, { type: 'RESTART' })
          }),
        },
        PERMISSION_REPLY: {
          actions: enqueueActions(({ event, enqueue }) =>
            enqueue.emit({ type: 'permission.reply', key: event.key, requestId: event.requestId, reply: event.reply }),
          ),
        },
        'CONCURRENCY.SET': {
          actions: [enqueueActions(({ event, enqueue }) => enqueue.assign({ concurrency: Math.max(1, Math.floor(event.limit)) })), 'pump'],
        },
        STOP: 'stopped',
        FAIL: { target: 'failed', actions: enqueueActions(({ enqueue, event }) => enqueue.assign({ error: event.error })) },
      },
    },
    completed: { type: 'final', entry: { type: 'announceEnd', params: { status: 'completed' } } },
    failed: { type: 'final', entry: { type: 'announceEnd', params: { status: 'failed' } } },
    stopped: { type: 'final', entry: { type: 'announceEnd', params: { status: 'stopped' } } },
    interrupted: { type: 'final', entry: { type: 'announceEnd', params: { status: 'interrupted' } } },
  },
  output: ({ context }) => ({ result: context.result }),
})

/** The sentence a run interrupted by its infrastructure ends with. */
export function interruptedMessage(cause: string): string {
  return `The run was interrupted because ${cause.replace(/[.\s]+$/, '')}; the agents that finished are kept, and \`ocdw resume\` continues the run once that is fixed.`
}

export type WorkflowSnapshot = SnapshotFrom<typeof workflowMachine>

/** The run status a workflow snapshot stands for (`starting` is a run about to run: running). */
export function runStatusOf(snapshot: WorkflowSnapshot): RunStatus {
  const value = snapshot.value as string | { running?: string }
  if (value === 'starting') return 'running'
  if (typeof value === 'string') return value as RunStatus
  if (value.running === 'paused') return 'paused'
  return 'running'
}

/** A persisted workflow snapshot as far as resume reads it. */
interface PersistedWorkflow {
  value?: unknown
  context?: WorkflowContext
  children?: Record<string, unknown>
}

/** State names an older ocdw persisted that this machine no longer has (it had approval states nothing used). */
const RETIRED_STATES: Record<string, string> = { planning: 'starting', awaitingApproval: 'starting' }

/**
 * Prepares a persisted snapshot of an interrupted run for restoring: agents the journal holds as completed lose their
 * actors (the snapshot is throttled, so it may still show them running; restoring them as they were would ask the
 * model again), and those it had not booked as done are forgotten, so that their journal answer counts them toward
 * the cap and the budget once (AGENT.CACHED). Agents it shows queued or running that the journal does not hold run
 * again.
 */
export function reconcileSnapshot<T>(
  persisted: T,
  completed: ReadonlySet<string>,
  settings?: { concurrency: number; maxAgents: number; budgetTotal: number | null },
): T {
  const snap = structuredClone(persisted) as PersistedWorkflow
  if (typeof snap?.value === 'string' && RETIRED_STATES[snap.value]) snap.value = RETIRED_STATES[snap.value]
  const ctx = snap?.context
  if (!ctx?.agents) return snap as T
  // The resume's own flags (--concurrency, --max-agents, --budget) win over what the interrupted process had.
  if (settings) Object.assign(ctx, settings)
  ctx.requested -= forgetCompleted(ctx, completed)
  for (const key of completed) if (snap.children) delete snap.children[key]
  // A snapshot of an earlier version has an actor per waiting agent; now pump spawns one when the agent starts.
  for (const key of ctx.waiting) if (snap.children) delete snap.children[key]
  return snap as T
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
