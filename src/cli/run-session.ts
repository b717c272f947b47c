// What `run`, `resume` and `demo` share once the script is chosen and approved: connect to OpenCode, start (or
// resume) the run, show progress, handle Ctrl-C as STOP, print the report or the --json summary, pick the exit code.
import http from 'node:http'
import type { Socket } from 'node:net'
import { createInspectorServer } from '@statelyai/inspect/server'
import { createWebSocketInspector } from '@statelyai/inspect'
import type { RunSummary } from '../machines/types.js'
import { connectOpencode, type OpencodeConnection } from './connection.js'
import { startRun, type RunHandle } from '../actors/runtime.js'
import { workflowResolver } from '../actors/workflow-lookup.js'
import { attachProgress } from './progress.js'
import { EXIT, UsageError } from './errors.js'
import { fmtElapsed, fmtTokens } from '../machines/format.js'
import { preflight, preflightEnabled } from './preflight.js'

export interface SessionOptions {
  projectDir: string
  script?: string
  resumeRunId?: string
  args?: unknown
  server?: string
  offline?: boolean
  model?: string
  /** With --server: the environment variable that holds the server's password. */
  serverPasswordEnv?: string
  concurrency?: number
  maxAgents?: number
  budget?: number
  json?: boolean
  inspect?: boolean
  /** Called with the run handle as soon as the run exists (the --detach parent prints the id). */
  onStarted?: (run: RunHandle, connection: OpencodeConnection) => void
  /** An open connection to reuse (the planner's); it is stopped at the end either way. */
  connection?: OpencodeConnection
}

type ConnectFlags = Pick<SessionOptions, 'projectDir' | 'server' | 'offline' | 'model' | 'serverPasswordEnv'>

/** Connects, saying so while a server starts. */
export function openConnection(o: ConnectFlags): Promise<OpencodeConnection> {
  return connectOpencode({
    projectDir: o.projectDir,
    server: o.server,
    offline: o.offline,
    model: o.model,
    serverPasswordEnv: o.serverPasswordEnv,
    onProgress: (line) => process.stderr.write(line),
  })
}

/** Checks that the model answers before any work is done and names it; on failure ends the connection and throws. */
export async function checkConnection(connection: OpencodeConnection, projectDir: string): Promise<void> {
  try {
    let model = connection.model
    if (preflightEnabled()) {
      process.stderr.write(`ocdw: checking that the model answers on ${connection.label}\n`)
      model = await preflight(connection, projectDir)
    }
    process.stderr.write(`ocdw: agents run on ${connection.label}${model ? ` · model ${model}` : ''}\n`)
  } catch (err) {
    connection.release()
    throw err
  }
}

/** openConnection, then checkConnection. */
export async function connectFor(o: ConnectFlags): Promise<OpencodeConnection> {
  const connection = await openConnection(o)
  await checkConnection(connection, o.projectDir)
  return connection
}

/** SIGINT, SIGTERM and SIGHUP (terminal closed) stop the run; whatever happens, the process is gone this soon after. */
const SIGNAL_DEADLINE_MS = 2000

export async function runSession(o: SessionOptions): Promise<number> {
  const connection = o.connection ?? (await connectFor(o))
  let inspector: { stop(): void } | undefined
  try {
    let inspect: ReturnType<typeof createWebSocketInspector> | undefined
    if (o.inspect) {
      const port = inspectPort()
      inspector = startInspectorBridge(port)
      inspect = createWebSocketInspector({ url: `ws://localhost:${port}` })
      process.stderr.write(`ocdw: actor inspection on ws://localhost:${port} (Stately inspector)\n`)
    }
    const run = await startRun({
      projectDir: o.projectDir,
      script: o.script,
      resumeRunId: o.resumeRunId,
      args: o.args,
      executor: connection.executor,
      concurrency: o.concurrency,
      maxAgents: o.maxAgents,
      budget: o.budget,
      resolveWorkflow: workflowResolver(o.projectDir),
      gate: connection.executor.shell?.bind(connection.executor),
      inspect: inspect?.inspect,
      recordOptions: { model: connection.model, server: connection.spawned ? undefined : connection.url, offline: o.offline ?? false },
    })
    o.onStarted?.(run, connection)
    process.stderr.write(`ocdw: run ${run.runId} (${run.runDir})\n`)
    const stopProgress = attachProgress({ events: run.events, view: run.view })
    let interrupts = 0
    const onSigint = (sig: NodeJS.Signals) => {
      interrupts++
      if (interrupts === 1) {
        // A run that cannot stop in time (an agent stuck in a tool) must not keep the process, or the server, alive:
        // exiting runs the server's exit hook, and the journal already holds every finished agent.
        setTimeout(() => process.exit(EXIT.stopped), SIGNAL_DEADLINE_MS).unref()
        if (sig === 'SIGHUP') {
          // No terminal to write to any more: stop quietly.
          try {
            run.send({ type: 'STOP' })
          } catch {
            /* already ending */
          }
          return
        }
        process.stderr.write('\nocdw: stopping the run (Ctrl-C again to quit at once; `ocdw resume` continues it)\n')
        try {
          run.send({ type: 'STOP' })
        } catch {
          /* already ending */
        }
      } else process.exit(EXIT.stopped)
    }
    process.on('SIGINT', onSigint)
    process.on('SIGTERM', onSigint)
    process.on('SIGHUP', onSigint)
    const summary = await run.done
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigint)
    process.off('SIGHUP', onSigint)
    stopProgress()
    inspect?.stop()
    printSummary(summary, o.json)
    return exitCodeFor(summary)
  } finally {
    inspector?.stop()
    // The result is printed: do not make the user wait for OpenCode's shutdown (its watchdog bounds and finishes it).
    connection.release()
  }
}

/** OCDW_INSPECT_PORT, else 8080 (the Stately inspector's default). */
function inspectPort(): number {
  const raw = process.env.OCDW_INSPECT_PORT
  if (raw === undefined || raw === '') return 8080
  const port = Number(raw)
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new UsageError(`OCDW_INSPECT_PORT=${raw} is not a TCP port; set it to a free port between 1 and 65535, or unset it for 8080.`)
  }
  return port
}

/**
 * The inspector bridge (`createInspectorServer`) with two gaps closed: its stop() leaves connected viewers (the
 * inspector page in a browser) open, which kept the CLI alive after the run ended; and a busy port crashed the CLI
 * with an unhandled 'error' event. The library does not hand out its HTTP server, so the one it creates during the
 * (synchronous) call is captured to track its sockets and errors.
 */
function startInspectorBridge(port: number): { stop(): void } {
  const sockets = new Set<Socket>()
  let server: http.Server | undefined
  const original = http.createServer
  ;(http as { createServer: unknown }).createServer = (...args: unknown[]) => {
    server = (original as (...a: unknown[]) => http.Server)(...args)
    return server
  }
  let bridge: { stop(): void }
  try {
    bridge = createInspectorServer({ port, autoOpen: !process.env.CI })
  } finally {
    ;(http as { createServer: unknown }).createServer = original
  }
  server?.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server?.on('error', (err: NodeJS.ErrnoException) => {
    process.stderr.write(
      err.code === 'EADDRINUSE'
        ? `ocdw: warning: the inspector port ${port} is in use, so no actor inspection is served; set OCDW_INSPECT_PORT to a free port.\n`
        : `ocdw: warning: the inspector bridge failed (${err.message}); the run goes on without inspection.\n`,
    )
  })
  return {
    stop() {
      bridge.stop()
      for (const s of sockets) s.destroy()
    },
  }
}

export function exitCodeFor(summary: RunSummary): number {
  if (summary.status === 'completed') return EXIT.completed
  if (summary.status === 'failed') return EXIT.failed
  return EXIT.stopped
}

export function printSummary(summary: RunSummary, json?: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
    return
  }
  const a = summary.agents
  const err = process.stderr
  err.write(
    `ocdw: run ${summary.runId} ${summary.status} in ${fmtElapsed(summary.elapsedMs)}: ${a.done}/${a.total} agents done` +
      `${a.failed ? `, ${a.failed} failed` : ''}${a.stopped ? `, ${a.stopped} stopped` : ''}${a.cached ? `, ${a.cached} from the journal` : ''}` +
      `, ${fmtTokens(summary.tokens.total)} tokens\n`,
  )
  if (summary.error) err.write(`ocdw: ${summary.error}\n`)
  if (summary.status === 'completed') {
    const r = summary.result
    process.stdout.write((typeof r === 'string' ? r : JSON.stringify(r, null, 2)) + '\n')
  }
  err.write(`ocdw: report: ${summary.runDir}/report.md\n`)
}
