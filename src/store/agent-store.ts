// agents.jsonl: everything about each settled agent (prompt, options, session, tools, result), one JSON line per
// record, appended. One file for the whole run keeps the cost per agent flat however many agents a run has: a
// file per agent (the previous layout, agents/<key>.json, still read) cost an open() each and put 100,000 files in
// one directory. Not the source of truth (the journal is): lines are batched and written a moment later, and a torn
// last line left by a crash is cut off when the store is opened again. A restarted agent appends a new record; the
// last one of a key wins.
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from 'node:fs'
import type { AgentOptions, AgentStatus, ToolCallInfo, Tokens } from '../machines/types.js'
import { openAppendNoFollow } from './atomic.js'
import { runPaths } from './run-dir.js'

export interface AgentRecord {
  key: string
  prompt: string
  options: AgentOptions
  phase: string
  label: string
  sessionId?: string
  status: AgentStatus
  tokens?: Tokens
  cost?: number
  tools: ToolCallInfo[]
  result: unknown
  error?: string
  attempt: number
  startedAt?: number
  endedAt?: number
}

export interface AgentStoreWriter {
  /** Queues a record; it reaches the file within a tick (or at once past FLUSH_BYTES). */
  append(record: AgentRecord): void
  /** Writes what is queued now. */
  flush(): void
  close(): void
}

/** Past this many queued bytes a write happens at once: memory stays bounded under a flood of settling agents. */
const FLUSH_BYTES = 256 * 1024

/**
 * Opens the run's agent store for appending (never through a symlink). `onError` hears of a write that failed while
 * appending, at once or in the batching tick (nobody else could catch it there); a failed write drops its batch.
 */
export function openAgentStore(runDir: string, o: { onError?: (err: Error) => void } = {}): AgentStoreWriter {
  const path = runPaths(runDir).agentStore
  let fd: number | undefined = openAppendNoFollow(path, { readable: true })
  cutTornTail(fd)
  let queued: string[] = []
  let bytes = 0
  let scheduled: NodeJS.Immediate | undefined
  const flush = () => {
    if (scheduled) clearImmediate(scheduled)
    scheduled = undefined
    if (fd === undefined || !queued.length) return
    const text = queued.join('')
    queued = []
    bytes = 0
    writeSync(fd, text)
  }
  // A write that fails while appending (a full disk) is reported, never thrown into the caller settling an agent.
  const flushReporting = () => {
    try {
      flush()
    } catch (err) {
      o.onError?.(err as Error)
    }
  }
  return {
    append(record) {
      if (fd === undefined) return
      // The key first, so the index can find it without parsing the whole line.
      const { key, ...rest } = record
      const line = JSON.stringify({ key, ...rest }) + '\n'
      queued.push(line)
      bytes += line.length
      if (bytes >= FLUSH_BYTES) flushReporting()
      else scheduled ??= setImmediate(flushReporting)
    },
    flush,
    close() {
      try {
        flush()
      } finally {
        if (fd !== undefined) closeSync(fd)
        fd = undefined
      }
    },
  }
}

/** A crash mid-append leaves a line without its newline: cut it, so every line in the file is a whole record. */
function cutTornTail(fd: number): void {
  const size = fstatSync(fd).size
  if (size === 0) return
  const chunk = Buffer.alloc(64 * 1024)
  let end = size
  while (end > 0) {
    const start = Math.max(0, end - chunk.length)
    const n = readSync(fd, chunk, 0, end - start, start)
    const nl = chunk.subarray(0, n).lastIndexOf(10)
    if (nl >= 0) {
      if (start + nl + 1 < size) ftruncateSync(fd, start + nl + 1)
      return
    }
    end = start
  }
  ftruncateSync(fd, 0)
}

export interface AgentStoreReader {
  /** The latest record of an agent: from agents.jsonl, else from a legacy agents/<key>.json; undefined if neither. */
  get(key: string): AgentRecord | undefined
  /** Keys with a record in agents.jsonl, in the order they were first written. */
  keys(): string[]
  close(): void
}

/** Where each key's latest record is in agents.jsonl: one pass over the file, reading keys only. */
function indexStore(fd: number): Map<string, { offset: number; length: number }> {
  const index = new Map<string, { offset: number; length: number }>()
  const chunk = Buffer.alloc(1024 * 1024)
  let carry = Buffer.alloc(0)
  let carryAt = 0
  for (let pos = 0; ; ) {
    const n = readSync(fd, chunk, 0, chunk.length, pos)
    if (n === 0) break
    pos += n
    const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n)
    let start = 0
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
      const key = keyAtStart(buf.toString('utf8', start, Math.min(nl, start + 512)))
      if (key !== undefined) index.set(key, { offset: carryAt + start, length: nl - start })
      start = nl + 1
    }
    // A line without its newline yet (being written, or torn) stays unread.
    carry = Buffer.from(buf.subarray(start))
    carryAt += start
  }
  return index
}

const KEY_AT_START = /^\{"key":("(?:[^"\\]|\\.)*")/

function keyAtStart(head: string): string | undefined {
  const m = KEY_AT_START.exec(head)
  try {
    return m ? (JSON.parse(m[1]!) as string) : undefined
  } catch {
    return undefined
  }
}

/** Opens a run's agent records for reading (a live run's too: what it has written so far). */
export function readAgentStore(runDir: string): AgentStoreReader {
  const paths = runPaths(runDir)
  let fd: number | undefined
  try {
    fd = openSync(paths.agentStore, 'r')
  } catch {
    fd = undefined // a run written before the store, or one with no settled agent yet
  }
  const index = fd === undefined ? new Map() : indexStore(fd)
  return {
    get(key) {
      const at = index.get(key)
      if (at && fd !== undefined) {
        const buf = Buffer.alloc(at.length)
        readSync(fd, buf, 0, at.length, at.offset)
        const record = parseRecord(buf.toString('utf8'))
        if (record) return record
      }
      return readLegacyAgentFile(runDir, key)
    },
    keys: () => [...index.keys()],
    close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}

/** One agent's record (opens and indexes the store: for many agents, use readAgentStore once). */
export function readAgentRecord(runDir: string, key: string): AgentRecord | undefined {
  const store = readAgentStore(runDir)
  try {
    return store.get(key)
  } finally {
    store.close()
  }
}

function parseRecord(text: string): AgentRecord | undefined {
  try {
    const r = JSON.parse(text)
    return r && typeof r === 'object' && typeof r.key === 'string' ? (r as AgentRecord) : undefined
  } catch {
    return undefined
  }
}

/** agents/<key>.json of a run written by an earlier version. */
function readLegacyAgentFile(runDir: string, key: string): AgentRecord | undefined {
  let path: string
  try {
    path = runPaths(runDir).legacyAgentFile(key)
  } catch {
    return undefined // not a key: no file can hold it
  }
  if (!existsSync(path)) return undefined
  return parseRecord(readFileSync(path, 'utf8'))
}
