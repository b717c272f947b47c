// expect: [{"file":"a.js","i":0,"verified":"answer: verify answer: find in a.js for a.js"},{"file":"b.js","i":1,"verified":"answer: verify answer: find in b.js for b.js"}]
// parity: P-PIPE-2 P-PIPE-1
export const meta = { name: 'pipeline-uses-earlier', phases: [{ title: 'Find' }, { title: 'Verify' }, { title: 'Fix' }] }
const out = await pipeline(
  ['a.js', 'b.js'],
  (file) => agent(`find in ${file}`, { phase: 'Find' }),
  (found, file) => agent(`verify ${found} for ${file}`, { phase: 'Verify' }),
  (verified, file, i) => ({ file, i, verified }),
)
return out
