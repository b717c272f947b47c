// Claude Code parity (docs/PARITY.md) below the real server: model alias and agent type resolution, saved workflows in
// Claude's folders, the runtime's budget and cap semantics, resume keys, concurrency, and the bundled entry points.
// The same behaviours on the real `opencode serve` are in test/e2e/parity.test.ts.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveAgentType } from '../../src/opencode/agent-type.js'
import { createInstantExecutor } from '../../src/actors/instant-executor.js'
import { claudeFamily, loadModelMap, resolveModel, type ModelCatalog, type ModelMap } from '../../src/opencode/model-alias.js'
import { defaultConcurrency, DEFAULT_MAX_AGENTS, startRun } from '../../src/actors/runtime.js'
import { findWorkflow, listAllWorkflows } from '../../src/actors/workflow-lookup.js'
import { builtinCommands, savedWorkflowCommand } from '../../src/plugin/commands.js'
import { createInProcessBackend } from '../../src/script/in-process-backend.js'
import { createKeyer } from '../../src/script/keys.js'
import { runScript } from '../../src/script/sandbox.js'
import { tempDirs } from '../support/temp-dirs.js'

const temp = tempDirs('ocdw-parity-')

const NO_MAP: ModelMap = { models: {}, sources: {}, problems: [] }
const WITH_ANTHROPIC: ModelCatalog = new Map([
  ['ocdw-offline', ['offline']],
  ['anthropic', ['claude-3-5-haiku-20241022', 'claude-haiku-4-5', 'claude-haiku-4-5-20251001', 'claude-sonnet-4', 'claude-sonnet-4-5', 'claude-opus-4-1', 'claude-opus-4-5', 'claude-opus-4-5-fast']],
])
const WITHOUT_ANTHROPIC: ModelCatalog = new Map([['ocdw-offline', ['offline']]])
const resolve = (name: string | undefined, catalog = WITH_ANTHROPIC, map = NO_MAP) => resolveModel(name, { map, catalog, defaultModel: 'ocdw-offline/offline' })

describe('model aliases', () => {
  it('P-MODEL-1 haiku, sonnet and opus pick the Anthropic provider\'s newest model of their family', () => {
    expect(resolve('haiku').model).toBe('anthropic/claude-haiku-4-5')
    expect(resolve('sonnet').model).toBe('anthropic/claude-sonnet-4-5')
    expect(resolve('opus').model).toBe('anthropic/claude-opus-4-5')
    expect(resolve('Sonnet').model).toBe('anthropic/claude-sonnet-4-5')
  })

  it('P-MODEL-3 without an Anthropic provider an alias is the default model, with a note naming the fix', () => {
    const r = resolve('haiku', WITHOUT_ANTHROPIC)
    expect(r.model).toBe('ocdw-offline/offline')
    expect(r.note).toMatch(/model "haiku" runs on the run's default model \(ocdw-offline\/offline\).*\.opencode\/ocdw\.json/)
  })

  it('P-MODEL-5 default and inherit are the run\'s default model, silently', () => {
    for (const name of ['default', 'inherit', undefined]) expect(resolve(name)).toEqual({ model: 'ocdw-offline/offline' })
  })

  it('P-MODEL-6 full Claude names use that model when the provider has it, else their family', () => {
    expect(resolve('claude-sonnet-4-5').model).toBe('anthropic/claude-sonnet-4-5')
    expect(resolve('claude-3-5-haiku-20241022').model).toBe('anthropic/claude-3-5-haiku-20241022')
    expect(resolve('claude-sonnet-9-9').model).toBe('anthropic/claude-sonnet-4-5')
    expect(resolve('claude-opus-4-1', WITHOUT_ANTHROPIC).note).toMatch(/default model/)
    expect(resolve('ocdw-offline/offline').model).toBe('ocdw-offline/offline')
  })

  it('P-MODEL-8 sonnet[1m], opus[1m], opusplan and best map to their family', () => {
    expect(['sonnet[1m]', 'opus[1m]', 'opusplan', 'best'].map(claudeFamily)).toEqual(['sonnet', 'opus', 'opus', 'opus'])
    expect(resolve('opusplan').model).toBe('anthropic/claude-opus-4-5')
  })

  it('P-MODEL-7 an unknown name or a model the server lacks is an error sentence', () => {
    expect(() => resolve('gpt-17')).toThrow(/The model "gpt-17" is neither a Claude alias .* fix the agent's model option/)
    expect(() => resolve('anthropic/claude-nope')).toThrow(/not offered by this OpenCode server \(its providers: anthropic, ocdw-offline\)/)
    // A script is untrusted: its model name reaches the terminal without control sequences.
    const evil = '\u001b]52;c;ZXZpbA==\u0007gpt\u001b[2J'
    expect(() => resolve(evil)).toThrow('The model "gpt" is neither')
    expect(() => resolveAgentType(evil, [{ name: 'build' }])).toThrow('The agent type "gpt" does not exist')
  })

  it('P-MODEL-2 the project mapping wins over the user one; a broken file is reported and ignored', () => {
    const project = temp('ocdw-parity-project-')
    const config = temp('ocdw-parity-config-')
    const saved = process.env.OPENCODE_CONFIG_DIR
    process.env.OPENCODE_CONFIG_DIR = config
    try {
      writeFileSync(join(config, 'ocdw.json'), JSON.stringify({ models: { haiku: 'ocdw-offline/offline', opus: 'anthropic/claude-opus-4-1', bad: 'nope' } }))
      mkdirSync(join(project, '.opencode'))
      writeFileSync(join(project, '.opencode', 'ocdw.json'), JSON.stringify({ models: { Haiku: 'anthropic/claude-3-5-haiku-20241022' } }))
      const map = loadModelMap(project)
      expect(map.models).toEqual({ haiku: 'anthropic/claude-3-5-haiku-20241022', opus: 'anthropic/claude-opus-4-1' })
      expect(map.problems).toEqual([expect.stringMatching(/"models\.bad" in .*ocdw\.json must be a "provider\/model" string/)])
      expect(resolve('haiku', WITH_ANTHROPIC, map).model).toBe('anthropic/claude-3-5-haiku-20241022')
      expect(resolve('opus', WITH_ANTHROPIC, map).model).toBe('anthropic/claude-opus-4-1')
      expect(() => resolve('opus', WITHOUT_ANTHROPIC, map)).toThrow(/mapped to "anthropic\/claude-opus-4-1" in .*ocdw\.json, but this OpenCode server does not offer that model/)
      writeFileSync(join(project, '.opencode', 'ocdw.json'), '{ not json')
      expect(loadModelMap(project).problems.some((p) => /is not valid JSON .* fix the file/.test(p))).toBe(true)
    } finally {
      if (saved === undefined) delete process.env.OPENCODE_CONFIG_DIR
      else process.env.OPENCODE_CONFIG_DIR = saved
    }
  })
})

describe('agent types', () => {
  const agents = [{ name: 'build' }, { name: 'explore' }, { name: 'general' }, { name: 'plan' }, { name: 'Reviewer' }, { name: 'title', hidden: true }]

  it('P-AGENT-1 Explore, general-purpose and Plan are explore, general and plan', () => {
    expect(['Explore', 'general-purpose', 'Plan'].map((t) => resolveAgentType(t, agents))).toEqual(['explore', 'general', 'plan'])
  })

  it('P-AGENT-3 other names match the server\'s agents ignoring case', () => {
    expect(resolveAgentType('reviewer', agents)).toBe('Reviewer')
    expect(resolveAgentType('BUILD', agents)).toBe('build')
  })

  it('P-AGENT-2 an unknown or hidden agent is an error sentence listing the usable agents', () => {
    expect(() => resolveAgentType('statusline-setup', agents)).toThrow('The agent type "statusline-setup" does not exist on this OpenCode server; use one of: Reviewer, build, explore, general, plan')
    expect(() => resolveAgentType('title', agents)).toThrow(/does not exist/)
  })
})

describe('saved workflows in Claude Code\'s folders', () => {
  let home: string
  let project: string
  const env: Record<string, string | undefined> = {}
  beforeEach(() => {
    home = temp('ocdw-parity-home-')
    project = temp('ocdw-parity-proj-')
    for (const k of ['HOME', 'XDG_CONFIG_HOME', 'OPENCODE_CONFIG_DIR']) env[k] = process.env[k]
    process.env.HOME = home
    process.env.XDG_CONFIG_HOME = join(home, '.config')
    delete process.env.OPENCODE_CONFIG_DIR
  })
  afterEach(() => {
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
  const put = (dir: string, name: string, body = "export const meta = { name: 'x' }\nreturn 1\n") => {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `${name}.js`), body.replace("'x'", `'${name}'`))
  }

  it('P-SAVED-1 .claude/workflows in the project is read as project workflows', () => {
    put(join(project, '.claude/workflows'), 'team-audit')
    expect(findWorkflow(project, 'team-audit')).toMatchObject({ name: 'team-audit', scope: 'project', path: join(project, '.claude/workflows/team-audit.js') })
  })

  it('P-SAVED-2 ~/.claude/workflows is read as personal workflows', () => {
    put(join(home, '.claude/workflows'), 'my-flow')
    expect(findWorkflow(project, 'my-flow')).toMatchObject({ scope: 'personal', path: join(home, '.claude/workflows/my-flow.js') })
  })

  it('P-SAVED-3 .opencode wins over .claude in each scope, project over personal, both over bundled', () => {
    put(join(project, '.opencode/workflows'), 'both')
    put(join(project, '.claude/workflows'), 'both')
    put(join(home, '.config/opencode/workflows'), 'personal-both')
    put(join(home, '.claude/workflows'), 'personal-both')
    put(join(home, '.claude/workflows'), 'both')
    put(join(project, '.claude/workflows'), 'demo')
    expect(findWorkflow(project, 'both').path).toBe(join(project, '.opencode/workflows/both.js'))
    expect(findWorkflow(project, 'personal-both').path).toBe(join(home, '.config/opencode/workflows/personal-both.js'))
    expect(findWorkflow(project, 'demo').path).toBe(join(project, '.claude/workflows/demo.js'))
    expect(listAllWorkflows(project).filter((w) => w.name === 'both')).toHaveLength(1)
  })

  it('P-SAVED-5 a saved workflow is a /<name> command that calls the workflow tool by name', () => {
    const cmd = savedWorkflowCommand('team-audit')
    expect(cmd.name).toBe('team-audit')
    expect(cmd.template).toContain('"team-audit"')
    expect(cmd.template).toContain('$ARGUMENTS')
  })
})

describe('runtime semantics', () => {
  const SCRIPT = (body: string) => `export const meta = { name: 'rt' }\n${body}`

  it('P-BUDGET-6 P-BUDGET-7 the run\'s --budget is budget.total; the summary keeps the wider token count', async () => {
    const run = await startRun({
      projectDir: temp('ocdw-parity-rt-'),
      script: SCRIPT("await agent('one')\nreturn { total: budget.total, spent: budget.spent() }"),
      executor: createInstantExecutor({ tokensPerAgent: { input: 100, output: 7 } }),
      budget: 1000,
      control: false,
    })
    const s = await run.done
    expect(s.result).toEqual({ total: 1000, spent: 7 })
    expect(s.tokens).toMatchObject({ input: 100, output: 7, total: 107 })
  })

  it('P-LIMIT-1 the runtime caps a run at 1000 agents by default and the next agent() throws', async () => {
    expect(DEFAULT_MAX_AGENTS).toBe(1000)
    const run = await startRun({
      projectDir: temp('ocdw-parity-rt-'),
      script: SCRIPT("await agent('a'); await agent('b')\ntry { await agent('c'); return 'ran' } catch (e) { return e.message }"),
      executor: createInstantExecutor(),
      maxAgents: 2,
      control: false,
    })
    expect((await run.done).result).toMatch(/^The run's cap of 2 agents was reached, so agent\(\) throws; raise it with --max-agents\.$/)
  })

  it('P-LIMIT-3 at most 16 agents run at once by default, at least 2', () => {
    expect(defaultConcurrency()).toBeLessThanOrEqual(16)
    expect(defaultConcurrency()).toBeGreaterThanOrEqual(2)
  })

  it('P-RESUME-1 resume answers completed agents from the journal and runs the rest live', async () => {
    const projectDir = temp('ocdw-parity-rt-')
    let failSecond = true
    const executor = createInstantExecutor({
      respond: (call) => {
        if (call.prompt === 'second' && failSecond) throw new Error('down for now')
        return `ok ${call.prompt}`
      },
    })
    const script = SCRIPT("const a = await agent('first')\nconst b = await agent('second')\nif (b === null) throw new Error('second failed')\nreturn [a, b]")
    const run = await startRun({ projectDir, script, executor, control: false })
    expect((await run.done).status).toBe('failed')
    expect(executor.calls).toBe(2)
    failSecond = false
    const resumed = await startRun({ projectDir, resumeRunId: run.runId, executor, control: false })
    const s = await resumed.done
    expect(s.result).toEqual(['ok first', 'ok second'])
    expect(executor.calls).toBe(3)
    expect(s.agents.cached).toBe(1)
  })

  it('P-RESUME-2 an unchanged leading agent() call keeps its replay key when a later call is edited', () => {
    const before = createKeyer()
    const after = createKeyer()
    const k1 = [before.next('survey', {}, 'Main'), before.next('fix it', {}, 'Main')]
    const k2 = [after.next('survey', {}, 'Main'), after.next('fix it, carefully', {}, 'Main')]
    expect(k2[0]).toBe(k1[0])
    expect(k2[1]).not.toBe(k1[1])
  })

  it('P-PIPE-4 no barrier between stages: a fast item reaches stage 2 before a slow item leaves stage 1', async () => {
    const order: string[] = []
    let releaseSlow!: () => void
    const slow = new Promise<void>((r) => (releaseSlow = r))
    const backend = createInProcessBackend(async (call) => {
      order.push(call.prompt)
      if (call.prompt === 'stage1 slow') await slow
      if (call.prompt === 'stage2 fast') releaseSlow()
      return call.prompt
    })
    const outcome = await runScript(SCRIPT("return await pipeline(['slow', 'fast'], (x) => agent('stage1 ' + x), (_, x) => agent('stage2 ' + x))"), { backend })
    expect(outcome).toMatchObject({ status: 'completed', result: ['stage2 slow', 'stage2 fast'] })
    expect(order.indexOf('stage2 fast')).toBeLessThan(order.indexOf('stage2 slow'))
  })
})

describe('bundled entry points', () => {
  it('P-BUNDLED-1 deep-research is a bundled workflow and a /deep-research command', () => {
    const w = findWorkflow(temp('ocdw-parity-b-'), 'deep-research')
    expect(w.scope).toBe('bundled')
    expect(builtinCommands().find((c) => c.name === 'deep-research')?.template).toContain('"deep-research"')
  })

  it('P-BUNDLED-2 /ultracode turns substantive tasks into workflows', () => {
    expect(builtinCommands().some((c) => c.name === 'ultracode')).toBe(true)
  })

  it('P-BUNDLED-3 /workflow <task> asks the model to write and run a workflow', () => {
    const cmd = builtinCommands().find((c) => c.name === 'workflow')!
    expect(cmd.template).toMatch(/Run an ocdw workflow for this task: \$ARGUMENTS/)
  })
})
