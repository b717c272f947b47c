// The offline model's answer to the planner (src/script/planner.ts): a small, valid workflow derived from the task,
// so `ocdw run "task" --offline` walks the planner -> approval -> run path with no API key. It is a toy plan (plan
// the steps, do each, review), not a plan made with any understanding of the task. Pure, no I/O.
import { contentText, type ChatMessage } from './chat-message.js'

/** Words that open the planner's prompt (SCRIPT_API_REFERENCE); the retry prompt opens with RETRY_OPENING. */
const PLANNER_OPENING = 'You write ocdw workflow scripts'
const RETRY_OPENING = 'That script is not valid'

/** The task of a planner conversation, or undefined when this request is not the planner's. */
export function plannerTask(messages: ChatMessage[], lastUser: string): string | undefined {
  if (!lastUser.startsWith(PLANNER_OPENING) && !lastUser.startsWith(RETRY_OPENING)) return undefined
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role !== 'user') continue
    const text = contentText(messages[i].content)
    if (!text.startsWith(PLANNER_OPENING)) continue
    const m = /\nTask: ([\s\S]*?)\n\nAnswer with the complete script/.exec(text)
    if (m) return m[1].trim()
  }
  return undefined
}

/** A kebab-case workflow name from the task's first words. */
export function toyPlanName(task: string): string {
  const words = task.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim().split(' ').filter(Boolean).slice(0, 5)
  return words.length ? words.join('-').slice(0, 48).replace(/-+$/, '') : 'toy-plan'
}

/** The planner's answer: the script in one ```js block. Every string from the task goes in through JSON.stringify. */
export function toyPlanAnswer(task: string): string {
  const t = JSON.stringify(task)
  const meta = {
    name: toyPlanName(task),
    description: `A toy plan written by the offline model (no real model was asked) for: ${task.slice(0, 200)}`,
    phases: [{ title: 'Plan', detail: 'up to 3 steps' }, { title: 'Work', detail: 'one agent per step' }, { title: 'Review' }],
  }
  const script = `export const meta = ${JSON.stringify(meta)}
const task = ${t}
const STEPS = { type: 'object', properties: { steps: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 } }, required: ['steps'] }
phase('Plan')
const plan = await agent('List up to 3 short steps that accomplish this task: ' + task, { label: 'plan', schema: STEPS })
const steps = (plan?.steps ?? []).slice(0, 3)
phase('Work')
const work = await parallel(steps.map((step, i) => () => agent('Task: ' + task + '\\nDo step ' + (i + 1) + ' of ' + steps.length + ': ' + step, { label: 'step ' + (i + 1) })))
phase('Review')
const review = await agent('Review the work done for this task: ' + task + '\\n' + work.map((w, i) => 'Step ' + (i + 1) + ': ' + (w ?? 'failed')).join('\\n'), { label: 'review' })
return { task, steps, work, review }
`
  return 'A toy plan (offline model):\n\n```js\n' + script + '```\n'
}

const STEPS_OPENING = 'List up to 3 short steps that accomplish this task: '

/** The toy plan's own first agent asks for steps: answer with three generic ones that name the task. */
export function toyPlanSteps(lastUser: string): { steps: string[] } | undefined {
  if (!lastUser.startsWith(STEPS_OPENING)) return undefined
  const task = lastUser.slice(STEPS_OPENING.length).trim().slice(0, 120)
  return { steps: [`Find out what "${task}" involves`, `Do it: ${task}`, `Check the result of "${task}"`] }
}
