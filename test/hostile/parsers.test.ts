/**
 * Every parser of outside input, fed what a hostile or broken sender could send: each answers
 * with a value or a clear error of the documented kind, and never throws anything else.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import yaml from 'js-yaml';
import {
  ConfigError,
  loadConfig,
  parseReplay,
  toEvent,
  topicProblem,
  type Delivery,
} from '@loopabull/core';
import { shippedAutomations } from '@loopabull/cli';
import { nastyJson, nastyString, removeTempDirs, tempDir, tryAll } from '@test/support';

afterAll(removeTempDirs);

const REASONS = ['bad-topic', 'not-json', 'too-large', 'bad-utf8'];

describe('bus messages become events or are rejected with a reason', () => {
  const delivery = fc.record({
    exchange: fc.oneof(nastyString, fc.constant('exchange/taskcluster-queue/v1/task-completed')),
    routingKey: fc.oneof(nastyString, fc.constant('org.fedoraproject.prod.buildsys.tag')),
    content: fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      nastyJson.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    ),
    contentType: fc.option(fc.constantFrom('application/json', 'text/plain', 'x/y'), {
      nil: undefined,
    }),
    messageId: fc.option(nastyString, { nil: undefined }),
    headers: fc.dictionary(nastyString, nastyJson, { maxKeys: 4 }),
    timestamp: fc.option(fc.integer(), { nil: undefined }),
  });

  it.each(['fedora-messaging', 'pulse', 'generic'] as const)('%s', async (preset) => {
    await tryAll(`bus message mapping (${preset})`, delivery, (d) => {
      const result = toEvent(d as Delivery, preset, { maxBytes: 256 });
      if (result.ok) {
        expect(topicProblem(result.event.topic)).toBeNull();
        expect(typeof result.event.id).toBe('string');
      } else {
        expect(REASONS).toContain(result.reason);
        expect(result.detail).not.toBe('');
      }
    });
  });
});

describe('topics never reach outside the playbooks directory', () => {
  it('an accepted topic names a file inside it, whatever the string', async () => {
    const dir = '/srv/playbooks';
    let accepted = 0;
    await tryAll(
      'topic check',
      fc.oneof(nastyString, fc.stringMatching(/^[A-Za-z0-9./_-]{1,40}$/)),
      (topic) => {
        if (topicProblem(topic) !== null) return;
        accepted += 1;
        for (const candidate of [`${topic}.yml`, `${topic.split('.').join('/')}.yml`])
          expect(resolve(dir, candidate).startsWith(dir + '/')).toBe(true);
      },
      2000,
    );
    // Not passing for want of accepted topics to check.
    expect(accepted).toBeGreaterThan(100);
  });
});

describe('config files', () => {
  const dir = tempDir('hostile-config');
  const load = (text: string) => {
    const path = join(dir, 'loopabull.yml');
    writeFileSync(path, text);
    return () => loadConfig({ path, env: {}, cwd: dir, automations: shippedAutomations });
  };

  it('any document loads or is a ConfigError naming the file', async () => {
    const doc = fc.oneof(
      nastyJson.map((v) => yaml.dump(v, { skipInvalid: true })),
      fc.string({ maxLength: 300 }),
      fc
        .dictionary(
          fc.constantFrom('bus', 'redis', 'queue', 'ansible', 'workers', 'http', 'hardware', 'x'),
          nastyJson,
          { maxKeys: 3 },
        )
        .map((v) => yaml.dump(v, { skipInvalid: true })),
    );
    await tryAll('config files', doc, (text) => {
      try {
        load(text)();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).toContain(join(dir, 'loopabull.yml'));
      }
    });
  });

  it('an alias bomb is refused quickly, not expanded', () => {
    const levels = Array.from(
      { length: 12 },
      (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`,
    );
    const text = ['l0: &l0 [x]', ...levels, 'routing_keys: *l12'].join('\n');
    // Expanded, this document holds 10^12 strings: the test would never end.
    expect(load(text)).toThrow(/routing_keys\.0: Invalid input: expected string/);
  });
});

describe('replay dumps', () => {
  it('any text gives messages or a ConfigError naming the file and the item', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      nastyJson.map((v) => JSON.stringify(v) ?? ''),
      fc.array(nastyJson, { maxLength: 4 }).map((a) => a.map((v) => JSON.stringify(v)).join('\n')),
    );
    await tryAll('replay dumps', text, (t) => {
      try {
        for (const m of parseReplay(t, 'dump.json')) {
          expect(topicProblem(m.topic)).toBeNull();
          expect(typeof m.id).toBe('string');
        }
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).toContain('dump.json');
      }
    });
  });
});
