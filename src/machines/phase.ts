// The phase actor: one per phase title. Counts its agents by status and sums their tokens, from the workflow's
// PHASE.AGENT events. The surfaces read the same figures from the run view; this actor is what the inspector shows
// and what a persisted snapshot carries for a phase.
import { assign, setup } from 'xstate'
import type { AgentStatus, Tokens } from './types.js'
import { addTokens, zeroTokens } from './tokens.js'

export interface PhaseContext {
  title: string
  counts: Record<AgentStatus, number>
  tokens: Tokens
}

export type PhaseEvent = { type: 'PHASE.AGENT'; from?: AgentStatus; to: AgentStatus; tokens?: Tokens }

export const phaseMachine = setup({
  types: {} as { context: PhaseContext; input: { title: string }; events: PhaseEvent },
}).createMachine({
  id: 'phase',
  context: ({ input }) => ({
    title: input.title,
    counts: { queued: 0, running: 0, done: 0, failed: 0, stopped: 0, skipped: 0 },
    tokens: zeroTokens(),
  }),
  on: {
    'PHASE.AGENT': {
      actions: assign(({ context, event }) => {
        const counts = { ...context.counts }
        if (event.from) counts[event.from] = Math.max(0, counts[event.from] - 1)
        counts[event.to]++
        const tokens = event.tokens ? addTokens(context.tokens, event.tokens) : context.tokens
        return { counts, tokens }
      }),
    },
  },
})
