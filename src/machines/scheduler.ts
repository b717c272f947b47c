// The workflow's agent book and semaphore: every agent's call, attempt and status, the FIFO of keys waiting for a
// slot and the keys holding one. The one place in src/machines that changes an actor's context in place, on purpose:
// a run books 10,000 agents, and copying the book on each of its ~30,000 events (as `assign` would) makes a run
// quadratic. Everything else in the workflow's context changes through `assign`. Only workflow.ts calls these, from
// its actions, so each change happens inside a transition as XState expects; test/unit/scheduler.test.ts checks them.
import type { AgentCall, AgentStatus } from './types.js'

export interface Tracked {
  call: AgentCall
  attempt: number
  status: AgentStatus
}

/** The part of the workflow's context this file owns (field names kept: persisted snapshots hold them). */
export interface AgentBook {
  /** Every agent of the run: its call, attempt and status (its actor exists only while it runs: pump spawns it). */
  agents: Record<string, Tracked>
  /** Keys waiting for a semaphore slot, FIFO. */
  waiting: string[]
  /** Keys holding a slot. */
  running: string[]
}

export function isActive(tracked: Tracked | undefined): tracked is Tracked {
  return tracked?.status === 'queued' || tracked?.status === 'running'
}

/** Books a requested agent as queued at the back of the FIFO (a new attempt when it ran before). */
export function enqueueAgent(book: AgentBook, call: AgentCall): { attempt: number; from?: AgentStatus } {
  const existing = book.agents[call.key]
  const attempt = existing ? existing.attempt + 1 : 1
  book.agents[call.key] = { call, attempt, status: 'queued' }
  book.waiting.push(call.key)
  return { attempt, from: existing?.status }
}

/** Moves waiting agents into free slots, FIFO, while fewer than `limit` run; returns the ones it started. */
export function startWaiting(book: AgentBook, limit: number): Tracked[] {
  const started: Tracked[] = []
  while (book.running.length < limit && book.waiting.length > 0) {
    const key = book.waiting.shift()!
    const tracked = book.agents[key]
    if (tracked?.status !== 'queued') continue
    book.running.push(key)
    tracked.status = 'running'
    started.push(tracked)
  }
  return started
}

/** Books an agent's end: frees its slot (or its place in the queue) and records its final status. Returns the status
 *  it had, or undefined when the report is stale (an earlier attempt) or the key unknown. */
export function finishAgent(book: AgentBook, key: string, attempt: number, status: AgentStatus): { from: AgentStatus; tracked: Tracked } | undefined {
  const tracked = book.agents[key]
  if (!tracked || tracked.attempt !== attempt) return undefined
  const from = tracked.status
  removeKey(book.running, key)
  if (from === 'queued') removeKey(book.waiting, key)
  tracked.status = status
  return { from, tracked }
}

/** A running agent restarted its session: its attempt number moves on. */
export function restartAgent(book: AgentBook, key: string, attempt: number): Tracked | undefined {
  const tracked = book.agents[key]
  if (tracked) tracked.attempt = attempt
  return tracked
}

/**
 * Resume: forgets the agents the journal holds as completed that the book had not yet booked as done (the snapshot is
 * throttled, so it may still show them queued or running) and drops them from the queue and the slots. Their journal
 * answer then books them (AGENT.CACHED counts what the book does not hold). Returns how many it forgot.
 */
export function forgetCompleted(book: AgentBook, completed: ReadonlySet<string>): number {
  let forgotten = 0
  for (const key of completed) {
    const tracked = book.agents[key]
    if (!tracked || tracked.status === 'done') continue
    delete book.agents[key]
    forgotten++
  }
  book.running = book.running.filter((k) => !completed.has(k))
  book.waiting = book.waiting.filter((k) => !completed.has(k))
  return forgotten
}

function removeKey(keys: string[], key: string): void {
  const i = keys.indexOf(key)
  if (i >= 0) keys.splice(i, 1)
}
