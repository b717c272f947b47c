// Claude-format workflow scripts (test/conformance/*.js) run unmodified in the sandbox against the in-process
// backend, each checked against the expected result on its `// expect:` line. Header lines (comments before meta):
//   // expect: <JSON>            the script's result
//   // parity: P-X-1, P-Y-2      the docs/PARITY.md behaviours it shows (the test name starts with them)
//   // args: <JSON>              the run's args        // budget: <n>   output-token budget (10 tokens an agent)
//   // maxAgents: <n>            the agent cap (default 1000, Claude Code's)
//   // e2e                       also run on the real `opencode serve` + offline model (test/e2e/conformance.test.ts)
// Agents answer deterministically: text echoes the prompt, schema agents get a value built from their schema, and a
// prompt containing FAIL fails (its agent() resolves null).
import { describe, expect, it } from 'vitest'
import type { AgentCall } from '../../src/machines/types.js'
import { fillSchema } from '../../src/offline/schema-fill.js'
import { createInProcessBackend } from '../../src/script/in-process-backend.js'
import { runScript } from '../../src/script/sandbox.js'
import { conformanceScripts, resolveConformanceWorkflow } from '../support/conformance.js'

function answer(call: AgentCall): unknown {
  if (call.prompt.includes('FAIL')) throw new Error('this agent fails')
  if (call.opts.schema) return fillSchema(call.opts.schema, { prompt: call.prompt })
  return `answer: ${call.prompt}`
}

describe('Claude-format conformance scripts', () => {
  it('the corpus holds at least 40 scripts, each with an expectation and parity IDs', () => {
    const scripts = conformanceScripts()
    expect(scripts.length).toBeGreaterThanOrEqual(40)
    for (const s of scripts) expect(s.ids.length, `${s.file} names no parity ID`).toBeGreaterThan(0)
  })

  for (const s of conformanceScripts()) {
    it(`${s.ids.join(' ')} ${s.file}`, async () => {
      const backend = createInProcessBackend(answer, { budget: s.budget, tokensPerAgent: 10, maxAgents: s.maxAgents })
      const outcome = await runScript(s.source, { backend, args: s.args, resolveWorkflow: resolveConformanceWorkflow })
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: 'completed' })
      expect((outcome as { result: unknown }).result).toEqual(s.expected)
    })
  }
})
