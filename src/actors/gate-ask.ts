// gate() and a `bash` permission of "ask" (issue 12.4d): OpenCode's session.shell never asks, so ocdw asks the user
// itself, through the surfaces that already answer an agent's permission request. A gate that must ask shows up in
// the run's view as an entry of its own (key `gate-N`, label `gate N: <command>`) waiting on a permission; `ocdw
// permit <run> --agent gate-N --reply ...`, the TUI and the control channel answer it like an agent's request. The
// entry ends done or failed with the gate. "always" lets the same command run unasked for the rest of the run.
import type { GateResult, RuntimeEvent } from '../machines/types.js'
import { ZERO_TOKENS } from '../machines/tokens.js'
import { deferred, type Deferred } from './deferred.js'

export type GateReply = 'once' | 'always' | 'reject'
/** Asks the user whether a gate may run `command`; resolves with their answer. */
export type GateAsk = (command: string) => Promise<GateReply>

export interface GateAsker {
  /** Runs one gate call, handing the gate runner an `ask` that raises the pending request when the rules say ask. */
  run(command: string, runGate: (ask: GateAsk) => Promise<GateResult>): Promise<GateResult>
  /** Answers a pending gate request; false when `key` is not a gate waiting on `requestId`. */
  reply(key: string, requestId: string, reply: GateReply): boolean
}

const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s)

export function createGateAsker(emit: (ev: RuntimeEvent) => void, phase: () => string): GateAsker {
  let count = 0
  const pending = new Map<string, { requestId: string; answer: Deferred<GateReply> }>()
  const always = new Set<string>()

  return {
    async run(command, runGate) {
      const key = `gate-${++count}`
      let shown = false
      const ask: GateAsk = async (cmd) => {
        if (always.has(cmd)) return 'always'
        const at = Date.now()
        const requestId = `${key}-ask`
        emit({ type: 'agent.queued', key, label: `gate ${count}: ${shorten(cmd, 60)}`, phase: phase(), prompt: cmd, at })
        emit({ type: 'agent.started', key, attempt: 1, at })
        shown = true
        const answer = deferred<GateReply>()
        pending.set(key, { requestId, answer })
        emit({ type: 'agent.permission', key, requestId, permission: 'bash', patterns: [cmd], at })
        const reply = await answer.promise
        if (reply === 'always') always.add(cmd)
        return reply
      }
      const result = await runGate(ask)
      if (shown) {
        emit({ type: 'agent.finished', key, status: result.ok ? 'done' : 'failed', tokens: ZERO_TOKENS, cost: 0, cached: false, error: result.ok ? undefined : shorten(result.output, 300), preview: result.ok ? shorten(result.output, 200) : undefined, at: Date.now() })
      }
      return result
    },
    reply(key, requestId, reply) {
      const p = pending.get(key)
      if (!p || p.requestId !== requestId) return false
      pending.delete(key)
      emit({ type: 'agent.permission.replied', key, requestId, reply, at: Date.now() })
      emit({ type: 'log', message: `permission ${requestId} of ${key} answered: ${reply}`, at: Date.now() })
      p.answer.resolve(reply)
      return true
    },
  }
}
