/**
 * The init shim a quick boot with machine state runs as `init=` before the image's own init.
 *
 * It does what `ostree-prepare-root` does in a bootc initramfs, but after switch-root, so it works
 * the same for initramfs-tools and dracut images and the image stays untouched: the root disk is
 * read-only; the state disk (second virtio disk) holds one `/etc` per deployment (keyed by image
 * ID), the image's pristine `/etc` next to it (the base of the next 3-way merge), and the shared
 * `/var`. It needs only /bin/sh, coreutils and mount(8) from the image.
 *
 * Layout of the state disk:
 *   booted, previous         image IDs (one line each)
 *   deploy/ID/etc            the machine's /etc of that deployment (bind-mounted on /etc)
 *   deploy/ID/etc.defaults   the image's /etc as shipped (never written after creation)
 *   var/                     the machine's /var (bind-mounted on /var), seeded once
 *   log                      one line per boot: time, kind, image ID
 *
 * `sh init --merge DEFAULTS OLD NEW` runs only the 3-way merge (the unit tests use it on the host).
 */
export const SHIM_PATH = '/.bootc-lab/init';
export const SHIM_IMAGE_ID_PATH = '/.bootc-lab/image-id';
/** On the kernel command line: boot the previous image as a new deployment (bootc switch), not a rollback. */
export const REDEPLOY_ARG = 'bootc_lab.redeploy';
/** The state disk's virtio serial: udev names it /dev/disk/by-id/virtio-<serial>. */
export const STATE_DISK_SERIAL = 'bootc-lab-state';
/** The console line the shim prints once it has set the mounts up (parsed by the host). */
export const SHIM_MARKER =
  /bootc-lab: machine state: (first-boot|upgrade|rollback|reboot) ([0-9a-f]{12,64})(?: from ([0-9a-f]{12,64}))? in (\d+\.\d\d) s/;
export const SHIM_FAILURE = /bootc-lab: machine state failed: (.*)/;

export const MACHINE_SHIM = `#!/bin/sh
# bootc Lab machine shim (see core/src/vm/machine-shim.ts in bootc Lab).
set -u
R=/run/bootc-lab
S=$R/state
US=$(printf '\\037')
FMT="%n$US%F$US%a$US%u$US%g$US%s$US%y$US%N\\n"

say() { echo "bootc-lab: $*" >/dev/console 2>/dev/null || echo "bootc-lab: $*"; }

# One line per entry below $1, sorted by path: path, type, mode, uid, gid, size, mtime, name/target.
# du and stat are coreutils: find is not in every image.
listing() {
  (
    cd "$1" || exit 1
    du -al . >"$R/du.$$" || exit 1
    set --
    # In batches: growing "$@" one by one is quadratic in dash.
    while IFS= read -r l; do
      set -- "$@" "\${l#*	}"
      [ $# -lt 200 ] || { stat --printf "$FMT" -- "$@"; set --; }
    done <"$R/du.$$"
    rm -f "$R/du.$$"
    [ $# -eq 0 ] || stat --printf "$FMT" -- "$@"
  ) | LC_ALL=C sort -t "$US" -k1,1
}

# The machine's version of $1 (relative path) wins over the new image's.
take() {
  o="$OLD/$1" n="$NEW/$1"
  if [ -d "$o" ] && [ ! -L "$o" ]; then
    if [ -L "$n" ] || { [ -e "$n" ] && [ ! -d "$n" ]; }; then rm -rf "$n"; fi
    mkdir -p "$n" && chmod --reference="$o" "$n" && chown --reference="$o" "$n"
  else
    if [ -d "$n" ] && [ ! -L "$n" ]; then rm -rf "$n"; fi
    mkdir -p "\${n%/*}" && cp -a -T --remove-destination "$o" "$n"
  fi
}

# ostree's 3-way merge: NEW starts as the new image's /etc; every path the machine changed relative
# to the old image's defaults (modified, added, deleted) carries the machine's state over.
merge() {
  DEF=$1 OLD=$2 NEW=$3
  mkdir -p "$R"
  listing "$OLD" >"$R/old.list" && listing "$DEF" >"$R/def.list" || return 1
  LC_ALL=C join -t "$US" -a 1 -a 2 -e - -o 0,1.2,1.3,1.4,1.5,1.6,1.7,1.8,2.2,2.3,2.4,2.5,2.6,2.7,2.8 \\
    "$R/old.list" "$R/def.list" >"$R/joined.list" || return 1
  while IFS="$US" read -r p mt mm mu mg ms mtime mn dt dm du dg ds dtime dn; do
    [ "$p" = . ] && continue
    if [ "$mt" = - ]; then
      rm -rf "$NEW/$p"
    elif [ "$dt" = - ]; then
      take "$p"
    elif [ "$mt|$mm|$mu|$mg|$mn" != "$dt|$dm|$du|$dg|$dn" ]; then
      take "$p"
    elif [ "$mt" != directory ] && [ "$ms" != "$ds" ]; then
      take "$p"
    elif [ "$mt" != directory ] && [ "$mtime" != "$dtime" ]; then
      # Touched: only a content change counts, as ostree compares checksums.
      a=$(sha256sum <"$OLD/$p") b=$(sha256sum <"$DEF/$p")
      [ "$a" = "$b" ] || take "$p"
    fi
  done <"$R/joined.list"
  rm -f "$R/old.list" "$R/def.list" "$R/joined.list"
}

if [ "\${1:-}" = --merge ]; then
  R=\${TMPDIR:-/tmp}/bootc-lab-merge.$$
  mkdir -p "$R" && merge "$2" "$3" "$4"
  rc=$?
  rm -rf "$R"
  exit $rc
fi

real_init() {
  for i in /sbin/init /usr/lib/systemd/systemd /lib/systemd/systemd; do
    [ -x "$i" ] && exec "$i" "$@"
  done
  say "machine state failed: no init in the image"
  exit 1
}

# What booting image $2 is, given the state dir $1, the booted image $3 and the kernel command line $4
# (the host adds bootc_lab.redeploy when it asks for bootc switch rather than bootc rollback).
boot_kind() {
  if [ -z "$3" ]; then echo first-boot
  elif [ "$3" = "$2" ]; then echo reboot
  elif [ -d "$1/deploy/$2" ] && case " $4 " in *" bootc_lab.redeploy "*) false ;; *) true ;; esac; then echo rollback
  else echo upgrade
  fi
}

# Uptime in centiseconds, without a fork (read is a builtin): the boot record shows the shim's cost.
now_cs() {
  read -r up _ </proc/uptime
  echo $((\${up%.*} * 100 + 1\${up#*.} - 100))
}

setup() {
  [ -e /proc/self ] || mount -t proc proc /proc
  t0=$(now_cs)
  mkdir -p "$S" || { err="cannot create $S"; return 1; }
  dev=/dev/disk/by-id/virtio-${STATE_DISK_SERIAL}
  [ -b "$dev" ] || dev=/dev/vdb
  mount -t ext4 "$dev" "$S" || { err="cannot mount the state disk $dev"; return 1; }
  id=$(cat /.bootc-lab/image-id) || { err="no image ID on the root disk"; return 1; }
  booted=$(cat "$S/booted" 2>/dev/null) || booted=
  previous=$(cat "$S/previous" 2>/dev/null) || previous=
  read -r cmdline </proc/cmdline || cmdline=
  kind=$(boot_kind "$S" "$id" "$booted" "$cmdline")
  # bootc switch to the rollback deployment's image deploys it anew from the booted /etc.
  [ "$kind" != upgrade ] || rm -rf "$S/deploy/$id"

  if [ ! -d "$S/var" ]; then
    # bootc copies the image's /var only at install: from then on it belongs to the machine.
    rm -rf "$S/var.new" && cp -a /var "$S/var.new" && mv "$S/var.new" "$S/var" || { err="cannot seed /var"; return 1; }
  fi
  if [ ! -d "$S/deploy/$id" ]; then
    d="$S/deploy/$id.new"
    rm -rf "$d" && mkdir -p "$d" && cp -a /etc "$d/etc.defaults" && cp -a /etc "$d/etc" || { err="cannot copy /etc"; return 1; }
    if [ "$kind" = upgrade ]; then
      merge "$S/deploy/$booted/etc.defaults" "$S/deploy/$booted/etc" "$d/etc" || { err="the /etc merge failed"; return 1; }
    fi
    mv "$d" "$S/deploy/$id" || { err="cannot create the deployment"; return 1; }
  fi
  from=
  if [ "$kind" = upgrade ] || [ "$kind" = rollback ]; then
    from=" from $booted"
    previous=$booted
    echo "$previous" >"$S/previous.new" && mv "$S/previous.new" "$S/previous"
  fi
  echo "$id" >"$S/booted.new" && mv "$S/booted.new" "$S/booted"
  # Like bootc, keep the booted deployment and one to roll back to.
  for d in "$S"/deploy/*; do
    case "\${d##*/}" in "$id" | "$previous") ;; *) rm -rf "$d" ;; esac
  done
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $kind $id" >>"$S/log"

  mount --bind "$S/deploy/$id/etc" /etc || { err="cannot mount /etc"; return 1; }
  mount --bind "$S/var" /var || { err="cannot mount /var"; return 1; }
  # Images with a real /root (not bootc's /root -> var/roothome) still need a writable home for root.
  if [ -d /root ] && [ ! -L /root ]; then
    [ -d /var/roothome ] || cp -a /root /var/roothome
    mount --bind /var/roothome /root
  fi
  if [ -d /tmp ] && [ ! -L /tmp ]; then mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp; fi
  mkdir -p "$R" && echo "$kind" >"$R/boot-kind" && echo "$id" >"$R/booted"
  sync
  t=$(($(now_cs) - t0))
  say "machine state: $kind $id$from in $((t / 100)).$((t / 10 % 10))$((t % 10)) s"
}

# systemd in a dracut initrd imports the VM's credentials (SMBIOS, fw_cfg) into /run/credentials/@system
# and hands that directory to the host's systemd in $CREDENTIALS_DIRECTORY when it switches root into
# systemd. Switching root into this shim loses the variable; the host's systemd then finds every
# credential already there, imports none and gives its services none (no SSH key from tmpfiles.extra).
pass_credentials() {
  c=\${1:-/run/credentials}
  if [ -z "\${CREDENTIALS_DIRECTORY:-}" ] && [ -d "$c/@system" ]; then export CREDENTIALS_DIRECTORY="$c/@system"; fi
  if [ -z "\${ENCRYPTED_CREDENTIALS_DIRECTORY:-}" ] && [ -d "$c/@encrypted" ]; then
    export ENCRYPTED_CREDENTIALS_DIRECTORY="$c/@encrypted"
  fi
}

err=
setup || say "machine state failed: $err"
pass_credentials
real_init "$@"
`;
