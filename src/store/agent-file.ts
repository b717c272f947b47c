// agents/<key>.json: everything about one agent (prompt, options, session, tools, result), spilled to disk so the
// runtime's memory stays flat however many agents a run has.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentOptions, AgentStatus, ToolCallInfo, Tokens } from '../machines/types.js'
import { writeFileAtomic } from './atomic.js'

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

export function writeAgentFile(runDir: string, key: string, record: AgentRecord): void {
  mkdirSync(join(runDir, 'agents'), { recursive: true })
  writeFileAtomic(agentFilePath(runDir, key), JSON.stringify(record, null, 1))
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
