import type { AnyModule } from '../registry.js';
import { elasticsearchYml } from './elasticsearch_yml.js';
import { esClusterSettings } from './es_cluster_settings.js';
export const esModules: AnyModule[] = [elasticsearchYml, esClusterSettings];
