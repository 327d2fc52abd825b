// Every REST route of the simulated node, in the order the router registers them: each feature's routes file
// (lab/node/<feature>/*routes.ts) adds one line here.
import type { Route } from '../router.js';
import { routes as core } from '../cluster/routes.js';
import { routes as clusterSettings } from '../cluster/settings-routes.js';
import { routes as nodes } from '../cluster/nodes-routes.js';
import { routes as security } from '../security/routes.js';
import { routes as remote } from '../remote/routes.js';
import { routes as tasks } from '../tasks/routes.js';
import { routes as clusterState } from '../cluster/state-routes.js';
import { routes as documents } from '../search/document-routes.js';
import { routes as search } from '../search/routes.js';

export const routeGroups: Route[][] = [
  core,
  clusterSettings,
  nodes,
  security,
  remote,
  tasks,
  clusterState,
  documents,
  search,
];
