// A run whose OpenCode server is still starting is listed as `starting` by `ocdw ls` and the TUI's runs list, then as
// running once the run exists; a starting run whose process died is not listed as starting for ever. The window is
// held open deterministically by the offline model answering the preflight only after a long latency (the run dir
// is created after the preflight). Real `opencode serve` and the real CLI.
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDiskSource } from '../../src/tui/source.js'
import { killLeftovers, makeSandbox, type Sandbox } from '../support/cli.js'
import { waitFor } from '../support/wait.js'

const ONE = `export const meta = { name: 'slow-starter' }\nreturn await agent('starting run')\n`

describe('a starting run', () => {
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeAll(() => {
    sb = makeSandbox('ocdw-starting-')
    const rules = join(sb.root, 'slow-rules.json')
    writeFileSync(rules, JSON.stringify({ latencyMs: 20_000, rules: [] }))
    writeFileSync(join(sb.project, 'one.js'), ONE)
    env = { OCDW_OFFLINE_RULES: rules }
  })
  afterAll(() => {
    killLeftovers(sb.root)
    sb.cleanup()
  })
  const markers = () => {
    const dir = join(sb.project, '.opencode/workflows')
    return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.starting-')) : []
  }

  it('is listed as starting while its server starts, then as running', async () => {
    const child = sb.spawn(['run', '--script', 'one.js', '--offline', '--yes'], { env })
    try {
      // The preflight waits for the (slow) model: the server is up, the run dir not yet made.
      await waitFor('the preflight', () => /checking that the model answers/.test(child.output().stderr), 90_000)
      const ls = await sb.runAsync(['ls'])
      expect(ls.code, ls.stderr).toBe(0)
      expect(ls.stdout).toMatch(/\(starting\)\s+starting\s+slow-starter/)
      const json = JSON.parse((await sb.runAsync(['ls', '--json'])).stdout) as { status: string; name: string; pid?: number }[]
      expect(json).toContainEqual(expect.objectContaining({ status: 'starting', name: 'slow-starter', pid: child.pid }))
      const tuiList = await createDiskSource(sb.project).listRuns()
      expect(tuiList.map((r) => [r.name, r.status])).toEqual([['slow-starter', 'starting']])

      await waitFor('the run to start', () => /ocdw: run wf_/.test(child.output().stderr), 90_000)
      const after = await sb.runAsync(['ls'])
      expect(after.stdout).not.toMatch(/starting/)
      expect(after.stdout).toMatch(/running\s+slow-starter/)
      const tuiAfter = await createDiskSource(sb.project).listRuns()
      expect(tuiAfter.map((r) => [r.name, r.status])).toEqual([['slow-starter', 'running']])
      expect(markers()).toEqual([])
    } finally {
      process.kill(-child.pid!, 'SIGINT')
      await waitFor('the run to end', () => child.exitCode !== null || child.signalCode !== null, 60_000)
    }
  })

  it('whose process died (kill -9) is not listed as starting', async () => {
    const child = sb.spawn(['run', '--script', 'one.js', '--offline', '--yes'], { env })
    await waitFor('the preflight', () => /checking that the model answers/.test(child.output().stderr), 90_000)
    expect(markers().length).toBe(1)
    process.kill(child.pid!, 'SIGKILL')
    await waitFor('the process to end', () => child.exitCode !== null || child.signalCode !== null, 30_000)
    const ls = await sb.runAsync(['ls'])
    expect(ls.stdout).not.toMatch(/starting/)
    expect((await createDiskSource(sb.project).listRuns()).some((r) => r.status === 'starting')).toBe(false)
    expect(markers()).toEqual([]) // the reader removed the dead process's marker
    killLeftovers(sb.root)
  })
})
