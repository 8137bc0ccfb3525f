/**
 * `npm run roads -- --input ../shared/osm/monaco.osm.pbf --out data/monaco`
 *
 * Turns an OpenStreetMap extract into the two files the embedded road router and the live map use:
 *   - `graph.json`: the drivable road graph (nodes in micro-degrees, edges with length, speed, direction, geometry);
 *   - `roads.geojson`: the streets, simplified, for the map's offline base layer;
 * plus `README.md` with the source, its checksum and the ODbL attribution. Deterministic: the same extract gives the
 * same bytes. The .pbf is read twice (ways first, then only the nodes they use), so a large city fits in memory.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createOSMStream } from 'osm-pbf-parser-node';
import { buildRoadNetwork, isWanted, type OsmWay } from './road-network.ts';

const USAGE = 'usage: npm run roads -- --input <extract.osm.pbf> --out <directory>   (e.g. --input ../shared/osm/monaco.osm.pbf --out data/monaco)';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { input: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || !values.input || !values.out) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const input = values.input;
  const sha256 = createHash('sha256').update(await readFile(input)).digest('hex');

  const ways: OsmWay[] = [];
  const needed = new Set<number>();
  for await (const item of createOSMStream(input, { withTags: { node: false, way: ['highway', 'oneway', 'junction', 'maxspeed', 'access', 'motor_vehicle', 'motorcar', 'area', 'name'], relation: false }, withInfo: false })) {
    const entity = item as { type?: string; id: number; refs?: number[]; tags?: Record<string, string> };
    if (entity.type !== 'way' || !isWanted(entity.tags)) continue;
    ways.push({ id: entity.id, refs: entity.refs!, ...(entity.tags ? { tags: entity.tags } : {}) });
    for (const ref of entity.refs!) needed.add(ref);
  }
  const coords = new Map<number, readonly [number, number]>();
  for await (const item of createOSMStream(input, { withTags: false, withInfo: false })) {
    const entity = item as { type?: string; id: number; lat?: number; lon?: number };
    if (entity.type === 'node' && needed.has(entity.id)) coords.set(entity.id, [entity.lon!, entity.lat!]);
  }

  const { graph, layer, stats } = buildRoadNetwork(ways, coords, { name: basename(input), sha256 });
  await mkdir(values.out, { recursive: true });
  const graphJson = `${JSON.stringify(graph)}\n`;
  // One feature per line: diffs of a rebuilt layer stay readable.
  const layerJson = `{"type":"FeatureCollection","features":[\n${layer.features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;
  await writeFile(join(values.out, 'graph.json'), graphJson);
  await writeFile(join(values.out, 'roads.geojson'), layerJson);
  await writeFile(join(values.out, 'README.md'), readme(basename(input), sha256, stats));
  const kb = (s: string) => `${Math.round(Buffer.byteLength(s) / 1024)} KB`;
  process.stdout.write(
    `roads: ${stats.ways} drivable ways → ${stats.nodes} nodes, ${stats.edges} edges (${stats.droppedEdges} outside the main connected network dropped); ` +
      `${stats.layerFeatures} streets drawn. Wrote ${join(values.out, 'graph.json')} (${kb(graphJson)}), ${join(values.out, 'roads.geojson')} (${kb(layerJson)})\n`,
  );
}

function readme(source: string, sha256: string, stats: { nodes: number; edges: number; layerFeatures: number }): string {
  return `# Road data derived from OpenStreetMap

Map data © OpenStreetMap contributors, available under the Open Database Licence (ODbL 1.0):
https://www.openstreetmap.org/copyright. These files are a derived database under the same licence; attribute
OpenStreetMap wherever they are shown (the live map does, in its attribution line).

Made by \`npm run roads -- --input ${source} --out <this directory>\` (data/build-roads.ts) from \`${source}\`
(sha256 ${sha256}). Do not edit by hand: run the script again.

- \`graph.json\`: the drivable road graph the embedded road router (internal/routing/road-router.ts) routes on —
  ${stats.nodes} nodes (micro-degrees, \`[lon, lat, lon, lat, …]\`) and ${stats.edges} edges
  \`[from, to, direction (1 forward, 2 backward, 3 both), speed km/h, length m, [inner lon, lat, …]]\`.
- \`roads.geojson\`: ${stats.layerFeatures} streets (drivable and pedestrian), simplified, the map's base layer when
  \`MAP_TILE_URL\` is unset.
`;
}

await main();
