import { describe, expect, it } from 'vitest';
import { BerthError } from '../../common/errors.js';
import { engineError } from './docker-connection.js';

const HOST = 'unix:///var/run/docker.sock';

describe('engineError', () => {
  it('maps what the engine answered to stable codes, naming the object once', () => {
    const missing = engineError(Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404, json: { message: 'No such container: abc' } }), HOST, 'container');
    expect(missing).toMatchObject({ code: 'CONTAINER_NOT_FOUND', message: 'No such container: abc' });
    expect(engineError({ statusCode: 404, json: { message: 'network x not found' } }, HOST, 'network').message).toBe('no such network: network x not found');
    expect(engineError({ statusCode: 409, json: { message: 'in use' } }, HOST).code).toBe('CONFLICT');
    expect(engineError({ statusCode: 500, json: { message: 'driver failed' } }, HOST)).toMatchObject({ code: 'RUNTIME_ERROR', message: 'the Docker engine refused: driver failed' });
    expect(engineError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), HOST).code).toBe('RUNTIME_UNAVAILABLE');
  });

  it('never dresses a programming error as the engine\'s answer', () => {
    let bug: unknown;
    try {
      Reflect.get(undefined as unknown as object, 'cpu_usage');
    } catch (error) {
      bug = error;
    }
    expect(bug).toBeInstanceOf(TypeError);
    expect(() => engineError(bug, HOST, 'container')).toThrow(bug as TypeError);
    expect(() => engineError(new RangeError('bad length'), HOST)).toThrow(RangeError);
    const own = new BerthError('IMAGE_NOT_FOUND', 'x');
    expect(engineError(own, HOST)).toBe(own);
  });
});
