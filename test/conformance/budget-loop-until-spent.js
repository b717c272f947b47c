// expect: {"rounds":5,"stoppedBy":"loop condition","remaining":0,"spent":50}
// parity: P-BUDGET-3 P-BUDGET-1
// budget: 45
export const meta = { name: 'budget-loop-until-spent' }
// The common Claude Code shape: keep going while budget remains; the throw ends the loop when it is spent.
const found = []
let stoppedBy = 'loop condition'
while (budget.remaining() > 0) {
  try {
    found.push(await agent(`Find one more bug (round ${found.length + 1}).`))
  } catch (e) {
    stoppedBy = 'throw'
    break
  }
}
return { rounds: found.length, stoppedBy, remaining: budget.remaining(), spent: budget.spent() }
