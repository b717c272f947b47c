// Everything a run writes to its directory while it runs: journal lines (synchronous, before the script sees a
// result), agent records (agents.jsonl, batched appends), and the throttled snapshot.json and view.json.
import { findAgent, type RunView } from '../machines/run-view.js'
import type { AgentCall, RunStatus, RunSummary } from '../machines/types.js'
import { writeFileAtomic } from '../store/atomic.js'
import { openAgentStore, type AgentRecord } from '../store/agent-store.js'
import { openJournal } from '../store/journal.js'
import { renderReport, writeReport, writeResult } from '../store/report.js'
import { writeRunFile, type RunFile } from '../store/run-file.js'
import { runPaths } from '../store/run-dir.js'
import { writeSnapshot } from '../store/snapshot.js'
import type { AgentOutcome } from '../machines/workflow-events.js'

/** The record of one settled agent, from its call (or, for an agent restored from a snapshot, the view's entry). */
function agentRecordOf(key: string, call: AgentCall | undefined, settled: AgentOutcome, view: RunView): AgentRecord {
  const agent = findAgent(view, key)
  return {
    key,
    prompt: call?.prompt ?? agent?.prompt ?? '',
    options: call?.opts ?? {},
    phase: call?.phase ?? agent?.phase ?? '',
    label: call?.opts.label ?? agent?.label ?? key,
    sessionId: settled.sessionId ?? agent?.sessionId,
    status: settled.status,
    tokens: agent?.tokens,
    cost: agent?.cost,
    tools: agent?.tools ?? [],
    result: settled.result ?? null,
    error: settled.error,
    attempt: agent?.attempt ?? 1,
    startedAt: agent?.startedAt,
    endedAt: Date.now(),
  }
}

export interface RunEnd {
  summary: RunSummary
  view: RunView
  snapshot: unknown
  result: unknown
  status: RunStatus
  error?: string
  endedAt: number
}

/** run.json as the run ended: its status, error and totals. */
function endedRunFile(run: RunFile, f: RunEnd): RunFile {
  const a = f.summary.agents
  return {
    ...run,
    status: f.status,
    endedAt: f.endedAt,
    ...(f.error ? { error: f.error } : {}),
    totals: {
      agents: { total: a.total, done: a.done, failed: a.failed, stopped: a.stopped, skipped: 0, cached: a.cached },
      tokens: f.summary.tokens,
      cost: f.view.cost,
    },
  } as RunFile
}

/** The next write window: 20x the CPU time the last snapshot and view write took, never less than `throttleMs`, at
 *  most 30 s. CPU time, not wall time: on a busy disk an fsync can wait for seconds while costing nothing, and a
 *  window stretched by that left a small run's snapshot and view.json (what `ls`, `show` and the TUI read) up to
 *  30 s behind. */
export function nextWindowMs(throttleMs: number, writeCpuMs: number): number {
  return Math.max(throttleMs, Math.min(30_000, 20 * writeCpuMs))
}

/**
 * snapshot.json and view.json, rewritten when the run changed, at most once per window. The persisted snapshot is
 * computed only when the window ends (serialising every agent per transition would make the runtime quadratic), and
 * a big run's writes take a while: the window grows with their cost (nextWindowMs), which keeps them under ~5% of
 * the run's CPU however many agents it has.
 */
function createThrottledState(runDir: string, throttleMs: number, writeFailed: (what: string) => (err: Error) => void) {
  const viewFile = runPaths(runDir).view
  let dirty: { getSnapshot: () => unknown; view: RunView } | undefined
  let timer: NodeJS.Timeout | undefined
  let wait = throttleMs
  function flushDirty(): void {
    timer = undefined
    if (!dirty) return
    const { getSnapshot, view } = dirty
    dirty = undefined
    const cpu0 = process.cpuUsage()
    try {
      writeSnapshot(runDir, getSnapshot())
      writeFileAtomic(viewFile, JSON.stringify(view), { durable: false })
    } catch (err) {
      writeFailed('snapshot and view')(err as Error)
    }
    const cpu = process.cpuUsage(cpu0)
    wait = nextWindowMs(throttleMs, (cpu.user + cpu.system) / 1000)
  }
  return {
    markDirty(getSnapshot: () => unknown, view: RunView): void {
      dirty = { getSnapshot, view }
      if (!timer) {
        timer = setTimeout(flushDirty, wait)
        timer.unref()
      }
    },
    /** The final write: no more throttled ones after it. */
    writeFinal(snapshot: unknown, view: RunView): void {
      if (timer) clearTimeout(timer)
      timer = undefined
      dirty = undefined
      writeSnapshot(runDir, snapshot)
      writeFileAtomic(viewFile, JSON.stringify(view))
    },
  }
}

/** A snapshot, view or agent-record write that fails in a timer (disk full, the run dir gone) is reported through
 *  `onWriteError` with a sentence (the runtime fails the run with it, as with a journal write) instead of crashing
 *  the process. */
export function createRunRecorder(o: { runDir: string; run: RunFile; throttleMs?: number; onWriteError?: (message: string) => void }) {
  const journal = openJournal(o.runDir)
  const writeFailed = (what: string) => (err: Error) =>
    o.onWriteError?.(
      `Could not write the run's ${what} in ${o.runDir} (${(err as NodeJS.ErrnoException).code ?? err.message}); free disk space or fix the directory, then \`ocdw resume\` the run: agents already journaled will not run again.`,
    )
  const state = createThrottledState(o.runDir, o.throttleMs ?? 1000, writeFailed)
  const agents = openAgentStore(o.runDir, { onError: writeFailed('agent records') })

  return {
    journal,
    markDirty: state.markDirty,
    agentSettled(key: string, call: AgentCall | undefined, settled: AgentOutcome, view: RunView): void {
      agents.append(agentRecordOf(key, call, settled, view))
    },
    async finish(f: RunEnd): Promise<void> {
      // The agent records, snapshot and view are conveniences (the journal and run.json are the record): a failure
      // here is said, and run.json, result.json and report.md are still written.
      try {
        agents.close()
      } catch (err) {
        writeFailed('agent records')(err as Error)
      }
      try {
        state.writeFinal(f.snapshot, f.view)
      } catch (err) {
        writeFailed('snapshot and view')(err as Error)
      }
      const run = endedRunFile(o.run, f)
      if (f.status === 'completed') writeResult(o.runDir, f.result)
      writeReport(o.runDir, renderReport(f.view, run))
      writeRunFile(o.runDir, run)
      journal.close()
    },
  }
}
