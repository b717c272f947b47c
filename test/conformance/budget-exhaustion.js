// expect: {"ran":2,"thrown":3,"total":20,"remaining":0}
// parity: P-BUDGET-3 P-BUDGET-5
// budget: 20
export const meta = { name: 'budget-exhaustion' }
// Claude Code: once the budget is spent, a further agent() throws.
let ran = 0
let thrown = 0
for (let i = 0; i < 5; i++) {
  try {
    await agent(`step ${i}`)
    ran++
  } catch {
    thrown++
  }
}
return { ran, thrown, total: budget.total, remaining: budget.remaining() }
