import { describe, expect, it } from 'vitest';
import { engineInfo } from './engine-info.js';

describe('engineInfo', () => {
  it('names Docker from its /version body', () => {
    expect(engineInfo({
      Version: '20.10.24+dfsg1', ApiVersion: '1.41',
      Components: [{ Name: 'Engine', Version: '20.10.24+dfsg1' }, { Name: 'containerd', Version: '1.6.20' }],
    })).toEqual({ engine: 'docker', version: '20.10.24+dfsg1', apiVersion: '1.41' });
  });

  it('names Podman from the "Podman Engine" component of its Docker-compatible /version', () => {
    expect(engineInfo({
      Version: '4.3.1', ApiVersion: '1.41',
      Components: [{ Name: 'Podman Engine', Version: '4.3.1' }, { Name: 'Conmon', Version: 'conmon version 2.1.6' }],
    })).toEqual({ engine: 'podman', version: '4.3.1', apiVersion: '1.41' });
  });

  it('falls back to docker when there are no components', () => {
    expect(engineInfo({ Version: '24.0.7', ApiVersion: '1.43', Components: null })).toEqual({ engine: 'docker', version: '24.0.7', apiVersion: '1.43' });
  });
});
