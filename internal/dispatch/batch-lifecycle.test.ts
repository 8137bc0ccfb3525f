import { describe, expect, it } from 'vitest';
import { nextBatchStatus } from './batch-lifecycle.ts';

describe('batch lifecycle', () => {
  it('follows open → sealed → assigned → picked_up → delivered', () => {
    expect(nextBatchStatus('open', 'seal')).toBe('sealed');
    expect(nextBatchStatus('sealed', 'assign')).toBe('assigned');
    expect(nextBatchStatus('assigned', 'pick_up')).toBe('picked_up');
    expect(nextBatchStatus('picked_up', 'deliver')).toBe('delivered');
  });

  it('refuses skipping a step or going back', () => {
    expect(nextBatchStatus('open', 'assign')).toBeNull();
    expect(nextBatchStatus('sealed', 'seal')).toBeNull();
    expect(nextBatchStatus('assigned', 'merge')).toBeNull();
    expect(nextBatchStatus('delivered', 'pick_up')).toBeNull();
  });

  it('retires merged batches only while no rider has them', () => {
    expect(nextBatchStatus('open', 'merge')).toBe('cancelled');
    expect(nextBatchStatus('sealed', 'merge')).toBe('cancelled');
  });

  it('releases only an assigned batch (its rider went silent before the pickup) back to sealed', () => {
    expect(nextBatchStatus('assigned', 'release')).toBe('sealed');
    for (const from of ['open', 'sealed', 'picked_up', 'delivered', 'cancelled'] as const)
      expect(nextBatchStatus(from, 'release')).toBeNull();
  });
});
