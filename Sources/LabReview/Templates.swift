/// The page templates (Mustache: `{{x}}` is HTML-escaped; `{{{x}}}` is used only for HTML this module
/// built and escaped itself: the body inside the layout, SVG charts, highlighted context).
enum Templates {
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · synthlab review</title>
        <link rel="stylesheet" href="/assets/review.css">
        </head>
        <body data-page="{{page}}">
        <header class="top">
          <a class="brand" href="/">synthlab review</a>
          <span class="store" title="the store">{{storePath}}</span>
          {{#readOnly}}<span class="badge read-only">read-only</span>{{/readOnly}}
          {{^readOnly}}<span class="reviewer">reviewer: <b>{{reviewer}}</b></span>{{/readOnly}}
          <span class="help-hint">press <kbd>?</kbd> for keys</span>
        </header>
        <main>
        {{{body}}}
        </main>
        <div id="help" class="help" hidden>
          <h3>Keys</h3>
          <dl><dt><kbd>j</kbd> / <kbd>→</kbd></dt><dd>next sample (or row)</dd>
          <dt><kbd>k</kbd> / <kbd>←</kbd></dt><dd>previous sample (or row)</dd>
          <dt><kbd>Enter</kbd></dt><dd>open the selected row</dd>
          <dt><kbd>a</kbd></dt><dd>accept this sample and go to the next</dd>
          <dt><kbd>r</kbd></dt><dd>reject: choose a reason, then <kbd>Enter</kbd></dd>
          <dt><kbd>e</kbd></dt><dd>edit the answer</dd>
          <dt><kbd>Esc</kbd></dt><dd>leave a text field; close this</dd></dl>
        </div>
        <script src="/assets/review.js"></script>
        </body>
        </html>
        """

    static let runs = """
        <h1>Runs</h1>
        {{^runs}}<p class="empty">This store has no runs yet: <code>synthlab generate</code> makes one.</p>{{/runs}}
        {{#runs}}
        <section class="run" id="run-{{id}}">
          <h2>Run {{id}} <span class="status status-{{status}}">{{status}}</span></h2>
          <dl class="facts">
            <dt>teacher</dt><dd>{{teacher}}</dd>
            <dt>pipeline</dt><dd>{{pipeline}}</dd>
            <dt>seed</dt><dd>{{seed}}</dd>
            <dt>started</dt><dd>{{createdAt}}</dd>
            <dt>candidates</dt><dd>{{candidates}}</dd>
            <dt>accepted by the filters</dt><dd>{{accepted}}</dd>
            <dt>reviewed</dt><dd>{{reviewed}}</dd>
            {{#precision}}<dt>precision of accepts (reviewed)</dt><dd>{{precision}}</dd>{{/precision}}
            {{#rescued}}<dt>rescued by curators</dt><dd>{{rescued}}</dd>{{/rescued}}
          </dl>
          <p class="actions">
            <a href="/runs/{{id}}/samples">all samples</a> ·
            <a href="/runs/{{id}}/samples?status=accepted&amp;curator=unreviewed">review unreviewed accepts</a> ·
            <a href="/runs/{{id}}/samples?status=rejected">rejected</a>
          </p>
          <figure>{{{funnel}}}<figcaption>Per leaf: candidates, each filter's rejections (each sample under the first filter that rejected it), and accepted. Click a leaf for its samples.</figcaption></figure>
        </section>
        {{/runs}}
        """

    static let samples = """
        <h1>Run {{runID}}: samples</h1>
        <form class="filters" method="get" action="/runs/{{runID}}/samples">
          <label>leaf <select name="leaf"><option value="">any</option>{{#leaves}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/leaves}}</select></label>
          <label>status <select name="status">{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select></label>
          <label>rejected by <select name="rejected_by"><option value="">any</option>{{#filters}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/filters}}</select></label>
          <label>curator <select name="curator">{{#curators}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/curators}}</select></label>
          <label>text <input type="search" name="q" value="{{text}}" placeholder="words in question or answer"></label>
          <button type="submit">Filter</button>
        </form>
        <p class="count"><b id="total">{{total}}</b> samples match{{#pages}} · page {{pageNumber}} of {{pages}}{{/pages}}</p>
        {{#hasRows}}
        <table class="samples">
          <thead><tr><th>#</th><th>leaf</th><th>filters</th><th>curator</th><th>question</th><th>answer</th></tr></thead>
          <tbody>
          {{#rows}}
          <tr data-href="/samples/{{id}}">
            <td><a href="/samples/{{id}}">{{id}}</a></td>
            <td class="leaf">{{leaf}}</td>
            <td><span class="status status-{{status}}">{{status}}</span>{{#rejectedBy}}<div class="why"><b>{{rejectedBy}}</b>: {{reason}}</div>{{/rejectedBy}}</td>
            <td>{{#curator}}<span class="decision decision-{{curator}}">{{curatorLabel}}</span>{{/curator}}{{#edited}} <span class="edited">edited</span>{{/edited}}</td>
            <td class="text">{{question}}</td>
            <td class="text">{{answer}}</td>
          </tr>
          {{/rows}}
          </tbody>
        </table>
        {{/hasRows}}
        {{^hasRows}}<p class="empty">No sample matches these filters.</p>{{/hasRows}}
        <nav class="pages">{{#previousPage}}<a rel="prev" href="{{previousPage}}">← previous</a>{{/previousPage}} {{#nextPage}}<a rel="next" href="{{nextPage}}">next →</a>{{/nextPage}}</nav>
        {{#hasHistograms}}
        <section class="histograms">
          <h2>Scores per filter <small>(the newest {{covered}} matching samples)</small></h2>
          <div class="grid">{{#histograms}}<figure>{{{svg}}}<figcaption>{{filter}}{{#threshold}} · threshold {{threshold}}{{/threshold}}</figcaption></figure>{{/histograms}}</div>
        </section>
        {{/hasHistograms}}
        """

    static let sample = """
        <nav class="crumbs"><a href="/">runs</a> › <a href="/runs/{{runID}}/samples">run {{runID}}</a> › sample {{id}}
          <span class="neighbours">{{#previous}}<a id="previous" rel="prev" href="/samples/{{previous}}">← {{previous}}</a>{{/previous}} {{#next}}<a id="next" rel="next" href="/samples/{{next}}">{{next}} →</a>{{/next}}</span></nav>
        <h1>Sample {{id}} <span class="status status-{{status}}">{{status}} by the filters</span>{{#curator}} <span class="decision decision-{{curator}}">{{curatorLabel}} by a curator</span>{{/curator}}</h1>
        <p class="leaf">{{leaf}}{{#document}} · document <code>{{document}}</code>{{/document}}{{#teacher}} · teacher <code>{{teacher}}</code>{{/teacher}}</p>
        {{#message}}<p class="message">{{message}}</p>{{/message}}
        <section class="pair">
          <h2>Question</h2><div class="text" id="question">{{question}}</div>
          {{#originalQuestion}}<details><summary>the question as generated</summary><div class="text original">{{originalQuestion}}</div></details>{{/originalQuestion}}
          <h2>Answer</h2><div class="text" id="answer">{{{answerHTML}}}</div>
          {{#originalAnswer}}<details><summary>the answer as generated</summary><div class="text original">{{originalAnswer}}</div></details>{{/originalAnswer}}
        </section>
        {{#hasContext}}<section><h2>Context <small>(evidence the filters matched is marked)</small></h2><div class="text context" id="context">{{{contextHTML}}}</div></section>{{/hasContext}}
        {{^readOnly}}
        <section class="review">
          <h2>Your decision</h2>
          <form id="review" method="post" action="/samples/{{id}}/review">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="then" value="next">
            <div class="choices">
              <label><input type="radio" name="decision" value="accept" required> accept</label>
              <label><input type="radio" name="decision" value="reject"> reject</label>
              <label>reason <select name="reason"><option value="">(for a rejection)</option>{{#reasons}}<option value="{{value}}">{{label}}</option>{{/reasons}}</select></label>
            </div>
            <label class="wide">note <input type="text" name="note" placeholder="why (optional)"></label>
            <details id="edit"><summary>edit the question or answer (saved as a new revision; the original stays)</summary>
              <label class="wide">question <textarea name="question" rows="3">{{question}}</textarea></label>
              <label class="wide">answer <textarea name="answer" rows="8">{{answer}}</textarea></label>
            </details>
            <button type="submit">Save decision</button>
          </form>
        </section>
        {{/readOnly}}
        <section>
          <h2>Verdicts</h2>
          <table class="verdicts">
            <thead><tr><th>filter</th><th>decision</th><th>score</th><th>threshold</th><th>reason</th><th>evidence</th></tr></thead>
            <tbody>{{#verdicts}}<tr class="decision-{{decision}}"><td>{{filter}}</td><td>{{decision}}</td><td>{{score}}</td><td>{{threshold}}</td><td>{{reason}}</td><td><code>{{evidence}}</code></td></tr>{{/verdicts}}</tbody>
          </table>
        </section>
        <section>
          <h2>Curator history</h2>
          {{^reviews}}<p class="empty">Not reviewed yet.</p>{{/reviews}}
          <ol class="history">{{#reviews}}<li><b>{{decision}}</b>{{#reason}} ({{reason}}){{/reason}} by {{reviewer}} at {{createdAt}}{{#note}}: “{{note}}”{{/note}}{{#edited}} · edited {{edited}}{{/edited}}</li>{{/reviews}}</ol>
        </section>
        <section>
          <h2>Seeds the prompt used</h2>
          {{#seeds}}<div class="seed"><div class="text"><b>Q:</b> {{question}}</div><div class="text"><b>A:</b> {{answer}}</div></div>{{/seeds}}
          {{^seeds}}<p class="empty">None recorded.</p>{{/seeds}}
        </section>
        <section>
          <h2>The rendered prompt</h2>
          {{#prompt}}<div class="message-turn"><span class="role">{{role}}</span><div class="text">{{content}}</div></div>{{/prompt}}
          {{^prompt}}<p class="empty">This sample was not written from a teacher prompt (see its answer source in the verdicts).</p>{{/prompt}}
          <h2>The teacher's reply</h2>
          {{#reply}}<div class="text reply">{{reply}}</div>{{/reply}}
          {{^reply}}<p class="empty">No reply recorded.</p>{{/reply}}
        </section>
        """

    static let login = """
        <h1>Sign in</h1>
        <p>This server was started with an access token (<code>--token-env</code>). Enter it to review.</p>
        {{#message}}<p class="message">{{message}}</p>{{/message}}
        <form method="post" action="/login">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label>token <input type="password" name="token" autofocus required></label>
          <button type="submit">Sign in</button>
        </form>
        """

    static let problem = """
        <h1>{{heading}}</h1>
        <p class="message">{{message}}</p>
        <p><a href="/">back to the runs</a></p>
        """
}
