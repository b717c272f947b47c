// agents/<key>.json: everything about one agent (prompt, options, session, tools, result), spilled to disk so the
// runtime's memory stays flat however many agents a run has.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentOptions, AgentStatus, ToolCallInfo, Tokens } from '../machines/types.js'
import { writeFileAtomic, writeFileAtomicAsync } from './atomic.js'

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

const SAFE_KEY = /^[A-Za-z0-9_-]+$/

export function agentFilePath(runDir: string, key: string): string {
  if (!SAFE_KEY.test(key)) throw new Error(`"${key}" is not an agent key; keys look like 3f2a9c0d1e2b4a5c-0.`)
  return join(runDir, 'agents', `${key}.json`)
}

// Writes run off the event loop, at most MAX_WRITES at once: a burst of thousands of finishing agents queues its
// (small) JSON strings here instead of holding thousands of buffers and file handles in flight.
const MAX_WRITES = 16
/** Past this many waiting writes the writer blocks (a synchronous write): back-pressure on a flood of instant agents. */
const MAX_WAITING = 1000
let inFlight = 0
const queue: (() => void)[] = []

export async function writeAgentFile(runDir: string, key: string, record: AgentRecord): Promise<void> {
  const path = agentFilePath(runDir, key)
  const text = JSON.stringify(record, null, 1)
  if (queue.length >= MAX_WAITING) {
    mkdirSync(join(runDir, 'agents'), { recursive: true })
    writeFileAtomic(path, text, { durable: false })
    return
  }
  if (inFlight >= MAX_WRITES) await new Promise<void>((r) => queue.push(r))
  inFlight++
  try {
    mkdirSync(join(runDir, 'agents'), { recursive: true })
    await writeFileAtomicAsync(path, text)
  } finally {
    inFlight--
    queue.shift()?.()
  }
}

export function readAgentFile(runDir: string, key: string): AgentRecord | undefined {
  const path = agentFilePath(runDir, key)
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AgentRecord
  } catch {
    return undefined
  }
}
