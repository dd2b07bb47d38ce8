import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type {
  CodeAction,
  CompletionItem,
  Diagnostic,
  DocumentSymbol,
  Hover,
  TextDocumentEdit,
  TextEdit,
} from 'vscode-languageserver-protocol';
import { applyEdits } from '../helpers';
import { SERVER, TestClient } from './client';

const FEDORA = 'FROM quay.io/fedora/fedora-bootc:42\n';
const codes = (d: Diagnostic[]): string[] => d.map((x) => String(x.code)).sort();

describe('language server over stdio', () => {
  let client: TestClient;
  let dir: string;
  let n = 0;
  const uriFor = (name = `C${++n}.Containerfile`): string => pathToFileURL(path.join(dir, name)).toString();

  before(async () => {
    assert.ok(fs.existsSync(SERVER), 'run npm run build first');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab lsp $(x) '));
    client = new TestClient();
    const res = (await client.init(pathToFileURL(dir).toString())) as { capabilities: Record<string, unknown> };
    for (const cap of ['codeActionProvider', 'hoverProvider', 'completionProvider', 'documentSymbolProvider', 'textDocumentSync'])
      assert.ok(res.capabilities[cap], cap);
  });
  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('publishes diagnostics with rule id, docs link and source on open', async () => {
    const uri = uriFor();
    const p = await client.open(uri, `${FEDORA}RUN dnf -y install httpd && systemctl start httpd\n`);
    assert.deepEqual(codes(p.diagnostics), ['missing-container-lint', 'package-manager-leftovers', 'systemctl-runtime']);
    const d = p.diagnostics.find((x) => x.code === 'systemctl-runtime');
    assert.ok(d);
    assert.equal(d.source, 'bootc');
    assert.match(d.codeDescription?.href ?? '', /systemctl-runtime\.md$/);
    assert.deepEqual(d.range, { start: { line: 1, character: 28 }, end: { line: 1, character: 43 } });
  });

  it('lints a newly opened document once, not once for didOpen and again for its first content', async () => {
    // With a debounce, a second lint of the same version would publish again after it.
    client.settings = { ...client.settings, lintDebounceMs: 50 };
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    try {
      const uri = uriFor();
      await client.open(uri, `${FEDORA}RUN mkdir /var/lib/x\n`);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(client.publishCount.get(uri), 1);
    } finally {
      client.settings = { ...client.settings, lintDebounceMs: 0 };
      await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    }
  });

  it('re-lints incremental edits and clears fixed findings', async () => {
    const uri = uriFor();
    await client.open(uri, `${FEDORA}RUN mkdir /var/lib/x\nRUN bootc container lint\n`);
    const p = await client.change(uri, 2, [
      { range: { start: { line: 1, character: 10 }, end: { line: 1, character: 20 } }, text: '/usr/lib/x' },
    ]);
    assert.deepEqual(codes(p.diagnostics), []);
    assert.equal(p.version, 2);
  });

  it('applies a quick fix from a code action and the finding disappears', async () => {
    const uri = uriFor();
    const text = `${FEDORA}RUN dnf -y install httpd\nRUN bootc container lint\n`;
    const p = await client.open(uri, text);
    const d = p.diagnostics.find((x) => x.code === 'package-manager-leftovers');
    assert.ok(d);
    const actions = await client.conn.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d] },
    });
    assert.deepEqual(
      actions.map((a) => a.title),
      [
        'Clean up after dnf in this RUN',
        "Keep dnf's files out of the image with cache mounts",
        'Ignore package-manager-leftovers for this instruction',
        'Ignore package-manager-leftovers in this file',
      ],
    );
    const edits = actions[0]?.edit?.changes?.[uri] as TextEdit[];
    const fixed = applyEdits(text, edits);
    const after = await client.change(uri, 2, [{ text: fixed }]);
    assert.deepEqual(codes(after.diagnostics), []);
    // The suppression action works too.
    const ignore = actions[2]?.edit?.changes?.[uri] as TextEdit[];
    const suppressed = await client.change(uri, 3, [{ text: applyEdits(text, ignore) }]);
    assert.deepEqual(codes(suppressed.diagnostics), []);
  });

  it('offers heredoc and build-context-file fixes; the file fix creates the file next to the Containerfile', async () => {
    const uri = uriFor('Containerfile.users');
    const text = `${FEDORA}RUN useradd --system web\nRUN bootc container lint\n`;
    const p = await client.open(uri, text);
    const d = p.diagnostics.find((x) => x.code === 'useradd-without-sysusers');
    assert.ok(d);
    const actions = await client.conn.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d] },
    });
    const heredoc = actions.find((a) => /COPY heredoc/.test(a.title));
    const file = actions.find((a) => /build-context file/.test(a.title));
    assert.ok(heredoc && file);
    const changes = file.edit?.documentChanges ?? [];
    assert.deepEqual(changes[0], {
      kind: 'create',
      uri: pathToFileURL(path.join(dir, 'web.conf')).toString(),
      options: { ignoreIfExists: false, overwrite: false },
    });
    const content = ((changes[1] as TextDocumentEdit).edits[0] as TextEdit | undefined)?.newText ?? '';
    assert.equal(content, 'u web - "web" - -\n');
    // Apply the workspace edit the way an editor would, then the finding is gone.
    fs.writeFileSync(path.join(dir, 'web.conf'), content);
    const after = await client.change(uri, 2, [{ text: applyEdits(text, (changes[2] as TextDocumentEdit).edits as TextEdit[]) }]);
    assert.deepEqual(codes(after.diagnostics), []);
  });

  it('answers hover, completion and document symbols', async () => {
    const uri = uriFor();
    await client.open(uri, `${FEDORA}RUN mkdir /var/lib/x\nRUN bootc container lint\n`);
    const h = await client.conn.sendRequest<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 14 } });
    assert.match(JSON.stringify(h.contents), /var-content/);
    assert.match(JSON.stringify(h.contents), /machine state/);
    const empty = uriFor();
    await client.open(empty, 'FROM \n');
    const c = await client.conn.sendRequest<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri: empty },
      position: { line: 0, character: 5 },
    });
    assert.ok(c.some((x) => x.label === 'quay.io/centos-bootc/centos-bootc:stream10'));
    const s = await client.conn.sendRequest<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.equal(s.length, 1);
    assert.deepEqual(
      s[0]?.children?.map((x) => x.name),
      ['FROM', 'RUN', 'RUN'],
    );
  });

  it('honours .bootc-lint.yaml and reports a broken one', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'cfg-'));
    fs.writeFileSync(path.join(sub, '.bootc-lint.yaml'), 'rules:\n  missing-container-lint: off\n  var-content: error\n');
    const uri = pathToFileURL(path.join(sub, 'Containerfile')).toString();
    const p = await client.open(uri, `${FEDORA}RUN mkdir /var/lib/x\n`);
    assert.deepEqual(
      p.diagnostics.map((d) => [d.code, d.severity]),
      [['var-content', 1]],
    );
    fs.writeFileSync(path.join(sub, '.bootc-lint.yaml'), 'rulez: {}\n');
    const next = client.next(uri);
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: pathToFileURL(path.join(sub, '.bootc-lint.yaml')).toString(), type: 2 }],
    });
    const broken = await next;
    assert.ok(
      broken.diagnostics.some((d) => d.code === 'config' && typeof d.message === 'string' && d.message.includes('unknown key "rulez"')),
    );
  });

  it('pulls settings with workspace/configuration', async () => {
    client.settings = { ...client.settings, rules: { 'missing-container-lint': 'off', 'toplevel-directory': 'error' } };
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const uri = uriFor();
    const p = await client.open(uri, `${FEDORA}COPY app /app/\n`);
    assert.deepEqual(
      p.diagnostics.map((d) => [d.code, d.severity]),
      [['toplevel-directory', 1]],
    );
    client.settings = { ...client.settings, rules: {} };
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  });

  it('answers every document of a hostile corpus and stays alive', async () => {
    const docs = corpus();
    for (const [i, text] of docs.entries()) {
      const uri = uriFor(`junk-${i}.Containerfile`);
      const p = await client.open(uri, text);
      assert.ok(Array.isArray(p.diagnostics), `document ${i}`);
      await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    }
    const uri = uriFor();
    const p = await client.open(uri, `${FEDORA}RUN mkdir /var/x\n`);
    assert.ok(p.diagnostics.some((d) => d.code === 'var-content'));
    assert.equal(client.stderr.includes('Error'), false, client.stderr);
  });
});

describe('bootc-lab lsp --stdio', () => {
  it('serves the same diagnostics through the CLI entry point', async () => {
    const c = new TestClient([path.join(SERVER, '../cli.js'), 'lsp', '--stdio']);
    try {
      await c.init(null, { settings: { lintDebounceMs: 0 } });
      const p = await c.open('untitled:Containerfile', `${FEDORA}EXPOSE 80\n`);
      assert.deepEqual(codes(p.diagnostics), ['ignored-instruction', 'missing-container-lint']);
    } finally {
      await c.stop();
    }
  });
});

/** Random, mutated and pathological documents; deterministic so failures reproduce. */
function corpus(): string[] {
  let seed = 42;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const words = [
    'FROM',
    'RUN',
    'COPY',
    '<<EOF',
    'EOF',
    '\\',
    '\n',
    '"',
    "'",
    '$(',
    ')',
    '`',
    '&&',
    '||',
    '|',
    ';',
    '/var/lib/x',
    '--mount=type=tmpfs,target=/tmp',
    'dnf',
    'install',
    '-y',
    '#',
    'bootc',
    'container',
    'lint',
    '${X:-y}',
    '{',
    '}',
    '[',
    ']',
    'LABEL',
    'a=b',
    ' ',
  ];
  const out: string[] = [];
  for (let i = 0; i < 40; i++) {
    let s = '';
    for (let j = 0; j < 80; j++) s += (words[rnd(words.length)] ?? '') + (rnd(3) === 0 ? '\n' : ' ');
    out.push(s);
  }
  const base = fs.readFileSync(path.join(__dirname, '../../examples/README.Containerfile'), 'utf8');
  for (let i = 0; i < 20; i++) {
    const a = rnd(base.length);
    const b = rnd(base.length);
    out.push(base.slice(0, Math.min(a, b)) + base.slice(Math.max(a, b)) + base.slice(a % 7));
  }
  out.push(Buffer.from(Array.from({ length: 4096 }, () => rnd(256))).toString('latin1'));
  out.push('\u0000\uffff\ud800FROM\u0000 x\n');
  out.push(`${FEDORA}RUN <<EOF\nmkdir /var/x\n`);
  out.push(`${FEDORA}COPY <<EOF /usr/lib/bootc/kargs.d/x.toml\nkargs = [\n`);
  out.push(`${FEDORA}RUN echo ${'a'.repeat(100_000)}\n`);
  out.push(`${FEDORA}RUN ${'$('.repeat(2000)}\n`);
  out.push(
    `${FEDORA}${'RUN mkdir /var/lib/x && dnf -y install a b c \\\n  && rm -rf /tmp/*\n'.repeat(150_000)}`.slice(0, 10 * 1024 * 1024),
  );
  out.push('\r\r\r\rFROM x\rRUN y\r');
  out.push('');
  return out;
}
