// Bounds on YAML input, against "billion laughs" files: a few hundred bytes of nested aliases
// (`&a [x,x,...]`, `&b [*a,*a,...]`, ...) describe billions of nodes. js-yaml shares the aliased value (it does
// not copy), but every walk over the result (vars merging, templating, flattening, JSON) expands it, so a small
// file would take seconds and gigabytes before anything fails. Here, before any value is built, one pass over
// the event stream counts how many nodes the aliases expand to (each anchor's expanded size is remembered, so
// nothing is expanded) and refuses the alias that crosses the bound; a document larger than MAX_YAML_BYTES is
// refused before it is parsed. An alias inside the node it names (a recursive structure) is refused as well.
//
// Standalone on purpose (node: built-ins and js-yaml only): the agent is copied to hosts as one file, and the
// controller, the lab and the agent all load YAML through this.
import { EVENT_ID, YAMLException, constructFromEvents, parseEvents, type Event, type Schema } from 'js-yaml';

/** Largest YAML document accepted, in bytes (UTF-8). */
export const MAX_YAML_BYTES = 4 * 1024 * 1024;

/**
 * Most nodes that aliases may add to one document once expanded (an alias of a 10-node mapping adds 10).
 * Merge keys (`<<: *defaults`) count the same way. Generous for real inventories and playbooks (a thousand hosts
 * each merging 40-node defaults), tiny next to a bomb (9 levels of 9 aliases: 435 million nodes).
 */
export const MAX_ALIAS_NODES = 100_000;

export interface YamlBounds {
  maxBytes: number;
  maxAliasNodes: number;
}

export const DEFAULT_YAML_BOUNDS: YamlBounds = { maxBytes: MAX_YAML_BYTES, maxAliasNodes: MAX_ALIAS_NODES };

/** Why a document is refused, and where: `offset` into the text, or -1 for the whole document (its size). */
export interface YamlBoundsViolation {
  offset: number;
  reason: string;
}

/** Size check, before parsing. Null when the text is small enough. */
export function checkYamlSize(text: string, maxBytes = MAX_YAML_BYTES): YamlBoundsViolation | null {
  // Cheap first: a string of n UTF-16 units is at most 3n bytes and at least n.
  if (text.length * 3 <= maxBytes) return null;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return null;
  return {
    offset: -1,
    reason: `document is ${bytes} bytes, more than the ${formatBytes(maxBytes)} limit for YAML input`,
  };
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

interface AnchorEntry {
  open: boolean;
  size: number;
}

interface Frame {
  size: number;
  anchor: AnchorEntry | null;
}

/**
 * One pass over the events: the expanded size of every anchored node is computed from its children (an alias
 * counts as the expanded size of its anchor), and the sum over all aliases must stay within `maxAliasNodes`.
 * Linear in the number of events whatever the aliases say. Null when within bounds. Unknown aliases are left to
 * js-yaml (it reports them with their position).
 */
export function checkAliasExpansion(
  text: string,
  events: readonly Event[],
  maxAliasNodes = MAX_ALIAS_NODES,
): YamlBoundsViolation | null {
  let anchors = new Map<string, AnchorEntry>();
  const frames: Frame[] = [];
  let aliased = 0;
  const add = (n: number) => {
    const top = frames[frames.length - 1];
    if (top) top.size += n;
  };
  const open = (ev: { anchorStart: number; anchorEnd: number }): AnchorEntry | null => {
    if (ev.anchorStart < 0) return null;
    const entry: AnchorEntry = { open: true, size: 1 };
    anchors.set(text.slice(ev.anchorStart, ev.anchorEnd), entry);
    return entry;
  };
  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        anchors = new Map(); // anchors are per document, as in js-yaml
        frames.push({ size: 0, anchor: null });
        break;
      case EVENT_ID.SCALAR: {
        const entry = open(ev);
        if (entry) entry.open = false;
        add(1);
        break;
      }
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING:
        frames.push({ size: 1, anchor: open(ev) });
        break;
      case EVENT_ID.ALIAS: {
        const name = text.slice(ev.anchorStart, ev.anchorEnd);
        const entry = anchors.get(name);
        if (!entry) {
          add(1);
          break;
        }
        if (entry.open) {
          return {
            offset: ev.anchorStart,
            reason: `alias *${name} is inside the node it refers to (recursive YAML structures are not supported)`,
          };
        }
        aliased += entry.size;
        if (aliased > maxAliasNodes) {
          return {
            offset: ev.anchorStart,
            reason: `aliases expand to more than ${maxAliasNodes} nodes at *${name} (a "billion laughs" document?); write the values out or use fewer aliases`,
          };
        }
        add(entry.size);
        break;
      }
      case EVENT_ID.POP: {
        const frame = frames.pop();
        if (!frame) break;
        if (frame.anchor) {
          frame.anchor.size = frame.size;
          frame.anchor.open = false;
        }
        add(frame.size);
        break;
      }
    }
  }
  return null;
}

export interface BoundedLoadOptions {
  filename?: string;
  schema?: Schema;
  bounds?: Partial<YamlBounds>;
}

/**
 * Drop-in for js-yaml's `load` (one document; an empty stream or several documents are refused the same way)
 * with the bounds above. A crossed bound is a YAMLException: with the position of the alias that crossed it,
 * without a position for a document that is too large.
 */
export function loadBounded(text: string, options: BoundedLoadOptions = {}): unknown {
  const bounds = { ...DEFAULT_YAML_BOUNDS, ...options.bounds };
  const filename = options.filename ?? '';
  const size = checkYamlSize(text, bounds.maxBytes);
  if (size) throw new YAMLException(size.reason);
  const events = parseEvents(text, { filename });
  const alias = checkAliasExpansion(text, events, bounds.maxAliasNodes);
  if (alias) YAMLException.throwAt(text, alias.offset, alias.reason, filename);
  const docs = constructFromEvents(events, {
    source: text,
    filename,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  if (docs.length === 0) throw new YAMLException('expected a document, but the input is empty');
  if (docs.length > 1) throw new YAMLException('expected a single document in the stream, but found more');
  return docs[0];
}
