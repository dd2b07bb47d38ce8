import type { Heredoc, Run } from 'dockerfile-ast';
import type { TextDocument } from 'vscode-languageserver-textdocument';

/** Shell text cut out of a RUN, with a map back to document offsets. */
export interface ShellSource {
  text: string;
  toDoc(shellOffset: number): number;
}

interface Segment {
  shell: number;
  doc: number;
  len: number;
}

class Builder {
  text = '';
  private segs: Segment[] = [];
  add(piece: string, docStart: number): void {
    if (!piece) return;
    // CRLF files: a CR would glue itself to the last word; a space keeps offsets 1:1.
    piece = piece.replace(/\r/g, ' ');
    const last = this.segs[this.segs.length - 1];
    if (last && last.doc + last.len === docStart && last.shell + last.len === this.text.length) last.len += piece.length;
    else this.segs.push({ shell: this.text.length, doc: docStart, len: piece.length });
    this.text += piece;
  }
  done(): ShellSource {
    const segs = this.segs;
    const text = this.text;
    return {
      text,
      toDoc(i: number): number {
        let lo = 0;
        let hi = segs.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if ((segs[mid]?.shell ?? 0) <= i) lo = mid;
          else hi = mid - 1;
        }
        const s = segs[lo];
        if (!s) return 0;
        return s.doc + Math.min(Math.max(i - s.shell, 0), s.len);
      },
    };
  }
}

const SHELLS = /^(?:\/usr)?(?:\/bin\/)?(?:ba|da|z|k)?sh(?:\s+-[-\w]+)*\s+<<-?/;
const BARE_HEREDOC = /^<<-?(["']?)([\w.-]+)\1\s*$/;

function escapeChar(doc: TextDocument): string {
  const m = /^\s*#\s*escape\s*=\s*(\S)/m.exec(doc.getText().slice(0, 512));
  return m?.[1] === '`' ? '`' : '\\';
}

/**
 * Turns the RUN's command text into shell text bash would see after Docker's own processing:
 * comment and blank lines inside a continuation vanish, `` ` `` escapes become `\`.
 * A `RUN <<EOF` script is its body; `RUN bash <<EOF` yields both the line and the body.
 */
export function buildShellSource(doc: TextDocument, run: Run, heredocs: Heredoc[]): ShellSource[] {
  if (run.getOpeningBracket() && run.getClosingBracket()) return [execForm(doc, run)];
  const args = run.getArguments();
  const first = args[0];
  if (!first) return [];
  const start = doc.offsetAt(first.getRange().start);
  const end = doc.offsetAt(run.getRange().end);
  const bodies = heredocs
    .map((h) => h.getContentRange())
    .filter((r): r is NonNullable<typeof r> => r !== null)
    .map((r) => ({ start: doc.offsetAt(r.start), end: doc.offsetAt(r.end) }))
    .filter((r) => r.start >= start);
  const firstBody = bodies.length ? Math.min(...bodies.map((b) => b.start)) : end;
  const full = doc.getText();
  const head = full.slice(start, firstBody);
  const esc = escapeChar(doc);
  const bodySource = (b: { start: number; end: number }): ShellSource => {
    const bb = new Builder();
    bb.add(full.slice(b.start, b.end), b.start);
    return bb.done();
  };
  const headLine = head.split('\n')[0]?.trim() ?? '';
  const firstB = bodies[0];
  if (BARE_HEREDOC.test(headLine) && firstB) {
    const body = full.slice(firstB.start, firstB.end);
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(body);
    if (shebang && !/(^|\/)(ba|da|z|k)?sh$/.test(shebang[2] && shebang[1]?.endsWith('env') ? shebang[2] : (shebang[1] ?? ''))) return [];
    return [bodySource(firstB)];
  }
  const b = new Builder();
  let pos = start;
  let continued = false;
  const lines = head.split('\n');
  lines.forEach((line, i) => {
    const isLast = i === lines.length - 1;
    const nl = isLast ? '' : '\n';
    const trimmed = line.trim();
    if (continued && (trimmed === '' || trimmed.startsWith('#')) && !isLast) {
      pos += line.length + 1;
      return;
    }
    const m = new RegExp(`\\${esc}[ \\t\\r]*$`).exec(line);
    if (m && !isLast) {
      b.add(line.slice(0, m.index), pos);
      b.add('\\', pos + m.index);
      b.add('\n', pos + line.length);
      continued = true;
    } else {
      b.add(line + nl, pos);
      continued = false;
    }
    pos += line.length + 1;
  });
  if (firstBody < end) b.add(full.slice(firstBody, end), firstBody);
  const out = [b.done()];
  if (SHELLS.test(headLine) && firstB) out.push(bodySource(firstB));
  return out;
}

function execForm(doc: TextDocument, run: Run): ShellSource {
  const b = new Builder();
  const strings = run.getJSONStrings();
  const values = strings.map((s) => s.getJSONValue());
  // ["/bin/sh", "-c", "script"] runs a script: parse the script itself.
  const script = values.length === 3 && /(^|\/)(ba|da)?sh$/.test(values[0] ?? '') && values[1] === '-c' ? strings[2] : undefined;
  if (script) {
    b.add(script.getJSONValue(), doc.offsetAt(script.getJSONRange().start));
    return b.done();
  }
  strings.forEach((s, i) => {
    if (i > 0) b.add(' ', doc.offsetAt(s.getRange().start));
    const v = s.getJSONValue();
    b.add(/^[\w./=:,@%+-]+$/.test(v) ? v : `'${v.replace(/'/g, '')}'`, doc.offsetAt(s.getJSONRange().start));
  });
  return b.done();
}
