// expect: {"planned":3}
// parity: P-AGENT-1 P-PIPE-2
// e2e
export const meta = { name: 'explore-fanout-then-plan' }
const dirs = ['src', 'test', 'docs']
const found = await pipeline(
  dirs,
  (dir) => agent(`List what lives in ${dir}/.`, { agentType: 'Explore', label: `explore ${dir}` }),
  (listing, dir) => agent(`Given this listing of ${dir}: ${listing}\nSay what to change first.`, { agentType: 'Plan', label: `plan ${dir}` }),
)
return { planned: found.filter((x) => typeof x === 'string').length }
