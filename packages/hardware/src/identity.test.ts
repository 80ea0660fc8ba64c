import { describe, expect, it } from '@jest/globals';
import { pulseFixture } from '../test/helpers.js';
import { idWord, parseMachineId, partitionMachineId, routingKeyIds, taskIds } from './identity.js';

const completed = pulseFixture('task-completed');
const other = pulseFixture('task-running-other-provisioner');

describe('routing key', () => {
  it('reads the ids in the queue order', () => {
    expect(routingKeyIds(completed.routingKey)).toEqual({
      taskId: 'B3EheQ-IQ5aPzw34KS_a6g',
      runId: 0,
      workerGroup: 'mdc2',
      workerId: 't-mojave-r7-153',
      provisionerId: 'releng-hardware',
      workerType: 'gecko-t-osx-1014',
    });
  });

  it('reads `_` as absent', () => {
    const ids = routingKeyIds(
      'primary.B3EheQ-IQ5aPzw34KS_a6g._._._.releng-hardware.gecko-t-osx-1014.gecko-level-3.EJAo7mQyRqS-jmzebhceFA._',
    );
    expect(ids).toMatchObject({
      runId: null,
      workerGroup: null,
      workerId: null,
      provisionerId: 'releng-hardware',
    });
  });

  it('knows nothing from keys of another shape', () => {
    expect(routingKeyIds('route.index.gecko.v2.x')).toMatchObject({
      workerGroup: null,
      provisionerId: null,
    });
    expect(routingKeyIds('')).toMatchObject({ taskId: null });
  });
});

describe('task ids of a message', () => {
  it('takes them from the body', () => {
    expect(taskIds(completed.payload, completed.routingKey)).toEqual(
      routingKeyIds(completed.routingKey),
    );
    expect(taskIds(other.payload, other.routingKey)).toMatchObject({
      workerGroup: 'us-west-1',
      workerId: 'i-0429b6e2c0ac7474d',
      provisionerId: 'aws-provisioner-v1',
    });
  });

  it('prefers the body over the routing key', () => {
    const body = { ...completed.payload, workerGroup: 'mdc1', workerId: 't-linux64-ms-100' };
    expect(taskIds(body, completed.routingKey)).toMatchObject({
      workerGroup: 'mdc1',
      workerId: 't-linux64-ms-100',
    });
  });

  it('falls back to the run, then to the routing key, when the body lacks them', () => {
    const withRun = { ...completed.payload, workerGroup: undefined, workerId: undefined };
    expect(taskIds(withRun, '')).toMatchObject({
      workerGroup: 'mdc2',
      workerId: 't-mojave-r7-153',
    });
    expect(taskIds('not an object', completed.routingKey)).toMatchObject({
      workerGroup: 'mdc2',
      workerId: 't-mojave-r7-153',
      runId: 0,
    });
    expect(taskIds(null, completed.routingKey).provisionerId).toBe('releng-hardware');
  });

  it('takes workerGroup and workerId from one source, never half from each', () => {
    // The body names mdc5 with an unusable host: its run's pair is taken, not mdc5 with the run's host.
    const badBody = {
      ...structuredClone(completed.payload),
      workerGroup: 'mdc5',
      workerId: 'evil:<script>',
    };
    expect(taskIds(badBody, completed.routingKey)).toMatchObject({
      workerGroup: 'mdc2',
      workerId: 't-mojave-r7-153',
    });
    // Then the run's host is unusable too: the routing key's pair, not mdc5 or mdc2 with its host.
    badBody.status.runs[0]!.workerId = 'café';
    const rk = completed.routingKey.replace('.mdc2.t-mojave-r7-153.', '.mdc1.host-a.');
    expect(taskIds(badBody, rk)).toMatchObject({ workerGroup: 'mdc1', workerId: 'host-a' });
    expect(taskIds({ workerGroup: 'mdc5' }, rk.replace('.mdc1.host-a.', '.mdc1._.'))).toMatchObject(
      { workerGroup: null, workerId: null },
    );
  });

  it('treats `_`, empty and unsafe values as absent', () => {
    for (const bad of ['_', '', 'a:b', 'a b', '<script>', 42, null, 'x'.repeat(129)])
      expect(idWord(bad)).toBeNull();
    expect(taskIds({ workerGroup: '_', workerId: '' }, '')).toMatchObject({
      workerGroup: null,
      workerId: null,
    });
  });
});

describe('machine ids', () => {
  it('split at the first colon, as Python partition does', () => {
    expect(partitionMachineId('mdc1:t-linux64-ms-100')).toEqual({
      datacenter: 'mdc1',
      machine: 't-linux64-ms-100',
    });
    expect(partitionMachineId('a:b:c')).toEqual({ datacenter: 'a', machine: 'b:c' });
    expect(partitionMachineId('nocolon')).toEqual({ datacenter: 'nocolon', machine: '' });
  });

  it('accept only <datacenter>:<hostname> from people', () => {
    expect(parseMachineId('mdc1:t-linux64-ms-100')).toEqual({
      datacenter: 'mdc1',
      hostname: 't-linux64-ms-100',
    });
    // The hostname is the rest, colons included, as the API looks ids up (and /machines splits).
    expect(parseMachineId('a:b:c')).toEqual({ datacenter: 'a', hostname: 'b:c' });
    for (const bad of ['mdc1', 'mdc1:', ':host', '']) expect(parseMachineId(bad)).toBeNull();
  });
});
