// The extension's manifest, grammar and snippets: complete against SPEC 6/7 and loadable by VS Code.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  LAUNCH_ATTRIBUTES, SYSCALL_MECHANISMS, TRACE_LEVELS, WINDOWS_VERSIONS, attributeProblem, completeLaunchConfiguration, initialConfigurations,
} from '../../extension/model/launch-configuration';
import { NT_VIEWS } from '../../extension/model/view-catalog';
import { DEFAULT_WINDOWS_VERSION, WINDOWS_VERSIONS as SYSCALL_LIST_VERSIONS } from '../../core/nt/syscall-list';

const root = path.resolve(__dirname, '..', '..', '..');
const sourceRoot = fs.existsSync(path.join(root, 'package.json')) ? root : process.cwd();

function readJson(relativePath: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(sourceRoot, relativePath), 'utf8')) as Record<string, unknown>;
}

type Json = Record<string, unknown>;
const manifest = readJson('package.json');
const contributes = manifest['contributes'] as Json;
const debuggers = contributes['debuggers'] as Json[];
const debuggerContribution = debuggers.find((candidate) => candidate['type'] === 'ntsyscall')!;
const launchProperties = ((debuggerContribution['configurationAttributes'] as Json)['launch'] as Json)['properties'] as Record<string, Json>;

/** Oniguruma's leading `(?i)` becomes JS's `i` flag; the rest must be valid in both engines. */
function compileLikeOniguruma(pattern: string): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'i') : new RegExp(pattern);
}

function* grammarPatterns(node: unknown, where: string): Generator<{ where: string; pattern: string }> {
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) yield* grammarPatterns(item, `${where}[${index}]`);
  } else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'match' || key === 'begin' || key === 'end') && typeof value === 'string') yield { where: `${where}.${key}`, pattern: value };
      else yield* grammarPatterns(value, `${where}.${key}`);
    }
  }
}

describe('extension manifest: the ntsyscall debugger', () => {
  it('describes every SPEC 6 launch attribute with a type, a description and a default', () => {
    assert.deepEqual(Object.keys(launchProperties).sort(), [...LAUNCH_ATTRIBUTES].sort());
    for (const attribute of LAUNCH_ATTRIBUTES) {
      const property = launchProperties[attribute]!;
      assert.ok(typeof property['type'] === 'string', `${attribute} has a type`);
      assert.ok(typeof property['description'] === 'string' && (property['description'] as string).length > 20, `${attribute} is described`);
      assert.ok('default' in property, `${attribute} has a default`);
    }
  });

  it('offers exactly the values the adapter accepts, with xp-sp3 and auto as defaults', () => {
    assert.deepEqual(launchProperties['syscall']!['enum'], [...SYSCALL_MECHANISMS]);
    assert.deepEqual(launchProperties['windows']!['enum'], [...WINDOWS_VERSIONS]);
    assert.deepEqual(launchProperties['trace']!['enum'], [...TRACE_LEVELS]);
    assert.equal(launchProperties['windows']!['default'], DEFAULT_WINDOWS_VERSION);
    assert.deepEqual([...WINDOWS_VERSIONS].sort(), [...SYSCALL_LIST_VERSIONS].sort(), 'the versions the stub generator knows');
    assert.equal(launchProperties['syscall']!['default'], 'auto');
    for (const name of ['syscall', 'windows', 'trace']) {
      assert.equal((launchProperties[name]!['enumDescriptions'] as string[]).length, (launchProperties[name]!['enum'] as string[]).length, name);
    }
  });

  it('starts launch.json with the same configuration the provider gives, and has the three snippets', () => {
    assert.equal(debuggerContribution['label'], 'NT System Call Debugger');
    assert.deepEqual(debuggerContribution['initialConfigurations'], initialConfigurations());
    const snippets = debuggerContribution['configurationSnippets'] as Json[];
    assert.deepEqual(snippets.map((snippet) => (snippet['label'] as string).replace(/^NT System Call Debugger: /, '')),
      ['run the default sample', 'sysenter vs int 2e', 'driver + program']);
    for (const snippet of snippets) assert.equal((snippet['body'] as Json)['type'], 'ntsyscall');
  });

  it('sets breakpoints in ntasm and the common assembly languages', () => {
    const languages = (contributes['breakpoints'] as Json[]).map((entry) => entry['language']);
    assert.deepEqual(languages, ['ntasm', 'asm', 'nasm', 'x86', 'x86asm']);
    assert.deepEqual(debuggerContribution['languages'], languages);
  });

  it('declares workspace trust and virtual workspaces honestly, and an engine code-server 4.100.3 satisfies', () => {
    const capabilities = manifest['capabilities'] as Json;
    const trust = capabilities['untrustedWorkspaces'] as Json;
    assert.equal(trust['supported'], false);
    assert.ok(typeof trust['description'] === 'string');
    assert.equal((capabilities['virtualWorkspaces'] as Json)['supported'], false);
    assert.match((manifest['engines'] as Json)['vscode'] as string, /^\^1\.(9\d|100)\.\d+$/);
    assert.equal(manifest['main'], './dist/extension.js');
    assert.ok(fs.existsSync(path.join(sourceRoot, manifest['icon'] as string)), 'the icon exists');
  });
});

describe('extension manifest: views, commands, menus, settings', () => {
  const views = (contributes['views'] as Json)['debug'] as Json[];

  it('contributes the six NT views to Run and Debug, each with welcome content', () => {
    assert.deepEqual(views.map((view) => view['id']), NT_VIEWS.map((view) => view.viewId));
    assert.deepEqual(views.map((view) => view['name']), NT_VIEWS.map((view) => view.title));
    const welcomed = new Set((contributes['viewsWelcome'] as Json[]).map((entry) => entry['view']));
    for (const view of NT_VIEWS) assert.ok(welcomed.has(view.viewId), `${view.viewId} has welcome content`);
  });

  it('declares every command the menus and welcome texts use, and the extension registers', () => {
    const declared = new Set((contributes['commands'] as Json[]).map((command) => command['command'] as string));
    const menus = contributes['menus'] as Record<string, Json[]>;
    for (const [menu, items] of Object.entries(menus)) {
      for (const item of items) assert.ok(declared.has(item['command'] as string), `${menu}: ${String(item['command'])}`);
    }
    for (const entry of contributes['viewsWelcome'] as Json[]) {
      for (const match of (entry['contents'] as string).matchAll(/\(command:([\w.]+)\)/g)) assert.ok(declared.has(match[1]!), match[1]);
    }
    const activation = fs.readFileSync(path.join(sourceRoot, 'extension', 'extension.ts'), 'utf8');
    const registered = new Set([...activation.matchAll(/registerCommand\('([\w.]+)'/g)].map((match) => match[1]!));
    assert.deepEqual([...registered].sort(), [...declared].sort());
  });

  it('has the settings the extension reads', () => {
    const settings = Object.keys(((contributes['configuration'] as Json)['properties']) as Json);
    const reader = fs.readFileSync(path.join(sourceRoot, 'extension', 'settings.ts'), 'utf8');
    const read = [...reader.matchAll(/get<\w+>\('([\w.]+)'/g)].map((match) => `ntsyscall.${match[1]!}`);
    assert.deepEqual(read.sort(), settings.sort());
  });
});

describe('extension manifest: language, grammar and snippets', () => {
  it('registers ntasm for .asm and .inc with its configuration, grammar and snippets on disk', () => {
    const language = (contributes['languages'] as Json[])[0]!;
    assert.equal(language['id'], 'ntasm');
    assert.deepEqual(language['extensions'], ['.asm', '.inc']);
    const configuration = readJson(language['configuration'] as string);
    assert.equal((configuration['comments'] as Json)['lineComment'], ';');
    const grammar = (contributes['grammars'] as Json[])[0]!;
    assert.equal(readJson(grammar['path'] as string)['scopeName'], grammar['scopeName']);
    for (const snippetFile of contributes['snippets'] as Json[]) {
      const snippets = readJson(snippetFile['path'] as string);
      for (const [name, snippet] of Object.entries(snippets)) assert.ok(Array.isArray((snippet as Json)['body']), name);
    }
  });

  it('has grammar regexes that compile as JavaScript and use nothing Oniguruma-only', () => {
    const grammar = readJson('syntaxes/ntasm.tmLanguage.json');
    let count = 0;
    for (const { where, pattern } of grammarPatterns(grammar, 'grammar')) {
      assert.doesNotThrow(() => compileLikeOniguruma(pattern), where);
      assert.doesNotMatch(pattern.replace(/^\(\?i\)/, ''), /\(\?i\)|\\[hHAzZG]|\(\?<[a-z]/, `${where} uses Oniguruma-only syntax`);
      count++;
    }
    assert.ok(count > 20, `${count} patterns`);
  });

  it('scopes the samples\' syntax: mnemonics, registers, directives, labels, numbers, comments, preprocessor', () => {
    const grammar = readJson('syntaxes/ntasm.tmLanguage.json');
    const repository = grammar['repository'] as Record<string, Json>;
    const matcher = (rule: string, index?: number): RegExp => {
      const entry = index === undefined ? repository[rule]! : (repository[rule]!['patterns'] as Json[])[index]!;
      return compileLikeOniguruma(entry['match'] as string);
    };
    assert.match('sysenter', matcher('mnemonic', 0));
    assert.match('iretd', matcher('mnemonic', 0));
    assert.match('lidt', matcher('mnemonic', 1));
    assert.match('MOVZX', matcher('mnemonic', 2));
    assert.match('cr3', matcher('register', 2));
    assert.match('fs', matcher('register', 1));
    assert.match('ESP', matcher('register', 0));
    assert.doesNotMatch('espresso', matcher('register', 0));
    assert.match('resd', matcher('directive', 1));
    assert.match('        global start', matcher('directive', 0));
    assert.match('KiFastSystemCallRet:', matcher('label-definition'));
    assert.match('.loop:', matcher('label-definition'));
    assert.match('FILE_HANDLE     equ 0x4', matcher('constant-definition'));
    assert.match('%ifndef IMPLEMENTED_NtClose', matcher('preprocessor', 0));
    for (const [number, index] of [['0x10', 0], ['10h', 1], ['0B7h', 1], ['0b1', 3], ['101b', 3], ['17q', 4], ['0o17', 4], ['42', 5]] as const) {
      const found = matcher('number', index).exec(number);
      assert.equal(found?.[0], number, `${number} is one number`);
    }
    assert.equal(matcher('comment').exec('int 0x2E ; -> IDT[0x2E]')?.[0], '; -> IDT[0x2E]');
  });
});

describe('extension: F5 without launch.json', () => {
  it('debugs the open .asm file, or the default sample when none is open', () => {
    assert.deepEqual(completeLaunchConfiguration({}, { path: '/w/programs/hello.asm', languageId: 'ntasm' }), {
      ok: true, configuration: { type: 'ntsyscall', request: 'launch', name: 'Debug the open file', program: '/w/programs/hello.asm', stopOnEntry: true },
    });
    const fallback = completeLaunchConfiguration({}, { path: '/w/README.md', languageId: 'markdown' });
    assert.ok(fallback.ok && fallback.configuration.program === undefined);
    const include = completeLaunchConfiguration({}, { path: '/w/kernel/traps.inc', languageId: 'ntasm' });
    assert.ok(!include.ok && /include file/.test(include.message));
  });

  it('keeps a written configuration and rejects values the adapter would not understand', () => {
    const kept = completeLaunchConfiguration({ type: 'ntsyscall', request: 'launch', name: 'x', syscall: 'int2e', drivers: ['a.asm'], clock: 1000 });
    assert.ok(kept.ok && kept.configuration.syscall === 'int2e');
    const wrong = completeLaunchConfiguration({ type: 'ntsyscall', request: 'launch', name: 'x', windows: 'xp' });
    assert.ok(!wrong.ok && /"windows" must be one of xp-sp3/.test(wrong.message));
    assert.match(attributeProblem({ type: 'ntsyscall', name: 'x', request: 'launch', clock: -1 }) ?? '', /clock/);
    assert.match(attributeProblem({ type: 'ntsyscall', name: 'x', request: 'launch', drivers: 'a.asm' as unknown as string[] }) ?? '', /drivers/);
  });
});
