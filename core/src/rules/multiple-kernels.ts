import { kernelInstalls } from '../lint/kernel';
import { defineRule } from '../lint/rule';
import { rootStage, shippedInstructions } from '../model/containerfile';
import { isUnder } from '../model/paths';
import { kernelPackages } from '../model/packages';

export default defineRule({
  meta: {
    id: 'multiple-kernels',
    severity: 'warning',
    category: 'kernel',
    description: 'A second kernel installed on a base that already has one, the old one not removed.',
    fixable: false,
    why: 'bootc supports exactly one kernel per image: with two /usr/lib/modules/$kver directories holding a vmlinuz, `bootc container lint` fails (`kernel`: "Found multiple subdirectories in usr/lib/modules") and bootc cannot tell which to boot. When you swap the kernel, remove the base\'s kernel packages (or its /usr/lib/modules directory) in the same step.',
    bad: 'FROM quay.io/centos-bootc/centos-bootc:stream10\nRUN dnf -y install kernel-rt',
    good: 'FROM quay.io/centos-bootc/centos-bootc:stream10\nRUN dnf -y remove kernel kernel-core kernel-modules kernel-modules-core && \\\n    rm -rf /usr/lib/modules/* && dnf -y install kernel-rt && dnf clean all',
  },
  check({ model, report }) {
    const root = rootStage(model);
    const installs = kernelInstalls(model);
    const infos = shippedInstructions(model);
    installs.forEach((k, n) => {
      if (k.pkg.op === 'swap') return;
      const baseHas = (root?.family?.hasKernel ?? false) || n > 0;
      if (!baseHas) return;
      const removed = infos.some(
        (i) =>
          i.index >= k.info.index &&
          (i.packages.some((p) => p.op === 'remove' && kernelPackages(p).length > 0) ||
            i.removes.some((r) => isUnder(r.path, '/usr/lib/modules') && r.path !== '/usr/lib/modules')),
      );
      if (removed) return;
      const had = n > 0 ? 'an earlier step already installed a kernel' : `${root?.family?.title ?? 'the base'} already ships a kernel`;
      report({
        range: k.word.range,
        message: `${k.word.value} adds a second kernel: ${had}. bootc supports one kernel per image; remove the old kernel packages and its /usr/lib/modules directory.`,
      });
    });
  },
});
