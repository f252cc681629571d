// Loads schemas/v1/*.schema.json, builds strict ajv validators for them, and embeds them
// into the OpenAPI document's components.schemas (schemas/v1 is the source of truth;
// `node openapi-sync.mjs` rewrites schemas/openapi.json from it).
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const addFormats = addFormatsModule.default ?? addFormatsModule;

export const here = dirname(fileURLToPath(import.meta.url));
export const sourceDir = resolve(here, "..", "..", "..");
export const schemasDir = join(sourceDir, "schemas");
export const v1Dir = join(schemasDir, "v1");
export const openapiPath = join(schemasDir, "openapi.json");
export const ID_BASE = "https://doorstep.dev/schemas/v1/";

// "appeal-request.schema.json" -> "AppealRequest"
export function componentName(file) {
  return file
    .replace(/\.schema\.json$/, "")
    .split("-")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}

export function loadV1() {
  const files = readdirSync(v1Dir).filter((f) => f.endsWith(".schema.json")).sort();
  return files.map((file) => ({ file, name: componentName(file), schema: JSON.parse(readFileSync(join(v1Dir, file), "utf8")) }));
}

export function newAjv() {
  // Strict mode: unknown keywords, ignored keywords, ambiguous types and tuples are errors.
  // Union types ("type": ["string", "null"]) are allowed: GeoReport fields are nullable.
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}

// A strict ajv holding every schemas/v1 file, addressable by file name.
export function v1Validators() {
  const ajv = newAjv();
  const schemas = loadV1();
  for (const s of schemas) ajv.addSchema(s.schema);
  const cache = new Map();
  const get = (file) => {
    if (!cache.has(file)) cache.set(file, ajv.getSchema(ID_BASE + file) ?? ajv.compile({ $ref: ID_BASE + file }));
    return cache.get(file);
  };
  return { ajv, schemas, get };
}

// Rewrites one v1 schema for embedding under #/components/schemas/<name>.
export function embed(schema, name, names) {
  const rewriteRef = (ref) => {
    const [file, pointer = ""] = ref.split("#");
    const target = file === "" ? name : names.get(file);
    if (!target) throw new Error(`${name}: $ref to unknown schema file '${file}'`);
    return `#/components/schemas/${target}${pointer}`;
  };
  const walk = (v) => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const out = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === "$id" || k === "$schema") continue;
        out[k] = k === "$ref" && typeof x === "string" ? rewriteRef(x) : walk(x);
      }
      return out;
    }
    return v;
  };
  return walk(schema);
}

export function embeddedComponents() {
  const schemas = loadV1();
  const names = new Map(schemas.map((s) => [s.file, s.name]));
  const out = {};
  for (const s of schemas) out[s.name] = embed(s.schema, s.name, names);
  return out;
}
