//! Pictures as phones and attackers send them, for the tests and benches: a JPEG with
//! an EXIF orientation and GPS block, and a PNG header that promises billions of pixels.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, Rgb, RgbImage};

/// A `width` × `height` JPEG whose left column is red, with an EXIF block saying
/// `orientation` and holding a GPS position. `grain` (0 for none) adds that much noise
/// over a smooth scene, as a camera's sensor does: it sets how large the file is.
pub fn phone_jpeg_with(width: u32, height: u32, orientation: u16, grain: u8) -> Vec<u8> {
    let mut state = 0x2545_F491u32;
    let img = RgbImage::from_fn(width, height, |x, y| {
        if x == 0 {
            return Rgb([250, 0, 0]);
        }
        if grain == 0 {
            return Rgb([20, 120, 40]);
        }
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        let n = |v: u8| (u32::from(v) % (u32::from(grain) + 1)) as u8;
        let (sx, sy) = ((x / 7) % 160, (y / 5) % 120);
        Rgb([
            (40 + sx as u8).saturating_add(n(a)),
            (90 + sy as u8).saturating_add(n(b)),
            (30 + ((sx + sy) / 3) as u8).saturating_add(n(c)),
        ])
    });
    let mut plain = Vec::new();
    DynamicImage::ImageRgb8(img).write_with_encoder(JpegEncoder::new_with_quality(&mut plain, 92)).expect("encodes");
    with_exif(&plain, orientation)
}

pub fn phone_jpeg(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    phone_jpeg_with(width, height, orientation, 0)
}

/// `jpeg` with an APP1 EXIF segment (orientation, and a GPS IFD) right after its SOI.
pub fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    // Big-endian TIFF: IFD0 at 8 with two entries (Orientation, GPS IFD pointer), the
    // GPS IFD at 38 with one entry (GPSLatitudeRef = "N").
    let mut tiff: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01]);
    tiff.extend_from_slice(&38u32.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(app1.len() + 2).expect("small segment").to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The start of a PNG claiming `width` × `height` RGB pixels: in a real bomb a
/// compressed stream of zeros follows; the header alone must decide.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let chunk = |out: &mut Vec<u8>, body: &[u8]| {
        out.extend_from_slice(&u32::try_from(body.len() - 4).expect("small chunk").to_be_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&crc32fast::hash(body).to_be_bytes());
    };
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, &ihdr);
    chunk(&mut out, b"IDAT\x78\x9c\x63\x00\x00\x00\x01\x00\x01");
    out
}
