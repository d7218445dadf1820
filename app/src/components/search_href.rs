//! Links into `/search` that keep the query in the URL, so results are shareable and
//! the back button works.

/// Percent-encodes a query-string value (RFC 3986 unreserved characters pass through).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn search_href(q: Option<&str>, category: Option<&str>, page: u32) -> String {
    let mut parts = Vec::new();
    if let Some(q) = q.filter(|q| !q.is_empty()) {
        parts.push(format!("q={}", encode_component(q)));
    }
    if let Some(c) = category.filter(|c| !c.is_empty()) {
        parts.push(format!("category={}", encode_component(c)));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() { "/search".into() } else { format!("/search?{}", parts.join("&")) }
}

/// `/search` holding every parameter set in `params` (in a fixed order), at `page`:
/// the link that reproduces a filtered listing, for pagination and shared URLs.
pub fn query_href(params: &crate::store::catalog::ProductQueryParams, page: u32) -> String {
    let fields = [
        ("q", &params.q),
        ("category", &params.category),
        ("farm", &params.farm),
        ("certification", &params.certification),
        ("minPrice", &params.min_price),
        ("maxPrice", &params.max_price),
        ("inStock", &params.in_stock),
        ("sort", &params.sort),
        ("limit", &params.limit),
    ];
    let mut parts: Vec<String> = fields
        .iter()
        .filter_map(|(name, value)| {
            let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            Some(format!("{name}={}", encode_component(v)))
        })
        .collect();
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() { "/search".into() } else { format!("/search?{}", parts.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_links_keep_every_filter() {
        use crate::store::catalog::ProductQueryParams;
        let params = ProductQueryParams {
            q: Some("green tea".into()),
            farm: Some("mirik-mist-estate".into()),
            min_price: Some("100".into()),
            max_price: Some("".into()),
            in_stock: Some("true".into()),
            sort: Some("-price".into()),
            page: Some("4".into()),
            ..Default::default()
        };
        assert_eq!(
            query_href(&params, 2),
            "/search?q=green+tea&farm=mirik-mist-estate&minPrice=100&inStock=true&sort=-price&page=2"
        );
        assert_eq!(query_href(&ProductQueryParams::default(), 1), "/search");
    }

    #[test]
    fn builds_shareable_links() {
        assert_eq!(search_href(None, None, 1), "/search");
        assert_eq!(search_href(Some("green tea"), Some("tea"), 2), "/search?q=green+tea&category=tea&page=2");
        assert_eq!(search_href(Some("a&b=c"), None, 1), "/search?q=a%26b%3Dc");
        assert_eq!(search_href(Some("மல்லி"), None, 1), "/search?q=%E0%AE%AE%E0%AE%B2%E0%AF%8D%E0%AE%B2%E0%AE%BF");
    }
}
