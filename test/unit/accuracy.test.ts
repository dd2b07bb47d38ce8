import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildModel, initShellParser, lintText } from '../../core/src';
import { expandVars } from '../../core/src/model/vars';
import { packageEffect, kernelLayout } from '../../core/src/model/packages';
import { positionals } from '../../core/src/model/effects';
import type { DocWord } from '../../core/src/model/effects';

before(async () => {
  await initShellParser();
});

const words = (...v: string[]): DocWord[] =>
  v.map((value) => ({ value, dynamic: false, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }));

describe('build-argument substitution', () => {
  const vars = new Map([
    ['A', 'a'],
    ['EMPTY', ''],
  ]);
  for (const [input, want] of [
    ['${A}', 'a'],
    ['$A/x', 'a/x'],
    ['${A:-d}', 'a'],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${A:+v}', 'v'],
    ['${EMPTY:+v}', ''],
    ['${EMPTY+v}', 'v'],
    ['${UNSET:+v}', ''],
    ['${UNSET:-fedora-$A}', 'fedora-a'],
    ['${UNSET:-x${A:+-${A}}}', 'x-a'],
    ['${UNSET:-"quoted word"}', 'quoted word'],
    ['${UNSET}', '${UNSET}'],
    ['$UNSET', '$UNSET'],
    ['${A:?must be set}', '${A:?must be set}'],
    ['\\$A', '\\$A'],
    ['${A', '${A'],
  ] as const) {
    it(`${input} -> ${want}`, () => assert.equal(expandVars(input, vars), want));
  }

  it('resolves global ARGs in order, each seeing the ones before it', () => {
    const m = buildModel('ARG N="${N:-kinoite}"\nARG S="${S:-fedora-$N}"\nARG B="quay.io/fedora/${S}"\nARG V="${V:-43}"\nFROM ${B}:${V}\n');
    assert.equal(m.stages[0]?.image, 'quay.io/fedora/fedora-kinoite:43');
    assert.equal(m.stages[0]?.baseKind, 'bootc');
    assert.equal(m.stages[0]?.unresolved, false);
  });

  it('marks a FROM that no default resolves', () => {
    const m = buildModel('ARG BASE\nFROM ${BASE}:42\n');
    assert.equal(m.stages[0]?.unresolved, true);
    assert.equal(m.stages[0]?.baseKind, 'unknown');
  });

  it('gives re-declared and stage ARGs to COPY destinations and --from', () => {
    const m = buildModel(
      'ARG D=/usr/lib/x\nARG S=ctx\nFROM scratch AS ctx\nFROM scratch\nARG D\nARG S\nARG F=a.conf\nCOPY --from=${S} /f ${D}/${F}\n',
    );
    const w = m.instructions.at(-1)?.writes[0];
    assert.equal(w?.path, '/usr/lib/x/a.conf');
    assert.equal(w?.fromStage, 'ctx');
  });

  it('does not give a global ARG to a stage that does not re-declare it', () => {
    const m = buildModel('ARG D=/usr/lib/x\nFROM scratch\nCOPY f ${D}/\n');
    assert.equal(m.instructions.at(-1)?.writes[0]?.path, '/${D}');
  });

  it('keeps the unresolved FROM in the lint result and reports it once, as info', async () => {
    const r = await lintText('ARG BASE\nFROM ${BASE}\nRUN bootc container lint\n', 'file:///x/Containerfile');
    assert.equal(r.unresolvedBase, '${BASE}');
    assert.equal(r.bootc, true);
    assert.deepEqual(
      r.findings.filter((f) => f.rule === 'unresolved-base').map((f) => [f.severity, f.range.start.line]),
      [['info', 1]],
    );
    // Nothing about the base is assumed: no custom-base errors on a base picked with --build-arg.
    assert.deepEqual(
      r.findings.filter((f) => f.severity === 'error'),
      [],
    );
  });
});

describe('shell shapes', () => {
  const writes = (run: string): string[] =>
    buildModel(`FROM scratch\n${run}\n`)
      .instructions.at(-1)
      ?.writes.map((w) => w.path) ?? [];
  const removes = (run: string): string[] =>
    buildModel(`FROM scratch\n${run}\n`)
      .instructions.at(-1)
      ?.removes.map((w) => w.path) ?? [];

  it('follows cd for relative paths, within its subshell only', () => {
    assert.deepEqual(removes('RUN cd /usr/lib/modules/*/ && mv ./vmlinuz* /boot/'), ['/usr/lib/modules/*/vmlinuz*']);
    assert.deepEqual(writes('RUN (cd /opt && mkdir a) && mkdir b'), ['/opt/a', '/b']);
    assert.deepEqual(writes('RUN cd /srv; mkdir a; cd sub && touch b'), ['/srv/a', '/srv/sub/b']);
  });

  it('reads a value at the end of a bundle of short options from the next word', () => {
    assert.deepEqual(writes('RUN curl -fsSLo /tmp/x.zip https://e/x.zip'), ['/tmp/x.zip']);
    assert.deepEqual(writes('RUN wget -qO /tmp/x https://e/x'), ['/tmp/x']);
    assert.deepEqual(writes('RUN tar -xzf a.tgz -C /tmp'), ['/tmp']);
    const { opts, pos } = positionals(words('-Dm0644', 'src', 'dst'), ['-m']);
    assert.equal((opts.get('-m') as DocWord).value, '0644');
    assert.deepEqual(
      pos.map((p) => p.value),
      ['src', 'dst'],
    );
  });

  it('git clone writes its directory, make -C builds in one', () => {
    assert.deepEqual(writes('RUN git clone https://e/src.git /tmp/src'), ['/tmp/src']);
    assert.deepEqual(writes('WORKDIR /build\nRUN git clone --depth 1 https://e/tool.git'), ['/build/tool']);
    assert.deepEqual(writes('RUN make -C /tmp/src -j4 install'), ['/tmp/src']);
  });

  it('useradd -rs takes the shell as its value, not as the user name', () => {
    const users = buildModel('FROM scratch\nRUN useradd -rs /sbin/nologin web\n').instructions.at(-1)?.users;
    assert.deepEqual(
      users?.map((u) => u.name),
      ['web'],
    );
  });

  it('strips sudo with its options', () => {
    const cmds = buildModel('FROM scratch\nRUN sudo -u root podman pull x\n').instructions.at(-1)?.commands;
    assert.deepEqual(
      cmds?.map((c) => c.name),
      ['podman'],
    );
  });

  it('still runs what follows ||', () => {
    assert.deepEqual(writes('RUN groupadd -f x && id -u x || useradd x && mkdir -p /var/lib/x'), ['/var/lib/x']);
  });
});

describe('kernel packages by distribution', () => {
  const pkg = (cmd: string): ReturnType<typeof packageEffect> => {
    const c = buildModel(`FROM scratch\nRUN ${cmd}\n`).instructions.at(-1)?.commands[0];
    return c ? packageEffect(c) : undefined;
  };
  for (const [cmd, layout] of [
    ['dnf -y install kernel-core', 'modules'],
    ['pacman -S linux-lts', 'modules'],
    ['pacman -Syu linux-cachyos-bore', 'modules'],
    ['zypper in kernel-default', 'modules'],
    ['apt-get install -y linux-image-generic', 'boot'],
    ['apk add linux-virt', 'boot'],
    ['tdnf install -y kernel', 'boot'],
  ] as const) {
    it(`${cmd}: ${layout}`, () => {
      const p = pkg(cmd);
      assert.ok(p);
      assert.equal(kernelLayout(p), layout);
    });
  }
});

describe('no error on files that boot', () => {
  const errors = async (text: string): Promise<string[]> =>
    (await lintText(text, 'file:///x/Containerfile')).findings.filter((f) => f.severity === 'error').map((f) => f.rule);

  it('a Debian testing/unstable kernel without the copy is a warning: its packages ship /usr/lib/modules/$kver/vmlinuz from forky on', async () => {
    const file = (base: string) =>
      `FROM docker.io/library/debian:${base}\nLABEL containers.bootc=1\nRUN apt-get install -y linux-image-amd64\n`;
    for (const base of ['sid', 'unstable', 'testing', 'forky', 'sid-slim']) {
      const r = await lintText(file(base), 'file:///x/Containerfile');
      const f = r.findings.find((x) => x.rule === 'kernel-location');
      assert.equal(f?.severity, 'warning', base);
      assert.match(f?.message ?? '', /from forky on/);
    }
    assert.ok((await errors(file('trixie'))).includes('kernel-location'), 'still an error on trixie');
  });

  it('a kernel installed or copied by a script the file runs is not "missing" or "misplaced"', async () => {
    const ctx = 'FROM scratch AS ctx\nCOPY build_files /\n';
    assert.deepEqual(
      await errors(
        `${ctx}FROM docker.io/library/debian:trixie\nLABEL containers.bootc=1\nRUN --mount=type=bind,from=ctx,source=/,target=/ctx /ctx/kernel.sh\nRUN bootc container lint\n`,
      ),
      [],
    );
    assert.deepEqual(
      await errors(
        'FROM docker.io/library/debian:trixie\nLABEL containers.bootc=1\nCOPY kernel.sh /tmp/\nRUN apt-get install -y linux-image-amd64 && bash /tmp/kernel.sh\nRUN bootc container lint\n',
      ),
      [],
    );
    // Without the script, both are real (and so is the missing bootc binary).
    assert.deepEqual((await errors('FROM docker.io/library/debian:trixie\nLABEL containers.bootc=1\nRUN bootc container lint\n')).sort(), [
      'bootc-binary-missing',
      'kernel-missing',
    ]);
  });

  it('/ostree may link to /sysroot/ostree written absolute', async () => {
    assert.deepEqual(await errors('FROM quay.io/fedora/fedora-bootc:42\nRUN rm -rf /ostree && ln -s /sysroot/ostree /ostree\n'), []);
  });

  it('pacman -S --clean is a clean-up, not an install', () => {
    const c = buildModel('FROM scratch\nRUN pacman -S --clean --noconfirm\n').instructions.at(-1)?.commands[0];
    assert.equal(c && packageEffect(c)?.op, 'clean');
  });
});
