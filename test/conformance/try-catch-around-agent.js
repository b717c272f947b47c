// expect: ["value","null","value","value","threw"]
// parity: P-AGENT-6 P-BUDGET-3
// budget: 30
export const meta = { name: 'try-catch-around-agent' }
const results = []
for (const task of ['ok 1', 'FAIL 2', 'ok 3', 'ok 4', 'ok 5']) {
  try {
    const r = await agent(task)
    results.push(r === null ? 'null' : 'value')
  } catch (e) {
    results.push('threw')
  }
}
return results
