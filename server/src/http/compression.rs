//! Response compression. Brotli for what the app renders is done here, with a window
//! the size of a web page; tower-http's layer (outside this one) keeps gzip for clients
//! without brotli and passes what is already encoded through, such as the site's
//! files, which come compressed at brotli's best from `scripts/precompress.mjs`.
//!
//! tower-http runs brotli with the codec's default 4 MiB window and cannot be told
//! otherwise: every compressed page allocated and zeroed a 4 MiB ring buffer, a fifth
//! of a search page's CPU (perf, 2026-11-27). A page is tens of kilobytes, so a
//! 256 KiB window compresses it as well.

use async_compression::Level;
use async_compression::codecs::brotli::params::EncoderParams;
use async_compression::tokio::bufread::BrotliEncoder;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use futures::TryStreamExt;
use tokio_util::io::{ReaderStream, StreamReader};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Brotli's fast path: at 4 it cost a quarter of a search page's CPU, at 11 tens of
/// milliseconds; at 2 a page still shrinks about as much as with gzip.
const QUALITY: i32 = 2;
/// 2^18 bytes.
const WINDOW_BITS: i32 = 18;

/// Tiny bodies, images and event streams (a compressor would hold events back until
/// its buffer fills) go as they are.
pub fn worth_compressing() -> impl Predicate {
    SizeAbove::new(1024).and(NotForContentType::IMAGES).and(NotForContentType::const_new("text/event-stream"))
}

/// Gzip for clients that rate it above brotli or do not take brotli; `brotli` below
/// serves the rest.
pub fn fallback_layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().no_br().quality(CompressionLevel::Precise(QUALITY)).compress_when(worth_compressing())
}

pub async fn brotli(request: Request, next: Next) -> Response {
    let wanted = prefers_brotli(request.headers());
    let response = next.run(request).await;
    let headers = response.headers();
    if !wanted
        || headers.contains_key(header::CONTENT_ENCODING)
        || headers.contains_key(header::CONTENT_RANGE)
        || !worth_compressing().should_compress(&response)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::ACCEPT_RANGES);
    parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
    parts.headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let params = EncoderParams::default().quality(Level::Precise(QUALITY)).window_size(WINDOW_BITS);
    let plain = StreamReader::new(body.into_data_stream().map_err(std::io::Error::other));
    Response::from_parts(parts, Body::from_stream(ReaderStream::new(BrotliEncoder::with_params(plain, params))))
}

/// Whether `Accept-Encoding` admits brotli and rates nothing we also offer (gzip)
/// higher. An absent quality is 1; `q=0` refuses.
fn prefers_brotli(headers: &HeaderMap) -> bool {
    let (mut br, mut gzip, mut any) = (None::<f32>, None::<f32>, None::<f32>);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let slot = match coding.to_ascii_lowercase().as_str() {
                "br" => &mut br,
                "gzip" | "x-gzip" => &mut gzip,
                "*" => &mut any,
                _ => continue,
            };
            *slot = Some(quality);
        }
    }
    let br = br.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    br > 0.0 && br >= gzip
}

#[cfg(test)]
mod tests {
    use super::prefers_brotli;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn accepts(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        prefers_brotli(&headers)
    }

    #[test]
    fn brotli_only_when_asked_for_and_not_rated_below_gzip() {
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("br"));
        assert!(accepts("*"));
        assert!(accepts("gzip;q=0.5, br;q=0.8"));
        assert!(!accepts("gzip"));
        assert!(!accepts("br;q=0, gzip"));
        assert!(!accepts("gzip;q=1.0, br;q=0.4"));
        assert!(!accepts("identity"));
        assert!(!accepts("*;q=0"));
        assert!(!prefers_brotli(&HeaderMap::new()));
    }
}
