// The use cases the CLI, the TUI and the plugin share (src/usecases): the approval policy and its consent hash,
// `--args` parsing, saving a run as a workflow, the run summary text; and naming an agent (machines/agent-ref.ts),
// which the CLI, the plugin and the runtime all resolve the same way.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvedWithoutAsking, consentHash, hasConsentFor, recordConsentFor, rememberYes, scriptHash } from '../../src/usecases/approval-policy.js'
import { combinedHash, sha256 } from '../../src/actors/approved-set.js'
import { hasConsent } from '../../src/store/consent.js'
import { parseArgs } from '../../src/usecases/args.js'
import { saveRunAsWorkflow } from '../../src/usecases/save-run.js'
import { agentCountsText, outcomeLine, resultText, summaryLine } from '../../src/usecases/run-summary.js'
import { resolveAgentRef } from '../../src/machines/agent-ref.js'
import { emptyRunView, type AgentView } from '../../src/machines/run-view.js'
import type { RunSummary } from '../../src/machines/types.js'

let dir: string
const oldConfig = process.env.OPENCODE_CONFIG_DIR
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ocdw-usecases-'))
  process.env.OPENCODE_CONFIG_DIR = join(dir, 'config')
})
afterAll(() => {
  if (oldConfig === undefined) delete process.env.OPENCODE_CONFIG_DIR
  else process.env.OPENCODE_CONFIG_DIR = oldConfig
  rmSync(dir, { recursive: true, force: true })
})

describe('approval policy', () => {
  const source = "export const meta = { name: 'p' }\nreturn 1\n"

  it('bypass and --yes never ask; otherwise only recorded consent for this exact script lets a run go', () => {
    const subject = { projectDir: join(dir, 'proj-a'), name: 'p', source }
    expect(approvedWithoutAsking('bypass', subject)).toBe('bypass')
    expect(approvedWithoutAsking('default', subject, true)).toBe('bypass')
    expect(approvedWithoutAsking('default', subject)).toBeUndefined()
    recordConsentFor(subject)
    expect(approvedWithoutAsking('default', subject)).toBe('consent')
    expect(approvedWithoutAsking('auto', { ...subject, source: source + '// edited\n' })).toBeUndefined()
    expect(approvedWithoutAsking('default', { ...subject, name: 'other' })).toBeUndefined()
  })

  it('a plain yes records consent only in auto mode; "don\'t ask again" always does', () => {
    const subject = (n: string) => ({ projectDir: join(dir, 'proj-b'), name: n, source })
    rememberYes('default', subject('once'), false)
    expect(hasConsentFor(subject('once'))).toBe(false)
    rememberYes('auto', subject('auto'), false)
    expect(hasConsentFor(subject('auto'))).toBe(true)
    rememberYes('default', subject('always'), true)
    expect(hasConsentFor(subject('always'))).toBe(true)
  })

  it('the consent hash is the script hash without sub-workflows, and covers each sub-workflow otherwise', () => {
    expect(consentHash(source)).toBe(scriptHash(source))
    expect(scriptHash(source)).toBe(sha256(source))
    const subs = { child: 'return 2' }
    expect(consentHash(source, subs)).toBe(combinedHash({ script: sha256(source), workflows: { child: sha256('return 2') } }))
    expect(consentHash(source, { child: 'return 3' })).not.toBe(consentHash(source, subs))
    // Consent is stored under that hash, where the CLI's and the plugin's checks look.
    recordConsentFor({ projectDir: join(dir, 'proj-c'), name: 'p', source, subWorkflows: subs })
    expect(hasConsent({ projectDir: join(dir, 'proj-c'), name: 'p', scriptHash: consentHash(source, subs) })).toBe(true)
  })
})

describe('--args', () => {
  it('is JSON when it parses, else the text; broken JSON is a usage error (exit 2) saying how to fix it', () => {
    expect(parseArgs(undefined)).toBeUndefined()
    expect(parseArgs('{"a":1}')).toEqual({ a: 1 })
    expect(parseArgs(' 42 ')).toBe(42)
    expect(parseArgs('what is 6x7?')).toBe('what is 6x7?')
    expect(parseArgs('"quoted"')).toBe('quoted')
    expect(() => parseArgs('{a:1}')).toThrow(/--args looks like JSON but does not parse .*; fix the JSON or quote it as plain text\./)
    let caught: unknown
    try {
      parseArgs('[1,')
    } catch (err) {
      caught = err
    }
    expect((caught as { exitCode?: number } | undefined)?.exitCode).toBe(2)
  })
})

describe('saving a run as a workflow', () => {
  it('writes the run script and the /<name> command, and says how to run it', () => {
    const projectDir = join(dir, 'proj-save')
    const runDir = join(projectDir, '.opencode/workflows/runs/r1')
    mkdirSync(runDir, { recursive: true })
    const script = "export const meta = { name: 'orig', description: 'Sums things' }\nreturn 1\n"
    writeFileSync(join(runDir, 'script.js'), script)
    const saved = saveRunAsWorkflow({ projectDir, runDir, name: 'summer' })
    expect(readFileSync(saved.path, 'utf8')).toBe(script)
    expect(saved.path).toBe(join(projectDir, '.opencode/workflows/summer.js'))
    expect(readFileSync(saved.commandPath, 'utf8')).toContain('description: "Sums things"')
    expect(saved.message).toBe(`Saved summer to ${saved.path}; run it with \`ocdw run --name summer\` or /summer in OpenCode`)
    expect(() => saveRunAsWorkflow({ projectDir, runDir, name: 'summer' })).toThrow(/already exists .*pass --force/)
    expect(() => saveRunAsWorkflow({ projectDir, runDir, name: 'bad name' })).toThrow(/not a usable workflow name/)
    expect(existsSync(join(projectDir, '.opencode/workflows/bad name.js'))).toBe(false)
  })
})

describe('run summary text', () => {
  const summary: RunSummary = {
    runId: 'run_x',
    status: 'completed',
    result: { ok: true },
    agents: { total: 4, done: 2, failed: 1, stopped: 0, cached: 1 },
    tokens: { input: 10, output: 1200, reasoning: 0, total: 1500 },
    elapsedMs: 61_400,
    runDir: '/p/run_x',
  }

  it('names the counts that are not zero, the same for the CLI and the plugin', () => {
    expect(agentCountsText(summary.agents)).toBe('2/4 agents done, 1 failed, 1 from the journal')
    expect(summaryLine(summary)).toMatch(/^run run_x completed in \S+: 2\/4 agents done, 1 failed, 1 from the journal, \S+ tokens$/)
    expect(outcomeLine(summary)).toBe('ocdw run run_x: completed — 2/4 agents done, 1 failed, 1 from the journal; 1500 tokens; 61s.')
    expect(resultText('text')).toBe('text')
    expect(resultText({ a: 1 })).toBe('{\n  "a": 1\n}')
  })
})

describe('naming an agent', () => {
  const agent = (key: string, label: string, status: AgentView['status']): AgentView => ({ key, label, status, phase: '', tokens: { input: 0, output: 0, reasoning: 0 }, tools: [] }) as unknown as AgentView
  const view = { ...emptyRunView('run_y'), agents: [agent('a1', 'check', 'done'), agent('a2', 'check', 'running'), agent('b1', 'solo', 'done'), agent('c1', 'twin', 'done'), agent('c2', 'twin', 'done')] }

  it('by key, by a unique label, or by the one still at work among agents sharing a label', () => {
    expect(resolveAgentRef(view, 'b1')).toEqual({ key: 'b1' })
    expect(resolveAgentRef(view, 'solo')).toEqual({ key: 'b1' })
    expect(resolveAgentRef(view, 'check')).toEqual({ key: 'a2' })
    expect(resolveAgentRef(view, 'twin').error).toBe('2 agents of run run_y are labelled "twin"; name one by its key (c1, c2).')
  })

  it('says where the agents are listed: `ocdw show` by default, the surface\'s own hint otherwise', () => {
    expect(resolveAgentRef(view, 'nobody').error).toBe('Run run_y has no agent with the key or label "nobody"; `ocdw show run_y` lists its agents.')
    expect(resolveAgentRef(view, 'nobody', 'workflow_status with the run id lists its agents').error).toBe(
      'Run run_y has no agent with the key or label "nobody"; workflow_status with the run id lists its agents.',
    )
  })
})
