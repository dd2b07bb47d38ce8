import { TextDocument } from 'vscode-languageserver-textdocument';
import { lintText } from './linter';
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
 * A long file of short instructions of every kind. Real Containerfiles are mostly one-liners; a
 * long one makes the per-instruction loops hot the way a user's large file does.
 */
function longFile(lines: number): string[] {
  const out = [
    '# syntax=docker/dockerfile:1',
    'ARG VERSION=1',
    'FROM docker.io/library/alpine:3 AS tools',
    'WORKDIR /build',
    'RUN make all',
    'FROM quay.io/centos-bootc/centos-bootc:stream10',
  ];
  const kinds = [
    (n: number) => `COPY files/unit-${n}.service /usr/lib/systemd/system/unit-${n}.service`,
    (n: number) => `LABEL com.example.part${n}="value ${n}"`,
    (n: number) => `ENV PART_${n}=on`,
    (n: number) => `# part ${n}`,
    (n: number) => `COPY --from=tools /build/bin-${n} /usr/libexec/bin-${n}`,
    (n: number) => `RUN ln -s /usr/lib/part-${n} /etc/part-${n} && echo ${n} > /usr/lib/part-${n}.txt`,
    (n: number) => `ARG OPT_${n}`,
    (n: number) => `RUN dnf -y install pkg-${n} && dnf clean all`,
    (n: number) => `RUN dnf -y install tool-${n} \\\n      extra-${n} \\\n    && dnf clean all && rm -rf /var/cache/dnf`,
    (n: number) => `COPY <<EOF /usr/lib/sysusers.d/svc-${n}.conf\nu svc${n} - "Service ${n}" /var/lib/svc${n} -\nEOF`,
    // Lines most rules find something in: every finding's diagnostic, fix and message paths get hot.
    (n: number) => `RUN dnf -y install app-${n} \\\n      tool-${n}`,
    (n: number) => `RUN mkdir -p /var/lib/app-${n}/data && useradd --system -d /var/lib/app-${n} app${n}`,
    (n: number) => `ENV APP_${n}_MODE=production \\\n    PATH=/usr/local/app-${n}/bin:$PATH`,
  ];
  for (let n = 0; out.length < lines - 1; n++) out.push(...(kinds[n % kinds.length]?.(n) ?? '').split('\n'));
  out.push('RUN bootc container lint');
  return out;
}

/**
 * Lints a generated document, then re-lints it after block edits the way the server does, then
 * types into a long file; all in small slices that yield between them so real requests go first.
 * Measured on the 1,000-line benchmark file: without the typing phase the first keystroke took
 * 40–50 ms and the next ten 25–30 ms; with it they are within a few ms of steady state (~15 ms).
 */
export async function warmUp(rounds = 60, typing = 20): Promise<void> {
  const config = { ...DEFAULT_CONFIG, detect: 'always' as const };
  const blocks = Array.from({ length: 10 }, (_v, i) => sample(i));
  let previous = (await lintText(blocks.join('\n'), 'untitled:warmup', { config })).model.analysisCache;
  for (let i = 0; i < rounds; i++) {
    blocks[i % blocks.length] = sample(100 + i);
    previous = (await lintText(blocks.join('\n'), 'untitled:warmup', { config, previous })).model.analysisCache;
    await new Promise((r) => setTimeout(r, 0));
  }
  // Then type into a long file the way an editor reports keystrokes: incremental updates of one
  // TextDocument (its text becomes a concatenated string, its line table is patched in place).
  // Linting only freshly created documents left compiled code specialised to them, and the user's
  // first keystroke threw it away at once (V8 "code dependencies" deopts of ~30 functions).
  const lines = longFile(600);
  const runs = lines.map((l, n) => (l.startsWith('RUN ') ? n : -1)).filter((n) => n >= 0);
  let doc = TextDocument.create('untitled:warmup-long', 'dockerfile', 1, lines.join('\n'));
  previous = (await lintText(doc.getText(), doc.uri, { config })).model.analysisCache;
  for (let i = 0; i < typing; i++) {
    const at = runs[Math.floor((i * runs.length) / typing)] ?? 0;
    // Type before a line continuation, as a user adding a package to a continued RUN does.
    const line = lines[at] ?? '';
    const character = line.endsWith(' \\') ? line.length - 2 : line.length;
    doc = TextDocument.update(doc, [{ range: { start: { line: at, character }, end: { line: at, character } }, text: ` x${i}` }], i + 2);
    previous = (await lintText(doc.getText(), doc.uri, { config, previous })).model.analysisCache;
    await new Promise((r) => setTimeout(r, 0));
  }
  clearCommandCache();
}
