/**
 * `loopabull resolve` and `loopabull run` as an operator uses them (README, docs/automations.md):
 * which file a topic runs and why, and one run in the foreground, with a real ansible-playbook.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { localPlaybook, removeTempDirs, runCli, testConfig, writeAutomation } from '@test/support';

afterAll(removeTempDirs);

const PREFIX = 'org.example.prod.';
const config = testConfig({
  overrides: { topics: { fold_prefixes: ['org.example.stg.', PREFIX] } },
});
const pb = config.ansible.playbooks_dir;
const cli = (args: string[], input?: string) =>
  runCli([...args, '--config', config.configPath], { isolated: true, input });
const candidates = (stem: string) => ['yml', 'yaml', 'ts', 'js', 'mjs'].map((e) => `${stem}.${e}`);

writeAutomation(pb, 'org.example.direct.yml', localPlaybook([]));
writeAutomation(pb, 'org.example.handler.mjs', 'export default () => 1;\n');
// The folded name serves every prefix; the full name, where it exists, wins over it.
writeAutomation(pb, 'build.done.yml', localPlaybook([]));
writeAutomation(pb, 'build.tagged.yml', localPlaybook([]));
writeAutomation(pb, `${PREFIX}build.tagged.yml`, localPlaybook([]));

describe('loopabull resolve', () => {
  it('prints the file a topic runs and why', async () => {
    const res = await cli(['resolve', 'org.example.direct']);
    expect(res).toEqual({
      code: 0,
      stderr: '',
      stdout: `${join(pb, 'org.example.direct.yml')}\n  playbook: named after topic org.example.direct (rkname)\n`,
    });
    expect((await cli(['resolve', 'org.example.handler'])).stdout).toBe(
      `${join(pb, 'org.example.handler.mjs')}\n  handler: named after topic org.example.handler (rkname)\n`,
    );
  });

  it("shows Koji's topic running Taskotron's trigger and the demo topic its playbook, as shipped", async () => {
    const shipped = testConfig({
      overrides: {
        ansible: { playbooks_dir: new URL('../../playbooks', import.meta.url).pathname },
      },
    });
    const resolve = async (topic: string) =>
      (await runCli(['resolve', topic, '--config', shipped.configPath])).stdout;
    const koji = 'org.fedoraproject.prod.buildsys.build.state.change';
    expect(await resolve(koji)).toBe(
      `${join(shipped.ansible.playbooks_dir, `${koji}.mjs`)}\n  handler: named after topic ${koji} (rkname)\n`,
    );
    expect(await resolve('loopabull.demo.build.state.change')).toMatch(
      /loopabull\.demo\.build\.state\.change\.yml\n {2}playbook: /,
    );
  });

  it('folds a configured prefix when no file has the full name, and says so', async () => {
    const res = await cli(['resolve', `${PREFIX}build.done`, '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({
      topic: `${PREFIX}build.done`,
      found: {
        file: join(pb, 'build.done.yml'),
        relative: 'build.done.yml',
        kind: 'playbook',
        why: `named after build.done, topic ${PREFIX}build.done with prefix ${PREFIX} folded (rkname)`,
      },
      tried: [...candidates(`${PREFIX}build.done`), 'build.done.yml'],
      skipped: [],
    });
    const full = JSON.parse((await cli(['resolve', `${PREFIX}build.tagged`, '--json'])).stdout);
    expect(full.found.relative).toBe(`${PREFIX}build.tagged.yml`);
  });

  it('says unrouted and lists every path tried, folded ones included, with exit code 0', async () => {
    const topic = `${PREFIX}nothing.here`;
    const text = await cli(['resolve', topic]);
    expect(text.code).toBe(0);
    const tried = [...candidates(topic), ...candidates('nothing.here')];
    expect(text.stdout).toBe(
      `unrouted: no automation for ${topic}\n  tried: ${tried.join('\n         ')}\n`,
    );
    const json = await cli(['resolve', topic, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ topic, found: null, tried, skipped: [] });
  });

  it('says a topic routing_keys does not list is filtered: nothing runs, whatever file exists', async () => {
    const filtering = testConfig({
      overrides: { routing_keys: ['org.example.handler'], ansible: { playbooks_dir: pb } },
    });
    const run = (topic: string, json = false) =>
      runCli(['resolve', topic, ...(json ? ['--json'] : []), '--config', filtering.configPath], {
        isolated: true,
      });
    const text = await run('org.example.direct');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      `filtered: routing_keys does not list org.example.direct: the looper drops its messages, nothing runs\n` +
        `  without the filter: ${join(pb, 'org.example.direct.yml')}\n`,
    );
    expect(JSON.parse((await run('org.example.direct', true)).stdout)).toMatchObject({
      found: { relative: 'org.example.direct.yml' },
      filtered: true,
    });
    const listed = JSON.parse((await run('org.example.handler', true)).stdout);
    expect(listed.found.relative).toBe('org.example.handler.mjs');
    expect(listed).not.toHaveProperty('filtered');
  });

  it('says a topic bus.bindings do not match is unbound, then what would run were it delivered', async () => {
    const unbinding = testConfig({
      overrides: {
        bus: {
          bindings: [
            { exchange: 'ex-a', routing_key: 'org.example.*' },
            { exchange: 'ex-b', routing_key: 'org.#.handler' },
          ],
        },
        routing_keys: ['org.example.handler', `${PREFIX}build.done`, 'org.nothing.here'],
        topics: { fold_prefixes: [PREFIX] },
        ansible: { playbooks_dir: pb },
      },
    });
    const run = (topic: string, json = false) =>
      runCli(['resolve', topic, ...(json ? ['--json'] : []), '--config', unbinding.configPath], {
        isolated: true,
      });
    const unbound = (topic: string) =>
      `unbound: bus.bindings do not match ${topic} (org.example.* on ex-a, org.#.handler on ex-b): ` +
      'its messages never reach the looper, nothing runs\n';
    const text = await run(`${PREFIX}build.done`);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      unbound(`${PREFIX}build.done`) +
        `  if it were delivered: ${join(pb, 'build.done.yml')}\n` +
        `    playbook: named after build.done, topic ${PREFIX}build.done with prefix ${PREFIX} folded (rkname)\n`,
    );
    // Neither bound nor listed: the broker's word first, the filter's under it.
    expect((await run(`${PREFIX}build.tagged`)).stdout).toBe(
      unbound(`${PREFIX}build.tagged`) +
        `  if it were delivered: filtered: routing_keys does not list ${PREFIX}build.tagged: the looper drops its messages, nothing runs\n` +
        `    without the filter: ${join(pb, `${PREFIX}build.tagged.yml`)}\n`,
    );
    const tried = candidates('org.nothing.here');
    expect((await run('org.nothing.here')).stdout).toBe(
      unbound('org.nothing.here') +
        `  if it were delivered: unrouted: no automation for org.nothing.here\n` +
        `    tried: ${tried.join('\n           ')}\n`,
    );
    const json = await run(`${PREFIX}build.done`, true);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      found: { relative: 'build.done.yml' },
      unbound: true,
    });
    expect(JSON.parse(json.stdout)).not.toHaveProperty('filtered');
    expect(JSON.parse((await run('org.nothing.here', true)).stdout)).toEqual({
      topic: 'org.nothing.here',
      found: null,
      tried,
      skipped: [],
      unbound: true,
    });
    expect(JSON.parse((await run(`${PREFIX}build.tagged`, true)).stdout)).toMatchObject({
      filtered: true,
      unbound: true,
    });
    const bound = JSON.parse((await run('org.example.handler', true)).stdout);
    expect(bound.found.relative).toBe('org.example.handler.mjs');
    expect(bound).not.toHaveProperty('unbound');
    expect((await run('org.example.handler')).stdout).toMatch(/^\S+org\.example\.handler\.mjs\n/);
  });

  it('refuses a topic that could name a path as a usage error, exit code 2', async () => {
    const res = await cli(['resolve', 'org..example']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/topic "org\.\.example" contains '\.\.'/);
  });
});

describe('loopabull run', () => {
  const marker = join(config.dir, 'dry-run-ran');
  writeAutomation(
    pb,
    'org.example.run.dry.yml',
    localPlaybook([{ 'ansible.builtin.file': { path: marker, state: 'touch' } }]),
  );

  it('--dry-run shows the file and the vars, every string !unsafe, and runs nothing', async () => {
    const body = { pkg: "{{ lookup('pipe', 'id') }}" };
    const res = await cli([
      'run',
      'org.example.run.dry',
      '--dry-run',
      '--body',
      JSON.stringify(body),
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      `would run ${join(pb, 'org.example.run.dry.yml')}\n  playbook: named after topic org.example.run.dry (rkname)\n`,
    );
    expect(res.stdout).toContain(`msg:\n  !unsafe "pkg": !unsafe "{{ lookup('pipe', 'id') }}"\n`);
    expect(res.stdout).toMatch(/^ {2}topic: !unsafe "org\.example\.run\.dry"$/m);
    expect(res.stdout).toMatch(/^ {2}attempt: 1$/m);
    expect(existsSync(marker)).toBe(false);
  });

  it('--dry-run of a handler shows the event it would get, and runs nothing', async () => {
    const ran = join(config.dir, 'dry-handler-ran');
    writeAutomation(
      pb,
      'org.example.run.dryhandler.mjs',
      `import { writeFileSync } from 'node:fs';\nexport default () => writeFileSync(${JSON.stringify(ran)}, 'x');\n`,
    );
    const res = await cli([
      'run',
      'org.example.run.dryhandler',
      '--dry-run',
      '--json',
      '--body',
      '{"pkg":"bash"}',
    ]);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { vars: unknown; event: Record<string, unknown> };
    expect(out.vars).toBeNull();
    expect(out.event).toMatchObject({ topic: 'org.example.run.dryhandler', body: { pkg: 'bash' } });
    const text = await cli(['run', 'org.example.run.dryhandler', '--dry-run', '--body', '{}']);
    expect(text.stdout).toContain('\nwith the event:\n{\n  "id": ');
    expect(existsSync(ran)).toBe(false);
  });

  it('reads the body from --file, and from standard input with --file -', async () => {
    const file = join(config.dir, 'body.json');
    writeFileSync(file, JSON.stringify({ from: 'file' }));
    const fromFile = await cli(['run', 'org.example.run.dry', '--dry-run', '--file', file]);
    expect(fromFile.stdout).toContain('msg:\n  !unsafe "from": !unsafe "file"\n');
    const fromStdin = await cli(
      ['run', 'org.example.run.dry', '--dry-run', '--file', '-'],
      JSON.stringify({ from: 'stdin' }),
    );
    expect(fromStdin.stdout).toContain('msg:\n  !unsafe "from": !unsafe "stdin"\n');
    expect(existsSync(marker)).toBe(false);

    writeFileSync(file, '{not json');
    const bad = await cli(['run', 'org.example.run.dry', '--file', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`loopabull: --file ${file} is not valid JSON`);

    // As the looper takes a body an editor saved with a byte order mark, so does --file.
    writeFileSync(file, `\uFEFF${JSON.stringify({ from: 'bom' })}`);
    const bom = await cli(['run', 'org.example.run.dry', '--dry-run', '--file', file]);
    expect(bom.stdout).toContain('msg:\n  !unsafe "from": !unsafe "bom"\n');

    const missing = await cli(['run', 'org.example.run.dry', '--file', `${file}.gone`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--file ${file}.gone cannot be read: ENOENT`);
  });

  it('names standard input, not a file called -, when the body from --file - is not JSON', async () => {
    for (const command of ['run', 'publish']) {
      const res = await cli([command, 'org.example.run.dry', '--file', '-'], '{not json');
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/^loopabull: standard input is not valid JSON: /);
    }
  });

  it("holds a body to the looper's limits: a larger or deeper one is a usage error, nothing read without end", async () => {
    const deep = join(config.dir, 'deep.json');
    writeFileSync(deep, '['.repeat(100_000) + ']'.repeat(100_000));
    const big = join(config.dir, 'big.json');
    writeFileSync(big, JSON.stringify({ pad: 'x'.repeat(config.bus.max_bytes) }));
    for (const command of [
      ['run', 'org.example.run.dry', '--dry-run'],
      ['run', 'org.example.run.dry'],
      ['publish', 'org.example.run.dry'],
    ]) {
      const tooDeep = await cli([...command, '--file', deep]);
      expect(tooDeep).toMatchObject({ code: 2, stdout: '' });
      expect(tooDeep.stderr).toBe(
        `loopabull: --file ${deep} is nested deeper than bus.max_depth 100: the looper parks such a message as too-deep\n`,
      );
      const tooBig = await cli([...command, '--file', big]);
      expect(tooBig).toMatchObject({ code: 2, stdout: '' });
      expect(tooBig.stderr).toBe(
        `loopabull: --file ${big} is over 1 MiB, bus.max_bytes: the looper parks a larger message as too-large\n`,
      );
      // A file without end is read only up to the limit.
      const endless = await cli([...command, '--file', '/dev/zero']);
      expect(endless.code).toBe(2);
      expect(endless.stderr).toContain('loopabull: --file /dev/zero is over 1 MiB, bus.max_bytes');
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('--dry-run writes the numbers of a --file body as Python json read them, as the looper would', async () => {
    const res = await cli(
      ['run', 'org.example.run.dry', '--dry-run', '--file', '-'],
      '{"timestamp": 1424216566.0, "big": 12345678901234567890, "v": "1.0"}',
    );
    expect(res.stdout).toContain(
      'msg:\n  !unsafe "timestamp": 1424216566.0\n  !unsafe "big": 12345678901234567890\n' +
        '  !unsafe "v": !unsafe "1.0"\n',
    );
  });

  it('runs the playbook with the body from standard input, printing its output', async () => {
    const dest = join(config.dir, 'ran.json');
    writeAutomation(
      pb,
      'org.example.run.real.yml',
      localPlaybook([{ 'ansible.builtin.copy': { content: '{{ msg | to_json }}', dest } }]),
    );
    const res = await cli(['run', 'org.example.run.real', '--file', '-'], '{"n": 7}');
    expect(res.code).toBe(0);
    expect(JSON.parse(readFileSync(dest, 'utf8'))).toEqual({ n: 7 });
    expect(res.stdout).toMatch(/TASK \[ansible\.builtin\.copy\][\s\S]*PLAY RECAP/);
    expect(res.stdout).toMatch(/^org\.example\.run\.real\.yml: ran$/m);
  });

  it('--json prints only its object on standard output, what a handler prints going to standard error', async () => {
    writeAutomation(
      pb,
      'org.example.run.chatty.mjs',
      "export default () => { console.log('chatty handler'); return 2; };\n",
    );
    const res = await cli(['run', 'org.example.run.chatty', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).result).toMatchObject({ outcome: 'ran', value: 2 });
    expect(res.stderr).toContain('chatty handler\n');
  });

  it('exits 1 with what it tried when no automation is found', async () => {
    const res = await cli(['run', 'org.example.missing']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe(
      `unrouted: no automation for org.example.missing (tried ${candidates('org.example.missing').join(', ')})\n`,
    );
  });

  it('exits 1 when the playbook fails, with its output once and its exit code', async () => {
    writeAutomation(
      pb,
      'org.example.run.fails.yml',
      localPlaybook([{ 'ansible.builtin.fail': { msg: 'the disk is full' } }]),
    );
    const res = await cli(['run', 'org.example.run.fails']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/TASK \[ansible\.builtin\.fail\][\s\S]*the disk is full/);
    // The output was printed as it came: the error says what failed, not the output again.
    expect(res.stderr).toBe(
      'loopabull: ansible-playbook exited 2 (playbook org.example.run.fails.yml), one or more hosts failed\n',
    );
    // --json shows no output as it comes: its error keeps the tail, as a worker records it.
    const json = await cli(['run', 'org.example.run.fails', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).result.error).toMatch(
      /^ansible-playbook exited 2 \(playbook org\.example\.run\.fails\.yml\), one or more hosts failed:\n[\s\S]*the disk is full/,
    );
  });

  it('exits 1 when a handler fails, with what it logged once and its error', async () => {
    writeAutomation(
      pb,
      'org.example.run.handlerfails.mjs',
      "export default async (e, ctx) => { await ctx.log('checking the disk'); throw new Error('the disk is full'); };\n",
    );
    const res = await cli(['run', 'org.example.run.handlerfails']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('checking the disk\n');
    expect(res.stderr).toBe(
      'loopabull: handler org.example.run.handlerfails.mjs failed: the disk is full\n',
    );
  });

  it('names the signal that killed ansible-playbook, once, after its output', async () => {
    // The task kills ansible-playbook itself, the leader of its process group: by hand, or as
    // the kernel does when memory runs out.
    writeAutomation(
      pb,
      'org.example.run.killed.yml',
      localPlaybook([
        { 'ansible.builtin.shell': `kill -KILL "$(awk '{print $5}' /proc/$$/stat)"` },
      ]),
    );
    const res = await cli(['run', 'org.example.run.killed']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/TASK \[ansible\.builtin\.shell\]/);
    expect(res.stderr).toBe(
      'loopabull: ansible-playbook was killed by SIGKILL (playbook org.example.run.killed.yml)\n',
    );
  });
});
