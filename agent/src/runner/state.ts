// What the agent must remember across restarts: the uids of Runs it has claimed (so a replayed or re-sent
// Run never executes twice), the controller's run-signing key, pinned at enrollment, the step that is running
// (so a restart can stop what it left behind) and the result of each finished Run until the controller has it.
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStatus } from '@hyprbox/crds';

/** The step of a Run that was started last, and the process group it runs in. */
export interface StepRecord {
  runUid: string;
  runName: string;
  step: string;
  /** The step's pid, leader of its process group; absent until it exists. */
  pgid?: number;
  /** /proc/<pid>/stat start time and the boot id: a reused pid (or a reboot) is not mistaken for the step. */
  startTime?: number;
  bootId?: string;
  /** Set once the step ended; `ok` is its outcome. */
  ended?: boolean;
  ok?: boolean;
  /** Set when a restarted agent stopped the step's group (kept if the restart's recovery must be retried). */
  stopped?: boolean;
}

/** A finished Run's final status, kept until it is written to the controller. */
export interface ResultRecord {
  runUid: string;
  runName: string;
  status: RunStatus;
}

/** Writes a file so that a crash leaves the old content or the new, never a part: tmp, fsync, rename, fsync of the directory. */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(join(file, '..'), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export class AgentState {
  private readonly executed = new Set<string>();
  private readonly executedFile: string;
  private readonly keyFile: string;
  private readonly stepFile: string;
  private readonly resultsDir: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.executedFile = join(dir, 'executed-runs');
    this.keyFile = join(dir, 'signing-key.pem');
    this.stepFile = join(dir, 'running-step.json');
    this.resultsDir = join(dir, 'results');
    mkdirSync(this.resultsDir, { recursive: true, mode: 0o700 });
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
    writeAtomic(this.keyFile, pem);
    return 'pinned';
  }

  /** The step started last (one Run executes at a time), durable before the step is given its script. */
  recordStep(r: StepRecord): void {
    writeAtomic(this.stepFile, JSON.stringify(r));
  }

  stepRecord(): StepRecord | undefined {
    return readJson<StepRecord>(this.stepFile);
  }

  clearStep(): void {
    rmSync(this.stepFile, { force: true });
  }

  /** A finished Run's final status, durable before it is reported. */
  saveResult(r: ResultRecord): void {
    writeAtomic(join(this.resultsDir, `${r.runUid}.json`), JSON.stringify(r));
  }

  results(): ResultRecord[] {
    return readdirSync(this.resultsDir).filter((f) => f.endsWith('.json'))
      .map((f) => readJson<ResultRecord>(join(this.resultsDir, f)))
      .filter((r): r is ResultRecord => r !== undefined && typeof r.runUid === 'string');
  }

  removeResult(uid: string): void {
    rmSync(join(this.resultsDir, `${uid}.json`), { force: true });
  }
}
