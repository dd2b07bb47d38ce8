import type { Label } from 'dockerfile-ast';
import { insertAfter } from '../lint/helpers';
import { nonBootcRoot } from '../lint/kernel';
import { defineRule } from '../lint/rule';
import { shippedInstructions } from '../model/containerfile';

const NAMES = new Set(['containers.bootc', 'ostree.bootable']);

export default defineRule({
  meta: {
    id: 'missing-bootc-label',
    severity: 'warning',
    category: 'integration',
    description: 'A non-bootc base without `LABEL containers.bootc=1`; an error when the label has another value.',
    fixable: true,
    why: 'bootc refuses to install, switch or upgrade to an image without the `containers.bootc` (or `ostree.bootable`) label ("Target image does not have ostree.bootable label"), and podman-bootc, bcvk and Podman Desktop only list images labelled `containers.bootc=1`. bootc bases carry the label; an image built from scratch or a plain distribution image must add it. The only valid value is `1`.',
    bad: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64',
    good: 'FROM docker.io/library/debian:bookworm\nLABEL containers.bootc=1\nRUN apt-get install -y linux-image-amd64',
  },
  check({ model, report }) {
    let found = false;
    for (const info of shippedInstructions(model)) {
      if (info.keyword !== 'LABEL') continue;
      let props;
      try {
        props = (info.ins as Label).getProperties();
      } catch {
        continue;
      }
      for (const p of props) {
        if (!NAMES.has(p.getName())) continue;
        found = true;
        const v = p.getValue() ?? '';
        const vr = p.getValueRange();
        if (v !== '1') {
          report({
            range: vr ?? p.getRange(),
            severity: 'error',
            message: `${p.getName()}=${v || '(empty)'}: the only value bootc and its tools recognise is 1.`,
            fixes: vr ? [{ title: `Set ${p.getName()}=1`, edits: [{ range: vr, newText: '1' }], preferred: true }] : [],
          });
        }
      }
    }
    if (found || !nonBootcRoot(model)) return;
    const final = model.finalStage;
    const from = final?.fromInfo;
    if (!final || !from) return;
    report({
      range: final.imageRange,
      message: `${final.image} is not a bootc base and nothing sets LABEL containers.bootc=1: bootc will refuse to install or upgrade to this image.`,
      fixes: [{ title: 'Add LABEL containers.bootc=1', edits: [insertAfter(model, from, 'LABEL containers.bootc=1')], preferred: true }],
    });
  },
});
