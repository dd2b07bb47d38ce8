import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Run } from 'dockerfile-ast';
import { generateContainerfile, generateFindingsHeavy } from '../../bench/generate';
import { buildModel, initShellParser } from '../../core/src';
import { buildShellSource } from '../../core/src/model/shell-source';
import { treeSitterCommands } from '../../core/src/shell/commands';
import { simpleCommands } from '../../core/src/shell/simple';

/** Scripts the fast path must read, exactly as tree-sitter does. */
const TAKEN = [
  'dnf -y install httpd && dnf clean all',
  'a && b || c && d',
  'groupadd -f x && id -u x || useradd x && mkdir -p /var/lib/x',
  'a | b && c | d || e | f | g',
  'a | b | c',
  "set -eux\nuseradd --system app\ninstall -d -m 0755 /usr/lib/app\n\nsed -i 's/^#Port 22/Port 2/' /etc/ssh/sshd_config\n",
  'a; b; c',
  'a;b',
  'echo 5 > /usr/lib/x.ver && echo y >> /etc/y 2>&1 && cmd &>/dev/null && other 2>/dev/null >&2',
  'printf x >| /etc/z',
  'cp /boot/vmlinuz-$kver /usr/lib/modules/$kver/vmlinuz',
  'cp "/boot/vmlinuz-${kver}" "/usr/lib/modules/$kver/" && echo "plain" \'raw $x\' --opt="a b" pre\'q\'post',
  'A=1 B="two words" make install && env -i FOO=bar dracut -f && sudo -u app podman pull x && nice -n 5 cmd',
  'rm -rf /var/cache/* /var/log/*.log /tmp/?x ~/.cache && tar -xzf a.tgz -C /opt',
  'apt-get install -y \\\n    foo && \\\n    mkdir /var/foo',
  '# a comment line\ndnf install -y x\n  # indented comment\nsystemctl enable x',
  'curl -fsSLo /tmp/x.zip https://example.com/a,b:c@d%e+f=g^h',
  'a &&\n  b ||\n  c |\n  d',
  'echo fi done then',
  '',
];

/** Scripts it must leave to tree-sitter. */
const LEFT = [
  'echo $(date)',
  'echo `date`',
  '(cd /x && make)',
  '{ a; b; }',
  'if true; then a; fi',
  'for f in a b; do echo $f; done',
  'while read l; do :; done',
  'case $x in a) b;; esac',
  'cat <<EOF\nx\nEOF',
  'cat < /etc/x',
  'export A=1',
  'A=1',
  'sh -c "dnf install -y x"',
  'sudo bash -c x',
  'echo a\\ b',
  'echo a # trailing comment',
  'sleep 1 &',
  'a ;; b',
  '; a',
  'a &&',
  'echo "a\\"b"',
  'echo ${X:-y}',
  'echo $1 $@',
  '[ -e /x ] && echo y',
  '! grep x y',
  'time make',
  'echo "unterminated',
  "echo 'unterminated",
  'a |& b',
  'echo x\\\ny',
  'f() { a; }',
  'a | b | c && d',
  'a && \\\n  b \\\n',
];

describe('the shell fast path (core/src/shell/simple.ts)', () => {
  before(() => initShellParser());

  it('reads plain command lists exactly as the tree-sitter walk does', () => {
    for (const text of TAKEN) {
      const fast = simpleCommands(text);
      assert.ok(fast, `the fast path declined ${JSON.stringify(text)}`);
      assert.deepEqual(fast, treeSitterCommands(text), JSON.stringify(text));
    }
    // Spot checks that the comparison itself sees what matters.
    const [a, b, c, d] = simpleCommands('a && b || c && d') ?? [];
    assert.deepEqual(
      [a?.swallowed, b?.swallowed, c?.swallowed, d?.swallowed, c?.guard, d?.guard],
      [true, true, false, false, 'a && b', undefined],
    );
    const r = simpleCommands('echo y >> /etc/y 2>&1')?.[0]?.redirects;
    assert.deepEqual(
      r?.map((x) => `${x.op} ${x.target?.value ?? ''}`),
      ['>> /etc/y', '>& 1'],
    );
  });

  it('leaves everything else to tree-sitter', () => {
    for (const text of LEFT) assert.equal(simpleCommands(text), undefined, JSON.stringify(text));
  });

  it('agrees with tree-sitter on every RUN of the fixtures, templates and generated files it takes', () => {
    const root = path.join(__dirname, '../..');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/(^|\.)(Containerfile|Dockerfile)$/.test(e.name)) files.push(p);
      }
    };
    for (const d of ['test/fixtures', 'test/integration/fixtures', 'templates']) walk(path.join(root, d));
    const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
    texts.push(generateContainerfile(600, 3), generateFindingsHeavy(600, 5));
    let taken = 0;
    let scripts = 0;
    for (const text of texts) {
      const model = buildModel(text, 'file:///corpus/Containerfile');
      for (const info of model.instructions) {
        if (info.keyword !== 'RUN') continue;
        for (const src of buildShellSource(model.doc, info.ins as Run, info.heredocs)) {
          scripts++;
          const fast = simpleCommands(src.text);
          if (!fast) continue;
          taken++;
          assert.deepEqual(fast, treeSitterCommands(src.text), JSON.stringify(src.text));
        }
      }
    }
    assert.ok(files.length >= 30, `${files.length} files`);
    // Most real RUNs are plain lists: if this falls, the speed of a big lint falls with it.
    assert.ok(taken / scripts > 0.6, `the fast path took ${taken} of ${scripts} scripts`);
  });
});
