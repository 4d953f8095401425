// The App's hooks: the terminal's size, a one-second clock, and state the key handler can read at once.
import { useStdout } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';

export function useSize(fixed?: { columns: number; rows: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const on = () => setSize(read());
    stdout.on('resize', on);
    return () => void stdout.off('resize', on);
  }, [stdout]);
  return fixed ?? size;
}

/** Ages and durations move on once a second; the data itself only changes through the watches. */
export function useClock(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/** State the key handler reads at once: keys can arrive faster than Ink renders, so closures go stale. */
export function useRefState<T>(init: T): [T, (next: T | ((old: T) => T)) => void, () => T] {
  const ref = useRef(init);
  const [value, setValue] = useState(init);
  const set = useCallback((next: T | ((old: T) => T)) => {
    ref.current = typeof next === 'function' ? (next as (old: T) => T)(ref.current) : next;
    setValue(ref.current);
  }, []);
  return [value, set, useCallback(() => ref.current, [])];
}

