import { describe, expect, it } from 'vitest';
import {
  type CallFrame,
  formatSelfTime,
  generatedLocation,
  type Profile,
  shortPath,
  topSelfTime,
} from '../../bench/self-time';

const ROOT = '/repo';
const atLine = generatedLocation(ROOT);
const frame = (functionName: string, url = '', lineNumber = 0, columnNumber = 0): CallFrame => ({
  functionName,
  url,
  lineNumber,
  columnNumber,
});

/** root -> (idle) | handle -> parse, and a second call path to parse from settle. */
const nodes: Profile['nodes'] = [
  { id: 1, callFrame: frame('(root)') },
  { id: 2, callFrame: frame('(idle)') },
  { id: 3, callFrame: frame('handle', 'file:///repo/functions/handler.ts', 9) },
  { id: 4, callFrame: frame('parse', 'file:///repo/functions/decode.ts', 41) },
  { id: 5, callFrame: frame('settle', 'file:///repo/functions/settle.ts', 4) },
  { id: 6, callFrame: frame('parse', 'file:///repo/functions/decode.ts', 41) },
  { id: 7, callFrame: frame('', 'node:internal/streams/readable', 99) },
  { id: 8, callFrame: frame('(garbage collector)') },
];

describe('self time from a V8 CPU profile', () => {
  it('gives each sample the time until the next, merges a function reached by two paths and leaves idle out', () => {
    // Samples at 100, 110, 140, 150, 170, 200, 205; the profile ends at 215.
    const profile: Profile = {
      nodes,
      startTime: 0,
      endTime: 215,
      samples: [2, 4, 6, 3, 8, 7, 4],
      timeDeltas: [100, 10, 30, 10, 20, 30, 5],
    };
    const top = topSelfTime(profile, 10, atLine);
    expect(top.map((t) => [t.functionName, t.location, t.ms * 1000])).toEqual([
      ['parse', 'functions/decode.ts:42', 30 + 10 + 10],
      ['(garbage collector)', '', 30],
      ['handle', 'functions/handler.ts:10', 20],
      ['(anonymous)', 'node:internal/streams/readable:100', 5],
    ]);
    // Shares are of the busy time: 105 µs, the 10 µs of idle left out.
    expect(top[0]?.share).toBeCloseTo(50 / 105);
    expect(top.reduce((n, t) => n + t.share, 0)).toBeCloseTo(1);
  });

  it('merges by the location it is given, so functions on one generated line part by their source line', () => {
    const oneLine = 'file:///repo/functions/bundled.ts';
    const profile: Profile = {
      nodes: [
        { id: 1, callFrame: frame('a', oneLine, 0, 10) },
        { id: 2, callFrame: frame('a', oneLine, 0, 500) },
      ],
      startTime: 0,
      endTime: 30,
      samples: [1, 2, 2],
      timeDeltas: [0, 10, 10],
    };
    expect(topSelfTime(profile, 5, atLine).map((t) => [t.location, t.ms])).toEqual([
      ['functions/bundled.ts:1', 0.03],
    ]);
    const bySource = topSelfTime(profile, 5, (f) => `functions/bundled.ts:${f.columnNumber < 100 ? 3 : 40}`);
    expect(bySource.map((t) => [t.location, t.ms])).toEqual([
      ['functions/bundled.ts:40', 0.02],
      ['functions/bundled.ts:3', 0.01],
    ]);
  });

  it('keeps the top n, and finds nothing in a profile without samples', () => {
    const profile: Profile = {
      nodes,
      startTime: 0,
      endTime: 30,
      samples: [4, 3, 4],
      timeDeltas: [0, 10, 10],
    };
    expect(topSelfTime(profile, 1, atLine)).toEqual([
      { functionName: 'parse', location: 'functions/decode.ts:42', ms: 0.02, share: 2 / 3 },
    ]);
    expect(topSelfTime({ nodes, startTime: 0, endTime: 30 }, 15, atLine)).toEqual([]);
  });

  it('names scripts relative to the root, or from their node_modules, and leaves node: ones as they are', () => {
    expect(shortPath('file:///repo/bench/w2.ts', ROOT)).toBe('bench/w2.ts');
    expect(shortPath('file:///elsewhere/node_modules/ioredis/built/Command.js', ROOT)).toBe(
      'node_modules/ioredis/built/Command.js',
    );
    expect(shortPath('node:internal/timers', ROOT)).toBe('node:internal/timers');
  });

  it('prints one line per function under a header', () => {
    const lines = formatSelfTime([
      { functionName: 'parse', location: 'functions/decode.ts:42', ms: 1234.4, share: 0.25 },
    ]);
    expect(lines).toEqual([
      '  self ms  busy %  function',
      '     1234    25.0  parse  functions/decode.ts:42',
    ]);
  });
});
