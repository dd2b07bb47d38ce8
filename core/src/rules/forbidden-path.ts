import { shippedWrites } from '../lint/helpers';
import { defineRule } from '../lint/rule';
import { isUnder, resolvePath } from '../model/paths';

const FORBIDDEN: Record<string, string> = {
  '/sysroot': 'the physical root that bootc and ostree manage',
  '/ostree': 'the ostree repository link (must stay sysroot/ostree)',
  '/proc': 'an API filesystem mounted by the kernel',
  '/sys': 'an API filesystem mounted by the kernel',
  '/dev': 'a devtmpfs mounted at boot',
};

export default defineRule({
  meta: {
    id: 'forbidden-path',
    severity: 'error',
    category: 'filesystem',
    description: 'Writes into /sysroot, /ostree, /proc, /sys or /dev.',
    fixable: false,
    why: '/sysroot and /ostree belong to bootc and ostree: the deployed system is assembled there, and content from the image breaks installs (`baseimage-root`). /proc, /sys and /dev are API filesystems mounted at boot, so anything written there during the build is either lost or hidden. Creating the empty /sysroot directory and the `/ostree -> sysroot/ostree` link of a custom base is fine.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN echo 1 > /proc/sys/net/ipv4/ip_forward',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY <<EOF /usr/lib/sysctl.d/50-forward.conf\nnet.ipv4.ip_forward = 1\nEOF',
  },
  check({ model, report }) {
    for (const { write } of shippedWrites(model)) {
      const p = write.path;
      const root = Object.keys(FORBIDDEN).find((d) => isUnder(p, d));
      if (!root) continue;
      if (p === '/sysroot' && (write.via === 'mkdir' || write.via === 'install')) continue;
      // `ln -s sysroot/ostree /ostree`, or the same link written absolute (`/sysroot/ostree`).
      if (p === '/ostree' && write.via === 'ln' && resolvePath(write.linkTarget ?? '', '/') === '/sysroot/ostree') continue;
      const hint = root === '/proc' || root === '/sys' ? ' Use sysctl.d or udev rules in /usr/lib instead.' : '';
      report({
        range: write.range,
        message: `${p} is under ${root}, ${FORBIDDEN[root]}: content written there does not ship or breaks the deployment.${hint}`,
      });
    }
  },
});
