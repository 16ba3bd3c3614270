// Property tests: random and mutated sources (from the samples) never make the assembler throw or hang,
// every diagnostic points inside the source, and `ok` is exactly "no diagnostic is an error".
import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { assemble } from '../../core/asm/assembler';
import { repositoryRoot } from '../support/oracle-tools';

const FILE_NAME = 'fuzz.asm';

function sampleSources(): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    if (!fs.existsSync(directory)) return;
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.asm')) found.push(fs.readFileSync(full, 'utf8'));
    }
  };
  walk(path.join(repositoryRoot(), 'samples'));
  return found;
}

/** Assembles and checks the invariants every input must satisfy; returns the result for more checks. */
function checkInvariants(source: string): void {
  const started = Date.now();
  let result: ReturnType<typeof assemble>;
  try {
    result = assemble({ fileName: FILE_NAME, source, readFile: () => undefined });
  } catch (error) {
    assert.fail(`assemble threw ${String(error)} for ${JSON.stringify(source)}`);
  }
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 5000, `took ${elapsed} ms for ${JSON.stringify(source.slice(0, 200))}`);
  const lines = source.split('\n');
  for (const diagnostic of result.diagnostics) {
    assert.strictEqual(diagnostic.file, FILE_NAME);
    assert.ok(diagnostic.line >= 1 && diagnostic.line <= lines.length, `line ${diagnostic.line} outside 1..${lines.length}: ${diagnostic.message}`);
    const lineLength = lines[diagnostic.line - 1].replace(/\r$/, '').length;
    assert.ok(diagnostic.column >= 1 && diagnostic.column <= lineLength + 1,
      `column ${diagnostic.column} outside 1..${lineLength + 1} on ${JSON.stringify(lines[diagnostic.line - 1])}: ${diagnostic.message}`);
    assert.ok(diagnostic.message.length > 0);
    assert.ok(!/internal assembler error/.test(diagnostic.message), diagnostic.message);
  }
  assert.strictEqual(result.ok, result.diagnostics.every((diagnostic) => diagnostic.severity !== 'error'));
  if (result.ok) assert.ok(result.image instanceof Uint8Array);
}

const WORDS = [
  'mov', 'add', 'jmp', 'call', 'push', 'pop', 'ret', 'int', 'lea', 'nop', 'sysenter', 'rep', 'movsd', 'lock', 'fs', 'es',
  'eax', 'ebx', 'ecx', 'edx', 'esp', 'ebp', 'al', 'ah', 'ax', 'cr0', 'byte', 'word', 'dword', 'short', 'near', 'far', 'strict',
  'db', 'dw', 'dd', 'resb', 'resd', 'times', 'equ', 'align', 'section', '.text', '.data', '.bss', 'org', 'bits', '32', '16',
  'global', 'extern', 'label', '.local', 'label.local', '$', '$$', '0x10', '10h', '0b101', '17q', "'ab'", '"str"', '`x\\n`',
  '%define', '%macro', '%endmacro', '%if', '%else', '%endif', '%include', '%rep', '%endrep', '%1', '%%l', '%0', 'nosplit',
];
const PUNCTUATION = ['[', ']', '(', ')', ',', ':', '+', '-', '*', '/', '//', '%', '<<', '>>', '&', '|', '^', '~', ';', '?', '\'', '"'];

const token = fc.oneof(fc.constantFrom(...WORDS), fc.constantFrom(...PUNCTUATION), fc.integer({ min: -300, max: 70000 }).map(String));
const randomLine = fc.array(token, { maxLength: 8 }).map((tokens) => tokens.join(' '));
const randomSource = fc.array(randomLine, { maxLength: 30 }).map((lines) => lines.join('\n'));

type Mutation = { kind: 'delete' | 'insert' | 'duplicate-line' | 'swap-lines' | 'truncate' | 'replace'; at: number; text: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'duplicate-line', 'swap-lines', 'truncate', 'replace'),
  at: fc.nat(),
  text: fc.oneof(fc.constantFrom(...PUNCTUATION, ...WORDS), fc.string({ maxLength: 4 })),
});

function applyMutation(source: string, change: Mutation): string {
  const position = source.length === 0 ? 0 : change.at % source.length;
  const lines = source.split('\n');
  const lineIndex = change.at % lines.length;
  switch (change.kind) {
    case 'delete': return source.slice(0, position) + source.slice(position + 1 + (change.at % 7));
    case 'insert': return source.slice(0, position) + change.text + source.slice(position);
    case 'replace': return source.slice(0, position) + change.text + source.slice(position + change.text.length);
    case 'truncate': return source.slice(0, position);
    case 'duplicate-line': return [...lines.slice(0, lineIndex + 1), ...lines.slice(lineIndex)].join('\n');
    case 'swap-lines': {
      const other = (lineIndex * 7 + 3) % lines.length;
      [lines[lineIndex], lines[other]] = [lines[other], lines[lineIndex]];
      return lines.join('\n');
    }
  }
}

describe('assembler properties', () => {
  const samples = sampleSources();

  it('samples are available to mutate', () => assert.ok(samples.length >= 3));

  it('random token soup: never throws, terminates, diagnostics inside the source', () => {
    fc.assert(fc.property(randomSource, (source) => { checkInvariants(source); }), { numRuns: 1000 });
  });

  it('arbitrary text (any characters) is handled the same way', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (source) => { checkInvariants(source); }), { numRuns: 1000 });
  });

  it('mutated samples: never throws, terminates, diagnostics inside the source', () => {
    const mutatedSample = fc.tuple(fc.nat({ max: samples.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }))
      .map(([index, changes]) => changes.reduce(applyMutation, samples[index]));
    fc.assert(fc.property(mutatedSample, (source) => { checkInvariants(source); }), { numRuns: 1000 });
  });

  it('assembling the same source twice gives the same bytes and diagnostics', () => {
    fc.assert(fc.property(randomSource, (source) => {
      const first = assemble({ fileName: FILE_NAME, source, readFile: () => undefined });
      const second = assemble({ fileName: FILE_NAME, source, readFile: () => undefined });
      assert.deepStrictEqual(second.diagnostics, first.diagnostics);
      assert.deepStrictEqual(second.image, first.image);
    }), { numRuns: 100 });
  });
});
