import { describe, expect, it } from 'vitest';
import { MAX_BROKER_LINES, checkLayout } from '../../../scripts/check-layout.mjs';

describe("the library's layout (scripts/check-layout.mjs)", () => {
  const layout = checkLayout();

  it('has no import circle among its modules, type imports included', () => {
    expect(layout.circles).toEqual([]);
  });

  it('has no file over 400 lines, and sw/broker.ts at most 350', () => {
    expect(layout.oversized).toEqual([]);
    expect(layout.brokerLines).toBeLessThanOrEqual(MAX_BROKER_LINES);
  });
});
