// A strict reader of the email messages stepwise builds (not a test file itself), written
// against the RFCs rather than src/channels/mime.c: headers unfolded, RFC 2047 B-encoded
// words decoded, multipart/alternative split, quoted-printable bodies decoded as UTF-8.
// Throws on anything malformed.

function split(t) {
  const i = t.indexOf('\n\n');
  if (i < 0) throw new Error('no blank line after the headers');
  const headers = {};
  for (const line of t.slice(0, i).replace(/\n[ \t]+/g, ' ').split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (!m) throw new Error(`bad header line ${JSON.stringify(line)}`);
    headers[m[1].toLowerCase()] = m[2];
  }
  return { headers, body: t.slice(i + 2) };
}

function qp(b) {
  const bytes = [];
  const s = b.replace(/=\n/g, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=') {
      if (!/^[0-9A-F]{2}$/.test(s.slice(i + 1, i + 3))) throw new Error(`bad quoted-printable at ${i}`);
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** An unstructured header value with its encoded-words (=?UTF-8?B?...?=) decoded. */
export function decodeWords(v) {
  return v.replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=\s*/gi, (_, b) => Buffer.from(b, 'base64').toString('utf8')).trim();
}

/** {headers, parts: [{type, charset, text}]} of a message (CRLF or LF line ends). */
export function parseMime(raw) {
  const text = raw.replace(/\r\n/g, '\n');
  const top = split(text);
  if (top.headers['mime-version'] !== '1.0') throw new Error('no MIME-Version: 1.0');
  const ct = /^multipart\/alternative;\s*boundary="([^"]+)"$/.exec(top.headers['content-type'] || '');
  if (!ct) throw new Error(`not multipart/alternative: ${top.headers['content-type']}`);
  const chunks = top.body.split(`--${ct[1]}`);
  if (!chunks[chunks.length - 1].startsWith('--')) throw new Error('no closing boundary');
  const parts = chunks.slice(1, -1).map((c) => {
    const p = split(c.replace(/^\n/, ''));
    const m = /^(text\/(?:plain|html));\s*charset=([\w-]+)$/i.exec(p.headers['content-type'] || '');
    if (!m) throw new Error(`bad part type ${p.headers['content-type']}`);
    if ((p.headers['content-transfer-encoding'] || '').toLowerCase() !== 'quoted-printable') throw new Error('not quoted-printable');
    return { type: m[1].toLowerCase(), charset: m[2].toLowerCase(), text: qp(p.body.replace(/\n$/, '')) };
  });
  return { headers: top.headers, parts };
}
