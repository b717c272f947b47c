// Stable replay keys for agent() calls. Resume replays the script from the top; an agent whose key is in the
// journal answers from it instead of running again. The key is a hash of what defines the agent's work plus the
// occurrence number of that hash in the run, so identical calls (e.g. three voters) get distinct, stable keys.
import { createHash } from 'node:crypto'
import type { AgentOptions } from '../machines/types.js'

export interface Keyer {
  next(prompt: string, opts: Pick<AgentOptions, 'schema' | 'model' | 'agentType' | 'effort'>, phase: string): string
}

export function createKeyer(): Keyer {
  const seen = new Map<string, number>()
  return {
    next(prompt, opts, phase) {
      const material = JSON.stringify([prompt, opts.schema ?? null, opts.model ?? null, opts.agentType ?? null, opts.effort ?? null, phase])
      const hash = createHash('sha256').update(material).digest('hex').slice(0, 16)
      const n = seen.get(hash) ?? 0
      seen.set(hash, n + 1)
      return `${hash}-${n}`
    },
  }
}
