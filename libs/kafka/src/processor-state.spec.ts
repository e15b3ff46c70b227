import { describe, expect, it } from 'vitest';
import { ProcessorState } from './processor-state.js';

describe('ProcessorState', () => {
  it('reports a wait once per dependency, keeps its start, and clears on resume', async () => {
    const state = new ProcessorState();
    await expect(state.readinessCheck().check()).resolves.toBeUndefined();
    expect(state.waiting({ dependency: 'postgresql', message: 'ECONNREFUSED' })).toBe(true);
    const since = state.waitingFor!.since;
    expect(state.waiting({ dependency: 'postgresql', message: 'still refused' })).toBe(false);
    expect(state.waitingFor).toEqual({ dependency: 'postgresql', message: 'still refused', since });
    await expect(state.readinessCheck().check()).rejects.toThrow(
      `waiting for postgresql since ${since}: still refused`,
    );
    expect(state.waiting({ dependency: 'kafka', message: 'down' })).toBe(true);
    expect(state.resumed()?.dependency).toBe('kafka');
    expect(state.resumed()).toBeNull();
    await expect(state.readinessCheck().check()).resolves.toBeUndefined();
  });
});
