// Real terminals for the watch tests: `script` (util-linux) gives a program a pseudo-terminal
// and hands us its raw output; tmux adds a screen we can read back and a window we can resize.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { eventually } from "../support/env.ts";

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** A program in a pseudo-terminal of `columns` × `rows`, run through `script`. */
export class ScriptTerminal {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #raw = "";

  constructor(argv: string[], options: { columns: number; rows: number; env?: Record<string, string> }) {
    const command = `stty cols ${options.columns} rows ${options.rows}; exec ${argv.map(quote).join(" ")}`;
    this.child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: { ...process.env, TERM: "xterm-256color", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (d: Buffer) => (this.#raw += d.toString("utf8")));
    this.child.stderr?.on("data", (d: Buffer) => (this.#raw += d.toString("utf8")));
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  /** Everything written to the terminal so far, escape sequences removed. */
  text(): string {
    return stripVTControlCharacters(this.#raw);
  }

  raw(): string {
    return this.#raw;
  }

  /** Waits until the output contains `needle` at or after `from` (a length of text() seen before). */
  async waitFor(needle: string, from = 0): Promise<number> {
    return eventually(() => {
      const at = this.text().indexOf(needle, from);
      return at >= 0 ? at : undefined;
    }, 15_000, `"${needle}" in the terminal; it shows:\n${this.text().slice(-3000)}`);
  }

  /** Types into the terminal, as a keyboard would. */
  type(keys: string): void {
    this.child.stdin?.write(keys);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

/** A program in a detached tmux session: the screen can be read back and the window resized. */
export class TmuxTerminal {
  readonly socket: string;
  readonly session = "watch";

  private constructor(socket: string) {
    this.socket = socket;
  }

  static start(argv: string[], options: { columns: number; rows: number; env?: Record<string, string> }): TmuxTerminal {
    const term = new TmuxTerminal(join(mkdtempSync(join(tmpdir(), "dfut-tmux-")), "socket"));
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
    // The shell stays after the program ends and prints its exit code, so the test can read it.
    const command = `env ${env.join(" ")} ${argv.map(quote).join(" ")}; echo "[exit $?]"; sleep 60`;
    term.#tmux("new-session", "-d", "-s", term.session, "-x", String(options.columns), "-y", String(options.rows), command);
    return term;
  }

  #tmux(...args: string[]): string {
    return execFileSync("tmux", ["-S", this.socket, "-f", "/dev/null", ...args], {
      encoding: "utf8",
      env: { ...process.env, TERM: "xterm-256color", TMUX: "" },
    });
  }

  /** The visible screen, one string per row, trailing spaces removed. */
  screen(): string[] {
    return this.#tmux("capture-pane", "-p", "-t", this.session).replace(/\n$/, "").split("\n").map((l) => l.trimEnd());
  }

  async waitForScreen(check: (screen: string) => boolean, what: string): Promise<string> {
    let last = "";
    try {
      return await eventually(() => {
        last = this.screen().join("\n");
        return check(last) ? last : undefined;
      }, 15_000, what);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the screen shows:\n${last}`);
    }
  }

  /** Keys in tmux's names: "q", "Up", "Down", "Enter", "Escape", "C-c". */
  keys(...keys: string[]): void {
    this.#tmux("send-keys", "-t", this.session, ...keys);
  }

  resize(columns: number, rows: number): void {
    this.#tmux("resize-window", "-t", this.session, "-x", String(columns), "-y", String(rows));
  }

  stop(): void {
    try {
      this.#tmux("kill-server");
    } catch {
      // already gone
    }
    rmSync(join(this.socket, ".."), { recursive: true, force: true });
  }
}
