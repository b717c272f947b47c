// Claude-format workflow scripts (test/conformance/*.js), each with its expected result on its first line, run
// unmodified in the sandbox against the in-process backend: fan-out, the 3-argument pipeline stage, nulls from
// failed agents, schema agents, nested workflow(), budget exhaustion, top-level return, promise methods.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AgentCall } from '../../src/machines/types.js'
import { createInProcessBackend } from '../../src/script/in-process-backend.js'
import { runScript } from '../../src/script/sandbox.js'

const DIR = join(__dirname, '../conformance')

/** Deterministic answers: text echoes the prompt; schema agents get fixed objects; prompts with FAIL fail. */
function answer(call: AgentCall): unknown {
  if (call.prompt.includes('FAIL')) throw new Error('this agent fails')
  const schema = call.opts.schema as { type?: string } | undefined
  if (schema?.type === 'object') return { verdict: 'pass', score: 3 }
  if (schema?.type === 'array') return ['a', 'b']
  return `answer: ${call.prompt}`
}

const inner = "export const meta = { name: 'inner' }\nreturn { got: args, answer: await agent('inner work ' + args) }\n"

describe('Claude-format conformance scripts', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.js')).sort()) {
    it(file, async () => {
      const source = readFileSync(join(DIR, file), 'utf8')
      const expected = JSON.parse(/^\/\/ expect: (.*)$/m.exec(source)![1]!)
      // The expectation is a comment before meta (comments are not statements: meta is still the first one).
      const script = source
      const backend = createInProcessBackend(answer, { budget: file.startsWith('budget') ? 20 : undefined, tokensPerAgent: 10 })
      const outcome = await runScript(script, {
        backend,
        args: file.startsWith('top-level') ? 'stop early' : undefined,
        resolveWorkflow: async (name) => ({ name, source: inner }),
      })
      expect(outcome).toMatchObject({ status: 'completed' })
      expect((outcome as { result: unknown }).result).toEqual(expected)
    })
  }
})
