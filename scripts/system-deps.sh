#!/usr/bin/env bash
# The system packages the tests run for real (podman builds, image mounts, QEMU boots, libvirt, code-server +
# Chromium). Run first by `npm run check`: as root it installs what is missing with apt-get; otherwise it
# prints the exact apt-get line and fails, so a newcomer never sees a wall of cancelled tests instead.
set -euo pipefail

# command:package pairs, checked with `command -v`.
need=(podman:podman buildah:buildah swtpm:swtpm rpm:rpm rpmbuild:rpm runc:runc busybox:busybox-static debootstrap:debootstrap tar:tar
  qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils mkfs.ext4:e2fsprogs debugfs:e2fsprogs
  ssh:openssh-client ssh-keygen:openssh-client chromium:chromium rg:ripgrep pkg-config:pkg-config
  genisoimage:genisoimage objcopy:binutils mksquashfs:squashfs-tools zstd:zstd xz:xz-utils cpio:cpio
  libvirtd:libvirt-daemon-system virsh:libvirt-clients virtlogd:libvirt-daemon-system)
# path:package pairs, checked by path: the UKI stub, UEFI firmware and its descriptors, the iPXE ROM, and the
# headers code-server's native modules build against.
files=(/usr/lib/systemd/boot/efi/linuxx64.efi.stub:systemd-boot-efi
  /usr/share/OVMF/OVMF_CODE_4M.fd:ovmf /usr/lib/ipxe/qemu/efi-virtio.rom:ipxe-qemu
  /usr/include/krb5.h:libkrb5-dev /usr/include/X11/Xlib.h:libx11-dev
  /usr/include/X11/extensions/XKBfile.h:libxkbfile-dev /usr/include/libsecret-1/libsecret/secret.h:libsecret-1-dev)

missing=()
for pair in "${need[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "${pair%%:*}" >/dev/null 2>&1 ||
    missing+=("${pair##*:}")
done
for pair in "${files[@]}"; do
  [ -e "${pair%%:*}" ] || missing+=("${pair##*:}")
done
if ((${#missing[@]} == 0)); then exit 0; fi
# Each package once, in order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these system packages: ${missing[*]}" >&2
  echo "Install them as root, then run the tests again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "Installing the system packages the tests need: ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
for pair in "${need[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "${pair%%:*}" >/dev/null 2>&1 ||
    { echo "Required program ${pair%%:*} is still missing after installing ${pair##*:}" >&2; exit 1; }
done
