// The text of a PDF as pdf.js (Firefox's viewer) reads it: pages in order, each text
// item's string, a line break where pdf.js sees one.
//
// pdf.js reads glyphs through the fonts' ToUnicode maps and ignores /ActualText, which is
// what the statements' Tamil is written for (server/src/statements/pdf.rs, `pieces`).
// The result is NFC-normalised: the PDF writes the two-part vowel signs ொ ோ ௌ as their
// canonical decompositions, and a test should be able to look for "தொகை" as typed.
export async function pdfText(bytes: Buffer): Promise<string> {
  // The legacy build is the one meant for Node; it is an ES module, loaded as one.
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const document = await pdfjs.getDocument({
    data: new Uint8Array(bytes),
    // Fonts are embedded: nothing to fetch, no system fonts to look for.
    useSystemFonts: false,
    isEvalSupported: false,
    verbosity: 0,
  }).promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= document.numPages; n++) {
      const page = await document.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if ('str' in item) text += item.str + (item.hasEOL ? '\n' : '');
      }
      pages.push(text);
    }
    return pages.join('\n').normalize('NFC');
  } finally {
    await document.destroy();
  }
}
