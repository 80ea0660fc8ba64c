import { expect, it } from '@jest/globals';
import { exchangesToDeclare } from './topology.js';

it('declares each exchange once and never the broker-owned amq.* ones', () => {
  expect(
    exchangesToDeclare([
      { exchange: 'amq.topic', routing_key: '#' },
      { exchange: 'exchange/taskcluster-queue/v1/task-completed', routing_key: 'primary.#' },
      { exchange: 'exchange/taskcluster-queue/v1/task-completed', routing_key: 'other.#' },
      { exchange: 'zmq.topic', routing_key: '#' },
    ]),
  ).toEqual(['exchange/taskcluster-queue/v1/task-completed', 'zmq.topic']);
});
