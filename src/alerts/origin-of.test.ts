import { describe, expect, it } from 'vitest';
import { originOf } from './alert-dispatcher.js';

describe('webhook URLs in logs', () => {
  it('keep the origin only: no path, query or credentials', () => {
    expect(originOf('https://user:pw@hooks.example.com/services/T000/B000/XXXX?token=abc')).toBe('https://hooks.example.com');
    expect(originOf('http://127.0.0.1:9000/hook/secret')).toBe('http://127.0.0.1:9000');
    expect(originOf('not a url')).toBe('(invalid url)');
  });
});
