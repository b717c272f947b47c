// expect: ["answer","stopped: budget","finally ran"]
// parity: P-SCRIPT-1 P-BUDGET-3
// budget: 10
export const meta = { name: 'try-finally-summary' }
const log2 = []
try {
  log2.push(await agent('work'))
  log2.push(await agent('more work'))
} catch (e) {
  log2.push('stopped: ' + (/budget/.test(e.message) ? 'budget' : 'other'))
} finally {
  log2.push('finally ran')
}
return log2.map((x) => (x.startsWith('answer:') ? 'answer' : x))
