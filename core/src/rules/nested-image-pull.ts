import { defineRule } from '../lint/rule';
import { positionals } from '../model/effects';
import { commandsNamed } from '../model/indexes';

/** Global options that take a value, so `podman --root DIR pull IMG` is read as `pull`. */
const GLOBAL_VALUE_OPTS: Record<string, string[]> = {
  podman: [
    '--root',
    '--runroot',
    '--storage-driver',
    '--storage-opt',
    '--imagestore',
    '--connection',
    '-c',
    '--url',
    '--identity',
    '--log-level',
    '--cgroup-manager',
    '--runtime',
    '--runtime-flag',
    '--tmpdir',
    '--events-backend',
    '--network-cmd-path',
    '--network-config-dir',
    '--cni-config-dir',
    '--conmon',
    '--hooks-dir',
    '--module',
    '--ssh',
    '--volumepath',
    '--db-backend',
  ],
  buildah: ['--root', '--runroot', '--storage-driver', '--storage-opt', '--registries-conf', '--log-level', '--cgroup-manager'],
  docker: ['-H', '--host', '--config', '-c', '--context', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey'],
  skopeo: [
    '--override-arch',
    '--override-os',
    '--override-variant',
    '--policy',
    '--registries.d',
    '--registries-conf',
    '--tmpdir',
    '--command-timeout',
    '--user-agent',
  ],
};

export default defineRule({
  meta: {
    id: 'nested-image-pull',
    severity: 'warning',
    category: 'files',
    description: '`podman pull|load`, `skopeo copy … containers-storage:` in RUN; use logically bound images.',
    fixable: false,
    why: "Container storage inside a container image layer breaks: overlay whiteouts nest, the layer bloats, and bootc upgrades fail or lose the images. bootc's supported way to ship application images with the OS is logically bound images: a symlink in /usr/lib/bootc/bound-images.d to a `.image` or `.container` Quadlet file, pulled by bootc at install and upgrade.",
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN podman pull quay.io/myorg/app:1.0',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY app.container /usr/share/containers/systemd/app.container\nRUN ln -s /usr/share/containers/systemd/app.container /usr/lib/bootc/bound-images.d/app.container',
  },
  check({ model, report }) {
    for (const { info, cmd: c } of commandsNamed(model, 'podman', 'docker', 'buildah', 'skopeo')) {
      if (!info.stage.shipped) continue;
      {
        const { pos } = positionals(c.args, GLOBAL_VALUE_OPTS[c.name] ?? []);
        const sub = pos[0]?.value;
        const engine =
          ['podman', 'docker', 'buildah'].includes(c.name) &&
          (sub === 'pull' || sub === 'load' || (sub === 'image' && ['pull', 'load'].includes(pos[1]?.value ?? '')));
        const skopeo = c.name === 'skopeo' && sub === 'copy' && c.args.some((a) => a.value.startsWith('containers-storage:'));
        if (!engine && !skopeo) continue;
        report({
          range: c.range,
          message: `${c.name} ${sub ?? ''} stores container images inside the OS image, which breaks on upgrade. Use logically bound images (/usr/lib/bootc/bound-images.d).`,
        });
      }
    }
  },
});
