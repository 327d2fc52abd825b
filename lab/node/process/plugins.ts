// Node plugins started by every lab node once its servers are bound and it has joined its cluster (see
// runtime.ts). The remote-connection feature registers here its manager, its 9443 remote-cluster server handler and
// its task ticker: add one import and one list entry.
import type { NodePlugin } from '../runtime.js';
import { RemoteConnectionManager } from '../remote/manager.js';
import { ReloadSecureSettingsPlugin } from '../remote/reload.js';
import { TaskTicker } from '../tasks/ticker.js';

export type PluginFactory = () => NodePlugin;

export const plugins: PluginFactory[] = [
  () => new RemoteConnectionManager(),
  () => new ReloadSecureSettingsPlugin(),
  () => new TaskTicker(),
];
