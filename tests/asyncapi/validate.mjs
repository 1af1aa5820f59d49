// Validates AsyncAPI documents with the official parser; exits 1 if any has an error.
// Usage: node validate.mjs FILE... (run by tests/catalog_tooling.rs)
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';

const parser = new Parser();
let failed = 0;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, 'utf8'));
  // Spectral severities: 0 error, 1 warning, 2 information, 3 hint.
  const errors = diagnostics.filter((d) => d.severity === 0);
  const others = diagnostics.length - errors.length;
  console.log(`${file}: ${errors.length} errors, ${others} warnings or hints, ${document ? 'parsed' : 'NOT parsed'}`);
  for (const d of diagnostics) {
    console.log(`  [${d.severity}] ${d.code}: ${d.message} at ${d.path.join('.')}`);
  }
  if (errors.length > 0 || !document) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
