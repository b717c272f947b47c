// expect: {"attempts":2,"picked":"string"}
// parity: P-AGENT-8
export const meta = { name: 'isolation-worktree', phases: [{ title: 'Attempts' }] }
const attempts = await parallel(['approach A', 'approach B'].map((a) => () => agent(`Implement the fix using ${a}.`, { isolation: 'worktree', label: a })))
const pick = await agent(`Pick the better attempt: ${attempts.join(' | ')}`)
return { attempts: attempts.length, picked: typeof pick }
