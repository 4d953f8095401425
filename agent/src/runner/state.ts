// What the agent must remember across restarts: the uids of Runs it has claimed (so a replayed or re-sent
// Run never executes twice) and the controller's run-signing key, pinned at enrollment.
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class AgentState {
  private readonly executed = new Set<string>();
  private readonly executedFile: string;
  private readonly keyFile: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.executedFile = join(dir, 'executed-runs');
    this.keyFile = join(dir, 'signing-key.pem');
    if (existsSync(this.executedFile)) {
      for (const line of readFileSync(this.executedFile, 'utf8').split('\n')) if (line) this.executed.add(line);
    }
  }

  hasExecuted(uid: string): boolean {
    return this.executed.has(uid);
  }

  /** Records a claimed run durably before anything of it runs. */
  markExecuted(uid: string): void {
    if (this.executed.has(uid)) return;
    appendFileSync(this.executedFile, `${uid}\n`, { mode: 0o600 });
    const fd = openSync(this.executedFile, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.executed.add(uid);
  }

  pinnedKey(): string | undefined {
    return existsSync(this.keyFile) ? readFileSync(this.keyFile, 'utf8') : undefined;
  }

  /** Pins the key on first enrollment; a different key later is refused (someone must re-enroll on purpose). */
  pinKey(pem: string): 'pinned' | 'same' | 'different' {
    const current = this.pinnedKey();
    if (current !== undefined) return current.trim() === pem.trim() ? 'same' : 'different';
    const tmp = `${this.keyFile}.tmp`;
    writeFileSync(tmp, pem, { mode: 0o600 });
    renameSync(tmp, this.keyFile);
    return 'pinned';
  }
}
