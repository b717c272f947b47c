// gate(): runs a command through the OpenCode server's shell (session.shell). OpenCode 1.18 reports no exit code for
// it and pastes the command into `bash -c 'eval "..."'` (every `$` would expand early), so the command travels
// base64-encoded to a fresh `sh`, which prints the exit code after a unique marker.
import { randomBytes } from 'node:crypto'
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import type { GateResult } from '../machines/types.js'
import { describeSdkError, truncate } from './agent-errors.js'

/** The most output a gate keeps (its end: where a failing command says why). */
const MAX_OUTPUT = 20_000

export async function runGate(client: OpencodeClient, directory: string, command: string, timeoutMs = 600_000, parentID?: string): Promise<GateResult> {
  const created = await client.session.create({ directory, parentID, title: truncate(`ocdw gate: ${command}`, 80) } as never)
  if (!created.data) return { ok: false, exitCode: -1, output: `OpenCode could not create a session for the gate (${describeSdkError(created.error)}).` }
  const sessionID = (created.data as { id: string }).id
  const marker = `__ocdw_gate_exit_${randomBytes(6).toString('hex')}__`
  const script = `( ${command}\n)\necho "${marker}$?"\n`
  const wrapped = `printf %s ${Buffer.from(script).toString('base64')} | base64 -d | sh`
  const res = await client.session.shell({ sessionID, directory, command: wrapped, agent: 'build' } as never, { signal: AbortSignal.timeout(timeoutMs) } as never)
  if (res.error || !res.data) return { ok: false, exitCode: -1, output: `OpenCode could not run the gate command (${describeSdkError(res.error)}).` }
  const parts = ((res.data as { parts?: unknown[] }).parts ?? []) as any[]
  const state = parts.find((p) => p.type === 'tool')?.state ?? {}
  const raw = String(state.output ?? state.metadata?.output ?? state.error ?? '')
  const found = new RegExp(`\\n?${marker}(\\d+)\\s*$`).exec(raw)
  const output = found ? raw.slice(0, found.index) : raw
  const exitCode = found ? Number(found[1]) : 1
  return { ok: exitCode === 0, exitCode, output: output.length > MAX_OUTPUT ? output.slice(-MAX_OUTPUT) : output }
}
