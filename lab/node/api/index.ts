// Every REST route of the simulated node: each feature's routes file adds one line here.
import type { Route } from '../router.js';
import { routes as core } from './core.js';
import { routes as clusterSettings } from './cluster-settings.js';
import { routes as nodes } from './nodes.js';
import { routes as auth } from './auth.js';
import { routes as security } from './security.js';
import { routes as remote } from './remote.js';
import { routes as tasks } from './tasks.js';
import { routes as clusterState } from './cluster-state.js';
import { routes as documents } from './documents.js';
import { routes as search } from './search.js';

export const routeGroups: Route[][] = [
  core,
  clusterSettings,
  nodes,
  auth,
  security,
  remote,
  tasks,
  clusterState,
  documents,
  search,
];
