// expect: {"threw":true,"oneLevel":true}
// parity: P-WF-2
export const meta = { name: 'nested-workflow-one-level' }
try {
  await workflow('nests')
  return 'nested twice'
} catch (e) {
  return { threw: true, oneLevel: /one level deep/.test(e.message) }
}
