// What `run`, `resume` and `demo` share once the script is chosen and approved: connect to OpenCode, start (or
// resume) the run, show progress, handle Ctrl-C as STOP, print the report or the --json summary, pick the exit code.
import { createWebSocketInspector } from '@statelyai/inspect'
import { startInspectorBridge } from './inspector.js'
import type { RunSummary } from '../machines/types.js'
import { connectOpencode, type OpencodeConnection } from './connection.js'
import type { ServerSpec } from '../opencode/server-list.js'
import { startRun, type RunHandle } from '../actors/runtime.js'
import { workflowResolver } from '../actors/workflow-lookup.js'
import { enforceApproved, type ApprovedSet } from '../actors/approved-set.js'
import { attachProgress } from './progress.js'
import { EXIT } from './errors.js'
import { resultText, summaryLine } from '../usecases/run-summary.js'
import { sanitizeForTerminal } from '../machines/sanitize.js'
import { createRunParentSession, type SessionsMode } from '../opencode/run-parent-session.js'
import { preflight, preflightEnabled } from '../opencode/preflight.js'
import { markStarting } from '../actors/starting-run.js'
import { parseScript } from '../script/meta.js'

export interface SessionOptions {
  projectDir: string
  script?: string
  resumeRunId?: string
  args?: unknown
  /** Servers the user runs (--server, repeatable). */
  servers?: ServerSpec[]
  offline?: boolean
  model?: string
  /** Without --server: the environment variable that holds the password of OPENCODE_SERVER_URL or listed servers. */
  serverPasswordEnv?: string
  concurrency?: number
  maxAgents?: number
  budget?: number
  json?: boolean
  inspect?: boolean
  /** --quiet: no progress and no status lines; only the result (and an error). */
  quiet?: boolean
  /** Called with the run handle as soon as the run exists (the --detach parent prints the id). */
  onStarted?: (run: RunHandle, connection: OpencodeConnection) => void
  /** What the user approved: recorded in run.json, and only these sub-workflow versions may run. */
  approved?: ApprovedSet
  /** An open connection to reuse (the planner's); it is stopped at the end either way. */
  connection?: OpencodeConnection
  /** What happens to the run's OpenCode sessions afterwards (default keep). */
  sessions?: SessionsMode
}

type ConnectFlags = Pick<SessionOptions, 'projectDir' | 'servers' | 'offline' | 'model' | 'serverPasswordEnv' | 'quiet'>

/** Connects, saying so while a server starts. */
export function openConnection(o: ConnectFlags): Promise<OpencodeConnection> {
  return connectOpencode({
    projectDir: o.projectDir,
    servers: o.servers,
    offline: o.offline,
    model: o.model,
    serverPasswordEnv: o.serverPasswordEnv,
    onProgress: (line) => (o.quiet ? undefined : process.stderr.write(line)),
  })
}

/** Checks that the model answers before any work is done and names it; on failure ends the connection and throws. */
export async function checkConnection(connection: OpencodeConnection, projectDir: string, quiet = false): Promise<void> {
  const say = (line: string) => (quiet ? undefined : process.stderr.write(line))
  try {
    let model = connection.model
    if (preflightEnabled()) {
      say(`ocdw: checking that the model answers on ${connection.label}\n`)
      model = await preflight(connection, projectDir)
    }
    say(`ocdw: agents run on ${connection.label}${model ? ` · model ${model}` : ''}\n`)
  } catch (err) {
    connection.release()
    throw err
  }
}

/** openConnection, then checkConnection. */
export async function connectFor(o: ConnectFlags): Promise<OpencodeConnection> {
  const connection = await openConnection(o)
  await checkConnection(connection, o.projectDir, o.quiet)
  return connection
}

/** SIGINT, SIGTERM and SIGHUP (terminal closed) stop the run; whatever happens, the process is gone this soon after. */
const SIGNAL_DEADLINE_MS = 2000
/** With --server: how long a stop may wait for the server to abort the stopped sessions (connection.ts drains them). */
const EXTERNAL_STOP_DEADLINE_MS = 65_000

/** The script's meta name for the `starting` listing; never throws (a bad script fails later with its own message). */
function scriptName(source: string): string {
  try {
    return parseScript(source).meta.name
  } catch {
    return 'workflow'
  }
}

export async function runSession(o: SessionOptions): Promise<number> {
  // Until the run dir exists (after the server is up), `ocdw ls` and the TUI list this run as starting.
  const doneStarting = o.connection || o.resumeRunId ? () => undefined : markStarting(o.projectDir, scriptName(o.script ?? ''))
  let connection: OpencodeConnection
  try {
    connection = o.connection ?? (await connectFor(o))
  } catch (err) {
    doneStarting()
    throw err
  }
  let inspector: { stop(): void } | undefined
  let signals: ReturnType<typeof stopOnSignals> | undefined
  try {
    const inspection = o.inspect ? await startInspection() : undefined
    inspector = inspection?.bridge
    const inspect = inspection?.inspect
    const parent = createRunParentSession(connection.client, o.projectDir)
    ;(connection.executor as { useParentSession?: (id: () => Promise<string | undefined>) => void }).useParentSession?.(parent.id)
    // Signals are caught from before the run starts: its control socket dir exists before startRun returns, and a
    // signal's default action would end the process without the exit hooks that remove it.
    signals = stopOnSignals(connection)
    const run = await startRun({
      projectDir: o.projectDir,
      script: o.script,
      resumeRunId: o.resumeRunId,
      args: o.args,
      executor: connection.executor,
      concurrency: o.concurrency,
      maxAgents: o.maxAgents,
      budget: o.budget,
      resolveWorkflow: o.approved ? enforceApproved(workflowResolver(o.projectDir), o.approved.workflows) : workflowResolver(o.projectDir),
      approved: o.approved,
      gate: connection.executor.shell?.bind(connection.executor),
      inspect: inspect?.inspect,
      recordOptions: { model: connection.model, ...connection.recorded, offline: o.offline ?? false },
    })
    doneStarting()
    parent.name(run.view().name, run.runId)
    o.onStarted?.(run, connection)
    if (!o.quiet) process.stderr.write(`ocdw: run ${run.runId} (${run.runDir})\n`)
    const stopProgress = attachProgress({ events: run.events, view: run.view, quiet: o.quiet })
    signals.attach(run)
    const summary = await run.done
    signals.off()
    signals = undefined
    stopProgress()
    inspect?.stop()
    const warning = await parent.finish(summary, o.sessions ?? 'keep')
    if (warning && !o.quiet) process.stderr.write(`ocdw: warning: ${warning}\n`)
    printSummary(summary, o.json, o.quiet)
    return exitCodeFor(summary)
  } finally {
    signals?.off()
    inspector?.stop()
    // The result is printed: do not make the user wait for OpenCode's shutdown (its watchdog bounds and finishes it).
    // A server ocdw did not start outlives us: its stopped sessions are aborted before we leave (connection.stop()).
    if (connection.spawned) connection.release()
    else await connection.stop()
  }
}

/** Starts the Stately inspector bridge for --inspect and says where to look. */
async function startInspection(): Promise<{ bridge: { stop(): void }; inspect: ReturnType<typeof createWebSocketInspector> }> {
  const bridge = await startInspectorBridge({ say: (line) => process.stderr.write(`ocdw: ${line}\n`) })
  const inspect = createWebSocketInspector({ url: bridge.socketUrl })
  process.stderr.write(`ocdw: actor inspection: open ${bridge.pageUrl} in a browser (Stately inspector)\n`)
  return { bridge, inspect }
}

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP (terminal closed) send STOP to the run; a second one quits at once. A signal
 * that comes before the run is attached stops it as soon as it is. `off` takes the handlers off again.
 */
function stopOnSignals(connection: OpencodeConnection): { attach(run: RunHandle): void; off(): void } {
  let interrupts = 0
  let run: RunHandle | undefined
  const stop = () => {
    try {
      run?.send({ type: 'STOP' })
    } catch {
      /* already ending */
    }
  }
  const onSigint = (sig: NodeJS.Signals) => {
    interrupts++
    if (interrupts === 1) {
      // A run that cannot stop in time (an agent stuck in a tool) must not keep the process, or the server, alive:
      // exiting runs the server's exit hook, and the journal already holds every finished agent.
      // On a server ocdw did not start, nothing of ours is left behind, but its sessions must be aborted there
      // first: that may take until their next tool call or the end of their model turn (a second Ctrl-C quits).
      setTimeout(() => process.exit(EXIT.stopped), connection.spawned ? SIGNAL_DEADLINE_MS : EXTERNAL_STOP_DEADLINE_MS).unref()
      // After SIGHUP there is no terminal to write to any more: stop quietly.
      if (sig !== 'SIGHUP') process.stderr.write('\nocdw: stopping the run (Ctrl-C again to quit at once; `ocdw resume` continues it)\n')
      stop()
    } else process.exit(EXIT.stopped)
  }
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)
  process.on('SIGHUP', onSigint)
  return {
    attach(r) {
      run = r
      if (interrupts > 0) stop()
    },
    off() {
      process.off('SIGINT', onSigint)
      process.off('SIGTERM', onSigint)
      process.off('SIGHUP', onSigint)
    },
  }
}

export function exitCodeFor(summary: RunSummary): number {
  if (summary.status === 'completed') return EXIT.completed
  // Interrupted by the infrastructure: a failure for scripts and CI (exit 1), resumable.
  if (summary.status === 'failed' || summary.status === 'interrupted') return EXIT.failed
  return EXIT.stopped
}

export function printSummary(summary: RunSummary, json?: boolean, quiet?: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
    return
  }
  if (quiet) {
    if (summary.status === 'completed') process.stdout.write(resultText(summary.result) + '\n')
    else process.stderr.write(`ocdw: run ${summary.runId} ${summary.status}${summary.error ? `: ${summary.error}` : ''}\n`)
    return
  }
  const err = process.stderr
  err.write(`ocdw: ${summaryLine(summary)}\n`)
  if (summary.error) err.write(`ocdw: ${sanitizeForTerminal(summary.error)}\n`)
  if (summary.status === 'completed') {
    // The result holds agent text: printed without terminal controls (--json carries it exactly, escaped).
    process.stdout.write(sanitizeForTerminal(resultText(summary.result)) + '\n')
  }
  err.write(`ocdw: report: ${summary.runDir}/report.md\n`)
}
