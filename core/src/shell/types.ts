/** What the shell walks (commands.ts, simple.ts) read out of a script. */

/** One shell word with its static value; offsets are into the parsed shell text. */
export interface Word {
  /** The value after quote removal; expansions stay literal (`$kver`). */
  value: string;
  start: number;
  end: number;
  /** Contains an expansion or substitution, so the value is only a pattern. */
  dynamic: boolean;
}

export interface Redirect {
  /** `>`, `>>`, `&>`, `>|`, `<`, … */
  op: string;
  target?: Word;
}

/** A heredoc attached to a command: its body is data for that command (stdin). */
export interface HeredocData {
  start: number;
  end: number;
  text: string;
  /** A file redirect on the heredoc line, as in `cat <<EOF > /etc/x`. */
  target?: Word;
}

export interface SimpleCommand {
  /** The program, after stripping wrappers such as `sudo`, `env`, `exec`. */
  name: string;
  /** Arguments after the program name. */
  args: Word[];
  nameWord: Word;
  start: number;
  end: number;
  redirects: Redirect[];
  heredocs: HeredocData[];
  /** Position of the command in the script, for "later in the same RUN" questions. */
  order: number;
  /** The command's exit status cannot fail the script (`|| true`, `; true`, non-last pipe). */
  swallowed: boolean;
  /** Reads its stdin from a pipe (`echo x | passwd`). */
  piped: boolean;
  /**
   * The subshells it runs in, outermost first (`''` at the top level, `'/2'` inside the second
   * subshell): a `cd` changes the directory of later commands in its own scope and the scopes inside it.
   */
  scope: string;
  /**
   * The command runs only on a condition: the text of the enclosing `if`/`elif`/`while` test,
   * `case` word, or the left side of `a || b`. Absent when it always runs.
   */
  guard?: string;
}

const WRAPPERS = new Set(['sudo', 'exec', 'command', 'nohup', 'time', 'nice', 'ionice', 'chronic']);

/** Strips wrappers so `sudo dnf install` and `env X=1 dracut` are seen as dnf and dracut. */
export function stripWrappers(words: Word[]): Word[] {
  for (;;) {
    const head = words[0];
    if (!head) return words;
    const prog = head.value.split('/').pop() ?? head.value;
    if (WRAPPERS.has(prog)) {
      words = words.slice(1);
      while (words[0] && words[0].value.startsWith('-')) {
        // `sudo -u app podman …`, `nice -n 10 make`: these options take the next word.
        const takesValue = /^-[ugCDhpRrTtUn]$/.test(words[0].value) && (prog === 'sudo' || prog === 'nice' || prog === 'ionice');
        words = words.slice(takesValue ? 2 : 1);
      }
    } else if (prog === 'env') {
      words = words.slice(1);
      while (words[0] && (words[0].value.startsWith('-') || /^\w+=/.test(words[0].value))) words = words.slice(1);
    } else return words;
  }
}
