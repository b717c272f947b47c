// expect: {"isError":true,"mentionsBudget":true,"mentionsFlag":true}
// parity: P-BUDGET-3
// budget: 10
export const meta = { name: 'budget-throw-message' }
await agent('spend it all')
try {
  await agent('one too many')
  return 'did not throw'
} catch (e) {
  return { isError: e instanceof Error, mentionsBudget: /budget/.test(e.message), mentionsFlag: /--budget/.test(e.message) }
}
