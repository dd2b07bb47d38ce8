import { lintText } from './lint/engine';
import { DEFAULT_CONFIG } from './lint/config';
import { clearCommandCache } from './shell/commands';

/** A little of everything the engine parses, so the JIT has seen every hot path before the user types. */
function sample(salt: number): string {
  return `# syntax=docker/dockerfile:1
ARG BASE=quay.io/fedora/fedora-bootc:42
FROM docker.io/library/golang:1.23 AS build
RUN go build -o /out/app-${salt} ./cmd/app
FROM \${BASE}
RUN dnf -y install httpd-${salt} vim \\
      tmux && dnf clean all && rm -rf /var/cache/* /var/log/* \\
    && systemctl enable httpd.service && mkdir -p /var/lib/app-${salt}
COPY --from=build /out/app-${salt} /usr/bin/app
COPY <<EOF /usr/lib/sysusers.d/app.conf
u app - "App ${salt}" /var/lib/app -
EOF
COPY <<EOF /usr/lib/bootc/kargs.d/10-app.toml
kargs = ["console=ttyS0,115200n8"]
match-architectures = ["x86_64"]
EOF
RUN <<EOF
set -eux
useradd --system app${salt} && echo "x" > /etc/app-${salt}.conf
apt-get install -y linux-image-amd64 | tee /tmp/log-${salt} || true
EOF
ENV MODE=${salt}
LABEL containers.bootc=1
EXPOSE ${salt}
RUN bootc container lint
`;
}

/**
 * Lints a generated document, then re-lints it after one-line edits the way the server does, in
 * small slices that yield between them so real requests go first.
 */
export async function warmUp(rounds = 60): Promise<void> {
  const config = { ...DEFAULT_CONFIG, detect: 'always' as const };
  const blocks = Array.from({ length: 10 }, (_v, i) => sample(i));
  let previous = (await lintText(blocks.join('\n'), 'untitled:warmup', { config })).model.analysisCache;
  for (let i = 0; i < rounds; i++) {
    blocks[i % blocks.length] = sample(100 + i);
    previous = (await lintText(blocks.join('\n'), 'untitled:warmup', { config, previous })).model.analysisCache;
    await new Promise((r) => setTimeout(r, 0));
  }
  clearCommandCache();
}
