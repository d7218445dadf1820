//! Text spliced into HTML by hand rather than through a `view!`.
//!
//! leptos_meta 0.8 writes the page's `<title>` into the streamed head as a raw string
//! (`ServerMetaContext::inject_meta_context`), unlike every text node and attribute a
//! `view!` renders, which tachys escapes. A search query in the title was therefore
//! markup. The app's root `<Title formatter=…/>` passes every page's title through
//! [`title_text`], so no page has to remember to.

/// Escapes `&`, `<` and `>`: what lets text close an element or open another. Quotes
/// are left alone, as in any text node.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// A page's title as the `<title>` element gets it: escaped where the server writes it
/// into HTML; as it is in the browser, where it is set as `document.title` (text).
pub fn title_text(title: String) -> String {
    if cfg!(feature = "ssr") { escape_text(&title) } else { title }
}

/// The words of a piece of sanitised HTML (a product's description) for places that take
/// text only, such as a page's meta description: tags dropped, a few entities read.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match (c, in_tag) {
            ('<', _) => in_tag = true,
            ('>', true) => {
                in_tag = false;
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_its_words() {
        assert_eq!(
            plain_text("<p>Raw <b>honey</b> &amp; wax</p><p>From Kotagiri</p>"),
            "Raw honey & wax From Kotagiri"
        );
        assert_eq!(plain_text("Plain text stays"), "Plain text stays");
    }

    #[test]
    fn markup_becomes_text() {
        assert_eq!(
            escape_text("</title><img src=x onerror=alert(1)>"),
            "&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(escape_text("Tom & Jerry's \"tea\" · மல்லி"), "Tom &amp; Jerry's \"tea\" · மல்லி");
        assert_eq!(escape_text("&amp;"), "&amp;amp;", "already escaped text is shown as typed");
    }
}
