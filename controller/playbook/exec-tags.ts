// Tag selection as in Ansible: `always` runs unless skipped explicitly, `never` runs only when asked for;
// `--tags all` (the default) selects everything but `never`; `tagged`/`untagged` select by presence.
export interface TagFilter {
  tags?: string[];
  skipTags?: string[];
}

export function taskSelected(taskTags: string[], f: TagFilter): boolean {
  const tags = new Set(taskTags);
  const skip = f.skipTags ?? [];
  if (skip.some((t) => tags.has(t) || (t === 'tagged' && tags.size > 0) || (t === 'untagged' && tags.size === 0)))
    return false;
  if (skip.includes('all') && !tags.has('always')) return false;
  const want = f.tags?.length ? f.tags : ['all'];
  if (tags.has('always') && !skip.includes('always')) return true;
  for (const t of want) {
    if (t === 'all' && !tags.has('never')) return true;
    if (t === 'tagged' && tags.size > 0 && !tags.has('never')) return true;
    if (t === 'untagged' && tags.size === 0) return true;
    if (tags.has(t)) return true;
  }
  return false;
}
