/**
 * Realistic bootc Containerfiles of a given length: stages, package installs with continuations,
 * heredocs, COPY into /usr and /etc, users, kargs, labels and comments. `salt` makes every RUN text
 * unique so a run measures cold parsing, not the shell-tree cache.
 */
export function generateContainerfile(lines: number, salt = 0): string {
  const out: string[] = [
    '# syntax=docker/dockerfile:1',
    'ARG FEDORA=42',
    'FROM docker.io/library/golang:1.23 AS build',
    'WORKDIR /src',
    'RUN go build -o /out/agent ./cmd/agent',
    'FROM quay.io/fedora/fedora-bootc:${FEDORA}',
  ];
  const blocks: ((n: number) => string[])[] = [
    (n) => [
      `RUN dnf -y install httpd-${n} php-${salt} mod_ssl \\`,
      '      vim-enhanced tmux \\',
      '    && dnf clean all && rm -rf /var/cache/* /var/log/* \\',
      `    && systemctl enable httpd-${n}.service`,
    ],
    (n) => [`COPY conf/app-${n}.conf /etc/app/conf.d/${n}.conf`],
    (n) => [`COPY <<EOF /usr/lib/tmpfiles.d/app-${n}.conf`, `d /var/lib/app-${n} 0750 root root -`, 'EOF'],
    (n) => [
      `# service ${n} (salt ${salt})`,
      `RUN mkdir -p /var/lib/app-${n} && chmod 0750 /var/lib/app-${n} && echo ${salt} > /usr/lib/app-${n}.ver`,
    ],
    (n) => [`ENV APP_${n}_MODE=production`],
    (n) => [
      `RUN <<EOF`,
      'set -eux',
      `useradd --system app${n}`,
      `install -d -m 0755 /usr/lib/app${n}`,
      `sed -i 's/^#Port 22/Port 22${n % 10}/' /etc/ssh/sshd_config`,
      'EOF',
    ],
    (n) => [`LABEL org.opencontainers.image.version="${n}.${salt}"`],
    (n) => [`COPY --from=build /out/agent /usr/bin/agent-${n}`],
    (n) => [
      `RUN curl -fsSL -o /tmp/pkg-${n}.rpm https://example.com/pkg-${n}.rpm && dnf -y install /tmp/pkg-${n}.rpm && rm -f /tmp/pkg-${n}.rpm`,
    ],
  ];
  return fill(out, blocks, lines);
}

/**
 * The shape where most instructions have findings, as in a first draft of an image: package
 * installs without clean-up, state created in /var/lib, users made with useradd, ENV blocks.
 * About 660 findings per 1,000 lines and one RUN per three lines.
 */
export function generateFindingsHeavy(lines: number, salt = 0): string {
  const out: string[] = ['FROM quay.io/fedora/fedora-bootc:42'];
  const blocks: ((n: number) => string[])[] = [
    (n) => [`RUN dnf -y install httpd-${n} php-${salt} mod_ssl \\`, '      vim-enhanced tmux \\', `      app-${n}-tools`],
    (n) => [`# service ${n}`, `RUN mkdir -p /var/lib/app-${n}/data && chmod 0750 /var/lib/app-${n}`],
    (n) => [`RUN useradd --system -d /var/lib/app-${n} app${n}`],
    (n) => [`ENV APP_${n}_MODE=production \\`, `    APP_${n}_SALT=${salt} \\`, `    PATH=/usr/local/app-${n}/bin:$PATH`],
  ];
  return fill(out, blocks, lines);
}

/** Appends blocks in turn until the file has `lines` lines, ending with the lint step both shapes share. */
function fill(out: string[], blocks: ((n: number) => string[])[], lines: number): string {
  for (let n = 0; ; n++) {
    const block = blocks[n % blocks.length]?.(n) ?? [];
    if (out.length + block.length >= lines - 1) break;
    out.push(...block);
  }
  while (out.length < lines - 1) out.push('# -');
  out.push('RUN bootc container lint');
  return out.join('\n') + '\n';
}
