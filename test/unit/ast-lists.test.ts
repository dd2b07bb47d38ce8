import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDockerfile } from '../../core/src/model/ast';

/** A file whose ENV blocks all refer to `$PATH`: dockerfile-utils resolves each reference. */
function envBlocks(n: number): string {
  const out = ['FROM quay.io/fedora/fedora-bootc:42'];
  for (let i = 0; i < n; i++) out.push(`ENV APP_${i}=on PATH=/usr/local/app-${i}/bin:$PATH`);
  return out.join('\n') + '\n';
}

/** Counts how often the image's instruction array is iterated (each full scan iterates it once). */
function countScans(df: object): () => number {
  const holder = df as { instructions: unknown[] };
  let scans = 0;
  holder.instructions = new Proxy(holder.instructions, {
    get(target, key, receiver) {
      if (key === Symbol.iterator) scans++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return () => scans;
}

describe('dockerfile-ast instruction lists', () => {
  it('lists FROM/ENV/ARG once per image, not once per call', () => {
    const df = parseDockerfile(envBlocks(5) + '# another text than the other tests parse\n');
    const scans = countScans(df);
    for (let i = 0; i < 50; i++) {
      df.getFROMs();
      df.getENVs();
      df.getARGs();
    }
    assert.ok(scans() <= 3, `the instructions were scanned ${scans()} times for 150 calls`);
  });

  it('hands out copies, and sees instructions added later', () => {
    const df = parseDockerfile('FROM a\nENV X=1\n');
    const first = df.getENVs();
    first.pop();
    assert.equal(df.getENVs().length, 1, 'a caller changing its array does not change the next answer');
    const later = parseDockerfile('FROM b\nENV Y=2\nENV Z=3\n').getENVs()[1];
    assert.ok(later);
    (df as unknown as { addInstruction: (i: unknown) => void }).addInstruction(later);
    assert.equal(df.getENVs().length, 2);
  });

  it('resolves variables from the remembered lists as before', () => {
    const df = parseDockerfile('ARG V=0\nFROM x\nENV A=1\nENV A=2 B=$A\nRUN echo $A $B $V\n');
    for (let i = 0; i < 3; i++) {
      assert.equal(df.resolveVariable('A', 4), '2');
      assert.equal(df.resolveVariable('B', 4), '$A');
      assert.equal(df.resolveVariable('A', 3), '1');
      assert.equal(df.resolveVariable('NOPE', 4), undefined);
    }
  });
});

describe('dockerfile-ast: variables in very long arguments', () => {
  it('reads ${…} in a normal argument and gives up past the bound instead of rescanning quadratically', async () => {
    const { MAX_VARIABLE_SCAN } = await import('../../core/src/model/ast');
    const names = (text: string): string[] =>
      parseDockerfile(text)
        .getInstructions()
        .flatMap((i) => i.getVariables().map((v) => v.getName()));
    assert.deepEqual(names('FROM scratch\nRUN echo ${A} \\ \\ x\n'), ['A']);
    // 12 s in dockerfile-utils' variable check before the bound (a line the fuzz run made).
    const quadratic = `FROM scratch\nRUN echo \${A ${'\\ '.repeat(MAX_VARIABLE_SCAN)}}\n`;
    assert.deepEqual(names(quadratic), []);
    // Past the bound even a plain reference is not read: the guard is on length, not on shape.
    assert.deepEqual(names(`FROM scratch\nRUN echo \${A}${'x'.repeat(MAX_VARIABLE_SCAN)}\n`), []);
  });
});
