/// The page's stylesheet and script, served by the binary itself (no CDN, no build step).
enum Assets {
    static let css = """
        :root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa; --ok: #3c8d40; --bad: #c0504d; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header.top { display: flex; gap: 1rem; align-items: baseline; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--soft); }
        header.top .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
        header.top .store, .help-hint { color: var(--muted); }
        header.top .help-hint { margin-left: auto; }
        main { padding: 1rem 1.2rem 3rem; max-width: 1400px; }
        h1 { font-size: 1.4rem; margin: .2rem 0 .8rem; } h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
        a { color: #0b5cad; }
        .badge, .status, .decision, .edited { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .8rem; font-weight: 600; }
        .read-only { background: #fff4d6; color: #7a5a00; }
        .status-accepted, .decision-accept { background: #dcf2dd; color: #1d5e20; }
        .status-rejected, .decision-reject { background: #f8dedd; color: #8a2421; }
        .status-running { background: #ddeaf8; color: #1c4f86; } .status-finished { background: #e6e6e6; }
        .status-failed, .status-interrupted { background: #f8e6d0; color: #7a4100; }
        .edited { background: #ece2f7; color: #5a2d8a; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .4rem 0; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
        section.run { border: 1px solid var(--line); border-radius: .5rem; padding: .4rem 1rem 1rem; margin-bottom: 1.2rem; }
        figure { margin: .6rem 0; } figcaption { color: var(--muted); font-size: .85rem; }
        svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
        svg .leaf-row:hover text { fill: #0b5cad; text-decoration: underline; }
        form.filters { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: end; padding: .6rem; background: var(--soft); border: 1px solid var(--line); border-radius: .5rem; }
        form.filters label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
        select, input, textarea, button { font: inherit; }
        table { border-collapse: collapse; width: 100%; }
        th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
        th { background: var(--soft); font-weight: 600; }
        table.samples td.text { max-width: 34rem; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 6.5em; overflow: hidden; display: -webkit-box; -webkit-line-clamp: 4; -webkit-box-orient: vertical; }
        table.samples tr.selected { outline: 2px solid #0b5cad; background: #f0f6ff; }
        table.samples tbody tr { cursor: pointer; } table.samples tbody tr:hover { background: #fafbfc; }
        .why { color: var(--muted); font-size: .85rem; }
        .leaf { color: var(--muted); font-size: .85rem; }
        .text { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); border: 1px solid var(--line); border-radius: .4rem; padding: .5rem .7rem; }
        .original { opacity: .8; }
        mark { background: #fff1a8; padding: 0 .1rem; border-radius: .15rem; }
        section.review { border: 2px solid #0b5cad33; border-radius: .5rem; padding: .2rem 1rem 1rem; background: #f7fbff; }
        .choices { display: flex; gap: 1.2rem; align-items: center; margin: .4rem 0; }
        label.wide { display: block; margin: .5rem 0; } label.wide input, label.wide textarea { width: 100%; }
        .message { padding: .5rem .8rem; border-radius: .4rem; background: #fff4d6; }
        .grid { display: flex; flex-wrap: wrap; gap: 1rem; }
        .pages { margin: .8rem 0; display: flex; gap: 1rem; }
        .crumbs { color: var(--muted); margin-bottom: .4rem; } .neighbours { margin-left: 1rem; }
        table.verdicts code { font-size: .8rem; overflow-wrap: anywhere; }
        tr.decision-reject td:nth-child(2) { color: var(--bad); font-weight: 600; }
        .seed { margin-bottom: .6rem; } .seed .text { margin-bottom: .2rem; }
        .message-turn .role { font-size: .8rem; color: var(--muted); text-transform: uppercase; }
        .empty { color: var(--muted); }
        .help { position: fixed; right: 1.2rem; top: 3rem; background: #fff; border: 1px solid var(--line); border-radius: .5rem; padding: .2rem 1rem .6rem; box-shadow: 0 4px 18px #0002; }
        .help dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; }
        kbd { border: 1px solid var(--line); border-bottom-width: 2px; border-radius: .25rem; padding: 0 .3rem; font-size: .8rem; background: #fff; }
        """

    /// Keyboard shortcuts. Plain script, no dependencies; it only moves between pages and fills the
    /// review form (the server checks everything the form sends).
    static let javascript = """
        (function () {
          "use strict";
          var page = document.body.getAttribute("data-page");
          var help = document.getElementById("help");
          function typing(event) {
            var tag = (event.target && event.target.tagName) || "";
            return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
          }
          function go(id) { var link = document.getElementById(id); if (link) { window.location.href = link.href; } }
          function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.samples tbody tr")); }
          function select(index) {
            var all = rows(); if (all.length === 0) { return; }
            index = Math.max(0, Math.min(all.length - 1, index));
            all.forEach(function (row, i) { row.classList.toggle("selected", i === index); });
            all[index].scrollIntoView({ block: "nearest" });
          }
          function selected() { return rows().findIndex(function (row) { return row.classList.contains("selected"); }); }
          rows().forEach(function (row) {
            row.addEventListener("click", function (event) {
              if (event.target.tagName !== "A") { window.location.href = row.getAttribute("data-href"); }
            });
          });
          var form = document.getElementById("review");
          if (form) {
            form.addEventListener("submit", function (event) {
              var decision = form.querySelector("input[name=decision]:checked");
              if (decision && decision.value === "reject" && !form.reason.value) {
                event.preventDefault(); form.reason.focus();
              }
            });
          }
          document.addEventListener("keydown", function (event) {
            if (event.key === "Escape") {
              if (help) { help.hidden = true; }
              if (typing(event)) { event.target.blur(); }
              return;
            }
            if (typing(event)) {
              if (event.key === "Enter" && event.target.name === "reason" && form) { event.preventDefault(); form.requestSubmit(); }
              return;
            }
            if (event.ctrlKey || event.metaKey || event.altKey) { return; }
            var key = event.key;
            if (key === "?") { if (help) { help.hidden = !help.hidden; } return; }
            if (page === "samples") {
              if (key === "j" || key === "ArrowDown") { select(selected() + 1); event.preventDefault(); }
              else if (key === "k" || key === "ArrowUp") { select(selected() - 1); event.preventDefault(); }
              else if (key === "Enter" && selected() >= 0) { window.location.href = rows()[selected()].getAttribute("data-href"); }
              else if (key === "ArrowRight") { var next = document.querySelector("a[rel=next]"); if (next) { window.location.href = next.href; } }
              else if (key === "ArrowLeft") { var prev = document.querySelector("a[rel=prev]"); if (prev) { window.location.href = prev.href; } }
              return;
            }
            if (page !== "sample") { return; }
            if (key === "j" || key === "ArrowRight") { go("next"); }
            else if (key === "k" || key === "ArrowLeft") { go("previous"); }
            else if (form && key === "a") { form.querySelector("input[value=accept]").checked = true; form.requestSubmit(); }
            else if (form && key === "r") { form.querySelector("input[value=reject]").checked = true; form.reason.focus(); event.preventDefault(); }
            else if (form && key === "e") { document.getElementById("edit").open = true; form.answer.focus(); event.preventDefault(); }
          });
        })();
        """
}
