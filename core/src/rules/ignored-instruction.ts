import { defineRule } from '../lint/rule';

const ADVICE: Record<string, string> = {
  EXPOSE:
    'opens no port on the booted host. Configure the firewall (firewalld zone or service files in /usr/lib/firewalld) or leave ports to the service.',
  CMD: 'is not run on the booted host: systemd is PID 1. Ship a systemd unit in /usr/lib/systemd/system and enable it; keep CMD ["/sbin/init"] only so `podman run` boots the image.',
  ENTRYPOINT:
    'is not run on the booted host, and it wraps commands such as `podman run IMAGE bootc install …`. Ship a systemd unit instead.',
  HEALTHCHECK: 'has no container runtime to run it on the booted host. Use systemd (Restart=, WatchdogSec=) or greenboot health checks.',
  VOLUME: 'is ignored on the booted host, where /var is already persistent. Declare state directories with tmpfiles.d or StateDirectory=.',
  STOPSIGNAL:
    'only affects `podman run`; on the booted host systemd shuts services down. bootc bases use SIGRTMIN+3 so systemd stops cleanly under podman.',
  ONBUILD: 'runs only when another Containerfile builds FROM this image; it does nothing on the booted host.',
};

export default defineRule({
  meta: {
    id: 'ignored-instruction',
    severity: 'warning',
    category: 'instructions',
    description: 'EXPOSE, CMD, ENTRYPOINT, HEALTHCHECK, VOLUME, STOPSIGNAL and ONBUILD do nothing on a booted host.',
    fixable: true,
    why: 'bootc boots the image as an operating system: the kernel starts systemd, and the container configuration in the image (ports, command, entrypoint, health check, volumes, stop signal) is ignored. These instructions give a false sense that something is configured. Configure the booted system with systemd units, firewalld and tmpfiles.d instead.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install nginx && dnf clean all\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install nginx && dnf clean all && systemctl enable nginx\nCOPY <<EOF /usr/lib/firewalld/zones/public.xml\n…\nEOF',
  },
  check({ model, report }) {
    const final = model.finalStage;
    if (!final) return;
    for (const info of final.instructions) {
      const advice = ADVICE[info.keyword];
      if (!advice) continue;
      const args = info.ins.getArgumentsContent()?.trim() ?? '';
      if (info.keyword === 'CMD' && /^(\[\s*"\/sbin\/init"\s*\]|\/sbin\/init)$/.test(args)) continue;
      if (info.keyword === 'STOPSIGNAL' && /^(SIGRTMIN\+3|37)$/.test(args)) continue;
      const start = { line: info.range.start.line, character: 0 };
      const end = { line: info.range.end.line + 1, character: 0 };
      report({
        range: info.headRange,
        message: `${info.keyword} ${advice}`,
        fixes: [{ title: `Remove ${info.keyword}`, edits: [{ range: { start, end }, newText: '' }] }],
      });
    }
  },
});
