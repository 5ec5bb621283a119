//! Raw MJPEG streams made by ffmpeg split by us into exactly ffmpeg's
//! images; ours read by ffprobe.

mod common;

use std::fs;

use common::{arg, ffmpeg, numbered_files, probe, temp_dir, testsrc};
use tessera_container::mjpeg::{MjpegReader, MjpegWriter};
use tessera_core::Limits;

fn split(bytes: &[u8]) -> (Vec<Vec<u8>>, u64) {
    let mut reader = MjpegReader::new(bytes, Limits::default());
    let mut images = Vec::new();
    while let Some(image) = reader.next_image().unwrap() {
        images.push(image);
    }
    (images, reader.garbage_bytes())
}

#[test]
fn ffmpeg_mjpeg_splits_into_its_image2_frames() {
    let dir = temp_dir();
    for (i, pix_fmt) in ["yuvj420p", "yuvj422p", "yuvj444p"].iter().enumerate() {
        let src = testsrc("67x45", "25", 7);
        let stream = arg(dir.path(), &format!("{i}.mjpeg"));
        let enc = ["-pix_fmt", pix_fmt, "-c:v", "mjpeg", "-q:v", "3"];
        ffmpeg(&src, &[&enc[..], &["-f", "mjpeg", &stream]].concat());
        let pattern = arg(dir.path(), &format!("{i}-%03d.jpg"));
        ffmpeg(&src, &[&enc[..], &["-f", "image2", &pattern]].concat());
        let expected = numbered_files(dir.path(), &format!("{i}-"));
        assert_eq!(expected.len(), 7);

        let (images, garbage) = split(&fs::read(&stream).unwrap());
        assert_eq!(garbage, 0);
        assert_eq!(images.len(), expected.len(), "{pix_fmt}");
        for (k, (a, b)) in images.iter().zip(&expected).enumerate() {
            assert!(a == b, "{pix_fmt}: image {k} differs");
        }

        // Garbage and fill between images is skipped, counted, harmless.
        let mut dirty = b"\x00\xFFnoise".to_vec();
        for image in &expected {
            dirty.extend_from_slice(image);
            dirty.extend_from_slice(&[0xFF, 0xFF, 0x00, 0xD8]);
        }
        let (images, garbage) = split(&dirty);
        assert_eq!(images, expected);
        assert_eq!(garbage, 7 + 4 * 7);

        // Our writer's stream is what ffprobe counts.
        let ours = arg(dir.path(), &format!("{i}-ours.mjpeg"));
        let mut writer = MjpegWriter::new(fs::File::create(&ours).unwrap());
        for image in &expected {
            writer.write_image(image).unwrap();
        }
        writer.into_inner().unwrap();
        let info = probe(ours.as_ref());
        assert_eq!(info["nb_read_frames"], "7", "{pix_fmt}");
        assert_eq!(info["codec_name"], "mjpeg");
        assert_eq!((&*info["width"], &*info["height"]), ("67", "45"));
        assert_eq!(fs::read(&ours).unwrap(), fs::read(&stream).unwrap());
    }
}
