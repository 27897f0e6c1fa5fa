//! The widget's CSS, shipped inside the wasm and put in a `<style>` of the shadow root: one download fewer, and
//! page CSS cannot reach it. Theme values (`assistant.color`, `spacing`) arrive as custom properties.

/// Each line ends in `\`, so the shipped text has no line breaks or indents (every break follows `{`, `}`, `;`
/// or `,`, where CSS needs no space).
pub const CSS: &str = "\
:host{all:initial}\
*,*::before,*::after{box-sizing:border-box}\
[hidden]{display:none!important}\
.ef{--ef-accent:#2f6fde;--ef-ink:#fff;--ef-text:#1d2330;--ef-muted:#6b7280;--ef-soft:#f2f4f7;--ef-line:#e5e7eb;\
 font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;\
 color:var(--ef-text);-webkit-font-smoothing:antialiased}\
.ef button{font:inherit;cursor:pointer}\
.ef :focus-visible{outline:2px solid var(--ef-accent);outline-offset:2px}\
.ef svg{fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}\
.ef-overlay{position:fixed;bottom:var(--ef-bottom);z-index:2147483000}\
.ef-right{right:var(--ef-side)}.ef-left{left:var(--ef-side)}\
.ef-launcher{width:58px;height:58px;border:0;border-radius:50%;background:var(--ef-accent);color:var(--ef-ink);\
 display:grid;place-items:center;box-shadow:0 6px 20px rgba(17,24,39,.24);transition:transform .15s ease}\
.ef-launcher:hover{transform:scale(1.06)}\
.ef-launcher svg{width:28px;height:28px}\
.ef-launcher .ef-i-chat{fill:currentColor;stroke:none}\
.ef-launcher[aria-expanded=true] .ef-i-chat,.ef-launcher[aria-expanded=false] .ef-i-close{display:none}\
.ef-window{display:flex;flex-direction:column;background:#fff;overflow:hidden}\
.ef-overlay .ef-window{position:absolute;bottom:74px;width:400px;height:min(680px,calc(100vh - var(--ef-bottom) - 100px));\
 border-radius:18px;box-shadow:0 12px 48px rgba(17,24,39,.22),0 2px 6px rgba(17,24,39,.08);\
 animation:ef-pop .18s ease-out;transform-origin:bottom right}\
.ef-right .ef-window{right:0}.ef-left .ef-window{left:0;transform-origin:bottom left}\
.ef-embedded{height:100%;width:100%}\
.ef-embedded .ef-window{height:100%;min-height:360px;border:1px solid var(--ef-line);border-radius:14px}\
@keyframes ef-pop{from{opacity:0;transform:translateY(8px) scale(.98)}to{opacity:1;transform:none}}\
.ef-header{display:flex;align-items:center;gap:12px;padding:14px 14px 14px 18px;background:var(--ef-accent);color:var(--ef-ink)}\
.ef-header .ef-avatar{width:38px;height:38px;font-size:16px;box-shadow:0 0 0 2px rgba(255,255,255,.35)}\
.ef-htext{flex:1;min-width:0}\
.ef-title{margin:0;font-size:16px;font-weight:650;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\
.ef-desc{margin:2px 0 0;font-size:12.5px;opacity:.85;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\
.ef-iconbtn{width:34px;height:34px;display:grid;place-items:center;border:0;border-radius:10px;background:transparent;color:inherit}\
.ef-iconbtn:hover{background:rgba(255,255,255,.18)}\
.ef-iconbtn svg,.ef-send svg{width:20px;height:20px}\
.ef-log{flex:1;overflow-y:auto;padding:8px 16px 16px;overscroll-behavior:contain;scrollbar-width:thin;scrollbar-color:#d5d9e0 transparent}\
.ef-intro{text-align:center;padding:22px 12px 14px}\
.ef-intro .ef-avatar{width:68px;height:68px;font-size:28px;margin:0 auto 10px;box-shadow:0 4px 14px rgba(17,24,39,.12)}\
.ef-intro h3{margin:0;font-size:18px;font-weight:650}\
.ef-intro p{margin:4px 0 0;color:var(--ef-muted);font-size:13.5px}\
.ef-avatar{flex:none;width:30px;height:30px;border-radius:50%;object-fit:cover;display:grid;place-items:center;\
 background:var(--ef-accent);color:var(--ef-ink);font-weight:650;font-size:13px;overflow:hidden;text-transform:uppercase}\
.ef-row{display:flex;align-items:flex-end;gap:8px;margin-top:10px;animation:ef-in .2s ease-out}\
.ef-agent+.ef-agent{margin-top:4px}\
.ef-agent+.ef-agent>.ef-avatar{visibility:hidden}\
@keyframes ef-in{from{opacity:0;transform:translateY(4px)}to{opacity:1;transform:none}}\
.ef-user{justify-content:flex-end}\
.ef-bubble{max-width:82%;padding:9px 14px;border-radius:18px;overflow-wrap:anywhere;white-space:pre-wrap}\
.ef-agent .ef-bubble{background:var(--ef-soft);border-bottom-left-radius:6px;white-space:normal}\
.ef-user .ef-bubble{background:var(--ef-accent);color:var(--ef-ink);border-bottom-right-radius:6px}\
.ef-pending .ef-bubble{opacity:.6}\
.ef-md>:first-child{margin-top:0}.ef-md>:last-child{margin-bottom:0}\
.ef-md p{margin:0 0 .55em}\
.ef-md h3,.ef-md h4,.ef-md h5,.ef-md h6{margin:.2em 0 .4em;font-size:1em;font-weight:650}\
.ef-md ul,.ef-md ol{margin:.2em 0 .55em;padding-left:1.3em}\
.ef-md li{margin:.15em 0}\
.ef-md a{color:var(--ef-accent);text-decoration:underline;text-underline-offset:2px}\
.ef-md code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:rgba(17,24,39,.07);padding:1px 5px;border-radius:5px}\
.ef-md pre{margin:.4em 0;padding:10px;background:#1f2430;color:#e8eaf0;border-radius:10px;overflow-x:auto;white-space:pre}\
.ef-md pre code{background:none;padding:0;color:inherit}\
.ef-md blockquote{margin:.4em 0;padding-left:10px;border-left:3px solid var(--ef-line);color:var(--ef-muted)}\
.ef-md hr{border:0;border-top:1px solid var(--ef-line);margin:.6em 0}\
.ef-md-img{max-width:100%;border-radius:10px;display:block;margin:.3em 0}\
.ef-choices{flex-wrap:wrap;gap:8px;padding-left:38px;margin-top:10px}\
.ef-chip{border:1.5px solid var(--ef-accent);background:#fff;color:var(--ef-accent);border-radius:999px;padding:7px 15px;\
 font-weight:600;font-size:14px;line-height:1.3;transition:background .12s}\
.ef-chip:hover{background:color-mix(in srgb,var(--ef-accent) 10%,#fff)}\
.ef-card{flex:none;width:250px;border:1px solid var(--ef-line);border-radius:16px;overflow:hidden;background:#fff;\
 box-shadow:0 1px 3px rgba(17,24,39,.06)}\
.ef-card img{display:block;width:100%;height:140px;object-fit:cover;background:var(--ef-soft)}\
.ef-card-body{padding:12px 14px}\
.ef-card-title{margin:0 0 3px;font-size:15px;font-weight:650}\
.ef-card-body .ef-md{font-size:13.5px;color:var(--ef-muted)}\
.ef-card-btn{display:block;width:100%;border:0;border-top:1px solid var(--ef-line);background:#fff;color:var(--ef-accent);\
 padding:10px;font-weight:600;font-size:14px}\
.ef-card-btn:hover{background:var(--ef-soft)}\
.ef-carousel-wrap{position:relative;min-width:0;flex:1}\
.ef-carousel{display:flex;gap:10px;overflow-x:auto;scroll-snap-type:x mandatory;padding:2px 2px 8px;scrollbar-width:thin}\
.ef-carousel .ef-card{scroll-snap-align:start}\
.ef-list{display:flex;flex-direction:column;gap:8px;min-width:0}\
.ef-nav{position:absolute;top:60px;width:32px;height:32px;border-radius:50%;border:1px solid var(--ef-line);background:#fff;\
 color:var(--ef-text);display:grid;place-items:center;box-shadow:0 2px 8px rgba(17,24,39,.15)}\
.ef-nav svg{width:18px;height:18px}\
.ef-nav-prev{left:-6px}.ef-nav-next{right:-6px}\
.ef-image{display:block;max-width:min(260px,82%);border-radius:16px;background:var(--ef-soft)}\
.ef-ext{min-width:0;max-width:100%}\
.ef-rate{display:flex;gap:2px;align-self:center;flex:none}\
.ef-thumb{width:28px;height:28px;display:grid;place-items:center;border:0;border-radius:8px;background:none;\
 color:var(--ef-muted);opacity:.6;padding:0}\
.ef-thumb svg{width:16px;height:16px}\
.ef-down svg{transform:rotate(180deg)}\
.ef-thumb:hover,.ef-thumb:focus-visible{opacity:1;background:var(--ef-soft)}\
.ef-thumb[aria-pressed=true]{opacity:1;color:var(--ef-accent)}\
.ef-thumb[aria-pressed=true] svg{fill:color-mix(in srgb,var(--ef-accent) 20%,transparent)}\
.ef-typing .ef-bubble{display:flex;gap:4px;padding:13px 14px}\
.ef-typing i{width:7px;height:7px;border-radius:50%;background:#9aa1ad;animation:ef-dot 1.2s infinite ease-in-out}\
.ef-typing i:nth-child(2){animation-delay:.15s}.ef-typing i:nth-child(3){animation-delay:.3s}\
@keyframes ef-dot{0%,60%,100%{transform:translateY(0);opacity:.5}30%{transform:translateY(-4px);opacity:1}}\
.ef-divider{display:flex;align-items:center;gap:10px;margin:16px 0 6px;color:var(--ef-muted);font-size:12px}\
.ef-divider::before,.ef-divider::after{content:\"\";flex:1;border-top:1px solid var(--ef-line)}\
.ef-error{margin:10px 0 0 38px;padding:8px 12px;border-radius:12px;background:#fdecec;color:#9b1c1f;font-size:13.5px}\
.ef-error button{margin-left:8px;border:0;background:none;color:inherit;font-weight:650;text-decoration:underline;padding:0}\
.ef-fatal{margin:12px 0 0;padding:10px 12px;border-radius:12px;background:#fdecec;color:#9b1c1f;font-size:14px;text-align:center}\
.ef-endbar{padding:12px 16px 4px;border-top:1px solid var(--ef-line)}\
.ef-primary{width:100%;border:0;border-radius:999px;padding:11px 16px;background:var(--ef-accent);color:var(--ef-ink);font-weight:650}\
.ef-primary:hover{filter:brightness(1.06)}\
.ef-composer{display:flex;align-items:center;gap:6px;padding:10px 12px 6px;border-top:1px solid var(--ef-line)}\
.ef-endbar+.ef-composer{border-top:0}\
.ef-input{flex:1;min-width:0;border:1.5px solid var(--ef-line);border-radius:999px;padding:10px 16px;font:inherit;color:inherit;\
 background:#fff;outline:none;transition:border-color .12s,box-shadow .12s}\
.ef-input:focus{border-color:var(--ef-accent);box-shadow:0 0 0 3px color-mix(in srgb,var(--ef-accent) 18%,transparent)}\
.ef-attach{color:var(--ef-muted)}.ef-attach:hover{background:var(--ef-soft)}\
.ef-send{width:40px;height:40px;flex:none;border:0;border-radius:50%;background:var(--ef-accent);color:var(--ef-ink);display:grid;place-items:center}\
.ef-footer{padding:4px 0 10px;text-align:center;font-size:11.5px;color:var(--ef-muted)}\
.ef-proactive{position:absolute;bottom:72px;display:flex;flex-direction:column;gap:8px;align-items:flex-end;width:max-content;max-width:280px}\
.ef-right .ef-proactive{right:0}.ef-left .ef-proactive{left:0;align-items:flex-start}\
.ef-pro{position:relative;background:#fff;border-radius:16px;padding:10px 30px 10px 14px;box-shadow:0 6px 24px rgba(17,24,39,.18);\
 font-size:14px;cursor:pointer;animation:ef-in .2s ease-out}\
.ef-pro .ef-md p{margin:0}\
.ef-pro-x{position:absolute;top:6px;right:6px;width:22px;height:22px;border:0;border-radius:50%;background:var(--ef-soft);\
 color:var(--ef-muted);display:grid;place-items:center;padding:0}\
.ef-pro-x svg{width:12px;height:12px}\
.ef-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}\
@media (max-width:480px){\
 .ef-overlay .ef-window{position:fixed;inset:0;width:auto;height:auto;border-radius:0}\
 .ef-overlay.ef-open .ef-launcher,.ef-overlay.ef-open .ef-proactive{display:none}\
}\
@media (prefers-reduced-motion:reduce){.ef *{animation:none!important;transition:none!important;scroll-behavior:auto!important}}";
