import { mkdirSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { ARTIFACTS_PREFIX } from './section.js';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** A directory's listing, so that a result's `ref_url` to a job's directory shows its files. */
function listing(
  dirs: Array<{ href: string; name: string }>,
  files: Array<{ href: string; name: string }>,
): string {
  // @fastify/static's hrefs are encodeURI'd, which leaves `#` and `?`: a browser took the rest
  // of `rpms_gcc#fe7f.log` for a fragment and asked for `rpms_gcc`.
  const href = (e: { href: string }) => e.href.replace(/#/g, '%23').replace(/\?/g, '%3F');
  const li = (e: { href: string; name: string }, slash = '') =>
    `<li><a href="${escapeHtml(href(e))}${slash}">${escapeHtml(e.name)}${slash}</a></li>`;
  return (
    '<!doctype html><meta charset="utf-8"><title>artifacts</title><ul>' +
    [...dirs.map((d) => li(d, '/')), ...files.map((f) => li(f))].join('') +
    '</ul>'
  );
}

/** Whether the path, symbolic links followed, stays inside the root. */
function inside(root: string, pathName: string): boolean {
  let real: string;
  try {
    real = realpathSync(join(root, pathName));
  } catch {
    return true; // Not there: the plugin answers 404.
  }
  return real === root || real.startsWith(root + sep);
}

/**
 * Jobs' artifacts over HTTP: `GET /artifacts/<uuid>/<path>` from `artifactsDir`, directories as a
 * list of links. Paths that leave the directory (`..`, or a symbolic link a check left pointing
 * elsewhere) and hidden files (the runner's journal) are not served. Every file is served
 * sandboxed (CSP `sandbox`): a check's HTML artifact cannot script the dashboard's origin.
 */
export async function registerArtifacts(app: FastifyInstance, artifactsDir: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  const root = realpathSync(artifactsDir);
  await app.register(fastifyStatic, {
    root,
    prefix: ARTIFACTS_PREFIX,
    decorateReply: false,
    serveDotFiles: false,
    dotfiles: 'ignore',
    index: false,
    redirect: true,
    list: { format: 'html', render: listing },
    allowedPath: (pathName) => inside(root, pathName),
    setHeaders: (res) => {
      res.setHeader('content-security-policy', "sandbox; default-src 'none'");
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
}
