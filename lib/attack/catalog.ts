import catalogJson from "./enterprise-attack.json";

export interface AttackTactic {
  id: string;
  name: string;
  shortname: string;
  url: string;
}

export interface AttackTechnique {
  id: string;
  name: string;
  tactics: string[];
  parent: string | null;
  url: string;
}

interface Catalog {
  attack_version: string;
  tactics: AttackTactic[];
  techniques: AttackTechnique[];
}

const catalog = catalogJson as unknown as Catalog;
let tacticIndex: Map<string, AttackTactic> | null = null;
let techniqueIndex: Map<string, AttackTechnique> | null = null;

/** MITRE ATT&CK Enterprise version of the bundled catalog (see NOTICE.md). */
export const ATTACK_VERSION = catalog.attack_version;

export function listTactics(): readonly AttackTactic[] {
  return catalog.tactics;
}

export function listTechniques(): readonly AttackTechnique[] {
  return catalog.techniques;
}

export function findTactic(id: string): AttackTactic | null {
  tacticIndex ??= new Map(catalog.tactics.map((t) => [t.id, t]));
  return tacticIndex.get(id) ?? null;
}

/** Technique or sub-technique by id (T1059 or T1059.004). */
export function findTechnique(id: string): AttackTechnique | null {
  techniqueIndex ??= new Map(catalog.techniques.map((t) => [t.id, t]));
  return techniqueIndex.get(id) ?? null;
}
