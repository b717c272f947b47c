// Where the TUI gets its data and sends its keys: the `TuiSource` interface, and the disk source that reads a project's
// runs (run.json, view.json/journal) and follows live runs over their control channel. The app only talks to this
// interface, so it can be driven by an in-memory fake in tests and smoke runs.
import { fetchLiveView, sendControl, watchLive } from '../actors/control-client.js'
import { isLive, listRunsWithStatus, loadRunView } from '../actors/run-reader.js'
import { listStartingRuns } from '../actors/starting-run.js'
import { agentTotals, applyEvent, type RunView } from '../machines/run-view.js'
import { totalTokens } from '../machines/tokens.js'
import type { ControlCommand } from '../machines/types.js'
import { saveRunAsWorkflow } from '../usecases/save-run.js'
import type { RunListItem } from './view-model.js'

export interface TuiSource {
  /** The project's runs (any order; the view model sorts them). */
  listRuns(): Promise<RunListItem[]>
  /** Follows one run: calls onView with the (mutated in place or replaced) view whenever it changes. */
  watchRun(dir: string, onView: (view: RunView) => void, onError?: (message: string) => void): () => void
  /** Sends one control command (an actor event) to the process running the run; rejects with a sentence. */
  control(dir: string, command: ControlCommand): Promise<void>
  /** Saves the run's script as a workflow; resolves to a sentence saying where. */
  save(dir: string, name: string, personal: boolean): Promise<string>
  now(): number
}

/** How often a watched run that is not live is checked for having become live (resumed elsewhere). */
const RELIVE_CHECK_MS = 2000
/** How long the runs list waits for a live run's view before falling back to run.json (which reads 0/0 while live). */
const LIVE_VIEW_TIMEOUT_MS = 1000
/** At most this many live runs are asked for their view per runs-list poll (each answer is the whole view). */
const MAX_LIVE_FETCHES = 8

/** Counts for the runs list from a view: O(phases), from the per-phase counters the reducer keeps. */
export function listCountsOf(view: RunView): Pick<RunListItem, 'status' | 'agents' | 'tokens' | 'name'> {
  // The same counts as `ocdw ls` and `ocdw show` (src/machines/run-facts.ts).
  const t = agentTotals(view)
  return { name: view.name, status: view.status, agents: { done: t.done, total: t.total }, tokens: totalTokens(view.tokens) }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms)
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      () => (clearTimeout(t), resolve(undefined)),
    )
  })
}

export function createDiskSource(projectDir: string): TuiSource {
  /** The latest view of each run being watched (kept current by watchRun): free live counts for the runs list. */
  const watched = new Map<string, RunView>()
  return {
    listRuns: () => listRunItems(projectDir, watched),
    watchRun: (dir, onView, onError) => watchRunView(dir, watched, onView, onError),
    async control(dir, command) {
      await sendControl(dir, command)
    },
    save: async (dir, name, personal) => `${saveRunAsWorkflow({ projectDir, runDir: dir, name, personal }).message}.`,
    now: () => Date.now(),
  }
}

/** The project's runs from their run.json, with live counts for live runs, plus the runs still starting. */
async function listRunItems(projectDir: string, watched: Map<string, RunView>): Promise<RunListItem[]> {
  const items: RunListItem[] = listRunsWithStatus(projectDir).map(({ dir, run, live, facts }) => {
    return {
      dir,
      id: run.id,
      name: run.name,
      status: facts.status,
      live,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      elapsedMs: facts.elapsedMs,
      agents: facts.agents,
      tokens: facts.tokens,
    }
  })
  // run.json's totals are written when the run ends: for live runs take the counts from the live view.
  const live = items.filter((i) => i.live).slice(0, MAX_LIVE_FETCHES)
  await Promise.all(
    live.map(async (item) => {
      const view = watched.get(item.dir) ?? (await withTimeout(fetchLiveView(item.dir), LIVE_VIEW_TIMEOUT_MS))
      if (view) Object.assign(item, listCountsOf(view))
    }),
  )
  // Runs whose OpenCode server is still starting have no run dir yet: listed (not openable) until they do.
  for (const s of listStartingRuns(projectDir)) {
    items.push({ dir: `starting:${s.pid}`, id: '(starting)', name: s.name, status: 'starting', live: true, startedAt: s.startedAt, agents: { done: 0, total: 0 }, tokens: 0 })
  }
  return items
}

/**
 * Follows one run: its view from disk, then (while its process lives) the live view and events over the control
 * channel, back to disk when the process ends, and to live again if the run is resumed elsewhere. Returns the stop.
 */
function watchRunView(dir: string, watched: Map<string, RunView>, onView: (view: RunView) => void, onError?: (message: string) => void): () => void {
  if (dir.startsWith('starting:')) {
    onError?.('This run is still starting its OpenCode server; open it again once the list shows it running.')
    return () => undefined
  }
  let closed = false
  let unsubscribe: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined

  const fromDisk = async () => {
    try {
      const { view, live } = await loadRunView(dir)
      if (closed) return
      onView(view)
      if (live) void attach()
      else watchForLive()
    } catch (err) {
      if (!closed) onError?.((err as Error).message)
    }
  }

  const watchForLive = () => {
    timer = setTimeout(() => {
      if (closed) return
      if (isLive(dir)) void fromDisk()
      else watchForLive()
    }, RELIVE_CHECK_MS)
  }

  const attach = async () => {
    let view: RunView | undefined
    try {
      const unsub = await watchLive(dir, {
        view(v) {
          view = v
          if (closed) return
          watched.set(dir, view)
          onView(view)
        },
        event(ev) {
          if (!view || closed) return
          applyEvent(view, ev)
          onView(view)
        },
        end() {
          unsubscribe = undefined
          watched.delete(dir)
          // The process ended (or the run finished): the final state is on disk.
          if (!closed) void fromDisk()
        },
      })
      if (closed) unsub()
      else unsubscribe = unsub
    } catch {
      // Ended between the check and the connect: read it from disk instead.
      if (!closed) timer = setTimeout(() => void fromDisk(), 200)
    }
  }

  void fromDisk()
  return () => {
    closed = true
    watched.delete(dir)
    if (timer) clearTimeout(timer)
    unsubscribe?.()
  }
}
