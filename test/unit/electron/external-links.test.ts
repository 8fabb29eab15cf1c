import { describe, expect, it } from 'vitest';
import { EXTERNAL_LINK_HOSTS, externalLinkTarget } from '../../../electron/external-links.js';

describe('externalLinkTarget', () => {
  it('opens https links on the listed hosts, normalised', () => {
    expect(externalLinkTarget('https://arxiv.org/abs/2504.11320')).toBe('https://arxiv.org/abs/2504.11320');
    expect(externalLinkTarget('https://GitHub.com/microsoft/vidur')).toBe(
      'https://github.com/microsoft/vidur',
    );
    expect(externalLinkTarget('https://docs.vllm.ai')).toBe('https://docs.vllm.ai/');
    expect(externalLinkTarget('https://github.com:443/x')).toBe('https://github.com/x'); // default port dropped by the parser
    expect(EXTERNAL_LINK_HOSTS).toContain('arxiv.org');
  });

  it('refuses other schemes', () => {
    for (const url of [
      'javascript:alert(1)',
      'JavaScript:alert(1)//https://arxiv.org/',
      'file:///etc/passwd',
      'http://arxiv.org/abs/2504.11320',
      'ftp://github.com/',
      'smb://github.com/share',
      'data:text/html,<script>alert(1)</script>',
      'app://schedbench/index.html',
      'vscode://file/etc/passwd',
    ]) {
      expect(externalLinkTarget(url), url).toBeNull();
    }
  });

  it('refuses lookalike hosts and user-info tricks', () => {
    for (const url of [
      'https://arxiv.org.evil.com/abs/1',
      'https://evil.com/arxiv.org',
      'https://evilarxiv.org/',
      'https://arxiv.org@evil.com/',
      'https://user:pass@github.com/',
      'https://github.com.@evil.com/',
      'https://arxiv.org./abs/1',
      'https://xn--arxv-8qa.org/', // punycode lookalike
      'https://аrxiv.org/', // Cyrillic a
      'https://github.com:8443/',
      'https://gist.github.com/',
      'https://127.0.0.1/',
    ]) {
      expect(externalLinkTarget(url), url).toBeNull();
    }
  });

  it('refuses whitespace, control characters, non-strings and absurd lengths', () => {
    for (const url of [
      ' https://arxiv.org/',
      'https://arxiv.org/\n',
      'https://arxiv.org/\u0000',
      'https://\tarxiv.org/',
      '',
      `https://arxiv.org/${'a'.repeat(3000)}`,
    ]) {
      expect(externalLinkTarget(url), JSON.stringify(url.slice(0, 40))).toBeNull();
    }
    for (const value of [undefined, null, 42, { href: 'https://arxiv.org/' }]) {
      expect(externalLinkTarget(value)).toBeNull();
    }
  });
});
