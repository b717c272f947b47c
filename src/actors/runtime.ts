// The actor runtime: one run = one workflow actor (src/machines/workflow.ts) whose script actor runs the sandbox and
// whose agent children run on an AgentExecutor (OpenCode in production). This file wires those pieces together; the
// disk side lives in run-recorder.ts, the sandbox-facing host in script-host.ts, the translation of the actor's
// emitted events into RuntimeEvents in workflow-relay.ts, and what a run takes in run-options.ts.
import { Subject } from 'rxjs'
import { createActor, fromPromise, type Actor } from 'xstate'
import { applyEvent, emptyRunView, type RunView } from '../machines/run-view.js'
import { FINAL_RUN_STATUSES } from '../machines/schemas.js'
import { tokenTotals, ZERO_TOKENS } from '../machines/tokens.js'
import type { AgentCall, ControlCommand, ExecResult, RunStatus, RunSummary, RuntimeEvent } from '../machines/types.js'
import { provideWorkflow, runStatusOf } from '../machines/workflow.js'
import { runScript } from '../script/sandbox.js'
import { createRunRecorder } from './run-recorder.js'
import { createScriptHost, type ScriptHost } from './script-host.js'
import { createGateAsker, type GateAsker } from './gate-ask.js'
import { startControlServer, type ControlServer } from './control-server.js'
import { openRun, type OpenedRun } from './run-open.js'
import { resolveAgentRef, restartRefusal } from '../machines/agent-ref.js'
import { createGovernor, loadConcurrencyConfig } from './adaptive-concurrency.js'
import { guardJournal } from './run-journal.js'
import { activityEvents, relayWorkflowEvent } from './workflow-relay.js'
import { scriptCpuLimits, type RunHandle, type StartRunOptions } from './run-options.js'

export { DEFAULT_MAX_AGENTS, defaultConcurrency, scriptCpuLimits, type RunHandle, type StartRunOptions } from './run-options.js'

type WorkflowActor = Actor<ReturnType<typeof provideWorkflow>>

/** The run's one stream of RuntimeEvents and the view folded from it (every surface reads the same view). */
function createEventStream(runId: string, name: string) {
  const subject = new Subject<RuntimeEvent>()
  const view = emptyRunView(runId, name)
  subject.subscribe((ev) => applyEvent(view, ev))
  let currentPhase = ''
  subject.subscribe((ev) => {
    if (ev.type === 'phase.started') currentPhase = ev.title
  })
  return { subject, view, emit: (ev: RuntimeEvent) => subject.next(ev), currentPhase: () => currentPhase || view.phases[0]?.title || 'Main' }
}

/** The concurrency governor of an adaptive run (issue 17.2), or nothing when the limit is pinned. */
function createConcurrency(options: StartRunOptions, opened: OpenedRun, pinnedNow: boolean, onLimit: (limit: number, why?: string) => void) {
  // Pinned by --concurrency now or when the run began; otherwise the governor adapts the limit.
  const mode: 'adaptive' | 'pinned' = pinnedNow || opened.runFile.options.concurrencyMode === 'pinned' ? 'pinned' : 'adaptive'
  const config = mode === 'adaptive' ? loadConcurrencyConfig(options.projectDir) : undefined
  const governor = config
    ? createGovernor({
        defaultModel: options.defaultModel ?? (typeof options.recordOptions?.model === 'string' ? options.recordOptions.model : undefined),
        caps: config.caps,
        onLimit,
      })
    : undefined
  return {
    mode,
    problems: config?.problems ?? [],
    executor: governor ? governor.wrap(options.executor) : options.executor,
    /** The limit now: the governor's start (16, or less when the default model is capped) or the pin. */
    limit: () => (governor ? governor.limit() : opened.options.concurrency),
  }
}

export async function startRun(options: StartRunOptions): Promise<RunHandle> {
  const pinnedNow = options.concurrency !== undefined
  const opened = await openRun({ ...options, recordOptions: { ...options.recordOptions, concurrencyMode: pinnedNow ? 'pinned' : 'adaptive' } })
  const { runId, runDir, parsed } = opened
  const startedAt = Date.now()
  const stream = createEventStream(runId, parsed.meta.name)
  const { view, emit } = stream
  let ended = false
  // A snapshot/view write that fails (from a timer) ends the run as failed with that sentence, like a journal write.
  const recorder = createRunRecorder({
    runDir,
    run: opened.runFile,
    throttleMs: options.snapshotThrottleMs,
    onWriteError: (message) => {
      if (!ended) actor.send({ type: 'FAIL', error: message })
    },
  })
  const journal = guardJournal(recorder.journal, (error) => actor.send({ type: 'FAIL', error }))
  const concurrency = createConcurrency(options, opened, pinnedNow, (limit, why) => {
    const at = Date.now()
    actor.send({ type: 'CONCURRENCY.SET', limit })
    emit({ type: 'concurrency', limit, mode: 'adaptive', at })
    if (why) emit({ type: 'log', message: why, at })
  })

  const script: ScriptOutcome = { result: null, warnings: [] }
  let host: ScriptHost | undefined
  const actor = createWorkflowActor(options, opened, concurrency, () => host!, script, emit)

  const gateAsker = createGateAsker(emit, stream.currentPhase)
  host = createScriptHost({
    actor,
    cached: opened.cached,
    leadingOnly: opened.edited,
    emit,
    journal,
    // The one budget tally is the workflow's (tokens.ts budgetSpent): what refuses agents is what the script reads.
    budget: () => ({ total: opened.options.budget, spent: actor.getSnapshot().context.spent }),
    // A gate whose bash rule says "ask" waits as a `gate-N` entry with a pending permission (gate-ask.ts).
    gate: options.gate && ((command, opts) => gateAsker.run(command, (ask) => options.gate!(command, { ...opts, ask }))),
    onSettled: (outcome) => recorder.agentSettled(outcome.key, outcome.call, outcome, view),
  })
  const relay = { runId, emit, journal, host, executor: options.executor }
  actor.on('*', (ev) => relayWorkflowEvent(ev, relay))

  emit({ type: 'run.meta', runId, name: parsed.meta.name, description: parsed.meta.description, phases: parsed.meta.phases ?? [], at: startedAt })
  // The script's own warnings, what resume found damaged (a truncated journal line, an unreadable snapshot) and worked
  // around, and a bad concurrency config.
  for (const message of [...parsed.warnings, ...opened.problems, ...concurrency.problems]) emit({ type: 'log', message, level: 'warn', at: startedAt })
  stream.subject.subscribe((ev) => {
    if (ev.type === 'log') journal.appendQuietly({ t: 'log', message: ev.message, level: ev.level, at: ev.at })
  })

  let control: ControlServer | undefined
  const finish = async (status: RunStatus, error?: string): Promise<RunSummary> => {
    ended = true
    const summary = await endRun({ opened, view, emit, recorder, actor, script, startedAt }, status, error)
    await control?.close()
    stream.subject.complete()
    opened.release()
    return summary
  }
  const done = settleWhenDone(actor, () => recorder.markDirty(() => actor.getPersistedSnapshot(), view), finish)
  view.startedAt ??= startedAt
  const send = controlSender({ runId, view, actor, gateAsker, ended: () => ended })

  startActor(actor, opened, concurrency, emit)
  if (options.control !== false) control = await startControlServer({ runDir, getView: () => view, events: stream.subject, onCommand: send })
  actor.send({ type: 'SCRIPT.READY' })

  return { runId, runDir, events: stream.subject.asObservable(), view: () => view, send, done }
}

/** What the script returned, and the warnings its sandbox collected (set when it completes). */
interface ScriptOutcome {
  result: unknown
  warnings: string[]
}

type Concurrency = ReturnType<typeof createConcurrency>

/** The run's workflow actor, with the sandbox as its script and the (governed) executor running its agents. */
function createWorkflowActor(
  options: StartRunOptions,
  opened: OpenedRun,
  concurrency: Concurrency,
  host: () => ScriptHost,
  script: ScriptOutcome,
  emit: (ev: RuntimeEvent) => void,
): WorkflowActor {
  const { parsed } = opened
  const machine = provideWorkflow({
    execute: fromPromise<ExecResult, { call: AgentCall; attempt: number }>(({ input, signal }) =>
      concurrency.executor.run(input.call, { signal, emit: (a) => activityEvents(input.call.key, a, Date.now()).forEach(emit) }),
    ),
    script: fromPromise<unknown, unknown>(async ({ signal }) => {
      const outcome = await runScript(parsed, { backend: host(), args: opened.args, resolveWorkflow: options.resolveWorkflow, limits: { ...scriptCpuLimits(opened.options.maxAgents), ...options.sandboxLimits }, signal })
      if (outcome.status === 'failed') throw new Error(outcome.error)
      if (outcome.status === 'completed') Object.assign(script, { result: outcome.result, warnings: outcome.warnings })
      return script.result
    }),
  })
  return createActor(machine, {
    input: {
      runId: opened.runId,
      concurrency: concurrency.limit(),
      maxAgents: opened.options.maxAgents,
      budgetTotal: opened.options.budget,
      meta: { name: parsed.meta.name, phases: parsed.meta.phases ?? [] },
    },
    snapshot: opened.snapshot as never,
    inspect: options.inspect as never,
  })
}

/** Starts the actor and brings a restored one back to running with this process's concurrency limit. */
function startActor(actor: WorkflowActor, opened: OpenedRun, concurrency: Concurrency, emit: (ev: RuntimeEvent) => void): void {
  actor.start()
  // Agents restored from the snapshot (in flight when the run was interrupted) run again at once, before the script
  // asks for them: the workflow announces them now, and their one new attempt answers the script's call later.
  if (opened.snapshot) actor.send({ type: 'RESTORED' })
  actor.send({ type: 'CONCURRENCY.SET', limit: concurrency.limit() })
  emit({ type: 'concurrency', limit: concurrency.limit(), mode: concurrency.mode, at: Date.now() })
  // A run killed while paused comes back paused from its snapshot: `ocdw resume` means go on.
  if (opened.snapshot && runStatusOf(actor.getSnapshot()) === 'paused') actor.send({ type: 'RESUME' })
}

/** Resolves with the run's summary once the workflow actor ends (once, however it ends). */
function settleWhenDone(actor: WorkflowActor, onChange: () => void, finish: (status: RunStatus, error?: string) => Promise<RunSummary>): Promise<RunSummary> {
  let ending: Promise<RunSummary> | undefined
  const end = (status: RunStatus, error?: string) => (ending ??= finish(status, error))
  return new Promise<RunSummary>((resolve, reject) => {
    actor.subscribe({
      next: (snapshot) => {
        onChange()
        if (snapshot.status === 'done') end(runStatusOf(snapshot), snapshot.context.error).then(resolve, reject)
        else if (snapshot.status === 'error') end('failed', messageOf(snapshot.error)).then(resolve, reject)
      },
      error: (err) => end('failed', messageOf(err)).then(resolve, reject),
    })
  })
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Ends a run: settles agents left in flight, emits the result and final status, writes the run's end files. */
async function endRun(
  r: {
    opened: OpenedRun
    view: RunView
    emit(ev: RuntimeEvent): void
    recorder: ReturnType<typeof createRunRecorder>
    actor: WorkflowActor
    script: ScriptOutcome
    startedAt: number
  },
  status: RunStatus,
  error?: string,
): Promise<RunSummary> {
  const { runId, runDir } = r.opened
  const endedAt = Date.now()
  const final = (FINAL_RUN_STATUSES.includes(status) ? status : 'failed') as RunSummary['status']
  // The workflow actor stopped its children when it ended (e.g. an agent restarted after the script had its answer):
  // the surfaces must not show them running for ever.
  for (const a of r.view.agents) {
    if (a.status === 'queued' || a.status === 'running') {
      r.emit({ type: 'agent.finished', key: a.key, status: 'stopped', tokens: ZERO_TOKENS, cost: 0, cached: false, error: 'the run ended before this agent finished', at: endedAt })
    }
  }
  if (final === 'completed') r.emit({ type: 'run.result', result: r.script.result, at: endedAt })
  if (r.view.status !== final) r.emit({ type: 'run.status', runId, status: final, error, at: endedAt })
  for (const w of r.script.warnings) r.emit({ type: 'log', message: w, level: 'warn', at: endedAt })
  const summary = summarize(r.view, runId, runDir, final, final === 'completed' ? r.script.result : null, error, endedAt - r.startedAt)
  try {
    await r.recorder.finish({ summary, view: r.view, snapshot: r.actor.getPersistedSnapshot(), result: r.script.result, status: final, error, endedAt })
    return summary
  } catch (err) {
    // The run's end could not be written (disk full...): say so; `done` still resolves (the plugin must never see
    // a throw), and what was journaled stays resumable.
    const message = `The run ended ${final} but its files could not be written in ${runDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); free disk space, then \`ocdw resume ${runId}\`.`
    r.emit({ type: 'run.status', runId, status: 'failed', error: message, at: Date.now() })
    return { ...summary, status: 'failed', result: null, error: message }
  }
}

/** The run handle's `send`: names agents by key or unique label, answers gates, refuses what would change nothing. */
function controlSender(r: { runId: string; view: RunView; actor: WorkflowActor; gateAsker: GateAsker; ended(): boolean }) {
  return (command: ControlCommand): void => {
    if (r.ended()) throw new Error(`Run ${r.runId} has already ended; nothing to ${command.type.toLowerCase().replace('_', ' ')}.`)
    if (command.type === 'STOP_AGENT' || command.type === 'RESTART_AGENT' || command.type === 'PERMISSION_REPLY') {
      const ref = resolveAgentRef(r.view, command.key)
      if (ref.error !== undefined) throw new Error(ref.error)
      command = { ...command, key: ref.key }
      // A gate waiting on "ask" is answered here: it is not an agent of the workflow machine.
      if (command.type === 'PERMISSION_REPLY' && r.gateAsker.reply(command.key, command.requestId, command.reply)) return
      const refusal = command.type === 'RESTART_AGENT' ? restartRefusal(r.view, ref.key) : undefined
      if (refusal) throw new Error(refusal)
    }
    r.actor.send(command)
  }
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
  return { runId, status, result, ...(error ? { error } : {}), agents, tokens: tokenTotals(view.tokens), elapsedMs, runDir }
}
