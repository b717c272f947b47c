// The actor runtime: one run = one workflow actor (src/machines/workflow.ts) whose script actor runs the sandbox and
// whose agent children run on an AgentExecutor (OpenCode in production). This file wires those pieces together; the
// disk side lives in run-recorder.ts, the sandbox-facing host in script-host.ts.
import { Subject, type Observable } from 'rxjs'
import { createActor, fromPromise, type InspectionEvent, type Observer } from 'xstate'
import { applyEvent, emptyRunView, type RunView } from '../machines/run-view.js'
import type {
  AgentActivity,
  AgentCall,
  AgentExecutor,
  ControlCommand,
  ExecResult,
  GateResult,
  GateShellOptions,
  RunStatus,
  RunSummary,
  RuntimeEvent,
  WorkflowResolver,
} from '../machines/types.js'
import { ZERO_TOKENS } from '../machines/types.js'
import { provideWorkflow, runStatusOf } from '../machines/workflow.js'
import { runScript } from '../script/sandbox.js'
import { createRunRecorder } from './run-recorder.js'
import { createScriptHost } from './script-host.js'
import { createGateAsker } from './gate-ask.js'
import { startControlServer, type ControlServer } from './control-server.js'
import { openRun, type OpenedRun } from './run-open.js'
import { resolveAgentRef, restartRefusal } from '../machines/agent-ref.js'
import { ADAPTIVE_START, createGovernor, loadConcurrencyConfig } from './adaptive-concurrency.js'

export interface StartRunOptions {
  projectDir: string
  /** The script source of a new run. With resumeRunId: an edited script to resume with (it replaces script.js; the
   *  journal answers its unchanged leading calls, the rest run live); omitted, the run's own script.js runs again. */
  script?: string
  args?: unknown
  executor: AgentExecutor
  /** Resume this run instead of starting a new one. */
  resumeRunId?: string
  /** Pins how many agents run at once; without it the limit adapts to the models' answers, from 16. */
  concurrency?: number
  /** The run's default model ('provider/model'), for per-model concurrency caps. */
  defaultModel?: string
  maxAgents?: number
  budget?: number | null
  resolveWorkflow?: WorkflowResolver
  gate?: (command: string, opts?: GateShellOptions) => Promise<GateResult>
  /** xstate inspection observer (the CLI's --inspect passes the Stately inspector's). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
  /** What the user approved (script and sub-workflow hashes), recorded in a new run's run.json for resume. */
  approved?: import('./approved-set.js').ApprovedSet
  /** Extra fields recorded in run.json's options (model, server, offline...). */
  recordOptions?: Record<string, unknown>
  /** Serve the control channel (default true). */
  control?: boolean
  sandboxLimits?: { memoryBytes?: number; sliceMs?: number; cpuMs?: number }
  /** How often the snapshot and view files are rewritten (ms). */
  snapshotThrottleMs?: number
}

export interface RunHandle {
  runId: string
  runDir: string
  events: Observable<RuntimeEvent>
  view(): RunView
  /** Sends a control command (an actor event) to the run. */
  send(command: ControlCommand): void
  done: Promise<RunSummary>
}

/** Where concurrency starts: agents wait on remote models, not on local CPU, so 16 whatever the core count; without
 *  --concurrency it then adapts to the models' answers (adaptive-concurrency.ts). */
export function defaultConcurrency(): number {
  return ADAPTIVE_START
}

export const DEFAULT_MAX_AGENTS = 1000

/** The script's total VM time: 30 s, or 1 ms per agent the run may have when that is more. Resolving each agent's
 *  promise runs in the VM (~0.1-0.3 ms), so a run raised to 100,000 agents would pass 30 s on bookkeeping alone; a
 *  single stretch without awaiting still stops at 30 s (an endless loop is caught as soon as before). */
export function scriptCpuLimits(maxAgents: number): { cpuMs: number; sliceMs: number } | undefined {
  return maxAgents > 30_000 ? { cpuMs: maxAgents, sliceMs: 30_000 } : undefined
}

export async function startRun(options: StartRunOptions): Promise<RunHandle> {
  const pinnedNow = options.concurrency !== undefined
  const opened: OpenedRun = await openRun({ ...options, recordOptions: { ...options.recordOptions, concurrencyMode: pinnedNow ? 'pinned' : 'adaptive' } })
  const { runId, runDir, parsed, cached } = opened
  const startedAt = Date.now()
  // Pinned by --concurrency now or when the run began; otherwise the governor adapts the limit (issue 17.2).
  const concurrencyMode: 'adaptive' | 'pinned' = pinnedNow || opened.runFile.options.concurrencyMode === 'pinned' ? 'pinned' : 'adaptive'

  const subject = new Subject<RuntimeEvent>()
  const view = emptyRunView(runId, parsed.meta.name)
  subject.subscribe((ev) => applyEvent(view, ev))
  const emit = (ev: RuntimeEvent) => subject.next(ev)
  // A snapshot/view write that fails (from a timer) ends the run as failed with that sentence, like a journal write.
  const recorder = createRunRecorder({
    runDir,
    run: opened.runFile,
    throttleMs: options.snapshotThrottleMs,
    onWriteError: (message) => {
      if (!finished) actor.send({ type: 'FAIL', error: message })
    },
  })

  // Every journal append goes through here: when one fails (disk full), the run fails with that sentence instead of
  // crashing, and what was journaled before stays resumable.
  let journalError: string | undefined
  const journal = {
    append(entry: Parameters<typeof recorder.journal.append>[0]): void {
      if (journalError) throw new Error(journalError)
      try {
        recorder.journal.append(entry)
      } catch (err) {
        journalError = (err as Error).message
        queueMicrotask(() => actor.send({ type: 'FAIL', error: journalError! }))
        throw err
      }
    },
  }
  const journalQuietly = (entry: Parameters<typeof recorder.journal.append>[0]) => {
    try {
      journal.append(entry)
    } catch {
      /* reported through FAIL */
    }
  }

  const calls = new Map<string, AgentCall>()
  const activity = (key: string, a: AgentActivity) => {
    const at = Date.now()
    if (a.type === 'session') emit({ type: 'agent.session', key, sessionId: a.sessionId, at })
    else if (a.type === 'tool') emit({ type: 'agent.tool', key, call: a.call, at })
    else if (a.type === 'permission') emit({ type: 'agent.permission', key, requestId: a.requestId, permission: a.permission, patterns: a.patterns, at })
    else if (a.type === 'retry') emit({ type: 'agent.retry', key, attempt: a.attempt, error: a.error, at })
    else if (a.type === 'stalled') emit({ type: 'agent.stalled', key, sinceMs: a.sinceMs, at })
    else if (a.type === 'note') for (const line of a.message.split('\n')) emit({ type: 'log', level: 'warn', message: line, at })
  }

  const concurrencyConfig = concurrencyMode === 'adaptive' ? loadConcurrencyConfig(options.projectDir) : undefined
  const governor = concurrencyConfig
    ? createGovernor({
        defaultModel: options.defaultModel ?? (typeof options.recordOptions?.model === 'string' ? options.recordOptions.model : undefined),
        caps: concurrencyConfig.caps,
        onLimit(limit, why) {
          const at = Date.now()
          actor.send({ type: 'CONCURRENCY.SET', limit })
          emit({ type: 'concurrency', limit, mode: 'adaptive', at })
          if (why) emit({ type: 'log', message: why, at })
        },
      })
    : undefined
  const executor = governor ? governor.wrap(options.executor) : options.executor

  let scriptResult: unknown = null
  let scriptWarnings: string[] = []
  let host: ReturnType<typeof createScriptHost> | undefined

  const machine = provideWorkflow({
      execute: fromPromise<ExecResult, { call: AgentCall; attempt: number }>(({ input, signal }) =>
        executor.run(input.call, { signal, emit: (a) => activity(input.call.key, a) }),
      ),
      script: fromPromise<unknown, unknown>(async ({ signal }) => {
        const outcome = await runScript(parsed, {
          backend: host!,
          args: opened.args,
          resolveWorkflow: options.resolveWorkflow,
          limits: { ...scriptCpuLimits(opened.options.maxAgents), ...options.sandboxLimits },
          signal,
        })
        if (outcome.status === 'failed') throw new Error(outcome.error)
        if (outcome.status === 'completed') {
          scriptResult = outcome.result
          scriptWarnings = outcome.warnings
        }
        return scriptResult
      }),
  })

  const actor = createActor(machine, {
    input: {
      runId,
      // An adaptive run starts at the governor's limit (16, or less when the default model is capped).
      concurrency: governor ? governor.limit() : opened.options.concurrency,
      maxAgents: opened.options.maxAgents,
      budgetTotal: opened.options.budget,
      requireApproval: false,
      meta: { name: parsed.meta.name, phases: parsed.meta.phases ?? [] },
    },
    snapshot: opened.snapshot as never,
    inspect: options.inspect as never,
  })

  let currentPhase = ''
  subject.subscribe((ev) => {
    if (ev.type === 'phase.started') currentPhase = ev.title
  })
  const gateAsker = createGateAsker(emit, () => currentPhase || view.phases[0]?.title || 'Main')
  host = createScriptHost({
    actor,
    cached,
    leadingOnly: opened.edited,
    calls,
    emit,
    journal,
    // The script's budget counts output tokens, as Claude Code's does (the UI keeps showing input + output + reasoning).
    budget: () => ({ total: opened.options.budget, spent: view.tokens.output + view.tokens.reasoning }),
    // A gate whose bash rule says "ask" waits as a `gate-N` entry with a pending permission (gate-ask.ts).
    gate: options.gate && ((command, opts) => gateAsker.run(command, (ask) => options.gate!(command, { ...opts, ask }))),
    onSettled: (key, record) => recorder.agentSettled(key, calls.get(key) ?? record.call, record, view),
  })

  actor.on('*', (ev: any) => {
    const at = Date.now()
    switch (ev.type) {
      case 'agent.queued':
        emit({ type: 'agent.queued', key: ev.key, label: ev.label, phase: ev.phase, prompt: ev.prompt, model: ev.model, at })
        break
      case 'agent.started':
        journalQuietly({ t: 'agent.started', key: ev.key, attempt: ev.attempt, at })
        emit({ type: 'agent.started', key: ev.key, attempt: ev.attempt, at })
        break
      case 'agent.settled':
        host!.settle(ev)
        break
      case 'phase.started':
        journalQuietly({ t: 'phase', title: ev.title, at })
        emit({ type: 'phase.started', title: ev.title, at })
        break
      case 'run.status':
        journalQuietly({ t: 'run', status: ev.status, at })
        emit({ type: 'run.status', runId, status: ev.status, error: ev.error, at })
        break
      case 'permission.reply':
        // A stale or unknown request id must not crash the run (an unhandled rejection would): say so in the log.
        if (!options.executor.replyPermission) {
          emit({ type: 'log', level: 'warn', message: `This run's agents cannot be answered (the executor takes no permission replies); agent ${ev.key} keeps waiting.`, at })
          break
        }
        options.executor.replyPermission(ev.requestId, ev.reply).then(
          () => {
            emit({ type: 'agent.permission.replied', key: ev.key, requestId: ev.requestId, reply: ev.reply, at: Date.now() })
            emit({ type: 'log', message: `permission ${ev.requestId} of agent ${ev.key} answered: ${ev.reply}`, at: Date.now() })
          },
          (err: Error) => emit({ type: 'log', level: 'error', message: `Answering permission ${ev.requestId} of agent ${ev.key} failed: ${err.message}`, at: Date.now() }),
        )
        break
    }
  })

  emit({ type: 'run.meta', runId, name: parsed.meta.name, description: parsed.meta.description, phases: parsed.meta.phases ?? [], at: startedAt })
  for (const w of parsed.warnings) emit({ type: 'log', message: w, level: 'warn', at: startedAt })
  // What resume found damaged (a truncated journal line, an unreadable snapshot) and worked around.
  for (const p of opened.problems) emit({ type: 'log', message: p, level: 'warn', at: startedAt })
  // Agents restored from the snapshot (in flight when the run was interrupted) run again at once, before the script
  // asks for them: the surfaces see them now, and their one new attempt answers the script's call later.
  if (opened.snapshot) {
    const restored = (actor.getSnapshot().context as { agents: Record<string, { call: AgentCall; attempt: number; status: string }> }).agents
    for (const [key, t] of Object.entries(restored)) {
      if (t.status !== 'queued' && t.status !== 'running') continue
      calls.set(key, t.call)
      emit({ type: 'agent.queued', key, label: t.call.opts.label ?? key, phase: t.call.phase, prompt: t.call.prompt, model: t.call.opts.model, at: startedAt })
      if (t.status === 'running') emit({ type: 'agent.started', key, attempt: t.attempt, at: startedAt })
    }
  }
  for (const p of concurrencyConfig?.problems ?? []) emit({ type: 'log', message: p, level: 'warn', at: startedAt })
  subject.subscribe((ev) => {
    if (ev.type === 'log') journalQuietly({ t: 'log', message: ev.message, level: ev.level, at: ev.at })
  })

  let control: ControlServer | undefined
  const done = new Promise<RunSummary>((resolve, reject) => {
    let lastStatus: RunStatus | undefined
    actor.subscribe({
      next: (snapshot) => {
        recorder.markDirty(() => actor.getPersistedSnapshot(), view)
        const status = runStatusOf(snapshot as never)
        if (status !== lastStatus) {
          lastStatus = status
          if (!view.startedAt) view.startedAt = startedAt
        }
        if (snapshot.status === 'done' || snapshot.status === 'error') {
          const error = snapshot.status === 'error' ? String((snapshot as any).error?.message ?? (snapshot as any).error) : (snapshot.context as any)?.error
          finish(status, error).then(resolve, reject)
        }
      },
      error: (err) => finish('failed', (err as Error).message).then(resolve, reject),
    })
  })

  let finished = false
  async function finish(status: RunStatus, error?: string): Promise<RunSummary> {
    if (finished) return (await done)!
    finished = true
    const endedAt = Date.now()
    const final = (['completed', 'failed', 'stopped', 'denied', 'interrupted'].includes(status) ? status : 'failed') as RunSummary['status']
    // The workflow actor stopped its children when it ended (e.g. an agent restarted after the script had its answer):
    // the surfaces must not show them running for ever.
    for (const a of view.agents) {
      if (a.status === 'queued' || a.status === 'running') {
        emit({ type: 'agent.finished', key: a.key, status: 'stopped', tokens: ZERO_TOKENS, cost: 0, cached: false, error: 'the run ended before this agent finished', at: endedAt })
      }
    }
    if (final === 'completed') emit({ type: 'run.result', result: scriptResult, at: endedAt })
    if (view.status !== final) emit({ type: 'run.status', runId, status: final, error, at: endedAt })
    for (const w of scriptWarnings) emit({ type: 'log', message: w, level: 'warn', at: endedAt })
    let summary = summarize(view, runId, runDir, final, final === 'completed' ? scriptResult : null, error, endedAt - startedAt)
    try {
      await recorder.finish({ summary, view, snapshot: actor.getPersistedSnapshot(), result: scriptResult, status: final, error, endedAt })
    } catch (err) {
      // The run's end could not be written (disk full...): say so; `done` still resolves (the plugin must never see
      // a throw), and what was journaled stays resumable.
      const message = `The run ended ${final} but its files could not be written in ${runDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); free disk space, then \`ocdw resume ${runId}\`.`
      emit({ type: 'run.status', runId, status: 'failed', error: message, at: Date.now() })
      summary = { ...summary, status: 'failed', result: null, error: message }
    }
    await control?.close()
    subject.complete()
    opened.release()
    return summary
  }

  const send = (command: ControlCommand) => {
    if (finished) throw new Error(`Run ${runId} has already ended; nothing to ${command.type.toLowerCase().replace('_', ' ')}.`)
    if (command.type === 'STOP_AGENT' || command.type === 'RESTART_AGENT' || command.type === 'PERMISSION_REPLY') {
      // Agents are named by key or by a unique label; a restart that would change nothing is refused, never faked.
      const ref = resolveAgentRef(view, command.key)
      if (ref.error !== undefined) throw new Error(ref.error)
      command = { ...command, key: ref.key }
      // A gate waiting on "ask" is answered here: it is not an agent of the workflow machine.
      if (command.type === 'PERMISSION_REPLY' && gateAsker.reply(command.key, command.requestId, command.reply)) return
      const refusal = command.type === 'RESTART_AGENT' ? restartRefusal(view, ref.key) : undefined
      if (refusal) throw new Error(refusal)
    }
    actor.send(command)
  }

  actor.start()
  // The limit now: the governor's start (a restored snapshot holds the limit of the interrupted process) or the pin.
  const initialLimit = governor ? governor.limit() : opened.options.concurrency
  actor.send({ type: 'CONCURRENCY.SET', limit: initialLimit })
  emit({ type: 'concurrency', limit: initialLimit, mode: concurrencyMode, at: Date.now() })
  // A run killed while paused comes back paused from its snapshot: `ocdw resume` means go on.
  if (opened.snapshot && runStatusOf(actor.getSnapshot() as never) === 'paused') actor.send({ type: 'RESUME' })
  if (options.control !== false) control = await startControlServer({ runDir, getView: () => view, events: subject, onCommand: send })
  actor.send({ type: 'SCRIPT.READY' } as never)

  return { runId, runDir, events: subject.asObservable(), view: () => view, send, done }
}

function summarize(
  view: RunView,
  runId: string,
  runDir: string,
  status: RunSummary['status'],
  result: unknown,
  error: string | undefined,
  elapsedMs: number,
): RunSummary {
  const agents = { total: 0, done: 0, failed: 0, stopped: 0, cached: 0 }
  for (const a of view.agents) {
    agents.total++
    if (a.status === 'done') agents.done++
    else if (a.status === 'failed') agents.failed++
    else if (a.status === 'stopped' || a.status === 'skipped') agents.stopped++
    if (a.cached) agents.cached++
  }
  const t = view.tokens
  return {
    runId,
    status,
    result,
    ...(error ? { error } : {}),
    agents,
    tokens: { input: t.input, output: t.output, reasoning: t.reasoning, total: t.input + t.output + t.reasoning },
    elapsedMs,
    runDir,
  }
}
