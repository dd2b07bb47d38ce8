import type { TextEdit } from 'vscode-languageserver-types';
import { insertAfter, shippedWrites } from '../lint/helpers';
import { nonBootcRoot } from '../lint/kernel';
import { defineRule, type Fix } from '../lint/rule';
import { tmpfilesEntries } from '../lint/tmpfiles';
import { rootStage, shippedInstructions, type ContainerfileModel, type InstructionInfo } from '../model/containerfile';
import { coversPath, isUnder } from '../model/paths';

export const DPKG_DB = '/var/lib/dpkg';
export const DPKG_SYSIMAGE = '/usr/lib/sysimage/dpkg';
export const DPKG_TMPFILES_LINE = `L+ ${DPKG_DB} - - - - ../../usr/lib/sysimage/dpkg`;
const MOVE = `mkdir -p /usr/lib/sysimage && mv ${DPKG_DB} ${DPKG_SYSIMAGE}`;

/** The image's packages are deb: a Debian/Ubuntu base or apt/dpkg commands in the final image. */
export function debImage(model: ContainerfileModel): boolean {
  if (rootStage(model)?.family?.packages === 'deb') return true;
  return shippedInstructions(model).some((i) => i.packages.some((p) => p.family === 'deb'));
}

const before = (a: { index: number; order: number }, b: { index: number; order: number }): boolean =>
  a.index < b.index || (a.index === b.index && a.order < b.order);

function tmpfilesFixes(model: ContainerfileModel, after: InstructionInfo, runLine?: string): Fix[] {
  const dest = '/usr/lib/tmpfiles.d/dpkg.conf';
  const prefix = runLine ? `${runLine}\n` : '';
  const what = runLine ? 'Move the dpkg database to /usr/lib/sysimage/dpkg and link it' : 'Link /var/lib/dpkg to /usr/lib/sysimage/dpkg';
  return [
    {
      title: `${what} with tmpfiles.d (COPY heredoc)`,
      edits: [insertAfter(model, after, `${prefix}COPY <<EOF ${dest}\n${DPKG_TMPFILES_LINE}\nEOF`)],
      preferred: true,
    },
    {
      title: `${what} with tmpfiles.d (build-context file dpkg.conf, podman < 4.8)`,
      edits: [insertAfter(model, after, `${prefix}COPY dpkg.conf ${dest}`)],
      createFile: { relativePath: 'dpkg.conf', content: `${DPKG_TMPFILES_LINE}\n` },
    },
  ];
}

export default defineRule({
  meta: {
    id: 'dpkg-database-in-var',
    severity: 'warning',
    category: 'filesystem',
    description: 'A Debian/Ubuntu image keeps its dpkg database in /var/lib/dpkg (or removes /var without moving it first).',
    fixable: true,
    why: "On a bootc system /var is machine state: the image's /var is unpacked once, at install, and never updated. A dpkg database left in /var/lib/dpkg therefore describes the first image forever: after an upgrade `dpkg -l` and apt see the old package set. Removing /var in the image (`rm -rf /var`) without moving it first leaves no package database at all. Do what rpm does with /usr/lib/sysimage/rpm: move the database to /usr/lib/sysimage/dpkg, which is part of the image and updated with it, and let systemd-tmpfiles link /var/lib/dpkg to it at boot (`L+ /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg`).",
    bad: 'FROM docker.io/library/debian:bookworm\nRUN apt-get update && apt-get install -y linux-image-amd64 systemd && apt-get clean',
    good: `FROM docker.io/library/debian:bookworm\nRUN apt-get update && apt-get install -y linux-image-amd64 systemd && apt-get clean\nRUN ${MOVE}\nCOPY <<EOF /usr/lib/tmpfiles.d/dpkg.conf\n${DPKG_TMPFILES_LINE}\nEOF`,
  },
  check({ model, report, buildContext }) {
    if (!nonBootcRoot(model) || !debImage(model)) return;
    const moves = shippedWrites(model).filter(
      ({ write: w }) =>
        isUnder(w.path, DPKG_SYSIMAGE) || (w.path === '/usr/lib/sysimage' && !!w.sources?.some((s) => /(^|\/)dpkg\/?$/.test(s.value))),
    );
    const firstMove = moves[0] && { index: moves[0].info.index, order: moves[0].write.order };
    const { entries, unknown } = tmpfilesEntries(model, buildContext);
    const linked = unknown.length > 0 || entries.some((e) => e.type === 'L' && e.path === DPKG_DB);

    // A removal of /var (or of the database itself) that comes before any move loses the database.
    let removedUnmoved = false;
    for (const info of shippedInstructions(model)) {
      for (const r of info.removes) {
        if (!r.recursive || !coversPath(r.path, DPKG_DB) || r.path === '/') continue;
        // At or after the move (mv itself removes its source) the database is safe in /usr.
        if (firstMove && !before({ index: info.index, order: r.order }, firstMove)) continue;
        removedUnmoved = true;
        const cmd = info.commands.find((c) => c.order === r.order);
        const fixes: Fix[] = [];
        if (cmd) {
          const at = cmd.nameWord.range.start;
          const move: TextEdit = { range: { start: at, end: at }, newText: `${MOVE} && ` };
          for (const f of linked ? [] : tmpfilesFixes(model, info)) fixes.push({ ...f, edits: [move, ...f.edits] });
          if (linked) fixes.push({ title: 'Move the dpkg database to /usr/lib/sysimage/dpkg first', edits: [move], preferred: true });
        }
        report({
          range: r.range,
          message: `rm ${r.path} removes the dpkg database (${DPKG_DB}) and nothing moved it to ${DPKG_SYSIMAGE} first: the image has no package database. Move it before removing /var and link it back with tmpfiles.d.`,
          fixes,
        });
      }
    }
    if (removedUnmoved) return;

    const first = moves[0];
    if (first) {
      if (linked) return;
      report({
        range: first.write.range,
        message: `The dpkg database moves to ${DPKG_SYSIMAGE} but no tmpfiles.d line links ${DPKG_DB} to it: on the booted system dpkg and apt find no database. Add \`${DPKG_TMPFILES_LINE}\`.`,
        fixes: tmpfilesFixes(model, first.info),
      });
      return;
    }
    // Report where the database was last changed: the fix moves it right after that.
    const changes = shippedInstructions(model).flatMap((info) =>
      info.packages.filter((p) => p.family === 'deb' && p.op !== 'clean' && p.op !== 'other').map((p) => ({ info, p })),
    );
    const last = changes[changes.length - 1];
    const root = rootStage(model);
    const range = last?.p.command.nameWord.range ?? root?.imageRange;
    const after = last?.info ?? model.finalStage?.instructions[model.finalStage.instructions.length - 1] ?? root?.fromInfo;
    if (!range || !after) return;
    report({
      range,
      message: `The dpkg database stays in ${DPKG_DB}: /var is seeded once at install, so after the first upgrade it describes the old image. Move it to ${DPKG_SYSIMAGE} and link ${DPKG_DB} to it with tmpfiles.d.`,
      fixes: tmpfilesFixes(model, after, `RUN ${MOVE}`),
    });
  },
});
