import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildModel, initShellParser } from '../../core/src';
import { classifyImage, parseImageRef } from '../../core/src/model/base-images';
import { coversPath, resolvePath } from '../../core/src/model/paths';
import { shellParseCount } from '../../core/src/shell/parser';
import { fmtRange } from '../helpers';

before(async () => {
  await initShellParser();
});

const at = (text: string, r: { start: { line: number; character: number }; end: { line: number; character: number } }): string => {
  const lines = text.split('\n');
  if (r.start.line !== r.end.line) return `${lines[r.start.line]?.slice(r.start.character)}…`;
  return lines[r.start.line]?.slice(r.start.character, r.end.character) ?? '';
};

describe('Containerfile model', () => {
  it('finds stages, the final stage and FROM <stage> chains', () => {
    const m = buildModel(
      'ARG BASE=quay.io/fedora/fedora-bootc:42\nFROM docker.io/library/golang:1 AS build\nRUN true\nFROM $BASE AS base\nFROM base\nRUN true\n',
    );
    assert.equal(m.stages.length, 3);
    assert.equal(m.stages[1]?.image, 'quay.io/fedora/fedora-bootc:42');
    assert.equal(m.stages[1]?.baseKind, 'bootc');
    assert.equal(m.stages[2]?.baseKind, 'stage');
    assert.equal(m.stages[2]?.parent, m.stages[1]);
    assert.deepEqual(
      m.stages.map((s) => [s.final, s.shipped]),
      [
        [false, false],
        [false, true],
        [true, true],
      ],
    );
  });

  it('maps words of a continued RUN to their physical lines, skipping comment lines', () => {
    const text = 'FROM scratch\nRUN dnf -y install \\\n    # editors\n    vim \\\n\n    && mkdir /var/lib/x\n';
    const m = buildModel(text);
    const run = m.instructions[1];
    assert.ok(run);
    assert.deepEqual(
      run.commands.map((c) => c.name),
      ['dnf', 'mkdir'],
    );
    const vim = run.commands[0]?.args.find((a) => a.value === 'vim');
    assert.ok(vim);
    assert.equal(fmtRange(vim), '4:5-4:8');
    assert.equal(run.writes[0]?.path, '/var/lib/x');
    assert.equal(at(text, run.writes[0].range), '/var/lib/x');
  });

  it('handles CRLF line endings and the backtick escape directive', () => {
    const crlf = 'FROM scratch\r\nRUN mkdir -p /a \\\r\n  /b\r\n';
    const m = buildModel(crlf);
    assert.deepEqual(
      m.instructions[1]?.writes.map((w) => w.path),
      ['/a', '/b'],
    );
    const tick = '# escape=`\nFROM scratch\nRUN mkdir /a `\n  /b\n';
    const t = buildModel(tick);
    assert.deepEqual(
      t.instructions[1]?.writes.map((w) => w.path),
      ['/a', '/b'],
    );
  });

  it('parses RUN heredoc scripts and keeps body positions', () => {
    const text = 'FROM scratch\nRUN <<EOF\nset -e\nmkdir -p /var/lib/a\nEOF\n';
    const m = buildModel(text);
    const w = m.instructions[1]?.writes[0];
    assert.ok(w);
    assert.equal(w.path, '/var/lib/a');
    assert.equal(fmtRange(w), '4:10-4:20');
  });

  it('does not parse a python heredoc as shell', () => {
    const m = buildModel('FROM scratch\nRUN <<EOF\n#!/usr/bin/env python3\nopen("/var/x", "w")\nEOF\n');
    assert.equal(m.instructions[1]?.commands.length, 0);
  });

  it('sees files written by `cat <<EOF > file` with their content', () => {
    const m = buildModel('FROM scratch\nRUN cat <<EOF > /usr/lib/sysusers.d/a.conf\nu a - - -\nEOF\n');
    const w = m.instructions[1]?.writes[0];
    assert.equal(w?.path, '/usr/lib/sysusers.d/a.conf');
    assert.equal(w?.content, 'u a - - -\n');
  });

  it('resolves COPY destinations against WORKDIR and names heredoc files', () => {
    const m = buildModel('FROM scratch\nWORKDIR /usr/lib\nCOPY a b app/\nCOPY <<one.conf <<two.conf /etc/x/\n1\none.conf\n2\ntwo.conf\n');
    const copy = m.instructions[2]?.writes[0];
    assert.equal(copy?.path, '/usr/lib/app');
    assert.equal(copy?.intoDirectory, true);
    assert.deepEqual(
      copy?.sources?.map((s) => s.value),
      ['a', 'b'],
    );
    assert.deepEqual(
      m.instructions[3]?.writes.map((w) => [w.path, w.content]),
      [
        ['/etc/x/one.conf', '1\n'],
        ['/etc/x/two.conf', '2\n'],
      ],
    );
  });

  it('extracts packages, users, removals, sh -c scripts and mounts', () => {
    const m = buildModel(
      'FROM scratch\nRUN --mount=type=cache,dst=/var/cache/dnf sudo dnf -y --setopt=x=1 install httpd vim && useradd -r -s /sbin/nologin web && rm -rf /tmp/* && sh -c "mkdir /opt/x"\n',
    );
    const run = m.instructions[1];
    assert.ok(run);
    assert.deepEqual(
      run.mounts.map((x) => [x.type, x.target]),
      [['cache', '/var/cache/dnf']],
    );
    assert.deepEqual(
      run.packages.map((p) => [p.manager, p.op, p.packages.map((w) => w.value)]),
      [['dnf', 'install', ['httpd', 'vim']]],
    );
    assert.deepEqual(
      run.users.map((u) => [u.what, u.name]),
      [['user', 'web']],
    );
    assert.deepEqual(
      run.removes.map((r) => [r.path, r.recursive]),
      [['/tmp/*', true]],
    );
    assert.ok(run.writes.some((w) => w.path === '/opt/x'));
  });

  it('marks swallowed commands', () => {
    const m = buildModel('FROM scratch\nRUN a || true; b; c && d | e\n');
    const sw = Object.fromEntries(m.instructions[1]!.commands.map((c) => [c.name, c.swallowed]));
    assert.deepEqual(sw, { a: true, true: true, b: true, c: false, d: true, e: false });
    const e = buildModel('FROM scratch\nRUN set -e; a; b\n');
    assert.equal(e.instructions[1]!.commands.find((c) => c.name === 'a')?.swallowed, false);
  });

  it('detects bootc files and leaves application Dockerfiles alone', () => {
    assert.deepEqual(buildModel('FROM node:20\nRUN npm ci\n').bootcSignals, []);
    assert.ok(buildModel('FROM quay.io/fedora/fedora-bootc:42\n').bootcSignals.length > 0);
    assert.ok(buildModel('FROM debian\nLABEL containers.bootc=1\n').bootcSignals.length > 0);
    assert.ok(buildModel('FROM debian\nRUN cp /boot/vmlinuz-6 /usr/lib/modules/6/vmlinuz\n').bootcSignals.length > 0);
  });

  it('keeps a value that doubles on every ENV line literal instead of outgrowing the largest string', () => {
    // Found by the fuzz run: 60 lines of `ENV A=$A$A` made expandVars throw RangeError: Invalid string length.
    const text = `FROM quay.io/fedora/fedora-bootc:42\nENV A=xxxxxxxxxxxxxxxx\n${'ENV A=$A$A\n'.repeat(60)}ENV B=$A\nRUN echo $B\n`;
    const m = buildModel(text, 'file:///x');
    assert.equal(m.instructions.length, 64);
  });

  it('reuses parsed shell trees for unchanged RUN text', () => {
    const text = 'FROM scratch\nRUN echo one-of-a-kind-text-42\n';
    buildModel(text);
    const n = shellParseCount();
    buildModel(text + 'LABEL a=b\n');
    assert.equal(shellParseCount(), n, 'the unchanged RUN is not parsed again');
    buildModel(text + 'RUN echo another\n');
    assert.equal(shellParseCount(), n + 1, 'only the new RUN is parsed');
  });
});

describe('incremental analysis', () => {
  it('reuses unchanged instructions and gives the same findings as a fresh lint', async () => {
    const { lintText } = await import('../../core/src');
    const { generateContainerfile } = await import('../../bench/generate');
    const text = generateContainerfile(300, 3);
    const first = await lintText(text, 'file:///x/C');
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.startsWith('RUN mkdir -p /var/lib/app-'));
    lines[i] = 'RUN mkdir -p /var/lib/changed && useradd edited';
    const edited = lines.join('\n');
    const before = shellParseCount();
    const incremental = await lintText(edited, 'file:///x/C', { previous: first.model.analysisCache });
    assert.equal(shellParseCount() - before, 1, 'only the edited RUN is parsed');
    const fresh = await lintText(edited, 'file:///x/C');
    assert.deepEqual(incremental.findings, fresh.findings);
    assert.ok(incremental.findings.some((f) => f.message.includes('/var/lib/changed')));
  });
});

describe('incremental analysis and variables', () => {
  it('reuses a RUN that names a variable until that variable changes, not when another one does', () => {
    const file = (other: string, cache: string): string =>
      `FROM quay.io/fedora/fedora-bootc:42\nENV OTHER=${other}\nARG CACHE=${cache}\n` +
      'RUN --mount=type=cache,target=$CACHE dnf -y install httpd && echo "$OTHER_NOT_SET"\n';
    const first = buildModel(file('a', '/var/cache/dnf'));
    const same = buildModel(file('b', '/var/cache/dnf'), 'untitled:x', first.analysisCache);
    // A reused analysis hands over the very arrays of the previous one.
    assert.equal(same.instructions.at(-1)?.commands, first.instructions.at(-1)?.commands, 'an unrelated variable keeps the analysis');
    assert.equal(same.instructions.at(-1)?.mounts[0]?.target, '/var/cache/dnf');
    const moved = buildModel(file('b', '/var/cache/other'), 'untitled:x', same.analysisCache);
    assert.notEqual(moved.instructions.at(-1)?.commands, same.instructions.at(-1)?.commands);
    assert.equal(moved.instructions.at(-1)?.mounts[0]?.target, '/var/cache/other', 'the RUN follows the variable it names');
  });
});

describe('paths and images', () => {
  it('normalises and globs paths', () => {
    assert.equal(resolvePath('x/../y/', '/usr/lib'), '/usr/lib/y');
    assert.ok(coversPath('/var/log/*', '/var/log/dnf5.log'));
    assert.ok(coversPath('/var/cache', '/var/cache/dnf/x'));
    assert.ok(coversPath('/var/lib/{apt,dnf}', '/var/lib/dnf'));
    assert.ok(!coversPath('/var/log/*.txt', '/var/log/dnf5.log'));
  });

  it('classifies base images', () => {
    assert.equal(classifyImage('quay.io/centos-bootc/centos-bootc:stream10')?.id, 'centos-bootc');
    assert.equal(classifyImage('ghcr.io/ublue-os/bazzite:stable@sha256:abc')?.varLinks['/opt'], '/var/opt');
    assert.equal(classifyImage('debian:bookworm')?.kind, 'non-bootc');
    assert.equal(classifyImage('docker.io/library/ubuntu')?.id, 'ubuntu');
    assert.equal(classifyImage('localhost/mine'), undefined);
    assert.deepEqual(parseImageRef('quay.io/fedora/fedora-bootc:42'), {
      name: 'quay.io/fedora/fedora-bootc',
      tag: '42',
      digest: undefined,
    });
    assert.equal(parseImageRef('localhost:5000/x').name, 'localhost:5000/x');
  });
});
