// The oracle for tests/canonical.rs: Apideck's signing guide's algorithm, in Node.
//   canonical = JSON.stringify(sortObjectKeys(JSON.parse(body)))
//   signature = hex(HMAC-SHA256(apiKey, canonical))
// Reads {"key": "...", "docs": ["...", ...]} on stdin; writes [[canonical, signature] | null, ...].
'use strict';
const crypto = require('crypto');

// As in the guide: objects get their keys sorted recursively; arrays are returned as they are.
function sortObjectKeys(obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const sorted = {};
  for (const key of Object.keys(obj).sort()) {
    sorted[key] = sortObjectKeys(obj[key]);
  }
  return sorted;
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const { key, docs } = JSON.parse(input);
  const out = docs.map((doc) => {
    let canonical;
    try {
      canonical = JSON.stringify(sortObjectKeys(JSON.parse(doc)));
    } catch (e) {
      return null;
    }
    return [canonical, crypto.createHmac('sha256', key).update(canonical).digest('hex')];
  });
  process.stdout.write(JSON.stringify(out));
});
