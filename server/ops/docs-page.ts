// /docs: the OpenAPI document rendered as plain HTML on the server (no scripts, nothing fetched from elsewhere).
type Doc = { info: { title: string; description?: string }; paths?: Record<string, Record<string, any>> };

const escape = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function schemaText(content: Record<string, { schema?: unknown }> | undefined): string {
  if (!content) return '';
  return Object.entries(content)
    .map(([type, { schema }]) => `<div class="type">${escape(type)}</div><pre>${escape(JSON.stringify(schema, null, 2))}</pre>`)
    .join('');
}

function operation(path: string, method: string, op: any): string {
  const params = (op.parameters ?? []).map((p: any) => `<li><code>${escape(p.name)}</code> (${escape(p.in)}${p.required ? ', required' : ''}) ${escape(p.description ?? '')}</li>`).join('');
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]: [string, any]) => `<li><strong>${escape(status)}</strong> ${escape(r.description)}${schemaText(r.content)}</li>`)
    .join('');
  return `<section id="${escape(`${method}-${path}`)}">
<h3><span class="method">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>
<p>${escape(op.summary ?? '')}${op.security ? ' <em>(authenticated)</em>' : ''}</p>
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}
${op.requestBody ? `<h4>Body</h4>${schemaText(op.requestBody.content)}` : ''}
<h4>Responses</h4><ul>${responses}</ul>
</section>`;
}

export function renderDocsPage(doc: Doc): string {
  const sections = Object.entries(doc.paths ?? {})
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => operation(path, method, op)))
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color-scheme:light dark}
section{border-top:1px solid #8884;padding:.5rem 0}.method{font-weight:700}pre{background:#8881;padding:.5rem;overflow:auto;font-size:12px}.type{font-size:12px;opacity:.7}</style>
</head><body><h1>${escape(doc.info.title)}</h1><p>${escape(doc.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
${sections}
</body></html>`;
}
