import { describe, expect, it } from '@jest/globals';
import { escapeHtml, html } from './html.js';

describe('escapeHtml', () => {
  it('escapes markup and quotes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  it('shows bidi embeddings, overrides and isolates as code points, so the text after a value keeps its order', () => {
    const item = 'pkg\u202e-1.0\u2066x\u2069\u202a\u202c';
    expect(html`<h2>Results for ${item} <span>2 newest first</span></h2>`.text).toBe(
      '<h2>Results for pkg&lt;U+202E&gt;-1.0&lt;U+2066&gt;x&lt;U+2069&gt;&lt;U+202A&gt;&lt;U+202C&gt; <span>2 newest first</span></h2>',
    );
    // Right-to-left text itself, and the marks that only nudge it, are shown as they are.
    expect(escapeHtml('שלום \u200f\u200e é日本')).toBe('שלום \u200f\u200e é日本');
  });
});
