// The generated JSON Schema (schemas/generated/l7mp.schema.json), compiled once with ajv at first
// use, plus what the error explainer needs: a validator for any sub-schema (to re-check a value
// against the one shape its discriminator picked) and the JSON pointer of any schema node.
import AjvModule, { type ValidateFunction } from 'ajv';
import schemaJson from '../../../schemas/generated/l7mp.schema.json' with { type: 'json' };

export type SchemaNode = { readonly [key: string]: unknown };

export interface CompiledSchema {
  /** true when the object is a valid l7mp.io/v1 object (the fast path: stops at the first error) */
  check(value: unknown): boolean;
  /** validates any l7mp.io/v1 object reporting every error, with schema nodes and data attached */
  readonly root: ValidateFunction;
  /** the (all-errors) validator of a schema node of the document (cached) */
  validatorFor(node: SchemaNode): ValidateFunction;
  /** follows `$ref`s to the node that holds the keywords */
  resolve(node: SchemaNode): SchemaNode;
}

const Ajv = AjvModule.default;
const document = schemaJson as unknown as SchemaNode & { $id: string };

export function isNode(v: unknown): v is SchemaNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Every object node of the schema document → its JSON pointer. */
function indexPointers(root: SchemaNode): Map<SchemaNode, string> {
  const index = new Map<SchemaNode, string>();
  const walk = (v: unknown, pointer: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${pointer}/${i}`));
    else if (isNode(v)) {
      index.set(v, pointer);
      for (const [k, child] of Object.entries(v)) walk(child, `${pointer}/${escapePointer(k)}`);
    }
  };
  walk(root, '');
  return index;
}

/** The validators that explain a failure: compiled only when some object fails. */
function buildExplainer(): Omit<CompiledSchema, 'check'> {
  // verbose: errors carry their schema node and data, which the explainer needs; strict off: the
  // schema has descriptions beside $ref (an annotation, allowed but flagged by strict mode).
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
  ajv.addSchema(document);
  const root = ajv.getSchema(document.$id);
  if (!root) throw new Error('the generated l7mp schema did not compile');
  const pointers = indexPointers(document);
  const definitions = document.definitions as Record<string, SchemaNode>;
  const validators = new Map<SchemaNode, ValidateFunction>();
  return {
    root,
    validatorFor(node) {
      let v = validators.get(node);
      if (!v) {
        const pointer = pointers.get(node);
        if (pointer === undefined) throw new Error('schema node is not part of the l7mp schema');
        v = ajv.getSchema(`${document.$id}#${pointer}`);
        if (!v) throw new Error(`no sub-schema at ${pointer}`);
        validators.set(node, v);
      }
      return v;
    },
    resolve(node) {
      let n = node;
      for (let i = 0; i < 32 && typeof n.$ref === 'string'; i++) {
        const name = n.$ref.replace(/^#\/definitions\//, '');
        const next = definitions[name];
        if (!next) throw new Error(`unresolvable $ref ${n.$ref}`);
        n = next;
      }
      return n;
    },
  };
}

function build(): CompiledSchema {
  // Valid objects are the common case: a validator that stops at the first error is about three
  // times faster than an all-errors one, so we keep two and explain failures with the second.
  const fast = new Ajv({ allErrors: false, strict: false }).compile(document);
  let explainer: Omit<CompiledSchema, 'check'> | undefined;
  const explaining = (): Omit<CompiledSchema, 'check'> => (explainer ??= buildExplainer());
  return {
    check: (value) => fast(value),
    get root() {
      return explaining().root;
    },
    validatorFor: (node) => explaining().validatorFor(node),
    resolve: (node) => explaining().resolve(node),
  };
}

let compiled: CompiledSchema | undefined;

/** The compiled schema; compiled at first use and cached for the life of the process. */
export function compiledSchema(): CompiledSchema {
  compiled ??= build();
  return compiled;
}
