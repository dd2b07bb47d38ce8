import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildModel, initShellParser } from '../../core/src';
import { BuildProgress, buildCommand, defaultTag, failingInstruction, instructionForStep } from '../../core/src/podman/build';
import { versionAtLeast } from '../../core/src/podman/podman';
import { describe as describeCmd } from '../../core/src/process/run';

before(async () => {
  await initShellParser();
});

describe('podman argv', () => {
  it('builds the command line with every option, never through a shell', () => {
    const spec = buildCommand({
      file: '/w s/Containerfile',
      context: '/w s',
      tag: 'localhost/x:latest',
      buildArgs: { A: '1', B: 'x y' },
      target: 'final',
      isolation: 'chroot',
      connection: 'big-box',
      extraArgs: ['--pull=never'],
      iidFile: '/tmp/iid',
    });
    assert.equal(spec.command, 'podman');
    assert.deepEqual(spec.args, [
      '--connection',
      'big-box',
      'build',
      '-f',
      '/w s/Containerfile',
      '-t',
      'localhost/x:latest',
      '--target',
      'final',
      '--build-arg',
      'A=1',
      '--build-arg',
      'B=x y',
      '--isolation=chroot',
      '--iidfile',
      '/tmp/iid',
      '--pull=never',
      '/w s',
    ]);
    assert.equal(describeCmd({ command: 'podman', args: ['build', '/w s', "it's"] }), `podman build '/w s' 'it'\\''s'`);
    assert.deepEqual(buildCommand({ file: 'C', context: '.', tag: 't', remote: true }).args.slice(0, 2), ['--remote', 'build']);
  });
  it('derives a valid default tag from the folder', () => {
    assert.equal(defaultTag('/home/me/My Bootc Image!'), 'localhost/my-bootc-image:latest');
    assert.equal(defaultTag('/'), 'localhost/bootc-image:latest');
  });
  it('compares podman versions', () => {
    assert.ok(versionAtLeast('4.3.1', [4, 0]));
    assert.ok(!versionAtLeast('4.3.1', [4, 8]));
    assert.ok(versionAtLeast('5.0.0-dev', [4, 8]));
    assert.ok(!versionAtLeast('3.4.4', [4, 0]));
  });
});

describe('STEP progress', () => {
  it('reads single and multi-stage steps with durations, the failure and the image id', () => {
    let t = 1000;
    const p = new BuildProgress(() => t);
    const lines = [
      '[1/2] STEP 1/2: FROM docker.io/library/golang:1 AS build',
      '[1/2] STEP 2/2: RUN go build',
      '--> 7cff6f3bc8e',
      '[2/2] STEP 1/3: FROM localhost/base:1',
      '[2/2] STEP 2/3: RUN echo about to fail &&     false',
      'about to fail',
      'Error: building at STEP "RUN echo about to fail &&     false": exit status 1',
    ];
    for (const l of lines) {
      p.feed(l);
      t += 100;
    }
    p.finish();
    assert.deepEqual(
      p.steps.map((s) => [s.stage, s.stages, s.step, s.steps, s.durationMs]),
      [
        [1, 2, 1, 2, 100],
        [1, 2, 2, 2, 200],
        [2, 2, 1, 3, 100],
        [2, 2, 2, 3, 300],
      ],
    );
    assert.deepEqual(p.failure, { stepText: 'RUN echo about to fail &&     false', message: 'exit status 1' });
    const ok = new BuildProgress();
    ok.feed('STEP 1/1: FROM x');
    ok.feed('b1cfa0c385d79f4977afa3346f443551c0ab6dae82fe0a00fece6fa4eef1da65');
    assert.equal(ok.imageId, 'b1cfa0c385d79f4977afa3346f443551c0ab6dae82fe0a00fece6fa4eef1da65');
    assert.equal(ok.steps[0]?.stage, 1);
  });
  it('accepts podman 4.3 "error building at STEP" wording', () => {
    const p = new BuildProgress();
    p.feed('STEP 2/2: RUN false');
    p.feed('Error: error building at STEP "RUN false": error while running runtime: exit status 1');
    assert.equal(p.failure?.stepText, 'RUN false');
  });
});

describe('failing-step mapping', () => {
  const text =
    'ARG X=1\nFROM docker.io/library/golang:1 AS build\nRUN go build\n\nFROM localhost/base:1\nRUN echo ok\nRUN echo about to fail && \\\n    false\nRUN echo never\n';
  let model: ReturnType<typeof buildModel>;
  before(() => {
    model = buildModel(text);
  });
  it('maps stage and step numbers to the instruction', () => {
    assert.equal(instructionForStep(model, 1, 2)?.range.start.line, 2);
    assert.equal(instructionForStep(model, 2, 2)?.range.start.line, 5);
  });
  it('maps a failure by the failing step, across a line continuation', () => {
    const p = new BuildProgress();
    for (const l of [
      '[1/2] STEP 1/2: FROM docker.io/library/golang:1 AS build',
      '[1/2] STEP 2/2: RUN go build',
      '[2/2] STEP 1/4: FROM localhost/base:1',
      '[2/2] STEP 2/4: RUN echo ok',
      '[2/2] STEP 3/4: RUN echo about to fail &&     false',
      'Error: building at STEP "RUN echo about to fail &&     false": exit status 1',
    ])
      p.feed(l);
    const ins = failingInstruction(model, p);
    assert.deepEqual([ins?.range.start.line, ins?.range.end.line], [6, 7]);
  });
  it('falls back to the step text when the numbering does not fit', () => {
    assert.equal(instructionForStep(model, 9, 9, 'RUN echo never')?.range.start.line, 8);
  });
});
