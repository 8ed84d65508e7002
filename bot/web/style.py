"""The page's CSS and the small pieces of browser JavaScript (theme fonts are system fonts: no CDN)."""
from __future__ import annotations

CSS = """
.gradio-container { max-width: 1400px !important; margin: 0 auto !important; }
#rb-header h1 { font-size: 1.55rem; margin: 0 0 .2rem 0; font-weight: 650; letter-spacing: -.01em; }
#rb-header .rb-logout { float: right; font-size: .9rem; font-weight: 600; }
#rb-header .rb-sub { color: var(--body-text-color-subdued); margin: 0; }
#rb-header .rb-mode { display: inline-block; margin-top: .45rem; padding: .25rem .6rem; border-radius: 999px;
  background: var(--color-accent-soft); color: var(--body-text-color); font-size: .85rem; }
.rb-question { white-space: normal; }
.rb-answer .rb-text { line-height: 1.55; }
.rb-answer sup.rb-ref { font-size: .75em; color: var(--color-accent); font-weight: 600; }
.rb-answer .rb-notice { margin-top: .5rem; padding: .4rem .6rem; border-left: 3px solid #d97706;
  background: rgba(217,119,6,.08); font-size: .9rem; }
.rb-answer.rb-refused .rb-text { font-style: italic; }
.rb-answer.rb-error { color: #b91c1c; }
ol.rb-cites { list-style: none; padding: 0 !important; margin: .6rem 0 0 0 !important; }
li.rb-cite-item { margin: .35rem 0 !important; padding: 0 !important; }
details.rb-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .35rem .6rem;
  background: var(--background-fill-secondary); }
details.rb-cite summary { cursor: pointer; list-style: none; display: block; }
details.rb-cite summary::-webkit-details-marker { display: none; }
details.rb-cite .rb-n { display: inline-block; min-width: 1.4rem; height: 1.4rem; line-height: 1.4rem;
  margin-right: .45rem; border-radius: 999px; text-align: center; font-size: .78rem; font-weight: 700;
  background: var(--color-accent); color: white; }
details.rb-cite .rb-quote { font-style: italic; }
details.rb-cite .rb-src { display: block; margin: .15rem 0 0 1.85rem; font-size: .82rem;
  color: var(--body-text-color-subdued); }
details.rb-cite .rb-nearest { font-size: .75rem; padding: 0 .35rem; border-radius: 4px; margin-left: .35rem;
  background: rgba(217,119,6,.15); }
details.rb-cite .rb-passage { margin: .5rem 0 .3rem 1.85rem; font-size: .9rem; line-height: 1.5;
  color: var(--body-text-color-subdued); }
details.rb-cite mark, .rb-reader mark { background: #fde68a; color: #111827; padding: 0 .1rem; border-radius: 2px; }
a.rb-open { margin-left: 1.85rem; font-size: .85rem; font-weight: 600; }
#rb-followups { gap: .4rem; flex-wrap: wrap; }
#rb-followups button { flex: 0 1 auto !important; min-width: 0 !important; text-align: left; }
#rb-reader-col { position: sticky; top: .5rem; }
.rb-reader .rb-caption { font-size: .85rem; padding: .4rem .6rem; margin-bottom: .4rem; border-radius: 6px;
  background: var(--color-accent-soft); }
.rb-reader details.rb-toc-box { margin-bottom: .4rem; }
.rb-reader details.rb-toc-box summary { cursor: pointer; font-weight: 600; }
.rb-reader nav.rb-toc { max-height: 30vh; overflow-y: auto; font-size: .85rem; }
.rb-reader nav.rb-toc ul { list-style: none; margin: .3rem 0; padding-left: .2rem; }
.rb-reader nav.rb-toc li.rb-toc-l2 { padding-left: .9rem; }
.rb-reader nav.rb-toc li.rb-toc-l3, .rb-reader nav.rb-toc li.rb-toc-l4 { padding-left: 1.8rem; }
.rb-reader .rb-doc { position: relative; max-height: 68vh; overflow-y: auto; padding: .2rem .9rem .2rem .2rem;
  font-size: .92rem; line-height: 1.6; border-top: 1px solid var(--border-color-primary); }
.rb-reader .rb-doc p { margin: .55rem 0; }
.rb-reader .rb-doc .rb-h { margin: 1.1rem 0 .4rem; line-height: 1.3; }
.rb-reader .rb-doc h2.rb-h { font-size: 1.15rem; } .rb-reader .rb-doc h3.rb-h { font-size: 1.02rem; }
.rb-reader .rb-doc h4.rb-h, .rb-reader .rb-doc h5.rb-h { font-size: .95rem; }
.rb-missing { padding: 1rem; border: 1px dashed #d97706; border-radius: 8px; }
dl.rb-about { display: grid; grid-template-columns: max-content 1fr; gap: .25rem .9rem; margin: 0; font-size: .9rem; }
dl.rb-about dt { font-weight: 600; } dl.rb-about dd { margin: 0; }
#rb-status { min-height: 1.2rem; font-size: .88rem; }
"""

EMBED_CSS = CSS + """
footer { display: none !important; }
.gradio-container { padding: .3rem !important; }
"""

# Runs in the reader component: catches "show in the report" links anywhere on the page and sends them to
# Python (`cite` event); scrolls the reader to the mark when it changes; TOC links scroll inside the reader.
READER_JS = """
const scrollTo = (target) => {
  const box = element.querySelector('.rb-doc');
  if (!box || !target) return;
  box.scrollTop = Math.max(target.offsetTop - box.clientHeight / 4, 0);
};
if (!window.__rbCiteListener) {
  window.__rbCiteListener = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.rb-open') : null;
    if (link) { event.preventDefault(); trigger('cite', {ref: link.getAttribute('href')}); }
  });
}
element.addEventListener('click', (event) => {
  const link = event.target.closest ? event.target.closest('a.rb-toc-link') : null;
  if (!link) return;
  event.preventDefault();
  scrollTo(element.querySelector(link.getAttribute('href')));
});
watch('value', () => { scrollTo(element.querySelector('#rb-hl')); });
"""

COPY_JS = """
async (markdown) => {
  if (!markdown) return [];
  try { await navigator.clipboard.writeText(markdown); }
  catch (err) {
    const area = document.createElement('textarea');
    area.value = markdown; document.body.appendChild(area); area.select();
    document.execCommand('copy'); area.remove();
  }
  return [];
}
"""

# Runs once when the page loads (mount_gradio_app's `js`). Gradio's own buttons carry English screen-reader
# names ("Like", "Select example 1: ..."); its frontend has no Danish, so they are renamed from texts.py as they
# appear. A phone opens at the header: Gradio's autofocus and autoscroll would start it lower down.
PAGE_JS = """
() => {
  const t = __TEXTS__;
  document.documentElement.lang = t.lang;
  const example = /^Select example (\\d+): ([\\s\\S]*)$/;
  const rename = (el) => {
    for (const attr of ['aria-label', 'title']) {
      const value = el.getAttribute(attr);
      if (!value) continue;
      let name = t.aria[value];
      const match = name ? null : value.match(example);
      if (match) name = t.example.replace('{n}', match[1]).replace('{text}', match[2]);
      if (name && name !== value) el.setAttribute(attr, name);
    }
  };
  const sweep = (root) => {
    if (root.nodeType !== 1) return;
    rename(root);
    root.querySelectorAll('[aria-label], [title]').forEach(rename);
  };
  sweep(document.body);
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === 'attributes') rename(change.target);
      else change.addedNodes.forEach(sweep);
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label', 'title']});
  if (window.matchMedia('(max-width: 760px)').matches) {
    const top = () => window.scrollTo(0, 0);
    top(); setTimeout(top, 300); setTimeout(top, 1200);
  }
}
"""


def page_js(texts: dict) -> str:
    import json

    table = {"lang": texts["lang"], "aria": texts["aria"], "example": texts["aria_example"]}
    return PAGE_JS.replace("__TEXTS__", json.dumps(table, ensure_ascii=False))
