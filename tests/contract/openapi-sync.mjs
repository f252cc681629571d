// Rewrites components.schemas of schemas/openapi.json from schemas/v1/*.schema.json.
// Run after editing a schema: node tests/contract/openapi-sync.mjs
// The contract test fails while the two disagree.
import { readFileSync, writeFileSync } from "node:fs";
import { embeddedComponents, openapiPath } from "./lib/schemas.mjs";

const doc = JSON.parse(readFileSync(openapiPath, "utf8"));
doc.components.schemas = embeddedComponents();
writeFileSync(openapiPath, JSON.stringify(doc, null, 2) + "\n");
console.log(`openapi-sync: wrote ${Object.keys(doc.components.schemas).length} schemas into ${openapiPath}`);
