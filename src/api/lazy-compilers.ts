import { createRequire } from 'node:module';
import type AjvCompiler from '@fastify/ajv-compiler';
import type { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type ValidatorFactory = ReturnType<typeof AjvCompiler>;
type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Validate = ReturnType<ReturnType<ValidatorFactory>> & { errors?: unknown };

/** How many route schemas were compiled so far (validators, serializers): for tests and boot diagnostics. */
export const compiledSchemas = { validators: 0, serializers: 0 };

/**
 * Fastify's own compilers (Ajv for input, fast-json-stringify for responses), but each route
 * schema is compiled on its first use instead of at boot. Compiling every route's schemas up
 * front was most of the daemon's boot CPU (fast-json-stringify validates and generates code
 * for each response status of each route); most routes are never called in a daemon's
 * lifetime, and one that is pays its compile once, on its first request. Same options, same
 * shared schemas, same results.
 */
export function lazyCompilers(): { buildValidator: ValidatorFactory; buildSerializer: SerializerFactory } {
  // The compilers' packages (Ajv alone is ~30 ms to load) are required on the first compile too.
  const require = createRequire(import.meta.url);
  let validatorsOnce: ReturnType<typeof AjvCompiler> | undefined;
  let serializersOnce: ReturnType<typeof SerializerSelector> | undefined;
  const validators: ReturnType<typeof AjvCompiler> = (...args) => {
    validatorsOnce ??= (require('@fastify/ajv-compiler') as typeof AjvCompiler)();
    return validatorsOnce(...args);
  };
  const serializers: ReturnType<typeof SerializerSelector> = (...args) => {
    serializersOnce ??= (require('@fastify/fast-json-stringify-compiler') as { SerializerSelector: typeof SerializerSelector }).SerializerSelector();
    return serializersOnce(...args);
  };
  const buildValidator: ValidatorFactory = (externalSchemas, options) => {
    // The Ajv instance itself (meta-schema compile: tens of ms) is made on the first validation too.
    let compile: ReturnType<ValidatorFactory> | undefined;
    return (route) => {
      let real: Validate | undefined;
      const validate = ((data: unknown) => {
        if (!real) {
          compile ??= validators(externalSchemas, options);
          real = compile(route) as Validate;
          compiledSchemas.validators++;
        }
        const result = (real as (data: unknown) => unknown)(data);
        // Fastify reads a failed validation's reasons from the function it was given.
        validate.errors = real.errors;
        return result;
      }) as Validate;
      return validate;
    };
  };
  const buildSerializer: SerializerFactory = (externalSchemas, options) => {
    let compile: ReturnType<SerializerFactory> | undefined;
    return (route) => {
      let real: ((doc: unknown) => string) | undefined;
      return (doc: unknown) => {
        if (!real) {
          compile ??= serializers(externalSchemas, options);
          real = compile(route);
          compiledSchemas.serializers++;
        }
        return real(doc);
      };
    };
  };
  return { buildValidator, buildSerializer };
}
