// expect: {"total":null,"infinite":true,"rounds":3}
// parity: P-BUDGET-2
export const meta = { name: 'budget-unbounded' }
// Without a budget: total is null and remaining() is Infinity, so a budget-guarded loop needs its own bound.
let rounds = 0
while (budget.remaining() > 0 && rounds < 3) {
  await agent(`round ${rounds}`)
  rounds++
}
return { total: budget.total, infinite: budget.remaining() === Infinity, rounds }
