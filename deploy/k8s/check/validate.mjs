// Validates every object of rendered Kubernetes YAML (stdin) against the Kubernetes
// OpenAPI schemas shipped in the npm package kubernetes-models, offline. Prints one line
// per problem and exits 1 when any object is invalid or of an unknown kind.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const text = readFileSync(0, "utf8");
let failures = 0;
let checked = 0;
for (const doc of parseAllDocuments(text)) {
  const obj = doc.toJS();
  if (!obj) continue;
  const where = `${obj.kind ?? "?"}/${obj.metadata?.name ?? "?"}`;
  if (!obj.apiVersion || !obj.kind) {
    console.log(`FAIL ${where}: no apiVersion or kind`);
    failures++;
    continue;
  }
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : [null, obj.apiVersion];
  const path = group ? `kubernetes-models/${group}/${version}/${obj.kind}` : `kubernetes-models/${version}/${obj.kind}`;
  let Model;
  try {
    Model = (await import(path))[obj.kind];
  } catch {
    console.log(`FAIL ${where}: unknown kind ${obj.apiVersion} ${obj.kind}`);
    failures++;
    continue;
  }
  // kustomize writes long Secret values as YAML block scalars ending in a newline; the
  // API server's base64 decoder skips line breaks, the schema's "byte" format does not.
  if (obj.kind === "Secret" && obj.data) {
    for (const k of Object.keys(obj.data)) obj.data[k] = String(obj.data[k]).replace(/\s+/g, "");
  }
  try {
    new Model(obj).validate();
    checked++;
  } catch (e) {
    console.log(`FAIL ${where}: ${e.message.split("\n").slice(0, 6).join(" | ")}`);
    failures++;
  }
}
console.log(`${checked} objects valid, ${failures} invalid`);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
