// The offline model's answer to the planner: a valid toy plan derived from the task, also on a retry, unless a rule
// answers first. Uses the planner's real prompt (src/script/planner.ts), so a change to it that the offline model no
// longer recognises fails here.
import { describe, expect, it } from 'vitest'
import { parseRulesConfig, planReply } from '../../src/offline/index.js'
import { checkPlannedScript, plannerPrompt, retryPrompt } from '../../src/script/planner.js'

const state = { seen: () => 0 }
const prompt = (task: string) => plannerPrompt({ task, savedWorkflows: [], limits: { concurrency: 4, maxAgents: 1000, budget: null } })

describe('offline model: the planner gets a toy plan', () => {
  it('answers the planner prompt with a script that passes the planner\'s own checks', () => {
    const task = "rename `foo` to 'bar' everywhere\nand 50% faster ${x}"
    const reply = planReply({ messages: [{ role: 'user', content: prompt(task) }] }, parseRulesConfig({ rules: [] }), state)
    expect(reply.kind).toBe('text')
    const check = checkPlannedScript(reply.text!)
    expect(check.ok, check.ok ? '' : check.problems).toBe(true)
    if (!check.ok) return
    expect(check.parsed.meta.name).toBe('rename-foo-to-bar-everywhere')
    expect(check.parsed.meta.phases?.map((p) => p.title)).toEqual(['Plan', 'Work', 'Review'])
    expect(check.source).toContain(`const task = ${JSON.stringify(task)}`)
  })

  it('answers a retry in the same conversation with the plan for the original task', () => {
    const messages = [
      { role: 'user', content: prompt('count the widgets') },
      { role: 'assistant', content: 'not a script' },
      { role: 'user', content: retryPrompt('The script starts no agent.') },
    ]
    const check = checkPlannedScript(planReply({ messages }, parseRulesConfig({ rules: [] }), state).text!)
    expect(check.ok && check.parsed.meta.name).toBe('count-the-widgets')
  })

  it('a rule still wins over the toy plan, and other prompts get the default reply', () => {
    const config = parseRulesConfig({ rules: [{ match: 'Task: count', reply: { text: 'from the rule' } }] })
    expect(planReply({ messages: [{ role: 'user', content: prompt('count the widgets') }] }, config, state).text).toBe('from the rule')
    expect(planReply({ messages: [{ role: 'user', content: 'Task: something\n\nAnswer with the complete script' }] }, parseRulesConfig({ rules: [] }), state).text).toMatch(/^Offline model reply/)
  })
})
