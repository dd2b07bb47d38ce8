import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

// Its own process (node --test runs each file alone): nothing here loads tree-sitter up front. The
// shell cross-check that `npm test` turns on reads every script with tree-sitter too, which would load
// it, so it is off here, before the modules that read the setting are imported.
delete process.env.BOOTC_LAB_SHELL_CROSSCHECK;

describe('tree-sitter is loaded only when a script needs it', () => {
  it('lints plain command lists without it, and loads it for the first script that needs it', async () => {
    const { lintText } = await import('../../core/src');
    const { shellParserLoaded } = await import('../../core/src/shell/parser');
    const plain = await lintText('FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd && mkdir -p /var/lib/a\n', 'file:///a');
    assert.ok(
      plain.findings.some((f) => f.rule === 'var-content'),
      JSON.stringify(plain.findings.map((f) => f.rule)),
    );
    assert.equal(shellParserLoaded(), false);
    const compound = await lintText('FROM quay.io/fedora/fedora-bootc:42\nRUN if true; then mkdir -p /var/lib/b; fi\n', 'file:///b');
    assert.equal(shellParserLoaded(), true);
    const f = compound.findings.find((x) => x.rule === 'var-content');
    assert.ok(f, JSON.stringify(compound.findings.map((x) => x.rule)));
    assert.equal(f.range.start.line, 1);
  });
});
