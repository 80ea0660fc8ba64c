/**
 * An example of a TypeScript handler, for topic loopabull.demo.tag with a Koji tag event as its
 * body (`loopabull run loopabull.demo.tag --body '{"name":"x","version":"1","release":"1.fc41",
 * "tag":"f41-updates"}'`). Koji's own topic runs Taskotron's trigger. The default export gets the event and a context; what it
 * returns is stored as the job's result (`loopabull jobs show ID`), and what it throws is
 * retried with backoff and, after the last attempt, parked with the error.
 */
import type { Handler } from '@loopabull/core';

interface KojiTag {
  build_id: number;
  name: string;
  version: string;
  release: string;
  tag: string;
  owner: string;
}

const handler: Handler = async (event, ctx) => {
  const tag = event.body as Partial<KojiTag>;
  if (!tag.name || !tag.tag)
    throw new Error(`not a Koji tag message: ${JSON.stringify(event.body).slice(0, 200)}`);
  const nvr = `${tag.name}-${tag.version}-${tag.release}`;
  await ctx.log(`${nvr} was tagged into ${tag.tag} by ${tag.owner ?? 'unknown'}`);
  return { nvr, tag: tag.tag };
};

export default handler;
