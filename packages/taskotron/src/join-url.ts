/**
 * `base` and path parts joined with exactly one `/` between them, whatever slashes the config
 * and the parts carry (Taskotron's `.../execdb//jobs/<uuid>` fault, part E.9). Each segment is
 * percent-encoded.
 */
export function joinUrl(base: string, ...parts: string[]): string {
  const segments = parts.flatMap((p) => p.split('/')).filter((s) => s !== '' && s !== '.');
  return [base.replace(/\/+$/, ''), ...segments.map(encodeURIComponent)].join('/');
}
