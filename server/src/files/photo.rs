//! A photo as received, made safe to keep and show: its format is read from its bytes
//! (a JPEG, PNG or WebP; an SVG or anything else is refused), its size in pixels is
//! read from its header and bounded before anything is decoded (a small file that
//! would decode to gigabytes is refused, not decoded), it is turned upright from its
//! EXIF orientation, then re-encoded, which leaves every piece of metadata behind
//! (phones write the GPS position there), and a thumbnail is made.

use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// The largest photo accepted, in bytes (a phone's full-size JPEG is 3–8 MB).
pub const MAX_BYTES: u64 = 25 * 1024 * 1024;
/// The largest side, and the most pixels, of a photo decoded (a 108 MP phone camera
/// makes 12,000 × 9,000).
pub const MAX_SIDE: u32 = 12_000;
pub const MAX_PIXELS: u64 = 110_000_000;
/// The long side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 480;

const JPEG_QUALITY: u8 = 85;
const THUMBNAIL_QUALITY: u8 = 78;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("is not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error(
        "is {width} × {height} pixels; the most accepted is {max_side} pixels a side and {max_megapixels} megapixels"
    )]
    TooManyPixels { width: u32, height: u32, max_side: u32, max_megapixels: u64 },
    #[error("could not be read as an image ({0})")]
    Corrupt(String),
}

#[derive(Debug)]
pub struct Cleaned {
    /// How long each step took (decode, orient, encode, thumbnail), for the bench and logs.
    pub stages: [(&'static str, std::time::Duration); 4],
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    pub received_sha256: String,
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The format from the first bytes of a file, if it is one accepted.
pub fn sniff(head: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(head) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => Some(f),
        _ => None,
    }
}

/// Checks, turns upright, strips and thumbnails `received`. CPU-bound: run it off the
/// async threads.
pub fn clean(received: &[u8]) -> Result<Cleaned, Refusal> {
    let format = sniff(received).ok_or(Refusal::NotAnImage)?;
    let reader = || {
        let mut r = ImageReader::with_format(Cursor::new(received), format);
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        // Decoded RGBA of the largest photo accepted, and the decoder's own working room.
        limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
        r.limits(limits);
        r
    };
    // The header alone gives the size: read it without the limits, to say what it is.
    let mut header = ImageReader::with_format(Cursor::new(received), format);
    header.no_limits();
    let (width, height) = header.into_dimensions().map_err(|e| Refusal::Corrupt(e.to_string()))?;
    if width == 0
        || height == 0
        || width > MAX_SIDE
        || height > MAX_SIDE
        || u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return Err(Refusal::TooManyPixels {
            width,
            height,
            max_side: MAX_SIDE,
            max_megapixels: MAX_PIXELS / 1_000_000,
        });
    }
    let clock = std::time::Instant::now();
    let mut decoder = reader().into_decoder().map_err(|e| Refusal::Corrupt(e.to_string()))?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let picture = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => {
            Refusal::TooManyPixels { width, height, max_side: MAX_SIDE, max_megapixels: MAX_PIXELS / 1_000_000 }
        }
        e => Refusal::Corrupt(e.to_string()),
    })?;
    let decoded = clock.elapsed();
    // The thumbnail is made beside the full picture (two cores), from the picture as
    // decoded, and turned upright when small.
    let small = picture.width().max(picture.height()) <= THUMBNAIL_SIDE;
    let thumbnail_job = (!small).then(|| {
        let source = picture.clone();
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let thumb = upright(source.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE), orientation);
            jpeg(&thumb, THUMBNAIL_QUALITY).map(|t| (t, started.elapsed()))
        })
    });
    let picture = upright(picture, orientation);
    let oriented = clock.elapsed();

    // A PNG stays lossless (a screenshot, a diagram); photos are stored as JPEG.
    let (content_type, bytes) = if format == ImageFormat::Png {
        let mut out = Vec::new();
        picture.write_with_encoder(PngEncoder::new(&mut out)).map_err(|e| Refusal::Corrupt(e.to_string()))?;
        ("image/png", out)
    } else {
        ("image/jpeg", jpeg(&picture, JPEG_QUALITY)?)
    };
    let encoded = clock.elapsed();
    // `thumbnail` scales up too: a picture already small is its own thumbnail.
    let (thumbnail, thumbnail_took) = match thumbnail_job {
        None => (jpeg(&picture, THUMBNAIL_QUALITY)?, std::time::Duration::ZERO),
        Some(job) => job.join().map_err(|_| Refusal::Corrupt("the thumbnail could not be made".into()))??,
    };
    let done = clock.elapsed();
    Ok(Cleaned {
        stages: [
            ("decode", decoded),
            ("orient", oriented - decoded),
            ("encode", encoded - oriented),
            // Made beside the rest: its own time, not added to the total.
            ("thumbnail", thumbnail_took.max(done - encoded)),
        ],
        content_type,
        sha256: hex_sha256(&bytes),
        bytes,
        width: picture.width(),
        height: picture.height(),
        thumbnail,
        received_sha256: hex_sha256(received),
    })
}

/// The picture turned upright. Quarter and half turns of RGB pictures (every phone's
/// sideways photo) by a tiled copy: image's pixel-by-pixel `rotate90` took longer than
/// decoding the photo.
fn upright(picture: DynamicImage, orientation: image::metadata::Orientation) -> DynamicImage {
    use image::metadata::Orientation::{NoTransforms, Rotate90, Rotate180, Rotate270};
    match (picture, orientation) {
        (picture, NoTransforms) => picture,
        (DynamicImage::ImageRgb8(rgb), o @ (Rotate90 | Rotate180 | Rotate270)) => {
            DynamicImage::ImageRgb8(turn_rgb(&rgb, o))
        }
        (mut picture, o) => {
            picture.apply_orientation(o);
            picture
        }
    }
}

fn turn_rgb(src: &image::RgbImage, orientation: image::metadata::Orientation) -> image::RgbImage {
    use image::metadata::Orientation::{Rotate90, Rotate180};
    // Written in order, read in small tiles (so the source rows stay in cache), the two
    // halves of the result by two threads.
    const TILE: usize = 16;
    let (w, h) = (src.width() as usize, src.height() as usize);
    let quarter = orientation != Rotate180;
    let (dw, dh) = if quarter { (h, w) } else { (w, h) };
    let from = src.as_raw();
    let mut to = vec![0u8; from.len()];
    // The source pixel of result pixel (nx, ny).
    let source = |nx: usize, ny: usize| -> usize {
        let (x, y) = match orientation {
            Rotate90 => (ny, h - 1 - nx),
            Rotate180 => (w - 1 - nx, h - 1 - ny),
            _ => (w - 1 - ny, nx),
        };
        3 * (y * w + x)
    };
    let fill = |first_row: usize, rows: &mut [u8]| {
        let count = rows.len() / (3 * dw);
        for ty in (0..count).step_by(TILE) {
            for tx in (0..dw).step_by(TILE) {
                for ry in ty..(ty + TILE).min(count) {
                    let row = &mut rows[ry * 3 * dw..(ry + 1) * 3 * dw];
                    for nx in tx..(tx + TILE).min(dw) {
                        let s = source(nx, first_row + ry);
                        row[3 * nx..3 * nx + 3].copy_from_slice(&from[s..s + 3]);
                    }
                }
            }
        }
    };
    let half = dh.div_ceil(2);
    let (top, bottom) = to.split_at_mut(half * 3 * dw);
    std::thread::scope(|scope| {
        scope.spawn(|| fill(half, bottom));
        fill(0, top);
    });
    image::RgbImage::from_raw(dw as u32, dh as u32, to).expect("same number of pixels")
}

/// JPEG by `jpeg-encoder` (SIMD where the CPU has it): image's own encoder took most of
/// a 12-megapixel photo's time.
fn jpeg(picture: &DynamicImage, quality: u8) -> Result<Vec<u8>, Refusal> {
    let (width, height) = (picture.width(), picture.height());
    let too_large =
        || Refusal::TooManyPixels { width, height, max_side: MAX_SIDE, max_megapixels: MAX_PIXELS / 1_000_000 };
    let (w, h) = (u16::try_from(width).map_err(|_| too_large())?, u16::try_from(height).map_err(|_| too_large())?);
    let mut out = Vec::with_capacity(width as usize * height as usize / 4);
    let encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    let result = match picture {
        DynamicImage::ImageLuma8(gray) => encoder.encode(gray.as_raw(), w, h, jpeg_encoder::ColorType::Luma),
        DynamicImage::ImageRgb8(rgb) => encoder.encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb),
        other => encoder.encode(other.to_rgb8().as_raw(), w, h, jpeg_encoder::ColorType::Rgb),
    };
    result.map_err(|e| Refusal::Corrupt(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_images::{phone_jpeg, png_header};
    use super::*;

    #[test]
    fn a_phone_photo_is_turned_upright_and_loses_its_metadata() {
        let sent = phone_jpeg(40, 20, 6);
        assert!(sent.windows(4).any(|w| w == b"Exif"));
        let c = clean(&sent).unwrap();
        // Orientation 6: the camera was held upright, so the stored picture is tall.
        assert_eq!((c.width, c.height, c.content_type), (20, 40, "image/jpeg"));
        assert!(!c.bytes.windows(4).any(|w| w == b"Exif"), "EXIF removed");
        let stored = image::load_from_memory(&c.bytes).unwrap().to_rgb8();
        // The red left column of the sideways picture is now its top row.
        let top = stored.get_pixel(10, 0);
        assert!(top[0] > 180 && top[1] < 90, "{top:?}");
        let thumb = image::load_from_memory(&c.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (20, 40), "never enlarged");
        assert_eq!(c.sha256, hex_sha256(&c.bytes));
        assert_eq!(c.received_sha256, hex_sha256(&sent));
    }

    #[test]
    fn quarter_and_half_turns_match_image_s_own() {
        use image::metadata::Orientation::{Rotate90, Rotate180, Rotate270};
        let mut n = 7u32;
        let rgb = image::RgbImage::from_fn(131, 70, |_, _| {
            n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let [a, b, c, _] = n.to_le_bytes();
            image::Rgb([a, b, c])
        });
        for o in [Rotate90, Rotate180, Rotate270] {
            let mut theirs = DynamicImage::ImageRgb8(rgb.clone());
            theirs.apply_orientation(o);
            assert_eq!(turn_rgb(&rgb, o), theirs.to_rgb8(), "{o:?}");
        }
    }

    #[test]
    fn thumbnails_keep_the_shape_within_their_side() {
        let c = clean(&phone_jpeg(1200, 600, 1)).unwrap();
        let thumb = image::load_from_memory(&c.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (THUMBNAIL_SIDE, THUMBNAIL_SIDE / 2));
    }

    #[test]
    fn pngs_stay_png_and_webp_become_jpeg() {
        let img = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(8, 6, image::Rgba([1, 2, 3, 128])));
        let mut png = Vec::new();
        img.write_with_encoder(PngEncoder::new(&mut png)).unwrap();
        let c = clean(&png).unwrap();
        assert_eq!((c.content_type, c.width, c.height), ("image/png", 8, 6));
        let mut webp = Vec::new();
        img.write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut webp)).unwrap();
        assert_eq!(clean(&webp).unwrap().content_type, "image/jpeg");
    }

    #[test]
    fn what_is_not_a_photo_is_refused_by_its_content() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(clean(svg).err(), Some(Refusal::NotAnImage));
        assert_eq!(clean(b"%PDF-1.7\n...").err(), Some(Refusal::NotAnImage));
        assert_eq!(clean(b"").err(), Some(Refusal::NotAnImage));
        assert_eq!(clean(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").err(), Some(Refusal::NotAnImage));
        let truncated = &phone_jpeg(64, 64, 1)[..200];
        assert!(matches!(clean(truncated), Err(Refusal::Corrupt(_))));
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_decoding() {
        // 50,000 × 50,000 pixels (10 GB decoded) in under 100 bytes.
        let bomb = png_header(50_000, 50_000);
        assert!(bomb.len() < 100);
        let refused = clean(&bomb);
        assert!(matches!(refused, Err(Refusal::TooManyPixels { width: 50_000, height: 50_000, .. })), "{refused:?}");
        let wide = clean(&png_header(MAX_SIDE + 1, 10));
        assert!(matches!(wide, Err(Refusal::TooManyPixels { .. })), "{wide:?}");
    }
}
