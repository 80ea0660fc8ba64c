import { z } from 'zod';

/** Item types of runtask's `-t` (part E.3). */
export const ITEM_TYPES = [
  'bodhi_update',
  'compose',
  'dist_git_commit',
  'docker_image',
  'git_commit',
  'koji_build',
  'koji_tag',
  'module_build',
  'pull_request',
] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

/** What the rules see: `{_msg, message_type, item, item_type, ...extras}` (part E.1). */
export interface TriggerData {
  _msg: unknown;
  message_type: string;
  item: string;
  item_type: ItemType;
  [field: string]: unknown;
}

export type Normalised = { ok: true; data: TriggerData } | { ok: false; reason: string };

export interface NormaliseOptions {
  /** Critical-path package names, offered to rules as `critpath_pkgs`. */
  critpathPkgs?: readonly string[];
}

export type Deployment = 'prod' | 'stg';

/** The topics the trigger listens to, per deployment, with what each is about. */
export function triggerTopics(deployment: Deployment): Record<string, MessageKind> {
  const fp = `org.fedoraproject.${deployment}.`;
  return {
    [`${fp}buildsys.build.state.change`]: 'koji-build',
    [`${fp}buildsys.tag`]: 'koji-tag',
    [`${fp}bodhi.update.request.testing`]: 'bodhi-request',
    [`${fp}bodhi.update.request.stable`]: 'bodhi-request',
    [`${fp}git.receive`]: 'dist-git',
    [`io.pagure.${deployment}.pagure.git.receive`]: 'pagure',
    [`${fp}mbs.module.state.change`]: 'module-build',
    [`${fp}github.pull_request.opened`]: 'github-pr',
    [`${fp}pungi.compose.status.change`]: 'compose',
  };
}

type MessageKind =
  | 'koji-build'
  | 'koji-tag'
  | 'bodhi-request'
  | 'dist-git'
  | 'pagure'
  | 'module-build'
  | 'github-pr'
  | 'compose';

const KIND_BY_TOPIC: Record<string, MessageKind> = {
  ...triggerTopics('prod'),
  ...triggerTopics('stg'),
};

const word = z.string().min(1).max(1000);
/** Koji sends names, versions and releases as strings; ids and states as numbers. */
const kojiBuild = z.looseObject({
  name: word,
  version: word,
  release: word,
  instance: z.string().optional(),
  new: z.number().optional(),
  scratch: z.boolean().optional(),
});
const kojiTag = kojiBuild.extend({ tag: word });
const bodhiRequest = z.looseObject({
  update: z.looseObject({
    alias: word.optional(),
    updateid: word.nullish(),
    request: z.string().nullish(),
  }),
});
const distGit = z.looseObject({
  commit: z.looseObject({
    repo: word,
    namespace: word.default('rpms'),
    rev: word,
    branch: word.optional(),
  }),
});
const pagure = z.looseObject({
  /** `full_url` (Pagure 5 and later): the repository's page, `/fork/<user>/<repo>` for a fork. */
  repo: z.looseObject({ fullname: word, full_url: z.unknown().optional() }),
  branch: word,
  end_commit: word,
});
const moduleBuild = z.looseObject({
  name: word,
  stream: word,
  version: z.union([word, z.number()]),
  context: word.optional(),
  state_name: z.string().optional(),
});

/** A URL is the item of a pull request or compose: http(s), no whitespace (it is only data). */
const url = word.regex(/^https?:\/\/\S+$/, 'not an http(s) URL');
/** github2fedmsg's `pull_request` event (the GitHub webhook payload, as fedmsg_meta's tests show it). */
const githubPr = z.looseObject({
  pull_request: z.looseObject({ html_url: url }),
  repository: z.looseObject({
    full_name: word.regex(/^[^/\s]+\/[^/\s]+$/, 'not owner/repo'),
  }),
});
/** pungi's `compose.status.change`: `{compose_id, location, status}`. */
const pungiCompose = z.looseObject({ compose_id: word, location: url, status: word });
/** pungi's statuses of a compose that is done (the others: STARTED, DOOMED, TERMINATED). */
const COMPOSE_DONE = ['FINISHED', 'FINISHED_INCOMPLETE'];
/**
 * Which compose a compose id names: `Fedora-Atomic-26-20170707.1` (two-week Atomic Host, also
 * `Fedora-AtomicHost-...`) or `Fedora-Cloud-26-20170707.0` (Cloud Base images); the nightly
 * `Fedora-26-20170707.n.0` is neither.
 */
const COMPOSE_KIND = /^[^-]+-(Atomic|Cloud)/;

/** `fc23` -> `f23`, `el7` -> `epel7` (`el6` and older kept their name); other dist tags: none. */
export function distgitBranch(release: string): string | undefined {
  const tag = /\.(fc|el)(\d+)(?:[._].*)?$/.exec(release);
  if (!tag) return undefined;
  const n = Number(tag[2]);
  if (tag[1] === 'fc') return `f${n}`;
  return n >= 7 ? `epel${n}` : `el${n}`;
}

const skip = (reason: string): Normalised => ({ ok: false, reason });
const take = (data: Omit<TriggerData, '_msg'>, msg: unknown): Normalised => ({
  ok: true,
  data: { _msg: msg, ...withoutUndefined(data) } as TriggerData,
});
const withoutUndefined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const KOJI_COMPLETE = 1;

function primaryOnly(instance: string | undefined): string | null {
  return instance === undefined || instance === 'primary'
    ? null
    : `koji instance ${JSON.stringify(instance)} is not the primary one`;
}

/**
 * The repository URL a Pagure commit's item starts with: the message's `repo.full_url` when it is
 * an http(s) URL without `#`, else the deployment's Pagure (`stg.pagure.io` for `io.pagure.stg.` topics) and
 * the repository's `fullname`.
 */
function pagureRepoUrl(topic: string, repo: { fullname: string; full_url?: unknown }): string {
  const own = url.safeParse(repo.full_url);
  // `#` separates the item's parts: a URL holding one would make another item.
  if (own.success && !own.data.includes('#')) return own.data.replace(/\/+$/, '');
  const server = topic.startsWith('io.pagure.stg.') ? 'https://stg.pagure.io' : 'https://pagure.io';
  return `${server}/${repo.fullname}`;
}

const NORMALISERS: Record<
  MessageKind,
  (body: unknown, o: NormaliseOptions, topic: string) => Normalised
> = {
  'koji-build': (body, o) => {
    const m = kojiBuild.safeParse(body);
    if (!m.success) return skip(`not a koji build message: ${issue(m.error)}`);
    const b = m.data;
    if (b.new !== KOJI_COMPLETE) return skip(`build state ${String(b.new)} is not COMPLETE (1)`);
    const notPrimary = primaryOnly(b.instance);
    if (notPrimary) return skip(notPrimary);
    if (b.scratch === true) return skip('scratch build');
    return take(
      {
        message_type: 'KojiBuildPackageCompleted',
        item: `${b.name}-${b.version}-${b.release}`,
        item_type: 'koji_build',
        name: b.name,
        version: b.version,
        release: b.release,
        critpath_pkgs: [...(o.critpathPkgs ?? [])],
        distgit_branch: distgitBranch(b.release),
      },
      body,
    );
  },
  'koji-tag': (body) => {
    const m = kojiTag.safeParse(body);
    if (!m.success) return skip(`not a koji tag message: ${issue(m.error)}`);
    const t = m.data;
    const notPrimary = primaryOnly(t.instance);
    if (notPrimary) return skip(notPrimary);
    return take(
      {
        message_type: 'KojiTagChanged',
        item: t.tag,
        item_type: 'koji_tag',
        tag: t.tag,
        name: t.name,
        version: t.version,
        release: t.release,
      },
      body,
    );
  },
  'bodhi-request': (body) => {
    const m = bodhiRequest.safeParse(body);
    if (!m.success) return skip(`not a bodhi update message: ${issue(m.error)}`);
    const u = m.data.update;
    const alias = u.alias ?? u.updateid;
    if (!alias) return skip('bodhi update without an alias');
    return take(
      {
        message_type: 'BodhiUpdateRequest',
        item: alias,
        item_type: 'bodhi_update',
        request: u.request ?? undefined,
      },
      body,
    );
  },
  'dist-git': (body) => {
    const m = distGit.safeParse(body);
    if (!m.success) return skip(`not a dist-git commit message: ${issue(m.error)}`);
    const c = m.data.commit;
    return take(
      {
        message_type: 'DistGitCommit',
        item: `${c.namespace}/${c.repo}#${c.rev}`,
        item_type: 'dist_git_commit',
        namespace: c.namespace,
        repo: c.repo,
        branch: c.branch,
      },
      body,
    );
  },
  pagure: (body, _o, topic) => {
    const m = pagure.safeParse(body);
    if (!m.success) return skip(`not a pagure git.receive message: ${issue(m.error)}`);
    const p = m.data;
    const ref = p.branch.startsWith('refs/') ? p.branch : `refs/heads/${p.branch}`;
    return take(
      {
        message_type: 'PagureGitReceive',
        item: `${pagureRepoUrl(topic, p.repo)}#${ref}#${p.end_commit}`,
        item_type: 'git_commit',
        repo: p.repo.fullname,
        branch: p.branch,
      },
      body,
    );
  },
  'module-build': (body) => {
    const m = moduleBuild.safeParse(body);
    if (!m.success) return skip(`not a module build message: ${issue(m.error)}`);
    const b = m.data;
    if (b.state_name !== 'ready') return skip(`module state ${String(b.state_name)} is not ready`);
    return take(
      {
        message_type: 'ModuleBuildComplete',
        item: `${b.name}-${b.stream}-${b.version}`,
        item_type: 'module_build',
        name: b.name,
        stream: b.stream,
        version: String(b.version),
        context: b.context,
      },
      body,
    );
  },
  'github-pr': (body) => {
    const m = githubPr.safeParse(body);
    if (!m.success) return skip(`not a github pull request message: ${issue(m.error)}`);
    const { pull_request: pr, repository } = m.data;
    return take(
      {
        message_type: 'GitHubPullRequestOpened',
        item: pr.html_url,
        item_type: 'pull_request',
        repo_name: repository.full_name,
      },
      body,
    );
  },
  compose: (body) => {
    const m = pungiCompose.safeParse(body);
    if (!m.success) return skip(`not a pungi compose message: ${issue(m.error)}`);
    const c = m.data;
    if (!COMPOSE_DONE.includes(c.status))
      return skip(`compose status ${c.status} is not ${COMPOSE_DONE.join(' or ')}`);
    const kind = COMPOSE_KIND.exec(c.compose_id)?.[1];
    if (!kind) return skip(`compose ${c.compose_id} is neither an Atomic nor a Cloud compose`);
    return take(
      {
        message_type: `${kind}Compose`,
        item: c.location,
        item_type: 'compose',
        compose_id: c.compose_id,
        status: c.status,
      },
      body,
    );
  },
};

function issue(error: z.ZodError): string {
  const first = error.issues[0]!;
  return first.path.length ? `${first.path.join('.')}: ${first.message}` : first.message;
}

/**
 * A Fedora message as the trigger rules see it, or why it triggers nothing: only completed,
 * non-scratch builds of the primary Koji instance; topics of prod and stg.
 */
export function normalise(
  topic: string,
  body: unknown,
  options: NormaliseOptions = {},
): Normalised {
  const kind = Object.hasOwn(KIND_BY_TOPIC, topic) ? KIND_BY_TOPIC[topic] : undefined;
  if (!kind) return skip(`topic ${topic} is not one the trigger listens to`);
  return NORMALISERS[kind](body, options, topic);
}
