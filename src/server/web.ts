/**
 * The web page served at `/`: one HTML string with inline CSS and JavaScript (no external asset, no CDN). A question
 * box, the answer streamed from `POST /ask` and rendered as sanitised Markdown (see {@link renderMarkdown}) with
 * numbered citation chips, a sources panel showing each cited passage with the cited span highlighted and a link to
 * the document, a collection picker, search-mode and generator selectors, and drag-and-drop upload with a progress
 * bar. The page's script is allowed by its SHA-256 in the Content-Security-Policy; images from other origins can
 * never load (`img-src data:`).
 */
import { renderMarkdown } from './markdown.js';

// The page script runs in a browser, but this project compiles against Node's types only (no DOM library):
// the few browser globals it uses are declared loosely, here, for this file alone.
declare const document: any;
declare const sessionStorage: any;
declare const XMLHttpRequest: any;
declare const window: any;

const STYLE = `
:root { --ink:#1d2330; --muted:#5b6475; --line:#d9dee8; --accent:#2f5bd3; --mark:#ffe58a; --bg:#f6f7fb; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--ink); background:var(--bg); }
header { display:flex; flex-wrap:wrap; gap:12px; align-items:center; padding:10px 18px; background:#fff; border-bottom:1px solid var(--line); }
header h1 { font-size:18px; margin:0 12px 0 0; letter-spacing:.5px; }
header label { font-size:13px; color:var(--muted); display:flex; gap:6px; align-items:center; }
select, input, textarea, button { font:inherit; }
select, input[type=password] { padding:4px 6px; border:1px solid var(--line); border-radius:6px; background:#fff; }
main { display:grid; grid-template-columns:minmax(0,3fr) minmax(0,2fr); gap:18px; padding:18px; }
@media (max-width: 900px) { main { grid-template-columns:1fr; } }
section.panel { background:#fff; border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
#ask-form { display:flex; gap:8px; }
#question { flex:1; min-height:44px; resize:vertical; padding:8px 10px; border:1px solid var(--line); border-radius:8px; }
button.primary { background:var(--accent); color:#fff; border:0; border-radius:8px; padding:0 18px; cursor:pointer; }
button.primary:disabled { opacity:.6; cursor:default; }
#status { color:var(--muted); font-size:13px; min-height:20px; margin:8px 0 0; }
#answer { margin-top:8px; min-height:60px; }
#answer p { margin:.4em 0; }
#answer pre { background:#f0f2f7; padding:8px; border-radius:6px; overflow:auto; }
.md-image { color:var(--muted); font-style:italic; }
button.cite { border:0; background:var(--accent); color:#fff; border-radius:10px; font-size:11px; line-height:16px; padding:0 6px; margin:0 1px; vertical-align:super; cursor:pointer; }
button.cite:hover, button.cite:focus { outline:2px solid #9db4f5; }
#sources h2, #upload h2 { font-size:14px; text-transform:uppercase; letter-spacing:.6px; color:var(--muted); margin:0 0 8px; }
article.source { border:1px solid var(--line); border-radius:8px; padding:8px 10px; margin-bottom:10px; transition:box-shadow .2s; }
article.source.active { border-color:var(--accent); box-shadow:0 0 0 3px #dfe7fd; }
article.source header { all:unset; display:flex; gap:8px; align-items:baseline; font-size:13px; }
article.source .key { background:var(--accent); color:#fff; border-radius:10px; padding:0 7px; font-size:11px; }
article.source .where { color:var(--muted); }
article.source blockquote { margin:6px 0; padding:6px 8px; background:#fafbfd; border-left:3px solid var(--line); white-space:pre-wrap; font-size:13.5px; max-height:220px; overflow:auto; }
article.source mark { background:var(--mark); padding:0 1px; }
article.source.active mark { background:#ffd23f; }
article.source a { font-size:13px; color:var(--accent); }
#drop { margin-top:10px; border:2px dashed var(--line); border-radius:10px; padding:16px; text-align:center; color:var(--muted); }
#drop.over { border-color:var(--accent); background:#eef2fd; }
#upload-progress { width:100%; margin-top:8px; }
#upload-status { font-size:13px; color:var(--muted); min-height:18px; }
`;

/** The page's script (a function body run once; `renderMarkdown` is defined before it). */
function pageMain(): void {
  const $ = (id: string) => document.getElementById(id);
  const collectionSelect = $('collection');
  const generatorSelect = $('generator');
  const modeSelect = $('mode');
  const keyInput = $('api-key');
  const question = $('question');
  const askButton = $('ask');
  const answer = $('answer');
  const status = $('status');
  const sources = $('sources-list');
  const drop = $('drop');
  const fileInput = $('file-input');
  const progressBar = $('upload-progress');
  const uploadStatus = $('upload-status');
  keyInput.value = sessionStorage.getItem('ralm-key') ?? '';
  keyInput.addEventListener('change', () => {
    sessionStorage.setItem('ralm-key', keyInput.value.trim());
    void loadCollections();
  });

  const headers = (extra: Record<string, string> = {}): Record<string, string> => {
    const key = keyInput.value.trim();
    return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
  };
  const say = (text: string) => {
    status.textContent = text;
  };
  const option = (select: any, value: string) => {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = value;
    select.appendChild(o);
  };

  async function loadCollections(): Promise<void> {
    collectionSelect.textContent = '';
    generatorSelect.textContent = '';
    try {
      const [collections, generators]: any[] = await Promise.all([
        fetch('/collections', { headers: headers() }).then((r) => r.json()),
        fetch('/generators', { headers: headers() }).then((r) => r.json()),
      ]);
      if (collections.error) throw new Error(collections.error.message);
      for (const c of collections.collections as Array<{ name: string }>) option(collectionSelect, c.name);
      for (const g of (generators.generators ?? []) as string[]) option(generatorSelect, g);
      say(collections.collections.length ? '' : 'No collection yet: create one with the API, then drop files here.');
    } catch (error) {
      say(`Could not list collections: ${(error as Error).message}`);
    }
  }

  /** Reads Server-Sent Events from a fetch response. */
  async function* events(response: Response): AsyncGenerator<{ event: string; data: any }> {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) yield { event, data: JSON.parse(data.join('\n')) };
      }
    }
  }

  type Citation = { key: string; doc_id: string; source?: string; lines: [number, number]; text: string; context_before: string; context_after: string; url: string };
  let citationKeys: string[] = [];
  let links: string[] = [];
  let text = '';
  const render = () => {
    // the global the page script defines (not the import: a bundler may rename imported bindings inside this function)
    answer.innerHTML = window.renderMarkdown(text, { citations: citationKeys, links });
  };

  function showSources(citations: Citation[]): void {
    sources.textContent = '';
    const seen = new Set<string>();
    for (const c of citations) {
      if (seen.has(c.key)) continue;
      seen.add(c.key);
      const card = document.createElement('article');
      card.className = 'source';
      card.id = `source-${c.key}`;
      const head = document.createElement('header');
      const key = document.createElement('span');
      key.className = 'key';
      key.textContent = c.key;
      const name = document.createElement('strong');
      name.textContent = c.source ?? c.doc_id;
      const where = document.createElement('span');
      where.className = 'where';
      where.textContent = c.lines[0] === c.lines[1] ? `line ${c.lines[0]}` : `lines ${c.lines[0]}–${c.lines[1]}`;
      head.append(key, name, where);
      const quote = document.createElement('blockquote');
      const mark = document.createElement('mark');
      mark.textContent = c.text;
      quote.append(document.createTextNode(c.context_before ? `…${c.context_before}` : ''), mark, document.createTextNode(c.context_after ? `${c.context_after}…` : ''));
      const link = document.createElement('a');
      link.href = c.url;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.textContent = 'open document';
      card.append(head, quote, link);
      sources.appendChild(card);
    }
    if (citations.length === 0) sources.textContent = 'No sources cited.';
  }

  answer.addEventListener('click', (event: any) => {
    const chip = (event.target).closest('button.cite');
    if (!chip) return;
    for (const card of sources.querySelectorAll('article.source.active')) card.classList.remove('active');
    const card = document.getElementById(`source-${chip.dataset.key}`);
    if (!card) return;
    card.classList.add('active');
    card.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    card.querySelector('mark')?.scrollIntoView({ block: 'nearest' });
  });

  async function ask(): Promise<void> {
    const q = question.value.trim();
    if (!q || !collectionSelect.value) return;
    askButton.disabled = true;
    text = '';
    citationKeys = [];
    links = [];
    render();
    sources.textContent = '';
    say('Retrieving…');
    try {
      const response = await fetch('/ask', {
        method: 'POST',
        headers: headers({ 'Content-Type': 'application/json' }),
        body: JSON.stringify({ collection: collectionSelect.value, question: q, generator: generatorSelect.value || undefined, mode: modeSelect.value, stream: true }),
      });
      if (!response.ok) throw new Error(((await response.json()) as any).error?.message ?? response.statusText);
      for await (const { event, data } of events(response)) {
        if (event === 'retrieval') {
          citationKeys = data.passages.map((p: { key: string }) => p.key);
          say(`Answering from ${data.passages.length} passage(s)…`);
        } else if (event === 'text-delta') {
          text += data.text;
          render();
        } else if (event === 'citations') {
          const citations = data.citations as Citation[];
          citationKeys = citations.map((c) => c.key);
          links = citations.map((c) => c.url);
          render();
          showSources(citations);
        } else if (event === 'done') {
          say(`Answered in ${Math.round(data.timings.total_ms)} ms with ${data.generator}.`);
        } else if (event === 'error') {
          throw new Error(data.error.message);
        }
      }
    } catch (error) {
      say(`Error: ${(error as Error).message}`);
    } finally {
      askButton.disabled = false;
    }
  }

  $('ask-form').addEventListener('submit', (event: any) => {
    event.preventDefault();
    void ask();
  });
  question.addEventListener('keydown', (event: any) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void ask();
    }
  });

  async function followJob(id: string): Promise<void> {
    const response = await fetch(`/jobs/${id}/events`, { headers: headers() });
    for await (const { event, data } of events(response)) {
      const total = data.progress.total;
      uploadStatus.textContent = `${data.status}: ${data.progress.documents} document(s) read${data.problems.length ? `, ${data.problems.length} problem(s)` : ''}`;
      if (total) progressBar.value = 50 + (50 * data.progress.documents) / total;
      if (event === 'done') {
        progressBar.value = 100;
        if (data.status !== 'succeeded') uploadStatus.textContent = `${data.status}: ${data.error?.message ?? ''}`;
        void loadCollections();
        return;
      }
    }
  }

  function upload(files: any): void {
    if (!files.length || !collectionSelect.value) {
      uploadStatus.textContent = collectionSelect.value ? '' : 'Choose a collection first.';
      return;
    }
    const form = new FormData();
    for (const file of Array.from(files as ArrayLike<any>)) form.append('files', file, file.name);
    const request = new XMLHttpRequest();
    request.open('POST', `/collections/${encodeURIComponent(collectionSelect.value)}/documents`);
    for (const [name, value] of Object.entries(headers())) request.setRequestHeader(name, value);
    progressBar.value = 0;
    uploadStatus.textContent = 'Uploading…';
    request.upload.addEventListener('progress', (event: any) => {
      if (event.lengthComputable) progressBar.value = (50 * event.loaded) / event.total;
    });
    request.addEventListener('load', () => {
      const body = JSON.parse(request.responseText || '{}');
      if (request.status !== 202) {
        uploadStatus.textContent = `Upload refused: ${body.error?.message ?? request.status}`;
        return;
      }
      progressBar.value = 50;
      void followJob(body.id);
    });
    request.addEventListener('error', () => {
      uploadStatus.textContent = 'Upload failed (network error).';
    });
    request.send(form);
  }
  drop.addEventListener('dragover', (event: any) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event: any) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (event.dataTransfer) upload(event.dataTransfer.files);
  });
  fileInput.addEventListener('change', () => {
    if (fileInput.files) upload(fileInput.files);
  });
  void loadCollections();
}

const BODY = `
<header>
  <h1>ralm</h1>
  <label>Collection <select id="collection" aria-label="collection"></select></label>
  <label>Search <select id="mode" aria-label="search mode"><option value="bm25">BM25</option><option value="dense" disabled>dense (no embedder)</option><option value="hybrid" disabled>hybrid (no embedder)</option></select></label>
  <label>Generator <select id="generator" aria-label="generator"></select></label>
  <label>API key <input id="api-key" type="password" autocomplete="off" placeholder="(local: none)"></label>
</header>
<main>
  <section class="panel">
    <form id="ask-form">
      <textarea id="question" placeholder="Ask a question about the collection…" aria-label="question"></textarea>
      <button id="ask" class="primary" type="submit">Ask</button>
    </form>
    <p id="status" role="status"></p>
    <div id="answer" aria-live="polite"></div>
  </section>
  <div>
    <section class="panel" id="sources"><h2>Sources</h2><div id="sources-list"></div></section>
    <section class="panel" id="upload" style="margin-top:18px">
      <h2>Add documents</h2>
      <div id="drop">Drop files here, or <input id="file-input" type="file" multiple aria-label="files"></div>
      <progress id="upload-progress" max="100" value="0"></progress>
      <div id="upload-status"></div>
    </section>
  </div>
</main>`;

/**
 * The page and its script (the script's exact text is hashed for the Content-Security-Policy).
 * @example const { html, script } = webPage();
 */
export function webPage(): { html: string; script: string } {
  const script = `"use strict";\n${renderMarkdown.toString()}\nwindow.renderMarkdown = renderMarkdown;\n(${pageMain.toString()})();\n`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ralm</title><style>${STYLE}</style></head>
<body>${BODY}
<script>${script}</script>
</body></html>`;
  return { html, script };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * A stored document as a page: its text, escaped, with the span `start`–`end` highlighted.
 * @example documentPage({ collection: 'docs', id: 'a.md', title: 'A', text: 'Hello world', span: { start: 6, end: 11 } })
 */
export function documentPage(document: { collection: string; id: string; title: string; text: string; span?: { start: number; end: number } }): string {
  const { text, span } = document;
  const body = span
    ? `${escapeHtml(text.slice(0, span.start))}<mark id="span">${escapeHtml(text.slice(span.start, span.end))}</mark>${escapeHtml(text.slice(span.end))}`
    : escapeHtml(text);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.title || document.id)} — ralm</title>
<style>body{font:15px/1.55 system-ui,sans-serif;max-width:900px;margin:24px auto;padding:0 16px;color:#1d2330}pre{white-space:pre-wrap;background:#fafbfd;border:1px solid #d9dee8;border-radius:8px;padding:12px}mark{background:#ffd23f}small{color:#5b6475}</style></head>
<body><small>${escapeHtml(document.collection)} / ${escapeHtml(document.id)}</small><h1>${escapeHtml(document.title || document.id)}</h1><pre>${body}</pre></body></html>`;
}
