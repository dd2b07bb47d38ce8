import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_RULES } from '../../core/src';
import { applyEdits, expectRule, lint, marked } from '../helpers';

/**
 * Table-driven rule tests. `valid` cases must produce no finding of the rule; in `invalid` cases
 * the rule's findings must sit exactly on the «marked» words. `fix` applies the named quick fix.
 */
interface Case {
  code: string;
  context?: Record<string, string>;
  fix?: { title: RegExp; output: string };
}
interface Table {
  valid: (string | Case)[];
  invalid: Case[];
}

const FEDORA = 'FROM quay.io/fedora/fedora-bootc:42\n';
const UBLUE = 'FROM ghcr.io/ublue-os/bazzite:stable\n';
const DEBIAN = 'FROM docker.io/library/debian:bookworm\n';

const TABLES: Record<string, Table> = {
  'var-content': {
    valid: [
      `${FEDORA}RUN mkdir -p /usr/lib/myapp /etc/myapp /opt/myapp`,
      `${FEDORA}RUN --mount=type=cache,target=/var/cache/dnf mkdir -p /var/cache/dnf/x`,
      `${FEDORA}RUN mkdir -p /var/lib/x && do-something && rm -rf /var/lib/x`,
      `${FEDORA}RUN mkdir /var/lib/x\nRUN rm -rf /var/lib/x`,
      `FROM docker.io/library/debian:bookworm AS build\nRUN mkdir -p /var/lib/x\n${FEDORA}RUN true`,
      `${FEDORA}RUN echo hi > /dev/null 2>&1`,
      `${DEBIAN}COPY <<EOF /usr/lib/tmpfiles.d/dpkg.conf\nL+ /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\nEOF\nRUN mv /var/lib/dpkg /usr/lib/sysimage/dpkg && ln -s ../../usr/lib/sysimage/dpkg /var/lib/dpkg`,
      // The directory is declared by a tmpfiles.d file that a tree copied over / brings.
      {
        code: `${FEDORA}COPY system_files /\nRUN mkdir -p /var/lib/myapp`,
        context: { 'system_files/usr/lib/tmpfiles.d/myapp.conf': 'd /var/lib/myapp 0750 root root -\n' },
      },
    ],
    invalid: [
      { code: `${FEDORA}RUN mkdir -p «/var/lib/myapp»` },
      { code: `${DEBIAN}RUN mv /var/lib/dpkg /usr/lib/sysimage/dpkg && ln -s ../../usr/lib/sysimage/dpkg «/var/lib/dpkg»` },
      {
        code: `${DEBIAN}COPY <<EOF /usr/lib/tmpfiles.d/dpkg.conf\nd /var/lib/dpkg 0755 root root -\nEOF\nRUN ln -s ../../usr/lib/sysimage/dpkg «/var/lib/dpkg»`,
      },
      { code: `${FEDORA}COPY seed.db «/var/lib/myapp/»` },
      { code: `${FEDORA}RUN echo key > «/root/.ssh/authorized_keys»` },
      { code: `${FEDORA}WORKDIR /var/lib\nRUN touch «state.db»` },
      { code: `${FEDORA}RUN mkdir -p /var/lib/a «/var/lib/b»\nCOPY <<EOF /usr/lib/tmpfiles.d/a.conf\nd /var/lib/a 0755 root root -\nEOF` },
      { code: `${UBLUE}COPY tool «/opt/tool/bin/»` },
      { code: `${FEDORA}RUN useradd -m «bob»` },
      { code: `${FEDORA}RUN apt-get install -y \\\n    foo && \\\n    mkdir «/var/foo»` },
      { code: `${FEDORA}RUN <<XEOF\nset -e\nmkdir -p «/var/lib/a»\nXEOF` },
      {
        code: `${FEDORA}RUN mkdir -p «/var/lib/myapp»`,
        fix: {
          title: /COPY heredoc/,
          output: `${FEDORA}RUN mkdir -p /var/lib/myapp\nCOPY <<EOF /usr/lib/tmpfiles.d/myapp.conf\nd /var/lib/myapp 0755 root root -\nEOF`,
        },
      },
    ],
  },
  'package-manager-leftovers': {
    valid: [
      `${FEDORA}RUN dnf -y install httpd && dnf clean all && rm -rf /var/log/*`,
      `${FEDORA}RUN --mount=type=cache,target=/var/cache --mount=type=cache,target=/var/log dnf -y install httpd`,
      `${DEBIAN}RUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/*`,
      'FROM docker.io/library/alpine:3\nRUN apk add --no-cache curl',
      `${FEDORA}RUN dnf -y install httpd\nRUN dnf clean all && rm -rf /var/log/*`,
      `${FEDORA}RUN rpm -i /tmp/x.rpm`,
    ],
    invalid: [
      { code: `${FEDORA}RUN «dnf» -y install httpd` },
      { code: `${FEDORA}RUN «dnf» -y install httpd && dnf clean all` },
      { code: `${DEBIAN}RUN apt-get update && «apt-get» install -y curl` },
      { code: 'FROM docker.io/archlinux/archlinux\nRUN «pacman» -Syu --noconfirm vim' },
      {
        code: `${FEDORA}RUN «dnf» -y install httpd`,
        fix: { title: /Clean up/, output: `${FEDORA}RUN dnf -y install httpd && \\\n    dnf clean all && rm -rf /var/cache/* /var/log/*` },
      },
      {
        code: `${FEDORA}RUN «dnf» -y install httpd`,
        fix: {
          title: /cache mounts/,
          output: `${FEDORA}RUN --mount=type=cache,target=/var/cache --mount=type=cache,target=/var/log dnf -y install httpd`,
        },
      },
    ],
  },
  'runtime-tmpfs-content': {
    valid: [
      `${FEDORA}RUN --mount=type=tmpfs,target=/tmp curl -o /tmp/x.rpm https://e/x.rpm && dnf -y install /tmp/x.rpm`,
      `${FEDORA}RUN curl -o /tmp/x.rpm https://e/x.rpm && rpm -i /tmp/x.rpm && rm -f /tmp/x.rpm`,
    ],
    invalid: [
      { code: `${FEDORA}RUN curl -o «/tmp/x.rpm» https://e/x.rpm` },
      { code: `${FEDORA}COPY app.sock «/run/app/»` },
      { code: `${FEDORA}RUN echo 1 > «/var/run/x.pid»` },
      { code: `${FEDORA}RUN touch «/tmp/a»`, fix: { title: /tmpfs/, output: `${FEDORA}RUN --mount=type=tmpfs,target=/tmp touch /tmp/a` } },
    ],
  },
  'boot-content': {
    valid: [
      `${FEDORA}COPY uki.efi /boot/EFI/Linux/uki.efi`,
      `${DEBIAN}RUN apt-get install -y linux-image-amd64 && rm -rf /boot/*`,
      `${DEBIAN}RUN --mount=type=tmpfs,target=/boot apt-get install -y linux-image-amd64`,
    ],
    invalid: [
      { code: `${FEDORA}COPY grub.cfg «/boot/grub2/grub.cfg»` },
      { code: `${FEDORA}RUN grub2-mkconfig -o «/boot/grub2/grub.cfg»` },
      { code: `${DEBIAN}RUN apt-get install -y «linux-image-amd64»` },
      {
        code: `${DEBIAN}RUN apt-get install -y «linux-image-amd64»`,
        fix: { title: /Empty \/boot/, output: `${DEBIAN}RUN apt-get install -y linux-image-amd64 && \\\n    rm -rf /boot/*` },
      },
    ],
  },
  'usr-etc': {
    valid: [`${FEDORA}COPY a.conf /etc/a.conf`, `${FEDORA}RUN cat /usr/etc/passwd`],
    invalid: [
      { code: `${FEDORA}COPY a.conf «/usr/etc/a.conf»`, fix: { title: /\/etc instead/, output: `${FEDORA}COPY a.conf /etc/a.conf` } },
      { code: `${FEDORA}RUN mkdir -p «/usr/etc/x»` },
    ],
  },
  'forbidden-path': {
    valid: [
      `${DEBIAN}RUN mkdir -p /sysroot && ln -s sysroot/ostree /ostree`,
      // Resolves to the same directory on the booted system; custom-base recipes write both forms.
      `${DEBIAN}RUN mkdir -p /sysroot && ln -s /sysroot/ostree /ostree`,
      `${FEDORA}RUN make 2>/dev/null >/dev/stderr`,
    ],
    invalid: [
      { code: `${FEDORA}RUN echo 1 > «/proc/sys/net/ipv4/ip_forward»` },
      { code: `${FEDORA}COPY x «/sysroot/x»` },
      { code: `${FEDORA}RUN ln -s /var/ostree «/ostree»` },
    ],
  },
  'var-run-directory': {
    valid: [`${FEDORA}RUN rm -rf /var/run && ln -s ../run /var/run`, `${FEDORA}RUN mkdir -p /run/myapp`],
    invalid: [
      { code: `${FEDORA}RUN mkdir «/var/run»` },
      {
        code: `${FEDORA}RUN rm -rf «/var/run»`,
        fix: { title: /Recreate/, output: `${FEDORA}RUN rm -rf /var/run && ln -s ../run /var/run` },
      },
      { code: `${FEDORA}RUN rm -rf /var/run && ln -s /srv/run «/var/run»` },
    ],
  },
  'api-directory-removed': {
    valid: [`${FEDORA}RUN rm -rf /tmp/* /var/tmp/*`, `${FEDORA}RUN rm -rf /tmp && mkdir -m 1777 /tmp`],
    invalid: [
      { code: `${FEDORA}RUN rm -rf «/tmp»`, fix: { title: /contents/, output: `${FEDORA}RUN rm -rf /tmp/*` } },
      { code: `${FEDORA}RUN rm -rf /tmp && ln -s /var/tmp «/tmp»` },
      { code: `${FEDORA}RUN mv «/var» /var.old` },
    ],
  },
  'toplevel-directory': {
    valid: [`${FEDORA}COPY app /usr/lib/app/`, `${FEDORA}RUN mkdir -p /data && rm -rf /data`],
    invalid: [{ code: `${FEDORA}WORKDIR «/app»\nCOPY . /app/` }, { code: `${FEDORA}COPY x «/srv2/x»` }],
  },
  'ignored-instruction': {
    valid: [
      `${FEDORA}CMD ["/sbin/init"]`,
      `${FEDORA}STOPSIGNAL SIGRTMIN+3`,
      `FROM quay.io/fedora/fedora-bootc:42 AS b\nEXPOSE 80\n${FEDORA}RUN true`,
    ],
    invalid: [
      {
        code: `${FEDORA}«EXPOSE 80»\n«CMD ["nginx"]»\n«HEALTHCHECK CMD true»\n«VOLUME /data»\n«ENTRYPOINT ["/x"]»\n«STOPSIGNAL SIGTERM»\n«ONBUILD RUN true»`,
      },
      { code: `${FEDORA}«EXPOSE 80»\nRUN true`, fix: { title: /Remove EXPOSE/, output: `${FEDORA}RUN true` } },
    ],
  },
  'env-not-runtime': {
    valid: [`${FEDORA}ENV container=oci`, `FROM quay.io/fedora/fedora-bootc:42 AS b\nENV X=1\n${FEDORA}RUN true`],
    invalid: [{ code: `${FEDORA}ENV «HTTP_PROXY»=http://p:3128 «NO_PROXY»=localhost` }],
  },
  'non-root-user': {
    valid: [
      `${FEDORA}USER app\nRUN true\nUSER root`,
      `${FEDORA}USER 0:0`,
      `FROM quay.io/fedora/fedora-bootc:42 AS b\nUSER app\n${FEDORA}RUN true`,
    ],
    invalid: [
      { code: `${FEDORA}USER «app»`, fix: { title: /USER root/, output: `${FEDORA}USER root` } },
      { code: `FROM quay.io/fedora/fedora-bootc:42 AS base\nUSER «app»\nFROM base\nRUN true` },
    ],
  },
  'bootc-binary-missing': {
    valid: [
      `${FEDORA}RUN bootc container lint`,
      `${DEBIAN}RUN apt-get update && apt-get install -y bootc\nRUN bootc container lint`,
      `${DEBIAN}COPY bootc_1.6.0_amd64.deb /tmp/\nRUN dpkg -i /tmp/bootc_1.6.0_amd64.deb && bootc container lint`,
      'FROM docker.io/library/debian:trixie AS b\nRUN apt-get install -y cargo && make -C /src && make -C /src install DESTDIR=/out\n' +
        `${DEBIAN}COPY --from=b /out/ /\nRUN bootc container lint`,
      `${DEBIAN}RUN git clone https://example.org/bootc /tmp/bootc && make -C /tmp/bootc bin install-all\nRUN bootc container lint`,
      `${DEBIAN}RUN cargo install --locked bootc-cli --root /usr\nRUN bootc container lint`,
      `${DEBIAN}COPY --from=quay.io/fedora/fedora-bootc:42 /usr/bin/bootc /usr/bin/bootc\nRUN bootc container lint`,
      { code: `${DEBIAN}COPY bin/bootc /usr/bin/\nRUN bootc container lint`, context: { 'bin/bootc': 'ELF' } },
      { code: `${DEBIAN}COPY rootfs/ /\nRUN bootc container lint`, context: { 'rootfs/usr/bin/bootc': 'ELF' } },
      `${DEBIAN}RUN apt-get install -y linux-image-amd64`,
      'FROM docker.io/library/debian:trixie AS b\nRUN bootc --version\nFROM quay.io/fedora/fedora-bootc:42\nRUN true',
    ],
    invalid: [
      { code: `${DEBIAN}LABEL containers.bootc=1\nRUN apt-get install -y linux-image-amd64\nRUN «bootc» container lint` },
      {
        code:
          'FROM docker.io/library/debian:trixie AS b\nRUN apt-get install -y nodejs && npm ci\n' +
          `${DEBIAN}COPY --from=b /app/ /usr/share/app/\nRUN «bootc» container lint`,
      },
      { code: `${DEBIAN}COPY rootfs/ /\nRUN «bootc» container lint`, context: { 'rootfs/usr/bin/other': 'x' } },
      { code: `${DEBIAN}RUN apt-get install -y bootc-doc && «bootc» container lint` },
    ],
  },
  'kernel-missing': {
    valid: [
      `${FEDORA}RUN true`,
      `${DEBIAN}RUN apt-get install -y linux-image-amd64`,
      'FROM docker.io/library/debian:bookworm AS b\nRUN true\nFROM scratch\nCOPY --from=b /rootfs/ /',
      'FROM localhost/my-custom-base:1\nRUN true',
    ],
    invalid: [
      { code: 'FROM «docker.io/library/debian:bookworm»\nLABEL containers.bootc=1' },
      { code: 'FROM «scratch»\nCOPY rootfs/etc /etc' },
    ],
  },
  'kernel-location': {
    valid: [
      `${DEBIAN}RUN apt-get install -y linux-image-amd64 && kver=$(ls /usr/lib/modules) && cp /boot/vmlinuz-$kver /usr/lib/modules/$kver/vmlinuz`,
      `${DEBIAN}RUN apt-get install -y linux-image-amd64\nRUN cp /boot/vmlinuz-* /usr/lib/modules/6.1.0-30-amd64/`,
      `${FEDORA}RUN dnf -y install kernel-rt`,
      // Arch and CachyOS kernels install /usr/lib/modules/$kver/vmlinuz themselves.
      'FROM docker.io/archlinux/archlinux\nRUN pacman -S --noconfirm linux',
      'FROM docker.io/archlinux/archlinux\nRUN pacman -Syu --noconfirm linux-zen linux-hardened',
      'FROM docker.io/cachyos/cachyos-v3\nRUN pacman -S --noconfirm linux-cachyos-lts',
      'FROM registry.opensuse.org/opensuse/tumbleweed\nRUN zypper -n install kernel-default',
      // The fix's own form: copy only when the kernel package did not put it there (Debian forky on).
      `${DEBIAN}RUN apt-get install -y linux-image-amd64 && kver=$(ls /usr/lib/modules | head -n 1) && { [ -e /usr/lib/modules/"$kver"/vmlinuz ] || cp /boot/vmlinuz-"$kver" /usr/lib/modules/"$kver"/vmlinuz; }`,
    ],
    invalid: [
      { code: `${DEBIAN}RUN apt-get install -y «linux-image-amd64»` },
      { code: 'FROM docker.io/library/alpine:3.20\nRUN apk add «linux-lts»' },
      // Azure Linux's kernel is /boot/vmlinuz-$kver with only a symlink to it in /lib/modules.
      { code: 'FROM mcr.microsoft.com/azurelinux/base/core:3.0\nRUN tdnf -y install «kernel»' },
      {
        code: `${DEBIAN}RUN apt-get install -y «linux-image-amd64»`,
        fix: {
          title: /Copy the kernel/,
          output: `${DEBIAN}RUN apt-get install -y linux-image-amd64 && \\\n    kver=$(ls /usr/lib/modules | head -n 1) && { [ -e /usr/lib/modules/"$kver"/vmlinuz ] || cp /boot/vmlinuz-"$kver" /usr/lib/modules/"$kver"/vmlinuz; }`,
        },
      },
    ],
  },
  'multiple-kernels': {
    valid: [
      `${DEBIAN}RUN apt-get install -y linux-image-amd64`,
      `${FEDORA}RUN dnf -y remove kernel kernel-core && dnf -y install kernel-rt`,
      `${FEDORA}RUN dnf -y install kernel-rt && rm -rf /usr/lib/modules/6.12.0`,
      `${FEDORA}RUN dnf -y swap kernel kernel-lt`,
    ],
    invalid: [
      { code: `${FEDORA}RUN dnf -y install «kernel-rt»` },
      { code: `${DEBIAN}RUN apt-get install -y linux-image-amd64\nRUN apt-get install -y «linux-image-rt-amd64»` },
    ],
  },
  'initramfs-missing': {
    valid: [
      `${DEBIAN}RUN apt-get install -y linux-image-amd64 dracut && dracut --kver 6.1 /usr/lib/modules/6.1/initramfs.img`,
      `${DEBIAN}RUN apt-get install -y linux-image-amd64 && cp /boot/initrd.img-6.1 /usr/lib/modules/6.1/initramfs.img`,
      `${FEDORA}RUN dnf -y install kernel-rt`,
    ],
    invalid: [
      { code: `${DEBIAN}RUN apt-get install -y «linux-image-amd64»` },
      {
        code: `${DEBIAN}RUN apt-get install -y «linux-image-amd64» && cp /boot/vmlinuz-6.1 /usr/lib/modules/6.1/vmlinuz`,
        fix: {
          title: /initramfs.img with dracut/,
          output: `${DEBIAN}RUN apt-get install -y linux-image-amd64 && cp /boot/vmlinuz-6.1 /usr/lib/modules/6.1/vmlinuz && \\\n    kver=$(ls /usr/lib/modules | head -n 1) && dracut --no-hostonly --add ostree --kver "$kver" --reproducible -f /usr/lib/modules/"$kver"/initramfs.img`,
        },
      },
    ],
  },
  'dracut-host-kernel': {
    valid: [
      `${FEDORA}RUN dracut --no-hostonly --kver "$kver" -f /usr/lib/modules/$kver/initramfs.img`,
      `${FEDORA}RUN dracut -f /usr/lib/modules/6.1/initramfs.img 6.1`,
      `${FEDORA}RUN dracut --regenerate-all -f`,
    ],
    invalid: [
      { code: `${FEDORA}RUN «dracut» -f` },
      { code: `${FEDORA}RUN «dracut» --kver 6.1 -f /boot/initramfs-6.1.img` },
      {
        code: `${FEDORA}RUN «dracut» -f`,
        fix: {
          title: /Build for the image kernel/,
          output: `${FEDORA}RUN kver=$(ls /usr/lib/modules | head -n 1) && dracut -f --kver "$kver" /usr/lib/modules/"$kver"/initramfs.img`,
        },
      },
    ],
  },
  'full-system-upgrade': {
    valid: [`${FEDORA}RUN dnf -y upgrade openssl`, `${DEBIAN}RUN apt-get dist-upgrade -y`],
    invalid: [
      { code: `${FEDORA}RUN «dnf -y upgrade» && dnf clean all` },
      { code: `${FEDORA}RUN «yum update -y»` },
      { code: 'FROM ghcr.io/bootcrew/arch-bootc:latest\nRUN «pacman -Syu --noconfirm»' },
      { code: 'FROM ghcr.io/bootcrew/debian-bootc:latest\nRUN «apt-get full-upgrade -y»' },
    ],
  },
  'missing-container-lint': {
    valid: [
      `${DEBIAN}ARG BOOTC\nRUN true\nRUN if [ "$BOOTC" = none ]; then echo "lint skipped"; else bootc container lint; fi`,
      `${FEDORA}RUN dnf -y install vim\nRUN bootc container lint\nLABEL x=y`,
      `${FEDORA}RUN dnf -y install vim && bootc container lint`,
    ],
    invalid: [
      { code: `«FROM quay.io/fedora/fedora-bootc:42»\nRUN true` },
      { code: `${FEDORA}RUN bootc container lint\n«COPY x /usr/lib/x»` },
      {
        code: `«FROM quay.io/fedora/fedora-bootc:42»`,
        fix: { title: /^Append RUN bootc container lint$/, output: `${FEDORA}RUN bootc container lint\n` },
      },
    ],
  },
  'container-lint-masked': {
    valid: [
      `${FEDORA}RUN bootc container lint`,
      `${FEDORA}RUN --mount=type=cache,target=/var/cache/dnf bootc container lint --fatal-warnings`,
      `ARG BOOTC=build\n${DEBIAN}ARG BOOTC\nRUN if [ "$BOOTC" = none ]; then echo "lint skipped: BOOTC=none"; else bootc container lint; fi`,
      `${DEBIAN}ARG BOOTC=build\nRUN case "$BOOTC" in none) echo "lint skipped" ;; *) bootc container lint ;; esac`,
    ],
    invalid: [
      { code: `${FEDORA}RUN «--mount=type=tmpfs,target=/run» «--mount=type=tmpfs,target=/tmp» bootc container lint` },
      { code: `${DEBIAN}RUN if command -v bootc; then «bootc container lint»; fi` },
      { code: `${DEBIAN}RUN if command -v bootc; then «bootc container lint»; else echo skipped; fi` },
      { code: `${DEBIAN}RUN [ ! -x /usr/bin/bootc ] || «bootc container lint»` },
      { code: `${DEBIAN}RUN if [ "$BOOTC" = none ]; then echo skipped; else «bootc container lint»; fi` },
      { code: `${DEBIAN}ARG BOOTC\nRUN if [ "$BOOTC" != none ]; then «bootc container lint»; fi` },
      { code: `${FEDORA}RUN «bootc container lint» || true` },
      { code: `${FEDORA}RUN «bootc container lint»; true` },
      {
        code: `${FEDORA}RUN «--mount=type=tmpfs,target=/tmp» bootc container lint`,
        fix: { title: /Remove this mount/, output: `${FEDORA}RUN bootc container lint` },
      },
    ],
  },
  'missing-bootc-label': {
    valid: [`${FEDORA}RUN true`, `${DEBIAN}LABEL containers.bootc=1`, `${DEBIAN}LABEL ostree.bootable=1`],
    invalid: [
      {
        code: 'FROM «docker.io/library/debian:bookworm»\nRUN true',
        fix: { title: /Add LABEL/, output: `${DEBIAN}LABEL containers.bootc=1\nRUN true` },
      },
      {
        code: `${FEDORA}LABEL containers.bootc=«true»`,
        fix: { title: /Set containers.bootc=1/, output: `${FEDORA}LABEL containers.bootc=1` },
      },
    ],
  },
  'deprecated-ostree-commit': {
    valid: [`${FEDORA}RUN ostree container image deploy --help`],
    invalid: [
      {
        code: `${FEDORA}RUN dnf -y install vim && «ostree container commit»`,
        fix: { title: /Replace/, output: `${FEDORA}RUN dnf -y install vim && bootc container lint` },
      },
    ],
  },
  'useradd-without-sysusers': {
    valid: [
      `${FEDORA}COPY <<EOF /usr/lib/sysusers.d/app.conf\nu app - "App" - -\nEOF\nRUN useradd --system app`,
      {
        code: `${FEDORA}COPY app.conf /usr/lib/sysusers.d/\nRUN useradd --system app && groupadd app`,
        context: { 'app.conf': 'u app - "App" - -\n' },
      },
      `${FEDORA}RUN printf 'u app - - -\\n' > /usr/lib/sysusers.d/app.conf && useradd app`,
      `${FEDORA}RUN echo 'g web -' > /usr/lib/sysusers.d/web.conf && groupadd web`,
    ],
    invalid: [
      { code: `${FEDORA}RUN useradd --system -u 990 «app»` },
      { code: `${FEDORA}COPY app.conf /usr/lib/sysusers.d/\nRUN useradd --system «app»` },
      { code: `${FEDORA}RUN groupadd «web» && adduser --system «bob»` },
      { code: `${FEDORA}COPY app.conf /usr/lib/sysusers.d/\nRUN useradd «other»`, context: { 'app.conf': 'u app - - -\n' } },
      {
        code: `${FEDORA}RUN useradd --system «app»`,
        fix: {
          title: /COPY heredoc/,
          output: `${FEDORA}RUN useradd --system app\nCOPY <<EOF /usr/lib/sysusers.d/app.conf\nu app - "app" - -\nEOF`,
        },
      },
    ],
  },
  'hardcoded-password': {
    valid: [`${FEDORA}RUN passwd -l root`, `${FEDORA}RUN usermod -aG wheel bob`],
    invalid: [
      { code: `${FEDORA}RUN echo "root:pw" | «chpasswd»` },
      { code: `${FEDORA}RUN echo pw | «passwd --stdin root»` },
      { code: `${FEDORA}RUN «usermod -p '$6$x' root»` },
    ],
  },
  'secret-in-build-arg': {
    valid: [`${FEDORA}ARG VERSION=1\nARG GPG_KEY_ID=abc\nARG PUBLIC_KEY_FILE=/k`],
    invalid: [{ code: `${FEDORA}ARG «GITHUB_TOKEN»\nENV «DB_PASSWORD»=x «apiKey»=y` }],
  },
  'kargs-syntax': {
    valid: [`${FEDORA}COPY <<EOF /usr/lib/bootc/kargs.d/10.toml\nkargs = ["console=ttyS0"]\nmatch-architectures = ["x86_64"]\nEOF`],
    invalid: [
      { code: `${FEDORA}COPY <<EOF /usr/lib/bootc/kargs.d/10.toml\nkargs = ["a"]\n«match_architectures» = ["x86_64"]\nEOF` },
      { code: `${FEDORA}COPY <<EOF /usr/lib/bootc/kargs.d/10.toml\nkargs = ["a"]\nmatch-architectures = ["«amd64»"]\nEOF` },
      { code: `${FEDORA}COPY <<EOF /usr/lib/bootc/kargs.d/10.toml\n[«kargs»]\nappend = ["x"]\nEOF` },
      { code: `${FEDORA}COPY <<EOF /usr/lib/bootc/kargs.d/10.toml\nkargs = ["a«"»\nEOF` },
      { code: `${FEDORA}COPY «k.toml» /usr/lib/bootc/kargs.d/`, context: { 'k.toml': 'kargs = "nope"\n' } },
      {
        code: `${FEDORA}COPY <<EOF /usr/lib/bootc/kargs.d/10.toml\nkargs = ["a"]\nmatch-architectures = ["«arm64»"]\nEOF`,
        fix: {
          title: /aarch64/,
          output: `${FEDORA}COPY <<EOF /usr/lib/bootc/kargs.d/10.toml\nkargs = ["a"]\nmatch-architectures = ["aarch64"]\nEOF`,
        },
      },
    ],
  },
  'kargs-location': {
    valid: [`${FEDORA}COPY 10-console.toml /usr/lib/bootc/kargs.d/`],
    invalid: [
      { code: `${FEDORA}COPY console.conf «/usr/lib/bootc/kargs.d/»` },
      {
        code: `${FEDORA}COPY c.toml «/etc/bootc/kargs.d/c.toml»`,
        fix: { title: /Move/, output: `${FEDORA}COPY c.toml /usr/lib/bootc/kargs.d/c.toml` },
      },
    ],
  },
  'buildah-injected-file': {
    valid: [`${FEDORA}COPY hostname /etc/hostname`, `${FEDORA}RUN cat /etc/hosts`],
    invalid: [{ code: `${FEDORA}RUN echo myhost > «/etc/hostname» && ln -sf ../run/systemd/resolve/stub-resolv.conf «/etc/resolv.conf»` }],
  },
  'systemctl-runtime': {
    valid: [`${FEDORA}RUN systemctl enable httpd && systemctl mask foo && systemctl preset-all`],
    invalid: [
      { code: `${FEDORA}RUN «systemctl start» httpd && «systemctl daemon-reload»` },
      {
        code: `${FEDORA}RUN systemctl enable «--now» httpd`,
        fix: { title: /Remove --now/, output: `${FEDORA}RUN systemctl enable httpd` },
      },
      { code: `${FEDORA}RUN «systemctl start» httpd`, fix: { title: /enable/, output: `${FEDORA}RUN systemctl enable httpd` } },
    ],
  },
  'nested-image-pull': {
    valid: [`${FEDORA}RUN podman --version`],
    invalid: [{ code: `${FEDORA}RUN «podman pull quay.io/x/y:1» && «skopeo copy docker://q/x containers-storage:q/x»` }],
  },
  'selinux-chcon': {
    valid: [`${FEDORA}RUN semanage fcontext -a -t bin_t "/usr/bin/x"`],
    invalid: [{ code: `${FEDORA}RUN «chcon -t bin_t /usr/bin/x» && «restorecon -R /usr/bin»` }],
  },
  'dpkg-database-in-var': {
    valid: [
      // Not deb, or a bootc base that owns its layout.
      `FROM docker.io/library/fedora:42\nRUN dnf -y install kernel`,
      `${FEDORA}RUN rm -rf /var/lib/dnf`,
      // The accepted pattern: moved into /usr and linked back by tmpfiles.d.
      `${DEBIAN}RUN apt-get install -y systemd && mkdir -p /usr/lib/sysimage && mv /var/lib/dpkg /usr/lib/sysimage/dpkg && rm -rf /var && mkdir /var\nCOPY <<EOF /usr/lib/tmpfiles.d/dpkg.conf\nL+ /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\nEOF`,
      {
        code: `${DEBIAN}RUN apt-get install -y systemd\nRUN mv /var/lib/dpkg /usr/lib/sysimage/dpkg\nCOPY dpkg.conf /usr/lib/tmpfiles.d/`,
        context: { 'dpkg.conf': 'L+ /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\n' },
      },
      {
        code: `${DEBIAN}RUN apt-get install -y systemd\nRUN mv /var/lib/dpkg /usr/lib/sysimage/dpkg\nCOPY files/ /`,
        context: { 'files/usr/lib/tmpfiles.d/dpkg.conf': 'L+ /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\n' },
      },
      // Removing caches in /var is not removing the database.
      {
        code: `${DEBIAN}RUN apt-get install -y systemd && rm -rf /var/cache/apt/* /var/lib/apt/lists/*\nRUN mv /var/lib/dpkg /usr/lib/sysimage/dpkg\nCOPY dpkg.conf /usr/lib/tmpfiles.d/`,
        context: { 'dpkg.conf': 'L+ /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\n' },
      },
    ],
    invalid: [
      {
        code: `${DEBIAN}RUN apt-get update && «apt-get» install -y systemd`,
        fix: {
          title: /COPY heredoc/,
          output: `${DEBIAN}RUN apt-get update && apt-get install -y systemd\nRUN mkdir -p /usr/lib/sysimage && mv /var/lib/dpkg /usr/lib/sysimage/dpkg\nCOPY <<EOF /usr/lib/tmpfiles.d/dpkg.conf\nL+ /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\nEOF`,
        },
      },
      // The last change of the database is where it gets moved.
      { code: `${DEBIAN}RUN apt-get install -y systemd\nRUN «apt-get» install -y openssh-server\nRUN echo done` },
      {
        code: `${DEBIAN}RUN apt-get install -y systemd && rm -rf «/var» && mkdir /var`,
        fix: {
          title: /COPY heredoc/,
          output: `${DEBIAN}RUN apt-get install -y systemd && mkdir -p /usr/lib/sysimage && mv /var/lib/dpkg /usr/lib/sysimage/dpkg && rm -rf /var && mkdir /var\nCOPY <<EOF /usr/lib/tmpfiles.d/dpkg.conf\nL+ /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\nEOF`,
        },
      },
      { code: `${DEBIAN}RUN apt-get install -y systemd\nRUN rm -rf «/var/*»\nRUN mv /var/lib/dpkg /usr/lib/sysimage/dpkg` },
      {
        code: `${DEBIAN}RUN apt-get install -y systemd && mkdir -p /usr/lib/sysimage && mv /var/lib/dpkg «/usr/lib/sysimage/dpkg»`,
        fix: {
          title: /COPY heredoc/,
          output: `${DEBIAN}RUN apt-get install -y systemd && mkdir -p /usr/lib/sysimage && mv /var/lib/dpkg /usr/lib/sysimage/dpkg\nCOPY <<EOF /usr/lib/tmpfiles.d/dpkg.conf\nL+ /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\nEOF`,
        },
      },
    ],
  },
  'initramfs-bootc-module': {
    valid: [
      // bootc bases ship the module configuration.
      `${FEDORA}RUN kver=$(ls /usr/lib/modules) && dracut --no-hostonly --kver "$kver" -f /usr/lib/modules/$kver/initramfs.img`,
      `${DEBIAN}RUN apt-get install -y dracut && dracut --add ostree --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
      `${DEBIAN}RUN dracut -a "ostree systemd" --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
      `${DEBIAN}RUN dracut --add=bootc --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
      `${DEBIAN}RUN sh -c 'dracut --force --add ostree --kver 6.1 /usr/lib/modules/6.1/initramfs.img'`,
      `${DEBIAN}RUN apt-get install -y dracut ostree-boot && dracut --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
      `${DEBIAN}RUN echo 'add_dracutmodules+=" ostree "' > /etc/dracut.conf.d/ostree.conf\nRUN dracut --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
      {
        code: `${DEBIAN}COPY 10-bootc.conf /usr/lib/dracut/dracut.conf.d/\nRUN dracut --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
        context: { '10-bootc.conf': 'add_dracutmodules+=" bootc "\n' },
      },
      `${DEBIAN}RUN make -C /tmp/bootc bin install-all install-initramfs-dracut && dracut --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
      // Content we cannot read (a whole tree copied over /) may configure it.
      `${DEBIAN}COPY rootfs/ /\nRUN dracut --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
      `${DEBIAN}RUN dracut --list-modules`,
    ],
    invalid: [
      {
        code: `${DEBIAN}RUN apt-get install -y dracut && «dracut» --no-hostonly --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
        fix: {
          title: /--add ostree/,
          output: `${DEBIAN}RUN apt-get install -y dracut && dracut --add ostree --no-hostonly --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
        },
      },
      // The configuration comes after dracut ran, or adds another module.
      { code: `${DEBIAN}RUN «dracut» --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img\nRUN apt-get install -y ostree-boot` },
      {
        code: `${DEBIAN}COPY 10-x.conf /etc/dracut.conf.d/\nRUN «dracut» --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img`,
        context: { '10-x.conf': 'add_dracutmodules+=" systemd-networkd "\n' },
      },
      { code: `${DEBIAN}RUN apt-get install -y ostree && «dracut» --add "systemd" --kver 6.1 -f /usr/lib/modules/6.1/initramfs.img` },
    ],
  },
  'var-link-tmpfiles': {
    valid: [
      // bootc bases declare their own links.
      `${FEDORA}RUN rm -rf /home && ln -s var/home /home`,
      `${DEBIAN}RUN ln -s var/home /home\nCOPY <<EOF /usr/lib/tmpfiles.d/home.conf\nd /var/home 0755 root root -\nEOF`,
      {
        code: `${DEBIAN}COPY links.conf /usr/lib/tmpfiles.d/\nRUN rm -rf /root /usr/local && ln -s var/roothome /root && ln -s ../var/usrlocal /usr/local`,
        context: { 'links.conf': 'd /var/roothome 0700 root root -\nL /var/usrlocal - - - - /usr/share/empty\n' },
      },
      // Not into /var, or not a top-level link.
      `${DEBIAN}RUN ln -s /usr/share/opt /opt && ln -s /var/lib/x /usr/lib/x`,
      // A tmpfiles.d file we cannot read.
      `${DEBIAN}COPY tmp/ /usr/lib/tmpfiles.d/\nRUN ln -s var/home /home`,
      // A tree copied over / that brings its tmpfiles.d file along, read from the build context.
      {
        code: `${DEBIAN}COPY files /\nRUN rm -rf /home /srv && ln -s var/home /home && ln -s var/srv /srv`,
        context: {
          'files/usr/lib/tmpfiles.d/links.conf': 'd /var/home 0755 root root -\nd /var/srv 0755 root root -\n',
          'files/etc/motd': 'hi\n',
        },
      },
      {
        code: `${DEBIAN}COPY system_files/ /usr/\nRUN ln -s var/home /home`,
        context: { 'system_files/lib/tmpfiles.d/home.conf': 'd /var/home 0755 root root -\n' },
      },
      // The JSON form, for a name with a space.
      {
        code: `${DEBIAN}COPY ["home links.conf", "/usr/lib/tmpfiles.d/"]\nRUN ln -s var/home /home`,
        context: { 'home links.conf': 'd /var/home 0755 root root -\n' },
      },
      // Such a tree we cannot look into (no build context here) may well declare them.
      `${DEBIAN}COPY rootfs /\nRUN ln -s var/home /home`,
    ],
    invalid: [
      {
        code: `${DEBIAN}RUN rm -rf /home && ln -s var/home «/home»`,
        fix: {
          title: /COPY heredoc/,
          output: `${DEBIAN}RUN rm -rf /home && ln -s var/home /home\nCOPY <<EOF /usr/lib/tmpfiles.d/bootc-home.conf\nd /var/home 0755 root root -\nEOF`,
        },
      },
      { code: `${DEBIAN}RUN ln -sf ../var/usrlocal «/usr/local» && ln -s var/srv «/srv» && ln -s /var/mnt «/mnt»` },
      // A line for another path, or one that does not create anything.
      {
        code: `${DEBIAN}COPY links.conf /usr/lib/tmpfiles.d/\nRUN ln -s var/roothome «/root» && ln -s var/opt «/opt»`,
        context: { 'links.conf': 'd /var/home 0755 root root -\nr /var/opt\n' },
      },
      // With the target declared, the fix only corrects the link.
      {
        code: `${DEBIAN}COPY <<EOF /usr/lib/tmpfiles.d/l.conf\nd /var/usrlocal 0755 root root -\nEOF\nRUN ln -sT var/usrlocal «/usr/local»`,
        fix: {
          title: /^Link to \.\.\/var\/usrlocal$/,
          output: `${DEBIAN}COPY <<EOF /usr/lib/tmpfiles.d/l.conf\nd /var/usrlocal 0755 root root -\nEOF\nRUN ln -sT ../var/usrlocal /usr/local`,
        },
      },
      // Relative to the link's own directory, var/usrlocal from /usr is /usr/var/usrlocal: the link dangles.
      {
        code: `${DEBIAN}RUN rm -rf /usr/local && ln -s var/usrlocal «/usr/local»`,
        fix: {
          title: /Link to \.\.\/var\/usrlocal and add a tmpfiles\.d entry/,
          output: `${DEBIAN}RUN rm -rf /usr/local && ln -s ../var/usrlocal /usr/local\nCOPY <<EOF /usr/lib/tmpfiles.d/bootc-usr-local.conf\nd /var/usrlocal 0755 root root -\nEOF`,
        },
      },
      // A Universal Blue base links /opt itself; re-linking it elsewhere is the file's own link.
      `${UBLUE}RUN rm /opt && ln -s var/lib/opt «/opt»`,
      // The tree copied over / declares one link's target, not the other's; a plain file declares nothing.
      {
        code: `${DEBIAN}COPY files /\nCOPY motd /\nRUN ln -s var/home /home && ln -s var/srv «/srv»`,
        context: { 'files/usr/lib/tmpfiles.d/home.conf': 'd /var/home 0755 root root -\n', motd: 'hi\n' } as Record<string, string>,
      },
    ].map((c) => (typeof c === 'string' ? { code: c } : c)),
  },
  'pxe-live-module': {
    valid: [
      `${DEBIAN}LABEL dev.bootc-lab.boot=pxe\nRUN apt-get install -y live-boot && update-initramfs -u`,
      `${FEDORA}LABEL dev.bootc-lab.boot=pxe\nRUN dnf -y install dracut-live`,
      `${DEBIAN}LABEL dev.bootc-lab.boot=pxe\nRUN dracut --add "dmsquash-live livenet" -f /x`,
      `${DEBIAN}LABEL dev.bootc-lab.boot=disk\nRUN apt-get install -y openssh-server`,
      `${DEBIAN}RUN apt-get install -y openssh-server`,
    ],
    invalid: [{ code: `${DEBIAN}LABEL «dev.bootc-lab.boot=pxe»\nRUN apt-get install -y openssh-server` }],
  },
};

describe('rule tables', () => {
  it('every rule has a table with valid and invalid cases', () => {
    for (const r of ALL_RULES) {
      const t = TABLES[r.meta.id];
      assert.ok(t, `no test table for ${r.meta.id}`);
      assert.ok(t.valid.length > 0 && t.invalid.length > 0, `${r.meta.id} needs valid and invalid cases`);
      if (r.meta.fixable)
        assert.ok(
          t.invalid.some((c) => c.fix),
          `${r.meta.id} is fixable: test a fix`,
        );
    }
  });
  for (const [rule, table] of Object.entries(TABLES)) {
    describe(rule, () => {
      table.valid.forEach((v, i) => {
        const c = typeof v === 'string' ? { code: v } : v;
        it(`valid #${i + 1}`, async () => {
          await expectRule(rule, c.code, { context: c.context });
        });
      });
      table.invalid.forEach((c, i) => {
        it(`invalid #${i + 1}${c.fix ? ' (fix)' : ''}`, async () => {
          const got = await expectRule(rule, c.code, { context: c.context });
          if (!c.fix) return;
          const fix = got.flatMap((f) => f.fixes ?? []).find((f) => c.fix?.title.test(f.title));
          assert.ok(
            fix,
            `no fix matching ${String(c.fix.title)}; have: ${got
              .flatMap((f) => f.fixes ?? [])
              .map((f) => f.title)
              .join(' | ')}`,
          );
          const out = applyEdits(marked(c.code).text, fix.edits);
          assert.equal(out, c.fix.output);
          // A mechanical fix must remove the finding it fixes (or at least not add new ones of that rule).
          const after = (await lint(out, { context: c.context })).filter((f) => f.rule === rule);
          assert.ok(
            after.length < got.length,
            `fix "${fix.title}" did not remove the ${rule} finding: ${after.map((f) => f.message).join(' | ')}`,
          );
        });
      });
    });
  }
});
