// Just enough XML for GeoReport v2 answers: a prolog, one root, nested elements and text,
// the five predefined entities. Throws on anything malformed (unbalanced tags, raw '<' or
// '&' in text, trailing content). Returns { name, children: [...], text }.
export function parseXml(src) {
  let i = 0;
  const fail = (msg) => {
    throw new Error(`XML: ${msg} at offset ${i}: '${src.slice(i, i + 40)}'`);
  };
  const skipWs = () => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const decode = (t) => {
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(t)) fail("bad entity");
    return t.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
  };
  const name = () => {
    const m = /^[A-Za-z_][\w.-]*/.exec(src.slice(i));
    if (!m) fail("expected a name");
    i += m[0].length;
    return m[0];
  };
  const element = () => {
    if (src[i] !== "<") fail("expected '<'");
    i++;
    const tag = name();
    skipWs();
    if (src.startsWith("/>", i)) {
      i += 2;
      return { name: tag, children: [], text: "" };
    }
    if (src[i] !== ">") fail("attributes are not expected");
    i++;
    const node = { name: tag, children: [], text: "" };
    for (;;) {
      const lt = src.indexOf("<", i);
      if (lt < 0) fail(`unclosed <${tag}>`);
      node.text += decode(src.slice(i, lt));
      i = lt;
      if (src.startsWith("</", i)) {
        i += 2;
        const close = name();
        if (close !== tag) fail(`</${close}> closes <${tag}>`);
        skipWs();
        if (src[i] !== ">") fail("expected '>'");
        i++;
        return node;
      }
      node.children.push(element());
    }
  };
  if (src.startsWith("\uFEFF")) i = 1;
  skipWs();
  if (src.startsWith("<?xml", i)) {
    const end = src.indexOf("?>", i);
    if (end < 0) fail("unterminated prolog");
    if (!/encoding="utf-8"/i.test(src.slice(i, end))) fail("prolog must declare utf-8");
    i = end + 2;
  }
  skipWs();
  const root = element();
  skipWs();
  if (i !== src.length) fail("content after the root element");
  return root;
}

// <list><item><field>text</field>...</item>...</list> -> [{field: text}]
export function xmlRecords(root, listTag, itemTag) {
  if (root.name !== listTag) throw new Error(`XML root is <${root.name}>, expected <${listTag}>`);
  return root.children.map((item) => {
    if (item.name !== itemTag) throw new Error(`<${listTag}> holds <${item.name}>, expected <${itemTag}>`);
    const rec = {};
    for (const f of item.children) {
      if (f.children.length) throw new Error(`<${f.name}> is not a scalar`);
      rec[f.name] = f.text;
    }
    return rec;
  });
}
