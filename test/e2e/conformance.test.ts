// The conformance scripts marked `// e2e` (tiered model aliases, Claude's built-in agent types, schema agents with
// arrays / anyOf / nullable fields) run unmodified on the real `opencode serve` with the offline model as its only
// provider: every agent must get a real answer (none failed, none null) and the script's result must be the same as
// on the in-process backend (those scripts return shapes, not model text).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOpencodeExecutor } from '../../src/opencode/executor.js'
import { startRun } from '../../src/actors/runtime.js'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { conformanceScripts, resolveConformanceWorkflow } from '../support/conformance.js'

const scripts = conformanceScripts().filter((s) => s.e2e)

describe('Claude-format conformance scripts on the real OpenCode server', () => {
  let bed: OfflineTestbed
  beforeAll(async () => {
    bed = await startOfflineTestbed({})
  }, 120_000)
  afterAll(async () => bed?.stop())

  it('at least 10 scripts, among them model aliases and built-in agent types, run end to end', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(10)
    expect(scripts.some((s) => s.ids.includes('P-MODEL-1'))).toBe(true)
    expect(scripts.some((s) => s.ids.includes('P-AGENT-1'))).toBe(true)
  })

  for (const s of scripts) {
    it(`${s.ids.join(' ')} ${s.file} on the real server`, async () => {
      const executor = createOpencodeExecutor({ client: bed.client, directory: bed.projectDir, defaultModel: bed.model })
      try {
        const run = await startRun({ projectDir: bed.projectDir, script: s.source, args: s.args, budget: s.budget, maxAgents: s.maxAgents, executor, control: false, resolveWorkflow: resolveConformanceWorkflow })
        const summary = await run.done
        const failed = run.view().agents.filter((a) => a.status !== 'done').map((a) => `${a.label}: ${a.status} ${a.error ?? ''}`)
        expect(failed, failed.join('\n')).toEqual([])
        expect(summary.status, summary.error).toBe('completed')
        expect(summary.agents.done).toBeGreaterThan(0)
        expect(summary.result).toEqual(s.expected)
      } finally {
        executor.close()
      }
    }, 240_000)
  }
})
