//! Container readers on arbitrary bytes: the first byte picks Y4M, raw
//! MJPEG, AVI or a PGM image, the rest is the stream. Every reader must read to the end
//! (or to its first error) without panicking, and must terminate.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use tessera_container::avi::AviReader;
use tessera_container::mjpeg::MjpegReader;
use tessera_container::pgm::read_pgm;
use tessera_container::y4m::Y4mReader;
use tessera_core::Limits;

const LIMITS: Limits = Limits {
    max_dimension: 4096,
    max_pixels: 4 << 20,
    max_bytes: 1 << 20,
};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, stream)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 => {
            if let Ok(mut reader) = Y4mReader::new(stream, LIMITS) {
                while let Ok(Some(frame)) = reader.read_frame() {
                    assert_eq!(frame.width, reader.header().width);
                }
            }
        }
        1 => {
            let mut reader = MjpegReader::new(stream, LIMITS);
            while let Ok(Some(image)) = reader.next_image() {
                assert!(image.len() as u64 <= LIMITS.max_bytes);
                assert!(image.starts_with(&[0xFF, 0xD8]), "an image without SOI");
            }
        }
        2 => {
            if let Ok(mut reader) = AviReader::new(Cursor::new(stream), LIMITS) {
                while let Ok(Some(image)) = reader.next_image() {
                    assert!(image.len() as u64 <= LIMITS.max_bytes);
                }
            }
        }
        _ => {
            if let Ok(plane) = read_pgm(stream, &LIMITS) {
                assert_eq!(plane.data.len(), plane.width * plane.height);
                assert!(plane.width * plane.height <= stream.len());
            }
        }
    }
});
