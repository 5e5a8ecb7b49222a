/** The one table of lab engines: `LAB_ENGINES` names them, this maps each name to its engine. */
import type { LabEngine } from '../plan.js';
import { builtinEngine } from './builtin/engine.js';
import type { DirectorEngine } from './engine.js';
import { haproxyEngine } from './haproxy.js';
import { ipvsEngine } from './ipvs.js';
import { keepalivedEngine } from './keepalived.js';
import { nftEngine } from './nft.js';

export const ENGINES: Readonly<Record<LabEngine, DirectorEngine>> = {
  builtin: builtinEngine,
  ipvs: ipvsEngine,
  keepalived: keepalivedEngine,
  nft: nftEngine,
  haproxy: haproxyEngine,
};
