// A JSON Schema (draft-07) compiler for schemas people write inside objects, such as a Preset's spec.params:
// strict about the schema itself (an unknown keyword, format or type is an error, so a typo cannot silently
// accept everything), every error reported, the standard formats known. Exported so the controller compiles
// with the same ajv (v8) the CRD validators use.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export type { Ajv, ErrorObject as JsonSchemaError, ValidateFunction as JsonSchemaValidator };

/** A new ajv instance for user-written JSON schemas; callers keep their own cache of compiled validators. */
export function createJsonSchemaAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    // A schema with $id is not registered in the instance: one object's schema never resolves another's.
    addUsedSchema: false,
    useDefaults: false,
    coerceTypes: false,
  });
  addFormats.default(ajv);
  return ajv;
}
