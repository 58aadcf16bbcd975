/**
 * @module The pages' only stylesheet and script, served from the node itself (the pages' CSP
 * allows nothing else). The script is an enhancement: every page works without it.
 */
import { createHash } from 'node:crypto';

const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;--accent:#0b57d0;--focus:#f59e0b}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;padding:.5rem;z-index:1}
header.site{background:#0d1117;color:#fff;padding:.5rem 1rem}
header.site a{color:#fff}
header.site nav{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;max-width:72rem;margin:0 auto}
header.site .brand{font-weight:700;text-decoration:none;margin-right:auto}
header.site form{margin:0}
main{max-width:72rem;margin:0 auto;padding:1rem}
footer.site{max-width:72rem;margin:2rem auto;padding:0 1rem;color:var(--muted);font-size:.875rem}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:1rem 0 .25rem}
h2,h3,p,li,dd,dt,td,th,a,span,label{overflow-wrap:anywhere}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875em;overflow-wrap:anywhere;word-break:break-all}
.muted{color:var(--muted)}
.prose{white-space:pre-line}
.search label{flex-basis:100%}
.search{display:flex;flex-wrap:wrap;gap:.5rem;margin:0 0 1rem}
.search input[type=search]{flex:1 1 12rem;min-width:0;padding:.5rem;font:inherit;border:1px solid var(--line);border-radius:6px}
button,.button{display:inline-block;padding:.45rem .9rem;font:inherit;border:1px solid var(--accent);border-radius:6px;background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}
button.link{background:none;border:none;color:inherit;padding:0;text-decoration:underline}
label{font-weight:600}
input,select,textarea{font:inherit;max-width:100%}
textarea{width:100%;min-height:6rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,16rem),1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;background:var(--bg);min-width:0}
.card h3{margin-top:0}
ul.plain{list-style:none;padding:0;margin:0}
ul.plain li{padding:.35rem 0;border-bottom:1px solid var(--line)}
ul.plain li:last-child{border-bottom:0}
ul.plain li.card{padding:.75rem 1rem;border:1px solid var(--line)}
dd ul.plain li{padding:0;border:0}
.counts{display:flex;flex-wrap:wrap;gap:.5rem;padding:0;list-style:none}
.counts a{display:block;padding:.4rem .8rem;border:1px solid var(--line);border-radius:999px;text-decoration:none;background:var(--panel)}
.layout{display:grid;grid-template-columns:minmax(0,15rem) minmax(0,1fr);gap:1.5rem}
@media (max-width:48rem){.layout{grid-template-columns:minmax(0,1fr)}}
aside.facets section{margin-bottom:1rem}
aside.facets h2{font-size:1rem;margin:.25rem 0}
aside.facets ul{list-style:none;padding:0;margin:0}
aside.facets li{padding:.15rem 0}
aside.facets a[aria-current]{font-weight:700}
.chips{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0}
.chips a{padding:.2rem .6rem;border-radius:999px;background:var(--panel);border:1px solid var(--line)}
.result h2{font-size:1.1rem;margin:0}
.tag{display:inline-block;padding:0 .45rem;margin:.1rem .2rem .1rem 0;border-radius:4px;background:var(--panel);border:1px solid var(--line);font-size:.85rem}
dl.fields{display:grid;grid-template-columns:minmax(0,12rem) minmax(0,1fr);gap:.25rem 1rem;margin:0}
dl.fields dt{font-weight:600}
dl.fields dd{margin:0}
@media (max-width:40rem){dl.fields{grid-template-columns:minmax(0,1fr)}dl.fields dd{margin-bottom:.5rem}}
.pager{display:flex;gap:1rem;margin-top:1rem}
.status{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.85rem;background:#ddf4ff}
.status.private{background:#fff8c5}
.notice{padding:.75rem 1rem;border-radius:6px;background:#fff8c5;border:1px solid #d4a72c}
.error{padding:.75rem 1rem;border-radius:6px;background:#ffebe9;border:1px solid #ff8182}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
`;

const JS = `
(function(){
  var input=document.querySelector('input[data-suggest]');
  if(!input||!window.fetch)return;
  var list=document.getElementById(input.getAttribute('list'));
  var timer,ctrl;
  input.addEventListener('input',function(){
    clearTimeout(timer);
    timer=setTimeout(function(){
      var q=input.value.trim();
      if(q.length<2)return;
      if(ctrl)ctrl.abort();
      ctrl=new AbortController();
      fetch(input.getAttribute('data-suggest')+'?q='+encodeURIComponent(q),{signal:ctrl.signal,headers:{accept:'application/json'},credentials:'same-origin'})
        .then(function(r){return r.ok?r.json():{names:[]}})
        .then(function(body){
          list.replaceChildren.apply(list,body.names.map(function(n){var o=document.createElement('option');o.value=n;return o;}));
        })
        .catch(function(){});
    },150);
  });
})();
`;

export interface Asset {
  body: string;
  contentType: string;
  etag: string;
}

function asset(body: string, contentType: string): Asset {
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b57d0"/><path d="M4 4h8v2H4zm0 3h8v2H4zm0 3h5v2H4z" fill="#fff"/></svg>';

export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['favicon.svg', asset(FAVICON, 'image/svg+xml')],
  ['app.css', asset(CSS.trim(), 'text/css; charset=utf-8')],
  ['app.js', asset(JS.trim(), 'text/javascript; charset=utf-8')],
]);

/** The URL of an asset, with its digest so browsers may keep it for good. */
export function assetUrl(name: string): string {
  const found = ASSETS.get(name);
  if (!found) throw new Error(`no asset named ${name}`);
  return `/assets/${name}?v=${found.etag.slice(1, 9)}`;
}
