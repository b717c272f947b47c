// expect: [{"item":"x","index":0,"prev":"answer: draft x"},{"item":"y","index":1,"prev":"answer: draft y"}]
// parity: P-PIPE-1
export const meta = { name: 'pipeline-three-args', phases: [{ title: 'Draft' }, { title: 'Check' }] }
return await pipeline(
  ['x', 'y'],
  (item) => agent(`draft ${item}`, { phase: 'Draft' }),
  (prev, item, index) => ({ item, index, prev }),
)
